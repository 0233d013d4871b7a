import Foundation
import Synchronization
import Yams

/// Yams' shared default resolver uses NSRegularExpression, which crashes when two threads parse at once
/// (seen with parallel tests); every YAML parse in the process goes through this lock.
private let yamlParseLock = Mutex(())

/// Every YAML the program reads (config, keys, themes) is composed here: aliases are refused first, in linear
/// time, because composing nested ones is exponential (see `YAMLAliasGuard`).
///
/// `plainScalarsAreText`: every unquoted scalar is a string, for files read only as text (the keys file). Yams
/// resolves a plain scalar's type with its regular expressions every time a mapping key is hashed to look for
/// duplicates: for a 31,097-site keys file that was a fifth of the monitor's start.
public func composeYAML(_ text: String, plainScalarsAreText: Bool = false) throws -> Node? {
  if let alias = YAMLAliasGuard.firstAlias(in: text) { throw YAMLAliasError(line: alias.line, column: alias.column) }
  return try yamlParseLock.withLock { _ in try Yams.compose(yaml: text, plainScalarsAreText ? .basic : .default) }
}

/// A YAML file uses an alias (`*name`); none of BridgeWatch's files may.
public struct YAMLAliasError: Error, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public var description: String {
    "YAML aliases (*name) are not allowed in BridgeWatch files (column \(column)); write the value out in full"
  }
}

/// A YAML syntax error said at the line where the broken construct starts.
extension ConfigLoader {
  /// The first `key: [HOST]:PORT` written without quotes on one of `lines` (1-based): its line, key and value.
  static func unquotedBracketedAddress(in yaml: String, lines: ClosedRange<Int>) -> (Int, String, String)? {
    let pattern = #/(?<key>[A-Za-z_]+):[ \t]*(?<value>\[[0-9A-Za-z:.%]*\]:[0-9]+)/#
    for (index, text) in yaml.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where lines.contains(index + 1) {
      if let match = text.firstMatch(of: pattern) { return (index + 1, String(match.output.key), String(match.output.value)) }
    }
    return nil
  }

  static func describe(_ error: YamlError, path: String) -> ConfigProblem {
    switch error {
    case .scanner(let context, let problem, let mark, let yaml), .parser(let context, let problem, let mark, let yaml),
      .composer(let context, let problem, let mark, let yaml):
      // An IPv6 listen address written bare ([::1]:7400) is a YAML list followed by text: say how to write it.
      let firstLine = min(context?.mark.line ?? mark.line, mark.line)
      if let (line, key, value) = unquotedBracketedAddress(in: yaml, lines: firstLine...mark.line) {
        return ConfigProblem(
          FileLine(file: path, line: line),
          "YAML syntax: \(value) reads as a list ([...]) followed by more text; write it in quotes: \(key): \"\(value)\"")
      }
      // Point at where the broken construct starts (an unclosed quote's opening line), not where parsing gave up.
      guard let context else {
        return ConfigProblem(FileLine(file: path, line: mark.line), "YAML syntax: \(problem)")
      }
      let whereFound = context.mark.line == mark.line ? "" : " at line \(mark.line)"
      return ConfigProblem(
        FileLine(file: path, line: context.mark.line), "YAML syntax: \(context.text), \(problem)\(whereFound)")
    case .duplicatedKeysInMapping(let duplicates, let context):
      let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
      return ConfigProblem(
        FileLine(file: path, line: context.mark.line), "duplicate key \(keys) (each key may appear once in a mapping)")
    case .reader(let problem, let offset, let value, let yaml):
      // The reader counts characters, not lines: the line is found here, and the character named (a file's raw
      // control character is invisible in an editor).
      var line = 0
      if let offset, offset >= 0 {
        line = 1 + yaml.prefix(offset).reduce(0) { $0 + ($1 == "\n" || $1 == "\r\n" || $1 == "\r" ? 1 : 0) }
      }
      let code = value >= 0 ? String(UInt32(value), radix: 16, uppercase: true) : nil
      let character = code.map { " (U+\(String(repeating: "0", count: max(0, 4 - $0.count)))\($0))" } ?? ""
      return ConfigProblem(FileLine(file: path, line: line), "YAML: \(problem)\(character)")
    default:
      return ConfigProblem(FileLine(file: path, line: 0), "YAML: \(error)")
    }
  }
}
