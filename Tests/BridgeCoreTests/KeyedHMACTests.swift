import Crypto
import Testing

@testable import BridgeCore

@Suite struct KeyedHMACTests {
  func code(key: [UInt8], message: [UInt8]) -> String {
    let keyed = KeyedHMACSHA256(key: key)
    return message.withUnsafeBytes { bytes in keyed.withCode(for: bytes) { HeartbeatAuthenticator.hex(Array($0)) } }
  }

  /// RFC 4231's vectors for HMAC-SHA-256, among them keys longer than a block (hashed first).
  @Test(arguments: [
    (
      [UInt8](repeating: 0x0B, count: 20), "Hi There",
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    ),
    (Array("Jefe".utf8), "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (
      [UInt8](repeating: 0xAA, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First",
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    ),
    (
      [UInt8](repeating: 0xAA, count: 131),
      "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
        + "hashed before being used by the HMAC algorithm.",
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
    ),
  ])
  func matchesRFC4231(key: [UInt8], message: String, expected: String) {
    #expect(code(key: key, message: Array(message.utf8)) == expected)
  }

  /// Every key length around the block size (64) and message lengths across one and two blocks, against
  /// swift-crypto's own HMAC.
  @Test func matchesSwiftCryptoForEveryKeyLength() {
    var generator = SystemRandomNumberGenerator()
    var mismatches: [String] = []
    for keyLength in 0...140 {
      let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
      for messageLength in [0, 1, 55, 56, 63, 64, 65, 119, 120, 200] {
        let message = (0..<messageLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let expected = HeartbeatAuthenticator.hex(
          Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))))
        if code(key: key, message: message) != expected { mismatches.append("key \(keyLength) B, message \(messageLength) B") }
      }
    }
    #expect(mismatches.isEmpty)
  }

  /// One keyed state serves many messages: a check must not leave anything behind for the next.
  @Test func aKeyedStateIsReusable() {
    let key = Array("site secret".utf8)
    let keyed = KeyedHMACSHA256(key: key)
    for message in ["BW1 site=A seq=1", "BW1 site=A seq=2", "BW1 site=A seq=1"] {
      let computed = Array(message.utf8).withUnsafeBytes { bytes in keyed.withCode(for: bytes) { Array($0) } }
      #expect(computed == Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key))))
    }
  }

  /// A site's keyed state is its two chaining values, inline: no heap box per site (swift-crypto's SHA256 kept two,
  /// 2 MiB at 10,000 sites).
  @Test func aKeyedStateIsTwoChainingValuesInline() {
    #expect(MemoryLayout<KeyedHMACSHA256>.size == 64)
    #expect(MemoryLayout<KeyedHMACSHA256?>.stride == 68)
  }
}
