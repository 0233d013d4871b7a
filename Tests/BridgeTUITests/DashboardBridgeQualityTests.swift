import BridgeCore
import Testing

@testable import BridgeTUI

/// The bridge's call quality on the dashboard (issue 32): a degraded or bad call on its row and counted in the
/// header, the detail pane's figures, in both languages; nothing said of a call the bridge says nothing of.
@Suite struct DashboardBridgeQualityTests {
  /// The fixture's conference with a bridge holding HB-TU (CMS's figures: degraded), HB-DB-TULY (Pexip's own
  /// verdict: bad) and HB-MC-HU (nothing said of its call).
  static func snapshot(detailSite: Int?) -> MonitorSnapshot {
    DashboardFixture.snapshot(
      detailSite: detailSite,
      bridgeRoster: [
        BridgeParticipant(
          id: "1", display: "HB-TU",
          quality: BridgeQuality(lossPercent: 2.5, jitterMilliseconds: 41, roundTripMilliseconds: 66, alarms: ["packetLoss"])),
        BridgeParticipant(id: "2", display: "HB-DB-TULY", quality: BridgeQuality(bridgeWord: "3_bad")),
        BridgeParticipant(id: "3", display: "HB-MC-HU"),
      ])
  }

  @Test(arguments: [Language.en, .vi])
  func aDegradedOrBadCallShowsOnItsRowAndInTheHeader(language: Language) throws {
    var state = DashboardState()
    state.strings = Strings(language)
    let strings = state.strings
    let screen = DashboardView.render(
      Self.snapshot(detailSite: nil), state: &state, context: DashboardFixture.context(width: 220, height: 40))
    let lines = screenText(screen).split(separator: "\n")
    #expect(lines[1].contains(strings(.headerBridgeBad, 1)), "\(lines[1])")
    #expect(lines[1].contains(strings(.headerBridgeDegraded, 1)), "\(lines[1])")
    let tu = try #require(lines.first { $0.contains("HB-TU ") })
    #expect(tu.contains(strings(.bridgeCellDegraded)), "\(tu)")
    let tuly = try #require(lines.first { $0.contains("HB-DB-TULY") })
    #expect(tuly.contains(strings(.bridgeCellBad)), "\(tuly)")
    let hu = try #require(lines.first { $0.contains("HB-MC-HU") })
    #expect(!hu.contains(strings(.bridgeCellBad)) && !hu.contains(strings(.bridgeCellDegraded)), "\(hu)")
  }

  @Test(arguments: [Language.en, .vi])
  func theDetailPaneGivesTheVerdictAndWhatItWasJudgedBy(language: Language) throws {
    var state = DashboardState()
    state.strings = Strings(language)
    let strings = state.strings
    state.selectedSite = 0
    state.showsDetail = true
    let screen = DashboardView.render(
      Self.snapshot(detailSite: 0), state: &state, context: DashboardFixture.context(width: 220, height: 40))
    let text = screenText(screen)
    let quality = try #require(text.split(separator: "\n").first { $0.contains(strings(.detailBridgeQuality, strings(.qualityDegraded))) })
    #expect(quality.contains(strings(.detailBridgeLoss, strings.percent(2.5))), "\(quality)")
    #expect(quality.contains(strings(.detailBridgeJitter, 41)) && quality.contains(strings(.detailBridgeRoundTrip, 66)), "\(quality)")
    #expect(quality.contains(strings(.detailBridgeAlarms, "packetLoss")), "\(quality)")
  }

  @Test func aCallTheBridgeSaysNothingOfHasNoQualityLine() throws {
    var state = DashboardState()
    let snapshot = Self.snapshot(detailSite: nil)
    let site = try #require(snapshot.sites.firstIndex { $0.id == "HB-MC-HU" })
    state.selectedSite = site
    state.showsDetail = true
    let screen = DashboardView.render(
      Self.snapshot(detailSite: site), state: &state, context: DashboardFixture.context(width: 220, height: 40))
    let prefix = state.strings(.detailBridgeQuality, "")
    #expect(!screenText(screen).contains(prefix.trimmingCharacters(in: .whitespaces)), "\(screenText(screen))")
  }
}
