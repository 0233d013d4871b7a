import Testing

@testable import BridgeCore

/// Drives a StatusEngine with a manual clock; nothing here sleeps.
struct EngineHarness {
  var engine: StatusEngine
  let clock = ManualClock()

  init(groups: [String] = ["P", "P / D1", "P / D1", "P / D2"], timing: Timing = Timing()) {
    let sites = groups.enumerated().map { index, group in
      SiteConfig(
        id: "S\(index)", name: "Site \(index)", group: GroupPath.parse(group)!, expected: 10 * (index + 1),
        heartbeatFile: "/dev/null/S\(index).hb")
    }
    engine = StatusEngine(sites: sites, timing: timing)
  }

  var now: ClockReading { clock.now() }

  mutating func beat(_ site: Int, seq: UInt64? = nil, count: Int? = nil, state: ReportedState? = nil) {
    engine.heartbeat(
      HeartbeatInput(source: .udp, sequence: seq, count: count, state: state), site: site, heardAt: now, now: now)
  }

  mutating func wait(_ duration: Duration) {
    clock.advance(by: duration)
    engine.tick(now: now)
  }

  /// Advances in one-second ticks, as the monitor does.
  mutating func waitTicking(_ seconds: Int) {
    for _ in 0..<seconds { wait(.seconds(1)) }
  }

  func status(_ site: Int) -> SiteStatus { engine.records[site].status }

  mutating func statusChanges() -> [(SiteStatus, SiteStatus, StatusCause)] {
    engine.drainEvents().compactMap {
      if case .statusChanged(let from, let to, let cause) = $0.kind { return (from, to, cause) }
      return nil
    }
  }
}

@Suite struct StatusTransitionTests {
  @Test func unknownUntilFirstHeartbeatThenOnline() {
    var h = EngineHarness()
    h.waitTicking(60)
    #expect(h.status(0) == .unknown)
    #expect(h.statusChanges().isEmpty)
    h.beat(0)
    #expect(h.status(0) == .online)
    let changes = h.statusChanges()
    #expect(changes.count == 1 && changes[0].0 == .unknown && changes[0].1 == .online && changes[0].2 == .heartbeat)
  }

  @Test func onlineTurnsLateThenOfflineOnSilence() {
    var h = EngineHarness()
    h.beat(0)
    _ = h.statusChanges()
    h.wait(.seconds(11))
    #expect(h.status(0) == .online)
    h.wait(.seconds(1))  // 12 s: late_after
    #expect(h.status(0) == .late)
    h.wait(.seconds(17))
    #expect(h.status(0) == .late)
    h.wait(.seconds(1))  // 30 s: offline_after
    #expect(h.status(0) == .offline)
    let changes = h.statusChanges()
    #expect(changes.map { "\($0.0)>\($0.1)" } == ["online>late", "late>offline"])
    #expect(changes.allSatisfy { $0.2 == .silence })
  }

  @Test func aLongGapBetweenTicksGoesStraightToOffline() {
    var h = EngineHarness()
    h.beat(0)
    _ = h.statusChanges()
    h.wait(.seconds(45))
    #expect(h.status(0) == .offline)
    #expect(h.statusChanges().map { "\($0.0)>\($0.1)" } == ["online>offline"])
  }

  @Test func lateReturnsOnlineOnTheNextHeartbeat() {
    var h = EngineHarness()
    h.beat(0)
    h.wait(.seconds(15))
    #expect(h.status(0) == .late)
    h.beat(0)
    #expect(h.status(0) == .online)
  }

  @Test func offlineNeedsRecoverAfterFreshHeartbeats() {
    var h = EngineHarness()  // recover_after 2
    h.beat(0)
    h.wait(.seconds(40))
    #expect(h.status(0) == .offline)
    _ = h.statusChanges()
    h.beat(0)
    #expect(h.status(0) == .offline)
    #expect(h.engine.records[0].recoveryStreak == 1)
    h.wait(.seconds(5))
    h.beat(0)
    #expect(h.status(0) == .online)
    let changes = h.statusChanges()
    #expect(changes.count == 1 && changes[0].0 == .offline && changes[0].1 == .online)
  }

