import BridgeCore
import Testing

@testable import BridgeTUI

/// After a restart, a site heard in the earlier run and silent since is an outage: its row and its detail say how
/// long it has been silent at least, never "never", which would read as a site that never connected.
@Suite struct RestartViewTests {
  let start = ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: 1_763_800_000)

  /// Snapshots of one monitor, ticked each second from its start, at each of `seconds` after it.
  func snapshots(after seconds: [Int64], detailSite: Int? = nil) -> [MonitorSnapshot] {
    let sites = ["HB-TU", "HB-DB-HU"].map {
      SiteConfig(id: $0, name: "Site \($0)", group: ["Hòa Bình"], expected: 10, heartbeatFile: "/nonexistent/\($0).hb")
    }
    var state = MonitorState(config: ConferenceConfig(sites: sites))
    // HB-TU was heard before the restart; HB-DB-HU never was.
    state.withEngine { $0.restore(RestoredSite(wasHeard: true), site: 0, now: start) }
    var taken: [MonitorSnapshot] = []
    for second in 1...(seconds.max() ?? 0) {
      let now = start.advanced(by: .seconds(second))
      state.withEngine { $0.tick(now: now) }
      if seconds.contains(second) { taken.append(state.snapshot(now: now, title: "Restart", detailSite: detailSite)) }
    }
    return taken
  }

  func snapshot(after seconds: Int64, detailSite: Int? = nil) -> MonitorSnapshot {
    snapshots(after: [seconds], detailSite: detailSite)[0]
  }

  func row(_ text: String, _ id: String) -> String { text.split(separator: "\n").first { $0.contains(" \(id) ") }.map(String.init) ?? "" }

  @Test func aSiteAwaitedSinceTheRestartShowsHowLongItHasBeenSilentAtLeast() {
    var state = DashboardState()
    let text = screenText(
      DashboardView.render(snapshot(after: 75), state: &state, context: DashboardFixture.context(width: 120, height: 30)))
    #expect(row(text, "HB-TU").contains(" >1m15 "))
    #expect(row(text, "HB-TU").contains("offline"))
    #expect(row(text, "HB-DB-HU").contains(" never "))
  }

  @Test func itsDetailSaysSinceWhenNoneCame() {
    var state = DashboardState()
    state.selectedSite = 0
    state.showsDetail = true
    let text = screenText(
      DashboardView.render(snapshot(after: 75, detailSite: 0), state: &state, context: DashboardFixture.context(width: 120, height: 30)))
    #expect(text.contains("Last heartbeat: none since 15:26:40 (1m15 ago), when this run began to wait for it"))
    #expect(!text.contains("never heard"))
  }

  /// The once-a-second patch of a frame where only the time moved must show the same as a whole new frame.
  @Test func theTimeOnlyPatchAgreesWithAWholeFrame() {
    let context = DashboardFixture.context(width: 120, height: 30)
    var state = DashboardState()
    let taken = snapshots(after: [75, 76])
    var patched = DashboardView.render(taken[0], state: &state, context: context)
    let next = taken[1]
    #expect(DashboardView.FrameBasis(taken[0], context: context) == DashboardView.FrameBasis(next, context: context))
    #expect(DashboardView.refreshesTimes(state, context: context))
    DashboardView.refreshTimes(&patched, next, state: state, context: context)
    var fresh = DashboardState()
    let whole = DashboardView.render(next, state: &fresh, context: context)
    #expect(screenText(patched) == screenText(whole))
    #expect(row(screenText(patched), "HB-TU").contains(" >1m16 "))
  }
}
