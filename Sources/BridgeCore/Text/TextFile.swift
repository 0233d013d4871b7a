/// Decodes the text files people write by hand (config, keys file, key file, themes, rosters): UTF-8, with the
/// byte-order mark some Windows editors put first taken off, so it never becomes part of a key or a secret.
public enum TextFile {
  public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

  /// The file's text, or the line where its UTF-8 first breaks.
  public static func decode(_ bytes: [UInt8]) -> Result<String, InvalidUTF8> {
    let body = bytes.starts(with: byteOrderMark) ? bytes[3...] : bytes[...]
    if let text = String(validating: body, as: UTF8.self) { return .success(text) }
    var line = 1
    for part in body.split(separator: 0x0A, omittingEmptySubsequences: false) {
      if String(validating: part, as: UTF8.self) == nil { return .failure(InvalidUTF8(line: line)) }
      line += 1
    }
    return .failure(InvalidUTF8(line: line))
  }

  public struct InvalidUTF8: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var description: String { "not valid UTF-8 (save the file as UTF-8)" }
  }
}

extension Result where Failure == TextFile.InvalidUTF8 {
  /// The broken line, or 0 when decoding succeeded.
  public var failureLine: Int {
    if case .failure(let bad) = self { bad.line } else { 0 }
  }
}
