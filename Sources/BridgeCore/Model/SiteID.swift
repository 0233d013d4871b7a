/// Site identifiers: `[A-Za-z0-9._-]{1,64}`, the same rule in config, keys file and wire format.
public enum SiteID {
  public static let maximumLength = 64

  public static func isValid(_ text: String) -> Bool {
    isValid(utf8: text.utf8)
  }

  public static func isValid<Bytes: Collection>(utf8 bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
    guard !bytes.isEmpty, bytes.count <= maximumLength else { return false }
    return bytes.allSatisfy(isIDByte)
  }

  @inline(__always)
  static func isIDByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
      return true
    default:
      return false
    }
  }
}
