import BridgeCore
import Testing

@testable import BridgeTUI

/// What the control room sees of a check-in: the row's count marked as typed, the detail pane naming the check-in
/// page and who typed it, the help flag, in both languages.
@Suite struct CheckinViewTests {
  @Test(arguments: [Language.en, .vi])
  func aCheckinShowsItsCountWhoTypedItAndTheCallForHelp(language: Language) throws {
    let sites = [
      SiteConfig(id: "HB-TU", name: "Tỉnh ủy Hòa Bình", group: ["Hòa Bình"], expected: 150, heartbeatFile: "/nonexistent/a.hb"),
      SiteConfig(id: "HB-DB-TULY", name: "Xã Tú Lý", group: ["Hòa Bình", "Đà Bắc"], expected: 49, heartbeatFile: "/nonexistent/b.hb"),
    ]
    var config = ConferenceConfig(sites: sites)
    config.title = "Hội nghị"
    var monitorState = MonitorState(config: config)
    let now = ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: 1_763_800_000)
    monitorState.withEngine { $0.checkin(count: 45, state: .help, typedBy: "Chị Lan 0912", site: 1, now: now) }
    let snapshot = monitorState.snapshot(now: now, title: config.title, detailSite: 1)
    var state = DashboardState()
    state.strings = Strings(language)
    state.selectedSite = 1
    state.showsDetail = true
    let screen = DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 200, height: 40))
    let text = screenText(screen)
    let lines = text.split(separator: "\n")
    let detail = try #require(lines.first { $0.contains(state.strings(.detailHeadcount) + ": ") }, "\(text)")
    #expect(detail.contains(language == .en ? "check-in: Chị Lan 0912" : "điểm danh: Chị Lan 0912"), "\(detail)")
    let row = try #require(lines.first { $0.contains("HB-DB-TULY") && $0.contains("45*") }, "\(text)")
    #expect(row.contains(state.strings(.flagHelp)), "\(row)")
  }
}
