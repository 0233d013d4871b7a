import BridgeCore
import Testing

@testable import BridgeTUI

/// The detail pane says where a count came from: the agent or a file and when, or by hand and by whom.
@Suite struct ProvenanceViewTests {
  @Test(arguments: [Language.en, .vi])
  func aCountSetByHandNamesWhoSetItAndWhen(language: Language) throws {
    var state = DashboardState()
    state.strings = Strings(language)
    // Xã Tú Lý's 47 was set by hand by minh (and the site is offline, so it is not counted).
    let snapshot = DashboardFixture.snapshot(detailSite: 2)
    state.selectedSite = 2
    state.showsDetail = true
    let screen = DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 200, height: 40))
    let lines = screenText(screen).split(separator: "\n")
    let line = try #require(lines.first { $0.contains(state.strings(.detailHeadcount) + ": ") }, "\(screenText(screen))")
    let byHand = language == .en ? "by hand: minh" : "nhập tay: minh"
    #expect(line.contains("  ·  \(byHand)  ·  "), "\(line)")
    #expect(line.contains(language == .en ? "47 not counted" : "47 không được tính"), "\(line)")
  }
}
