import Testing

@testable import BridgeCore

@Suite struct HistoryTests {
  static let second: Int64 = 1_000_000_000

  func engine(sites: Int = 2, interval: Int64 = 5) -> StatusEngine {
    var timing = Timing()
    timing.interval = .seconds(interval)
    let configs = (0..<sites).map { SiteConfig(id: "S\($0)", name: "S\($0)", group: ["G"], expected: 100, heartbeatFile: "/x/\($0)") }
    return StatusEngine(sites: configs, timing: timing)
  }

  func reading(_ seconds: Int64) -> ClockReading {
    ClockReading(monotonicNanos: seconds * Self.second, unixSeconds: 1_800_000_000 + Double(seconds))
  }

  @Test func theStripShowsHeardAndMissedIntervalsForTheLastHour() {
    var engine = engine()
    engine.tick(now: reading(0))
    // Two hours of heartbeats every 5 s, except a 10-minute outage 30 minutes ago.
    for t in stride(from: Int64(0), to: 7200, by: 5) where !(5400..<6000).contains(t) {
      engine.heartbeat(HeartbeatInput(source: .udp, count: Int(t / 60)), site: 0, heardAt: reading(t), now: reading(t))
    }
    let view = engine.history.view(site: 0, now: reading(7200).monotonicNanos)
    #expect(view.beats.count == 720)
    #expect(view.slotSeconds == 5)
    let missed = view.beats.filter { $0 == .missed }.count
    #expect(missed == 120)  // 600 s / 5 s
    // Oldest first, slot 0 starting at t = 3605 s: the outage (5400-6000 s) is slots 359-478.
    #expect(view.beats[0..<359].allSatisfy { $0 == .heard })
    #expect(view.beats[359..<479].allSatisfy { $0 == .missed })
    #expect(view.beats[479..<719].allSatisfy { $0 == .heard })
    #expect(view.beats.last == .noData)  // the interval under way
    // The other site was never heard: every interval since the start is missed.
    let silent = engine.history.view(site: 1, now: reading(7200).monotonicNanos)
    #expect(silent.beats.dropLast().allSatisfy { $0 == .missed })
  }

  @Test func beforeTheMonitorStartedThereIsNoDataRatherThanMisses() {
    var engine = engine()
    engine.tick(now: reading(3000))
    engine.heartbeat(HeartbeatInput(source: .udp), site: 0, heardAt: reading(3300), now: reading(3300))
    let view = engine.history.view(site: 0, now: reading(3600).monotonicNanos)
    // Slots 1-599 (t = 5-2999 s) precede the first tick at 3000 s.
    #expect(view.beats.prefix(599).allSatisfy { $0 == .noData })
    #expect(view.beats[599] == .missed)
    #expect(view.beats.filter { $0 == .heard }.count == 1)
  }

  @Test func headcountsAreKeptPerMinuteAndCarriedForward() throws {
    var engine = engine()
    engine.tick(now: reading(0))
    engine.heartbeat(HeartbeatInput(source: .udp, count: 10), site: 0, heardAt: reading(60), now: reading(60))
    engine.heartbeat(HeartbeatInput(source: .udp, count: 40), site: 0, heardAt: reading(600), now: reading(600))
    try engine.setHeadcount(55, site: 0, operatorName: "lan", now: reading(1200))
    let view = engine.history.view(site: 0, now: reading(3599).monotonicNanos)
    #expect(view.minuteCounts.count == 60)
    #expect(view.minuteCounts[0] == nil)
    #expect(view.minuteCounts[1] == 10)
    #expect(view.minuteCounts[9] == 10)
    #expect(view.minuteCounts[10] == 40)
    #expect(view.minuteCounts[20] == 55)
    #expect(view.minuteCounts[59] == 55)
    // An hour later the ring has wrapped: old minutes are gone, the last count still stands.
    engine.heartbeat(HeartbeatInput(source: .udp, count: 70), site: 0, heardAt: reading(7300), now: reading(7300))
    let later = engine.history.view(site: 0, now: reading(7320).monotonicNanos)
    #expect(later.minuteCounts.prefix(58).allSatisfy { $0 == nil })
    #expect(later.minuteCounts.suffix(2) == [70, 70])
  }

  @Test func eachSiteKeepsItsLatestEventsAndMemoryDoesNotGrow() throws {
    var engine = engine()
    let before = engine.history
    for round in 0..<50 {
      try engine.mark(site: 1, operatorName: "lan", reason: "r\(round)", now: reading(Int64(round)))
      try engine.clearMark(site: 1, operatorName: "lan", now: reading(Int64(round)))
    }
    for t in stride(from: Int64(0), to: 3 * 7200, by: 5) {
      engine.heartbeat(HeartbeatInput(source: .udp, count: 3), site: 0, heardAt: reading(t), now: reading(t))
    }
    let view = engine.history.view(site: 1, now: reading(100).monotonicNanos)
    #expect(view.recentEvents.count == HistoryStore.eventsPerSite)
    guard case .statusChanged(_, _, .markCleared) = view.recentEvents.last?.kind else {
      Issue.record("newest event last: \(String(describing: view.recentEvents.last))")
      return
    }
    #expect(engine.history.storageCounts == before.storageCounts)
    #expect(engine.history.mostEventsHeld == HistoryStore.eventsPerSite)
  }
}
