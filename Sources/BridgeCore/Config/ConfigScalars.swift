import Foundation
import Yams

/// The scalar readers every section uses: each value read with its line, each problem said at it.
extension ConfigLoader {
  /// Checks a mapping for non-scalar and unknown keys (Yams itself rejects duplicates); returns the accepted entries.
  mutating func checkedEntries(_ mapping: Node.Mapping, allowed: [String], context: String) -> [String: Node] {
    var entries: [String: Node] = [:]
    for (keyNode, value) in mapping {
      guard let key = keyNode.scalar?.string else {
        fail(keyNode, "keys of \(context) must be plain words")
        continue
      }
      guard allowed.contains(key) else {
        var message = "unknown key '\(key)' in \(context)"
        if let suggestion = Spelling.closest(to: key, in: allowed) { message += " (did you mean '\(suggestion)'?)" }
        message += "; expected one of: \(allowed.joined(separator: ", "))"
        fail(keyNode, message)
        continue
      }
      entries[key] = value
    }
    return entries
  }

  mutating func string(_ node: Node, _ key: String) -> String? {
    guard let scalar = node.scalar else {
      fail(node, "'\(key)' must be a single value, not a list or mapping")
      return nil
    }
    if scalar.style == .plain && (scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null") {
      fail(node, "'\(key)' has no value")
      return nil
    }
    return scalar.string
  }

  mutating func duration(_ node: Node, _ key: String) -> Duration? {
    guard let text = string(node, key) else { return nil }
    guard let value = DurationText.parse(text), value > .zero else {
      fail(node, "'\(key)' must be a duration like 500ms, 5s, 2m or 1h, got '\(text)'")
      return nil
    }
    return value
  }

  mutating func integer(_ node: Node, _ key: String, range: ClosedRange<Int>) -> Int? {
    guard let text = string(node, key) else { return nil }
    let digits = text.hasPrefix("+") ? String(text.dropFirst()) : text
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else {
      let sign = text.hasPrefix("-") ? "non-negative " : ""
      fail(node, "'\(key)' must be a \(sign)whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
      return nil
    }
    guard range.contains(value) else {
      fail(node, "'\(key)' must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
      return nil
    }
    return value
  }

  /// true/yes/on or false/no/off, in any case; anything else is an error at its line.
  mutating func boolean(_ node: Node, _ key: String) -> Bool? {
    guard let text = string(node, key) else { return nil }
    switch text.lowercased() {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default:
      fail(node, "'\(key)' must be true or false, got '\(text)'")
      return nil
    }
  }
}

/// "Did you mean" for misspelt keys.
enum Spelling {
  static func closest(to word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, distance(Array(word.lowercased()), Array($0))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return nil }
    return best.0
  }

  static func distance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return previous[b.count]
  }
}
