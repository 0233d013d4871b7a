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

  /// The dashboard in `language` with site 2 (HB-DB-TULY, in the room) selected and its detail pane open.
  static func detailOfSite2(_ language: Language) -> DashboardState {
    var state = DashboardState()
    state.strings = Strings(language)
    state.selectedSite = 2
    state.showsDetail = true
    return state
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

  /// A bridge change alone (no record changed: sites the bridge sees and no agent reports) is a whole frame, not the
  /// last frame with its times moved: a dashboard of sites without agents showed "bridge not read" and every site's
  /// bridge unknown until a key was pressed.
  @Test func aBridgeChangeAloneIsNotATimeOnlyFrame() throws {
    let before = Self.snapshot(detailSite: nil)
    var left = before
    var bridge = try #require(left.bridge)
    bridge.sites[0] = .notInBridge
    left.bridge = bridge
    #expect(left.recordsRevision == before.recordsRevision)
    #expect(DashboardRuntime.bridgeChanged(from: before, to: left))
    var polled = before
    polled.bridge?.polls[0].problem = "cannot connect"
    #expect(DashboardRuntime.bridgeChanged(from: before, to: polled))
    #expect(!DashboardRuntime.bridgeChanged(from: before, to: before))
    // A record changed too: a whole frame comes anyway, the bridges are not compared.
    var both = left
    both.recordsRevision += 1
    #expect(!DashboardRuntime.bridgeChanged(from: before, to: both))
    // The runtime counts each such snapshot in the frame basis: another count is another frame.
    let context = DashboardFixture.context(width: 160, height: 40)
    #expect(
      DashboardView.FrameBasis(left, context: context, bridgeRevision: 1) != DashboardView.FrameBasis(before, context: context))
  }

  @Test(arguments: [Language.en, .vi])
  func theDetailPaneSaysSinceWhenAndWhyItDisagrees(language: Language) throws {
    var state = Self.detailOfSite2(language)
    let strings = state.strings
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

  /// What the push receivers took (`events_listen`): per bridge in the detail pane; summed in the header where it
  /// has room (it only informs, so it gives way first); nothing while a bridge is only polled.
  /// Janus's Admin API asked for and not read: a site in the room says why its audio is unknown, on a line of its
  /// own; once its audio is read, the line goes.
  @Test(arguments: [Language.en, .vi])
  func anUnreadAudioSaysWhyInTheDetailPane(language: Language) throws {
    var snapshot = Self.snapshot(detailSite: 2)
    var bridge = try #require(snapshot.bridge)
    bridge.polls[0].audioProblem = "Janus error 403: Unauthorized \u{1B}[2Jrequest"
    snapshot.bridge = bridge
    var state = Self.detailOfSite2(language)
    let strings = state.strings
    let screen = screenText(DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 260, height: 40)))
    let unread = strings(
      .detailBridgeAudioUnread, bridge.polls[0].label + ": " + TextSanitizer.printable("Janus error 403: Unauthorized \u{1B}[2Jrequest"))
    #expect(screen.contains(strings(.detailBridge) + ": " + unread), "\(screen)")
    #expect(!screen.contains("\u{1B}"))
    // The audio read for that site: nothing unknown to explain.
    guard case .inBridge(var leg) = bridge.sites[2] else {
      Issue.record("site 2 is not in the fixture's bridge")
      return
    }
    leg.audioArriving = false
    bridge.sites[2] = .inBridge(leg)
    snapshot.bridge = bridge
    let read = screenText(DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 260, height: 40)))
    #expect(!read.contains(strings(.detailBridgeAudioUnread, "")), "\(read)")
    #expect(read.contains(strings(.bridgeAudioNotArriving)), "\(read)")
  }

  @Test(arguments: [Language.en, .vi])
  func thePushReceiversCountsShowInTheHeaderAndTheDetailPane(language: Language) throws {
    var snapshot = Self.snapshot(detailSite: 2)
    var bridge = try #require(snapshot.bridge)
    bridge.polls[0].eventsApplied = 1_234
    bridge.polls[0].bodiesRefused = 3
    snapshot.bridge = bridge
    var state = Self.detailOfSite2(language)
    let strings = state.strings
    let screen = DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 320, height: 40))
    let lines = screenText(screen).split(separator: "\n")
    let header = strings(.headerBridgeEventsRefused, strings.number(1_234), strings.number(3))
    #expect(header == (language == .en ? "Bridge events 1,234, refused 3" : "Sự kiện cầu 1.234, từ chối 3"))
    #expect(lines[1].contains(header), "\(lines[1])")
    let pushed = strings(.detailBridgePushed, bridge.polls[0].label, strings.number(1_234), strings.number(3))
    #expect(lines.contains { $0.contains(strings(.detailBridge) + ": " + pushed) }, "\(screenText(screen))")
    // At 220 columns this fixture's header is full: the count goes before "In bridge" would; the pane keeps it.
    let narrower = screenText(DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 220, height: 40)))
    #expect(!narrower.split(separator: "\n")[1].contains(header) && narrower.contains(pushed))

    // None refused: the applied count alone. A label from the config reaches the screen only sanitised.
    bridge.polls[0].bodiesRefused = 0
    bridge.polls[0].label = "janus \u{1B}[31mroom"
    snapshot.bridge = bridge
    let quiet = screenText(DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 320, height: 40)))
    let quietLines = quiet.split(separator: "\n")
    #expect(quietLines[1].contains(strings(.headerBridgeEvents, strings.number(1_234))), "\(quietLines[1])")
    #expect(!quietLines[1].contains(strings(.headerBridgeEventsRefused, strings.number(1_234), "0")))
    #expect(!quiet.contains("\u{1B}") && quiet.contains(TextSanitizer.printable("janus \u{1B}[31mroom")))

    // Only polled: no count, no line.
    bridge.polls[0].eventsApplied = 0
    snapshot.bridge = bridge
    let polled = screenText(DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 320, height: 40)))
    #expect(!polled.contains(strings(.headerBridgeEvents, "0")) && !polled.contains(pushed))
  }

  @Test func withoutBridgesNothingChanges() {
    var state = DashboardState()
    let screen = DashboardView.render(
      DashboardFixture.snapshot(detailSite: nil), state: &state, context: DashboardFixture.context(width: 220, height: 40))
    #expect(!screenText(screen).contains(state.strings(.bridgeCellIn)))
  }
}
