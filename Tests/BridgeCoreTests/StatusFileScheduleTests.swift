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

    /// One tick after `seconds`; returns what the monitor does with the file.
    mutating func step(after seconds: Int64 = 1) -> StatusFileSchedule.Action {
      clock.advance(by: .seconds(seconds))
      let now = clock.now()
      state.withEngine { $0.tick(now: now) }
      let events = state.withEngine { $0.drainEvents() }
      let snapshot = state.snapshot(now: now, title: "t")
      let action = schedule.action(for: snapshot, hadEvents: !events.isEmpty)
      switch action {
      case .none: break
      case .write: schedule.writing(snapshot)
      case .touch: schedule.touching(snapshot)
      }
      return action
    }

    /// One tick after `seconds`; returns whether the file was written.
    mutating func tick(after seconds: Int64 = 1) -> Bool { step(after: seconds) == .write }
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
    #expect(schedule.action(for: snapshot, hadEvents: true) == .write)
    #expect(schedule.action(for: snapshot, hadEvents: false) == .none)
  }

  @Test func aQuietMonitorTouchesTheFileAndRewritesItOnlyEveryMinute() {
    var run = Run()
    run.heartbeat("A", count: 40)
    // A is heard once, then silent until offline: that change is written at once.
    var wentOffline: StatusFileSchedule.Action?
    for _ in 1...300 where wentOffline == nil {
      let action = run.step()
      if run.state.engine.records[0].status == .offline { wentOffline = action }
    }
    #expect(wentOffline == .write)
    // Then nothing changes but the time: a touch every 5 s, and a write (generated_at, ages) every 60 s.
    var quiet: [Int: StatusFileSchedule.Action] = [:]
    for second in 1...125 {
      let action = run.step()
      if action != .none { quiet[second] = action }
    }
    var expected: [Int: StatusFileSchedule.Action] = [:]
    for second in stride(from: 5, through: 125, by: 5) { expected[second] = second % 60 == 0 ? .write : .touch }
    #expect(quiet == expected)

    // One heartbeat of an offline site is content, not yet a change of status: the next refresh (5 s after the
    // touch at 125) writes instead of touching; then it is quiet again.
    run.heartbeat("A", count: 40)
    let refreshes = (1...10).map { _ in run.step() }
    #expect(refreshes == [.none, .none, .none, .none, .write, .none, .none, .none, .none, .touch])
  }

  @Test func aStandbysLastWordFromItsPrimaryWaitsForTheRefreshButSilenceIsWrittenAtOnce() {
    var run = Run()
    _ = run.tick()
    func snapshot(_ role: MonitorRole) -> MonitorSnapshot {
      var taken = run.state.snapshot(now: run.clock.now(), title: "t")
      taken.role = role
      return taken
    }
    var role = MonitorRole(kind: .standby, following: "/run/bw.sock")
    role.lastPrimaryContact = 100
    run.schedule.writing(snapshot(role))
    run.clock.advance(by: .seconds(1))
    role.lastPrimaryContact = 101
    let contactOnly = run.schedule.action(for: snapshot(role), hadEvents: false)
    role.primarySilentSince = 101
    let silent = run.schedule.action(for: snapshot(role), hadEvents: false)
    #expect(contactOnly == .none)
    #expect(silent == .write)
  }
}