  @Test func aStaleSecondHeartbeatRestartsTheRecoveryStreak() {
    var h = EngineHarness()
    h.beat(0)
    h.wait(.seconds(40))
    h.beat(0)
    h.waitTicking(13)  // longer than late_after: the streak is broken
    #expect(h.engine.records[0].recoveryStreak == 0)
    h.beat(0)
    #expect(h.status(0) == .offline)
    h.wait(.seconds(5))
    h.beat(0)
    #expect(h.status(0) == .online)
  }

  @Test func recoverAfterOneMeansImmediateRecovery() {
    var timing = Timing()
    timing.recoverAfter = 1
    var h = EngineHarness(timing: timing)
    h.beat(0)
    h.wait(.seconds(40))
    h.beat(0)
    #expect(h.status(0) == .online)
  }

  @Test func fileHeartbeatWithOldMtimeIsJudgedByItsAge() {
    var h = EngineHarness()
    let now = h.now
    h.engine.heartbeat(HeartbeatInput(source: .file), site: 0, heardAt: now.advanced(by: .seconds(-3600)), now: now)
    #expect(h.status(0) == .offline)
    h.engine.heartbeat(HeartbeatInput(source: .file), site: 1, heardAt: now.advanced(by: .seconds(-20)), now: now)
    #expect(h.status(1) == .late)
    // An mtime older than one already seen changes nothing.
    h.engine.heartbeat(HeartbeatInput(source: .file), site: 1, heardAt: now.advanced(by: .seconds(-25)), now: now)
    #expect(h.engine.records[1].lastHeard == now.advanced(by: .seconds(-20)))
  }

  @Test func flappingIsFlaggedAndClearsWhenCalm() {
    var h = EngineHarness()  // 6 changes in 10 minutes
    h.beat(0)
    for _ in 0..<3 {
      h.wait(.seconds(13))  // late
      h.beat(0)  // online
    }
    #expect(h.engine.records[0].flags.contains(.flapping))
    #expect(h.engine.total.flapping == 1)
    let events = h.engine.drainEvents()
    #expect(events.contains { $0.kind == .flappingChanged(isFlapping: true) })
    // Calm: keep beating for longer than the window.
    for _ in 0..<130 {
      h.wait(.seconds(5))
      h.beat(0)
    }
    #expect(!h.engine.records[0].flags.contains(.flapping))
    #expect(h.engine.drainEvents().contains { $0.kind == .flappingChanged(isFlapping: false) })
  }

  @Test func fewChangesAreNotFlapping() {
    var h = EngineHarness()
    h.beat(0)
    h.wait(.seconds(13))
    h.beat(0)
    #expect(!h.engine.records[0].flags.contains(.flapping))
  }
}

@Suite struct OperatorActionTests {
  @Test func markWinsOverHeartbeatsUntilCleared() throws {
    var h = EngineHarness()
    h.beat(0)
    _ = h.engine.drainEvents()
    try h.engine.mark(site: 0, operatorName: "lan", reason: "line down", now: h.now)
    #expect(h.status(0) == .marked)
    #expect(h.engine.records[0].mark?.reason == "line down")
    #expect(h.engine.records[0].mark?.operatorName == "lan")
    let markEvents = h.statusChanges()
    #expect(markEvents.count == 1 && markEvents[0].1 == .marked && markEvents[0].2 == .marked(operatorName: "lan", reason: "line down"))

    // Silence while marked: the heartbeat status moves, the shown status does not.
    h.wait(.seconds(40))
    #expect(h.status(0) == .marked)
    #expect(h.engine.records[0].heartbeatStatus == .offline)
    #expect(h.statusChanges().isEmpty)

    // Heartbeats resume: noted once, still marked.
    h.beat(0)
    h.wait(.seconds(5))
    h.beat(0)
    #expect(h.status(0) == .marked)
    #expect(h.engine.records[0].flags.contains(.heardWhileMarked))
    let events = h.engine.drainEvents()
    #expect(events.filter { $0.kind == .heardWhileMarked }.count == 1)

    try h.engine.clearMark(site: 0, operatorName: "minh", now: h.now)
    #expect(h.status(0) == .online)
    #expect(!h.engine.records[0].flags.contains(.heardWhileMarked))
    let cleared = h.statusChanges()
    #expect(cleared.count == 1 && cleared[0].0 == .marked && cleared[0].1 == .online && cleared[0].2 == .markCleared(operatorName: "minh"))
  }

