import Crypto

/// HMAC-SHA256 (RFC 2104) with its key absorbed once: the inner and outer hashes have already taken the padded
/// key, so a check copies them and hashes only the message and the inner digest.
///
/// swift-crypto's `HMAC<SHA256>` does the same work, but through `DataProtocol` generics that are not specialized
/// across the module boundary: at national load that overhead was more than half of what the MAC check cost.
/// `SHA256.update(bufferPointer:)` is concrete, and the result is checked against `HMAC<SHA256>` by the tests.
struct KeyedHMACSHA256 {
  private let inner: SHA256
  private let outer: SHA256

  init(key: [UInt8]) {
    var block = key.count > SHA256.blockByteCount ? Array(SHA256.hash(data: key)) : key
    block += repeatElement(0, count: SHA256.blockByteCount - block.count)
    var inner = SHA256()
    var outer = SHA256()
    inner.update(data: block.map { $0 ^ 0x36 })
    outer.update(data: block.map { $0 ^ 0x5C })
    self.inner = inner
    self.outer = outer
  }

  /// The 32-byte code of `message`, passed to `body` without leaving the stack.
  func withCode<Result>(for message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
    var innerHash = inner
    innerHash.update(bufferPointer: message)
    let innerDigest = innerHash.finalize()
    var outerHash = outer
    innerDigest.withUnsafeBytes { outerHash.update(bufferPointer: $0) }
    return outerHash.finalize().withUnsafeBytes(body)
  }
}
