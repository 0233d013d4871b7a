/// Makes untrusted text (names from config, states and notes from the network) safe to print: control
/// characters (C0, DEL, C1, which includes ESC and CSI) and bidirectional overrides are dropped, so nothing
/// reaches a terminal or log as an escape sequence.
public enum TextSanitizer {
  public static func printable(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars where !isUnsafe(scalar) { out.append(scalar) }
    return String(out)
  }

  /// `printable` for multi-line output (reports, summaries, logs): line breaks and tabs stay, every other
  /// control character goes.
  public static func printableLines(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { isUnsafe($0) && $0 != "\n" && $0 != "\t" }) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars where !isUnsafe(scalar) || scalar == "\n" || scalar == "\t" { out.append(scalar) }
    return String(out)
  }

  /// Lines for a terminal or a file, each made `printable` before they are joined: a line break or tab inside one
  /// value (a group name, a title from a monitor) cannot start a line of its own ("config: other.yaml: OK").
  public static func joinedLines(_ lines: [String]) -> String {
    lines.map(printable).joined(separator: "\n")
  }

  /// The first character `printable` would drop, or nil: for a door (the config) that refuses such text and says
  /// where, rather than showing it changed.
  public static func firstUnsafe(in text: String) -> Unicode.Scalar? {
    text.unicodeScalars.first(where: isUnsafe)
  }

  @inline(__always)
  static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
    let value = scalar.value
    return value < 0x20 || (0x7F...0x9F).contains(value) || (0x202A...0x202E).contains(value)
      || (0x2066...0x2069).contains(value)
  }
}
