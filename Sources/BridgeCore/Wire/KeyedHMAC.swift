import COpenSSL
import Crypto

/// HMAC-SHA256 (RFC 2104) with its key absorbed once: the inner and outer hashes have already taken the padded
/// key, and only their chaining values are kept (32 bytes each, inline), so a check resumes from them and hashes
/// only the message and the inner digest.
///
/// swift-crypto's `HMAC<SHA256>` does the same work, but through `DataProtocol` generics that are not specialized
/// across the module boundary (at national load more than half of what the MAC check cost), and its `SHA256` keeps
/// its state in a heap box: two per site, 2 MiB at 10,000 sites, against 64 bytes a site here. OpenSSL's SHA-256
/// (COpenSSL's shim) resumes from a chaining value; the result is checked against `HMAC<SHA256>` by the tests.
struct KeyedHMACSHA256 {
  typealias ChainingValue = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
  private let inner: ChainingValue
  private let outer: ChainingValue

  init(key: [UInt8]) {
    var block = key.count > SHA256.blockByteCount ? Array(SHA256.hash(data: key)) : key
    block += repeatElement(0, count: SHA256.blockByteCount - block.count)
    inner = Self.absorb(block.map { $0 ^ 0x36 })
    outer = Self.absorb(block.map { $0 ^ 0x5C })
  }

  private static func absorb(_ block: [UInt8]) -> ChainingValue {
    var state: ChainingValue = (0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &state) { state in
      bridgewatch_sha256_absorb_block(block, state.baseAddress!.assumingMemoryBound(to: UInt32.self))
    }
    return state
  }

  /// The 32-byte code of `message`, passed to `body` without leaving the stack.
  func withCode<Result>(for message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
    var innerDigest: ChainingValue = (0, 0, 0, 0, 0, 0, 0, 0)
    var code: ChainingValue = (0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeBytes(of: inner) { inner in
      withUnsafeMutableBytes(of: &innerDigest) { digest in
        bridgewatch_sha256_resume(
          inner.baseAddress!.assumingMemoryBound(to: UInt32.self), message.baseAddress, message.count,
          digest.baseAddress!.assumingMemoryBound(to: UInt8.self))
      }
    }
    withUnsafeBytes(of: outer) { outer in
      withUnsafeBytes(of: innerDigest) { digest in
        withUnsafeMutableBytes(of: &code) { code in
          bridgewatch_sha256_resume(
            outer.baseAddress!.assumingMemoryBound(to: UInt32.self), digest.baseAddress, 32,
            code.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
      }
    }
    return withUnsafeBytes(of: code, body)
  }
}
