import BridgeCore
import Testing

@testable import BridgeTUI

/// A site whose agent refused its count file: "count file unreadable" on its row, the reason and the rule in its
/// detail pane, in both languages.
@Suite struct CountFileViewTests {
  @Test(arguments: [Language.en, .vi])
  func theRowAndTheDetailPaneSayTheCountFileIsUnreadable(language: Language) throws {
    let sites = [
      SiteConfig(id: "HB-TU", name: "Tỉnh ủy Hòa Bình", group: ["Hòa Bình"], expected: 150, heartbeatFile: "/nonexistent/a.hb"),
      SiteConfig(id: "HB-DB-TULY", name: "Xã Tú Lý", group: ["Hòa Bình", "Đà Bắc"], expected: 45, heartbeatFile: "/nonexistent/b.hb"),
    ]
    var monitor = MonitorState(config: ConferenceConfig(sites: sites))
    let now = ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: 1_763_800_000)
    for line in ["BW1 site=HB-TU seq=1 count=148", "BW1 site=HB-DB-TULY seq=1 count=40 count_problem=not_a_number"] {
      _ = Array(line.utf8).withUnsafeBytes { monitor.receiveDatagram($0, now: now) }
    }
    var state = DashboardState()
    state.strings = Strings(language)
    state.selectedSite = 1
    state.showsDetail = true
    let snapshot = monitor.snapshot(now: now, title: "Hội nghị", detailSite: 1)
    let text = screenText(DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 200, height: 40)))
    let lines = text.split(separator: "\n")
    let flag = language == .en ? "count file unreadable" : "không đọc được tệp quân số"
    let row = try #require(lines.first { $0.contains("HB-DB-TULY") && $0.contains("Xã Tú Lý") }, "\(text)")
    #expect(row.contains(flag), "\(row)")
    #expect(!(lines.first { $0.contains("HB-TU ") } ?? "").contains(flag))
    let detail = try #require(lines.first { $0.contains(state.strings(.detailCountFile) + ": ") }, "\(text)")
    let reason =
      language == .en
      ? "unreadable (not a whole number); the site must type a whole number from 0 to 1,000,000"
      : "không đọc được (không phải số nguyên); điểm cầu cần gõ một số nguyên từ 0 đến 1.000.000"
    #expect(detail.contains(reason), "\(detail)")
    // `!` (problems only) keeps it: someone must call the site about its count.
    #expect(SiteList.isProblem(snapshot.records[1]) && !SiteList.isProblem(snapshot.records[0]))
  }
}