  @Test func clearingReturnsToTheHeartbeatStatus() throws {
    var h = EngineHarness()
    try h.engine.mark(site: 1, operatorName: "lan", reason: "cancelled by site", now: h.now)
    try h.engine.clearMark(site: 1, operatorName: "lan", now: h.now)
    #expect(h.status(1) == .unknown)
    #expect(throws: OperatorActionError.notMarked) { try h.engine.clearMark(site: 1, operatorName: "lan", now: h.now) }
    #expect(throws: OperatorActionError.emptyReason) { try h.engine.mark(site: 1, operatorName: "lan", reason: "  ", now: h.now) }
  }

  @Test func acknowledgeSilencesAlertsUntilBackOnline() throws {
    var h = EngineHarness()
    h.beat(0)
    #expect(throws: OperatorActionError.nothingToAcknowledge(.online)) {
      try h.engine.acknowledge(site: 0, operatorName: "lan", now: h.now)
    }
    h.wait(.seconds(31))
    #expect(h.engine.total.unacknowledgedAlerts == 1)
    try h.engine.acknowledge(site: 0, operatorName: "lan", now: h.now)
    #expect(h.status(0) == .offline)
    #expect(h.engine.records[0].acknowledgedBy == "lan")
    #expect(h.engine.total.unacknowledgedAlerts == 0)
    h.beat(0)
    h.wait(.seconds(5))
    h.beat(0)
    #expect(h.status(0) == .online)
    #expect(h.engine.records[0].acknowledgedBy == nil)
    h.wait(.seconds(13))
    #expect(h.engine.total.unacknowledgedAlerts == 1)
  }

  @Test func manualHeadcountStandsUntilANewerHeartbeatReportsOne() throws {
    var h = EngineHarness()
    h.beat(0, count: 40)
    #expect(h.engine.records[0].headcount == 40 && h.engine.records[0].headcountSource == .udp)
    h.wait(.seconds(1))
    try h.engine.setHeadcount(47, site: 0, operatorName: "lan", now: h.now)
    #expect(h.engine.records[0].headcount == 47 && h.engine.records[0].headcountSource == .manual)
    #expect(h.engine.drainEvents().contains { $0.kind == .headcountSet(count: 47, operatorName: "lan") })
    // A heartbeat without a count keeps the manual figure.
    h.wait(.seconds(1))
    h.beat(0)
    #expect(h.engine.records[0].headcount == 47)
    // A file heartbeat older than the manual entry does not replace it.
    let now = h.now
    h.engine.heartbeat(HeartbeatInput(source: .file, count: 12), site: 0, heardAt: now.advanced(by: .seconds(-5)), now: now)
    #expect(h.engine.records[0].headcount == 47)
    // A newer heartbeat with a count does.
    h.wait(.seconds(1))
    h.beat(0, count: 45)
    #expect(h.engine.records[0].headcount == 45 && h.engine.records[0].headcountSource == .udp)
  }

  @Test func badManualHeadcountChangesNothing() {
    var h = EngineHarness()
    h.beat(0, count: 40)
    _ = h.engine.drainEvents()
    #expect(throws: OperatorActionError.headcountOutOfRange(-1)) {
      try h.engine.setHeadcount(-1, site: 0, operatorName: "lan", now: h.now)
    }
    #expect(throws: OperatorActionError.headcountOutOfRange(1_000_001)) {
      try h.engine.setHeadcount(1_000_001, site: 0, operatorName: "lan", now: h.now)
    }
    #expect(h.engine.records[0].headcount == 40)
    #expect(h.engine.drainEvents().isEmpty)
  }
}

@Suite struct HeartbeatDetailTests {
  @Test func lossFromSequenceGaps() {
    var h = EngineHarness()
    for seq: UInt64 in [1, 2, 3, 5, 6, 6] { h.beat(0, seq: seq) }
    // 5 received (the duplicate 6 is ignored), 1 missed.
    #expect(h.engine.records[0].receivedCount == 5)
    #expect(h.engine.records[0].missedCount == 1)
    #expect(abs(h.engine.records[0].lossPercent! - 100.0 / 6) < 0.001)
    // A restart (seq back to 1) and a huge jump are not loss.
    h.beat(0, seq: 1)
    h.beat(0, seq: 1_000_000)
    #expect(h.engine.records[0].missedCount == 1)
  }

