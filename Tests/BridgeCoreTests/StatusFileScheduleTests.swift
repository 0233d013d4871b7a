import Testing

@testable import BridgeCore

@Suite struct StatusFileScheduleTests {
  /// Two sites; the schedule is asked each "tick" as the monitor asks it.
  struct Run {
    var state = MonitorState(
      config: ConferenceConfig(sites: [
        SiteConfig(id: "A", name: "A", group: ["P"], expected: 50, heartbeatFile: "/x/A.hb"),
        SiteConfig(id: "B", name: "B", group: ["P"], expected: 50, heartbeatFile: "/x/B.hb"),
      ]))
    var schedule = StatusFileSchedule()
    let clock = ManualClock()
    var sequence: UInt64 = 0
    var writes = 0

    mutating func heartbeat(_ site: String, count: Int) {
      sequence += 1
      let bytes = Array("BW1 site=\(site) seq=\(sequence) count=\(count)".utf8)
      _ = bytes.withUnsafeBytes { state.receiveDatagram($0, now: clock.now()) }
    }

    /// One tick after `seconds`; returns whether the file was written.
    mutating func tick(after seconds: Int64 = 1) -> Bool {
      clock.advance(by: .seconds(seconds))
      let now = clock.now()
      state.withEngine { $0.tick(now: now) }
      let events = state.withEngine { $0.drainEvents() }
      let snapshot = state.snapshot(now: now, title: "t")
      guard schedule.isDue(snapshot, hadEvents: !events.isEmpty) else { return false }
      schedule.writing(snapshot)
      writes += 1
      return true
    }
  }

  @Test func writtenAtOnceWhenSomethingReadersActOnChangesOtherwiseRefreshed() {
    var run = Run()
    var written: [String: Bool] = [:]
    written["first tick"] = run.tick()
    written["nothing changed"] = run.tick()
    run.heartbeat("A", count: 40)
    written["A came online"] = run.tick()
    // Steady heartbeats with the same count move only ages and accepted counts: refreshed, not rewritten.
    for second in 1...4 {
      run.heartbeat("A", count: 40)
      written["steady \(second)"] = run.tick()
    }
    run.heartbeat("A", count: 40)
    written["steady, 5 s after the last write"] = run.tick()
    // A headcount alone moves with nearly every heartbeat: it waits for the next refresh.
    run.heartbeat("A", count: 41)
    written["headcount changed"] = run.tick()
    let garbage = Array("not a heartbeat".utf8)
    _ = garbage.withUnsafeBytes { run.state.receiveDatagram($0, now: run.clock.now()) }
    written["datagram rejected"] = run.tick()
    written["quiet again"] = run.tick()
    let now = run.clock.now()
    run.state.withEngine { try? $0.mark(site: 1, operatorName: "lan", reason: "mất điện", now: now) }
    written["B marked"] = run.tick()

    #expect(
      written == [
        "first tick": true, "nothing changed": false, "A came online": true,
        "steady 1": false, "steady 2": false, "steady 3": false, "steady 4": false,
        "steady, 5 s after the last write": true, "headcount changed": false, "datagram rejected": true,
        "quiet again": false, "B marked": true,
      ])
  }

  @Test func anEventMissedWhileAWriteWasInFlightIsStillWritten() {
    var run = Run()
    _ = run.tick()
    let snapshot = run.state.snapshot(now: run.clock.now(), title: "t")
    // The monitor remembers events it could not write yet and passes them on the next call.
    let schedule = run.schedule
    #expect(schedule.isDue(snapshot, hadEvents: true))
    #expect(!schedule.isDue(snapshot, hadEvents: false))
  }
}
