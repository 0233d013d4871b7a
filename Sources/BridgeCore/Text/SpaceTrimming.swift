extension String {
  /// The text without leading and trailing tabs and spaces (Unicode's Zs, and U+200B): what Foundation's
  /// `trimmingCharacters(in: .whitespaces)` gives, in Swift alone. Foundation's went through NSString and was a
  /// fifth of a 31,097-site monitor's start (every cell of the roster's CSV is trimmed); a text with nothing to
  /// trim comes back as it is.
  public var trimmedOfSpaces: String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !Self.isSpace($0) }) else { return "" }
    let last = scalars.lastIndex(where: { !Self.isSpace($0) })!
    if first == scalars.startIndex && scalars.index(after: last) == scalars.endIndex { return self }
    return String(scalars[first...last])
  }

  /// What Foundation's `CharacterSet.whitespaces` holds: a tab, a space separator (Zs), and U+200B ZERO WIDTH
  /// SPACE, which Foundation counts too.
  static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "\t" || scalar == " " || scalar == "\u{200B}"
      || (scalar.value >= 0xA0 && scalar.properties.generalCategory == .spaceSeparator)
  }
}