  @Test func lossWindowDecays() {
    var h = EngineHarness()
    h.beat(0, seq: 1)
    h.beat(0, seq: 101)  // 99 missed
    for seq in UInt64(102)...UInt64(2000) { h.beat(0, seq: seq) }
    #expect(h.engine.records[0].lossPercent! < 5)
  }

  @Test func helpRequestsAreFlaggedAndCounted() {
    var h = EngineHarness()
    h.beat(2, state: .help)
    #expect(h.engine.records[2].flags.contains(.helpRequested))
    #expect(h.engine.total.helpRequests == 1)
    #expect(h.engine.drainEvents().contains { $0.kind == .helpRequestChanged(isRequested: true) })
    h.beat(2, state: .degraded)
    #expect(!h.engine.records[2].flags.contains(.helpRequested))
    #expect(h.engine.records[2].flags.contains(.degraded))
    #expect(h.engine.total.helpRequests == 0)
  }

  /// A quiet monitor skips the silence pass until a record changes or a deadline comes. Whatever happens (random
  /// heartbeats, outages, flapping, marks), after every tick no site may be left where a full pass would move it.
  @Test func skippedSilencePassesNeverLeaveATransitionUndone() {
    var timing = Timing()
    timing.flapWindow = .seconds(120)
    var h = EngineHarness(groups: Array(repeating: "P / D", count: 8), timing: timing)
    var random = SplitMix(seed: 17)
    var transitions = 0
    for second in 0..<900 {
      // Sites come and go in long spells, some flapping fast; a few get marked and cleared.
      for site in 0..<8 where (second / (40 + site * 13)) % 2 == 0 && random.next() % 3 != 0 {
        h.beat(site, seq: UInt64(second))
      }
      if random.next() % 97 == 0 { try? h.engine.mark(site: Int(random.next() % 8), operatorName: "lan", reason: "x", now: h.now) }
      if random.next() % 89 == 0 { try? h.engine.clearMark(site: Int(random.next() % 8), operatorName: "lan", now: h.now) }
      h.wait(.seconds(1))
      transitions += h.statusChanges().count
      let now = h.now.monotonicNanos
      for (index, record) in h.engine.records.enumerated() {
        guard let heard = (record.lastHeard ?? record.awaitedSince)?.monotonicNanos else { continue }
        let age = now - heard
        let due: Bool =
          switch record.heartbeatStatus {
          case .online: age >= timing.lateAfter.nanoseconds
          case .late, .unknown: age >= timing.offlineAfter.nanoseconds
          case .offline: record.recoveryStreak > 0 && age >= timing.lateAfter.nanoseconds
          case .marked: false
          }
        let calmed =
          record.flags.contains(.flapping)
          && record.flapTimes.count(since: now - timing.flapWindow.nanoseconds) * 2 < timing.flapChanges
        #expect(!due && !calmed, "site \(index) at second \(second)")
      }
    }
    #expect(transitions > 40)
    // Everyone silent and offline at last: nothing is due until someone is heard.
    for site in 0..<8 { try? h.engine.clearMark(site: site, operatorName: "lan", now: h.now) }
    h.waitTicking(700)
    #expect(h.engine.records.allSatisfy { $0.status == .offline && !$0.flags.contains(.flapping) })
    #expect(h.engine.nextSilenceDeadline == .max)
    h.beat(3, seq: 10_000)
    h.wait(.seconds(1))
    #expect(h.engine.nextSilenceDeadline == h.now.monotonicNanos - 1_000_000_000 + timing.lateAfter.nanoseconds)
  }
}

/// A record's rarely set fields live in a shared box: copies must still behave as values.
@Suite struct SiteRecordTests {
  @Test func copiesOfARecordNeverShareAChange() {
    var record = SiteRecord()
    record.mark = OperatorMark(operatorName: "lan", reason: "line down", unixSeconds: 1)
    record.flapTimes.record(5)
    let copy = record
    record.mark = nil
    record.acknowledgedBy = "minh"
    record.claim = SiteClaim(operatorName: "minh", unixSeconds: 2)
    record.flapTimes.record(6)
    #expect(copy.mark?.reason == "line down" && copy.acknowledgedBy == nil && copy.claim == nil)
    #expect(copy.flapTimes.count(since: 0) == 1)
    #expect(record.mark == nil && record.acknowledgedBy == "minh" && record.claim?.operatorName == "minh")
    #expect(record.flapTimes.count(since: 0) == 2)
  }
}
