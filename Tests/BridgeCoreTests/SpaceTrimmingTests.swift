import Foundation
import Testing

@testable import BridgeCore

/// The config's trimming and group paths in Swift alone give what Foundation's gave (they replaced it for speed).
@Suite struct SpaceTrimmingTests {
  static let samples = [
    "", " ", "\t", "Hòa Bình", "  Hòa Bình  ", "\tĐà Bắc\t", "\u{00A0}Xã\u{3000}", "\u{2003}Cao Sơn\u{202F}", " \n x \n ",
    "A / B", "A /  / B", " / A", "A / ", "A/B", "Hòa Bình / Đà Bắc / Cao Sơn", "A  /  B", "A / \t / B", "Ho\u{300}a / Bi\u{300}nh",
    "x\u{1680}", "\u{200B}zero-width\u{200B}",
  ]

  @Test func trimmingMatchesFoundationsWhitespaces() {
    for text in Self.samples {
      #expect(text.trimmedOfSpaces == text.trimmingCharacters(in: .whitespaces), "\(Array(text.unicodeScalars))")
    }
  }

  @Test func groupPathsSplitAsFoundationSplitThem() {
    func foundation(_ text: String) -> [String]? {
      let segments = text.components(separatedBy: GroupPath.separator).map { $0.trimmingCharacters(in: .whitespaces) }
      return segments.allSatisfy { !$0.isEmpty } ? segments : nil
    }
    for text in Self.samples {
      #expect(GroupPath.parse(text) == foundation(text), "\(text)")
    }
  }
}
