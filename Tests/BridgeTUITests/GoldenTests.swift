import BridgeCore
import Foundation
import TestSupport
import Testing

@testable import BridgeTUI

/// Screens compared as text against files in Tests/Fixtures/golden. Regenerate after a deliberate layout change
/// with BRIDGEWATCH_UPDATE_GOLDEN=1 swift test --filter GoldenTests, and review the diff.
func checkGolden(_ screen: ScreenBuffer, _ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
  let path = Repository.path("Tests/Fixtures/golden/\(name).txt")
  let text = screenText(screen)
  if ProcessInfo.processInfo.environment["BRIDGEWATCH_UPDATE_GOLDEN"] == "1" {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }
  let golden = try String(contentsOfFile: path, encoding: .utf8)
  #expect(text == golden, "screen differs from \(name).txt:\n\(text)", sourceLocation: sourceLocation)
}

/// The screen as text, trailing spaces dropped.
func screenText(_ screen: ScreenBuffer) -> String {
  screen.lines.map { $0.replacingOccurrences(of: " +$", with: "", options: .regularExpression) }.joined(separator: "\n") + "\n"
}

@Suite struct GoldenTests {
  func check(_ screen: ScreenBuffer, _ name: String) throws { try checkGolden(screen, name) }

  func render(width: Int, height: Int, _ configure: (inout DashboardState) -> Void = { _ in }) -> ScreenBuffer {
    var state = DashboardState()
    for line in DashboardFixture.events() { state.appendLog(line) }
    configure(&state)
    return DashboardView.render(DashboardFixture.snapshot(), state: &state, context: DashboardFixture.context(width: width, height: height))
  }

  @Test func layout80x24() throws { try check(render(width: 80, height: 24), "dashboard-80x24") }

  @Test(arguments: [Language.en, .vi])
  func theHeaderKeepsWhatOperatorsActOnAt80Columns(language: Language) {
    var state = DashboardState()
    state.strings = Strings(language)
    let screen = DashboardView.render(DashboardFixture.snapshot(), state: &state, context: DashboardFixture.context(width: 80, height: 24))
    let counts = screen.lines[1]
    for label in [TextKey.headerOffline, .headerHelp, .headerAlerts, .headerMarked] {
      #expect(counts.contains(state.strings(label) + " "), "\(label) missing from '\(counts)'")
    }
    #expect(counts.contains("327"), "the attendance figure stays: '\(counts)'")
  }
  @Test func layout200x50() throws { try check(render(width: 200, height: 50), "dashboard-200x50") }
  @Test func tooSmall() throws { try check(render(width: 79, height: 24), "too-small-79x24") }
  @Test func helpOverlay() throws { try check(render(width: 80, height: 24) { $0.mode = .help }, "help-80x24") }
  @Test func markPrompt() throws {
    try check(render(width: 120, height: 24) { $0.mode = .prompt(.markOffline, site: 0, input: "mất điện") }, "mark-prompt-120x24")
  }

  @Test func everyRowLinesUpWhateverTheNormalForm() {
    let screen = render(width: 200, height: 50)
    // NFC and NFD names start in the same column and the column after them lines up too.
    let lines = screen.lines
    let nfd = lines.first { $0.contains("HB-MC-HU") }!
    let nfc = lines.first { $0.contains("HB-DB-TULY") }!
    #expect(nfd.contains("Huyện ủy Mai Châu"))  // drawn composed
    func column(of needle: String, in line: String) -> Int {
      DisplayWidth.of(String(line[..<line.range(of: needle)!.lowerBound]))
    }
    #expect(column(of: "Huyện ủy Mai Châu", in: nfd) == column(of: "Xã Tú Lý", in: nfc))
    #expect(column(of: "95/98", in: nfd) + 5 == column(of: "(47*)/49", in: nfc) + 8)
  }

  @Test func escapeSequencesFromNamesNeverReachTheScreen() {
    let screen = render(width: 200, height: 50)
    #expect(!screen.cells.contains { $0.text.unicodeScalars.contains { $0.value == 0x1B } })
    #expect(screen.lines.contains { $0.contains("Xã Pà Cò [31mred") })
  }

  @Test func statusesHaveTheirRoles() {
    let screen = render(width: 120, height: 40)
    func role(ofRowWith id: String) -> Role? {
      let y = screen.lines.firstIndex { $0.contains(" \(id) ") }!
      return screen[1, y].role
    }
    #expect(role(ofRowWith: "HB-TU") == .selection)  // selected first site
    #expect(role(ofRowWith: "HB-DB-HU") == .statusMarked)
    #expect(role(ofRowWith: "HB-DB-TULY") == .statusOffline)
    #expect(role(ofRowWith: "HB-DB-CAOSON") == .statusLate)
    #expect(role(ofRowWith: "HB-MC-HU") == .statusOnline)
    #expect(role(ofRowWith: "HB-MC-VANMAI") == .statusUnknown)
  }
}
