/// A headcount as people type it: into the agent's count file, or at the dashboard's `c` prompt. One whole number.
public enum CountText {
  /// Accepts surrounding white space and line breaks, and thousands written the Vietnamese or English way
  /// ("11.631", "11,631", "11 631"); anything else is refused with a message saying what was found.
  public static func parse(_ bytes: [UInt8]) -> Result<Int, Problem> {
    // Most counts are plain digits (a roster's 7,400 `expected`): read those without building strings.
    if !bytes.isEmpty, bytes.count <= 7, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
      let number = bytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
      return number <= HeartbeatCodec.maximumCount ? .success(number) : .failure(.tooLarge(number))
    }
    guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.notText) }
    let trimmed = text.trimmingPrefix("\u{FEFF}").drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()
    let value = String(trimmed)
    guard !value.isEmpty else { return .failure(.empty) }
    guard !value.contains(where: \.isNewline) else { return .failure(.moreThanOneLine) }
    // Split by hand, not with a regex: a regex is compiled on every call, which made loading a roster slow.
    let groups = value.split(omittingEmptySubsequences: false) { $0 == "." || $0 == "," || $0 == "\u{A0}" || $0 == " " }
    let wellGrouped =
      groups.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
      && groups.dropFirst().allSatisfy { $0.count == 3 } && groups[0].count <= 7
    guard wellGrouped, let number = Int(groups.joined()) else { return .failure(.notANumber(String(value.prefix(40)))) }
    guard number <= HeartbeatCodec.maximumCount else { return .failure(.tooLarge(number)) }
    return .success(number)
  }

  public enum Problem: Error, Equatable, CustomStringConvertible {
    case notText, empty, moreThanOneLine
    case notANumber(String)
    case tooLarge(Int)

    public var description: String {
      let range = "a whole number from 0 to \(NumberText.grouped(HeartbeatCodec.maximumCount))"
      return switch self {
      case .notText: "expected \(range), found bytes that are not text"
      case .empty: "expected \(range), the file is empty"
      case .moreThanOneLine: "expected \(range) on one line, found several lines"
      case .notANumber(let text): "expected \(range), got '\(TextSanitizer.printable(text))'"
      case .tooLarge(let number): "expected \(range), got \(NumberText.grouped(number))"
      }
    }
  }
}
