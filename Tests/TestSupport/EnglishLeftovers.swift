/// Finds English left in a screen or a command's output that should be Vietnamese: any word of the English strings
/// a command could print (the strings table's English side, plus its own literals) that the Vietnamese side does
/// not also use ("udp", "rtt", "socket" are the same in both). Data is not words: tokens holding a digit, `/`, `=`,
/// `@`, `:` inside or a dot inside (paths, addresses, durations, `key=value`) are skipped, and so are words of two
/// letters or fewer and words with a letter outside ASCII (Vietnamese names).
public struct EnglishLeftovers: Sendable {
  public let englishWords: Set<String>

  /// `english`: every string the output could hold in English; `vietnamese`: every Vietnamese string (their words
  /// are not English leftovers); `allowed`: words a protocol prints verbatim in both languages (`ack` of `BW1 ack`).
  public init(english: [String], vietnamese: [String], allowed: Set<String> = []) {
    let vietnameseWords = Set(vietnamese.flatMap(Self.words))
    englishWords = Set(english.flatMap(Self.words)).subtracting(vietnameseWords).subtracting(allowed)
  }

  /// The English words found in `text`, in order, each once.
  public func find(in text: String) -> [String] {
    var found: [String] = []
    for token in text.split(whereSeparator: { $0.isWhitespace }) {
      let trimmed = token.trimmingPunctuation
      if trimmed.contains(where: { $0.isNumber || "/=@".contains($0) }) { continue }
      if trimmed.dropLast().contains(".") || trimmed.dropLast().contains(":") { continue }
      for word in Self.words(String(trimmed)) where englishWords.contains(word) && !found.contains(word) {
        found.append(word)
      }
    }
    return found
  }

  /// Lowercased ASCII words of three letters or more; placeholders (`{0}`) are not words.
  static func words(_ text: String) -> [String] {
    text.split(whereSeparator: { !$0.isLetter }).map { $0.lowercased() }.filter { word in
      word.count >= 3 && word.allSatisfy { $0.isASCII }
    }
  }
}

extension Substring {
  fileprivate var trimmingPunctuation: Substring {
    var text = self
    while let first = text.first, !first.isLetter && !first.isNumber { text = text.dropFirst() }
    while let last = text.last, !last.isLetter && !last.isNumber { text = text.dropLast() }
    return text
  }
}
