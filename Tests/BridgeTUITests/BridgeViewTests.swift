import BridgeCore
import Testing

@testable import BridgeTUI

/// The conference bridge on the dashboard (issue 32): the two disagreements on their rows and counted in the
/// header, participants no site claims counted there, and the detail pane's lines, in both languages.
@Suite struct BridgeViewTests {
  /// The fixture's conference with one Janus room holding HB-TU (online), HB-DB-TULY (offline by heartbeats) and a
  /// guest; the other sites are not in it.
  static func snapshot(detailSite: Int?) -> MonitorSnapshot {
    DashboardFixture.snapshot(
      detailSite: detailSite,
      bridgeRoster: [
        BridgeParticipant(id: "1", display: "HB-TU", muted: false), BridgeParticipant(id: "2", display: "HB-DB-TULY"),
        BridgeParticipant(id: "3", display: "Khách"),
      ])
  }

  @Test(arguments: [Language.en, .vi])
  func disagreementsShowOnTheirRowsAndInTheHeader(language: Language) throws {
    var state = DashboardState()
    state.strings = Strings(language)
    let strings = state.strings
    let screen = DashboardView.render(
      Self.snapshot(detailSite: nil), state: &state, context: DashboardFixture.context(width: 220, height: 40))
    let text = screenText(screen)
    let lines = text.split(separator: "\n")
    #expect(lines[1].contains(strings(.headerAgentSilent, 1)), "\(lines[1])")
    // HB-MC-HU (online), HB-DB-CAOSON and HB-MC-PACO (late) are alive and not in the room.
    #expect(lines[1].contains(strings(.headerNotInBridge, 3)), "\(lines[1])")
    #expect(lines[1].contains(strings(.headerUnmatched, 1)), "\(lines[1])")
    let tuly = try #require(lines.first { $0.contains("HB-DB-TULY") })
    #expect(tuly.contains(strings(.bridgeCellSilent)), "\(tuly)")
    let paco = try #require(lines.first { $0.contains("HB-MC-PACO") })
    #expect(paco.contains(strings(.bridgeCellAbsent)), "\(paco)")
    let tu = try #require(lines.first { $0.contains("HB-TU ") })
    #expect(tu.contains(strings(.bridgeCellIn)) && !tu.contains(strings(.bridgeCellSilent)), "\(tu)")
  }

  @Test(arguments: [Language.en, .vi])
  func theDetailPaneSaysSinceWhenAndWhyItDisagrees(language: Language) throws {
    var state = DashboardState()
    state.strings = Strings(language)
    let strings = state.strings
    state.selectedSite = 2
    state.showsDetail = true
    let screen = DashboardView.render(
      Self.snapshot(detailSite: 2), state: &state, context: DashboardFixture.context(width: 220, height: 40))
    let lines = screenText(screen).split(separator: "\n")
    let label = strings(.detailBridge) + ": "
    let bridgeLines = lines.filter { $0.contains(label) }
    #expect(bridgeLines.count == 2, "\(screenText(screen))")
    #expect(bridgeLines.first?.contains("(1m05)") == true, "\(bridgeLines)")
    #expect(bridgeLines.last?.contains(strings(.detailBridgeAgentSilent, strings.status(.offline))) == true, "\(bridgeLines)")
  }

  /// Problems only (`!`) keeps a site that disagrees with the bridge even when its heartbeats say all is well: the
  /// row calls it a problem and the header counts it.
  @Test func problemsOnlyKeepsASiteAliveButNotInTheBridge() throws {
    let snapshot = Self.snapshot(detailSite: nil)
    let site = try #require(snapshot.sites.firstIndex { $0.id == "HB-MC-HU" })
    #expect(snapshot.records[site].status == .online && !SiteList.isProblem(snapshot.records[site]))
    var options = SiteListOptions()
    options.problemsOnly = true
    let index = RosterIndex(sites: snapshot.sites)
    #expect(SiteList.visibleSites(snapshot, index: index, options: options)[site])
    var withoutBridge = snapshot
    withoutBridge.bridge = nil
    #expect(!SiteList.visibleSites(withoutBridge, index: index, options: options)[site])
  }

  @Test func withoutBridgesNothingChanges() {
    var state = DashboardState()
    let screen = DashboardView.render(
      DashboardFixture.snapshot(detailSite: nil), state: &state, context: DashboardFixture.context(width: 220, height: 40))
    #expect(!screenText(screen).contains(state.strings(.bridgeCellIn)))
  }
}
