import BridgeCore
import Foundation
import Testing

/// The pure parts of a primary and its standby: the action log by revision, the silent-primary watch, a resync
/// brought down to requests, roles on the wire and in the journal, and the merge of two journals.
@Suite struct StandbyTests {
  static let sites = ["HB-TU", "HB-DB-TULY", "HB-MC-HU"].map {
    SiteConfig(id: $0, name: "Điểm \($0)", group: GroupPath.parse("Hòa Bình")!, expected: 50, heartbeatFile: "/tmp/\($0).hb")
  }
  static let start = ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: 1_763_863_920)
  let lan = OperatorIdentity(name: "lan", unixUser: "ops")

  @Test func theActionLogGivesWhatCameAfterAPositionAndNilOnceItHasLeftTheLogOrTheEpochIsAnother() {
    var log = ActionLog(epoch: "run-1", limit: 8)
    #expect(log.actions(after: 0, epoch: "run-1") == [])
    for number in 1...5 {
      log.append(OperatorRequest(site: "HB-TU", action: .setHeadcount(number), seenStatus: .online), by: lan, at: Double(number))
    }
    let after2 = log.actions(after: 2, epoch: "run-1")
    #expect(after2?.map(\.revision) == [3, 4, 5])
    // The primary checked what the operator saw; a standby lagging by a heartbeat must not refuse on it.
    #expect(after2?.allSatisfy { $0.request?.seenStatus == nil } == true)
    #expect(log.actions(after: 5, epoch: "run-1") == [])
    #expect(log.actions(after: 2, epoch: "run-0") == nil)
    #expect(log.actions(after: 9, epoch: "run-1") == nil)
    for number in 6...40 { log.append(OperatorRequest(site: "HB-TU", action: .setHeadcount(number)), by: lan, at: Double(number)) }
    #expect(log.revision == 40)
    #expect(log.actions(after: 2, epoch: "run-1") == nil, "too far behind: the whole state instead")
    #expect(log.actions(after: 33, epoch: "run-1")?.map(\.revision) == Array(34...40))
  }

  @Test func thePrimaryIsSilentAfterTheConfiguredTimeWithoutAWordAndSaysSinceWhen() {
    var watch = PrimaryContactWatch(silentAfter: .seconds(10), start: Self.start)
    func check(_ seconds: Int) -> Bool { watch.check(now: Self.start.advanced(by: .seconds(Int64(seconds)))) }
    func contact(_ seconds: Int) -> Bool { watch.contact(now: Self.start.advanced(by: .seconds(Int64(seconds)))) }
    var results = [check(10)]
    // Never reached since the start: silent since the start.
    results.append(check(11))
    #expect(watch.silentSince == Self.start.unixSeconds)
    results.append(check(12))  // said once
    results.append(contact(13))  // back
    #expect(watch.silentSince == nil)
    results += [contact(14), check(24), check(25)]
    #expect(results == [false, true, false, true, false, false, true])
    #expect(watch.silentSince == Self.start.unixSeconds + 14)
  }

  @Test func aStandbyRefusesOperatorsUntilPromotedAndAReplacedPrimaryPointsToItsSuccessor() {
    #expect(MonitorRole.primary.refusal(promoteHint: "p") == nil)
    let standby = MonitorRole(kind: .standby, following: "ssh bw@hn1 bridgewatch console --relay c.yaml")
    #expect(standby.refusal(promoteHint: "p")?.contains("act on the primary") == true)
    var silent = standby
    silent.primarySilentSince = 1
    #expect(silent.refusal(promoteHint: "bridgewatch promote c.yaml")?.contains("promote it first (bridgewatch promote c.yaml)") == true)
    let promoted = MonitorRole(kind: .primary, promotedAt: 5)
    #expect(promoted.refusal(promoteHint: "p") == nil)
    var replaced = MonitorRole.primary
    replaced.replacedBy = MonitorRole.Replacement(peer: "/run/bw/standby.sock", promotedAt: 5)
    #expect(replaced.refusal(promoteHint: "p")?.contains("/run/bw/standby.sock") == true)
  }

  @Test func aResyncBringsTheStandbyToThePrimarysMarksClaimsAcknowledgementsAndCountsWithTheirOperators() throws {
    let now = Self.start
    var primary = StatusEngine(sites: Self.sites, timing: Timing())
    var standby = StatusEngine(sites: Self.sites, timing: Timing())
    // Both hear every site; HB-MC-HU then goes silent on both.
    for engine in [0, 1] {
      for index in Self.sites.indices {
        let input = HeartbeatInput(source: .udp, sequence: 1, count: 40, state: .ok, rttMilliseconds: nil, senderTimestamp: nil)
        if engine == 0 {
          primary.heartbeat(input, site: index, heardAt: now, now: now)
        } else {
          standby.heartbeat(input, site: index, heardAt: now, now: now)
        }
      }
    }
    let later = now.advanced(by: .seconds(120))
    primary.tick(now: later)
    standby.tick(now: later)
    try primary.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "mất điện")), by: lan, now: later)
    try primary.apply(OperatorRequest(site: "HB-DB-TULY", action: .claim), by: lan, now: later)
    try primary.apply(OperatorRequest(site: "HB-DB-TULY", action: .setHeadcount(31)), by: lan, now: later)
    try primary.apply(OperatorRequest(site: "HB-MC-HU", action: .acknowledge), by: OperatorIdentity(name: "minh"), now: later)
    // The standby had a mark the primary has since cleared.
    try standby.apply(OperatorRequest(site: "HB-MC-HU", action: .mark(reason: "old")), by: lan, now: later)
    let state = FollowState(epoch: "e", revision: 4, records: primary.records.all, sites: Self.sites)
    #expect(state.sites.map(\.id) == ["HB-TU", "HB-DB-TULY", "HB-MC-HU"])
    let requests = state.requests(toBring: standby.records.all, sites: Self.sites)
    for request in requests {
      let at = request.at.map { ClockReading(monotonicNanos: later.monotonicNanos, unixSeconds: $0) } ?? later
      try standby.apply(request.request, by: request.who, now: at)
    }
    for index in Self.sites.indices {
      #expect(standby.records[index].mark == primary.records[index].mark, "\(Self.sites[index].id)")
      #expect(standby.records[index].claim == primary.records[index].claim)
      #expect(standby.records[index].acknowledgedBy == primary.records[index].acknowledgedBy)
      #expect(standby.records[index].headcount == primary.records[index].headcount)
    }
    #expect(standby.records[0].mark?.operatorName == "lan (ops)")
    // The hand-set headcount keeps who set it.
    #expect(standby.records[1].headcountSetBy == OperatorStamp(operatorName: "lan (ops)", unixSeconds: later.unixSeconds))
    #expect(!requests.contains { $0.who.displayName == "resync from the primary" && $0.request.action == .setHeadcount(31) })
    // Brought to the same state, there is nothing more to do: a second resync applies nothing twice.
    #expect(state.requests(toBring: standby.records.all, sites: Self.sites).isEmpty)
  }

  /// The primary restarts: its decisions come back from its journal, to the millisecond, while the standby holds
  /// them as it followed them (to the nanosecond). The same decisions: the resync has nothing to do.
  @Test func aRestartedPrimarysDecisionsBackFromItsJournalAreNoDifference() throws {
    let made = ClockReading(monotonicNanos: Self.start.monotonicNanos, unixSeconds: 1_763_863_921.123_456_7)
    var primary = StatusEngine(sites: Self.sites, timing: Timing())
    var standby = StatusEngine(sites: Self.sites, timing: Timing())
    let actions = [
      OperatorRequest(site: "HB-TU", action: .mark(reason: "mất điện")), OperatorRequest(site: "HB-DB-TULY", action: .claim),
      OperatorRequest(site: "HB-MC-HU", action: .setHeadcount(77), confirmedAboveExpected: true),
    ]
    var journal: [JournalRecord] = []
    for action in actions {
      try primary.apply(action, by: lan, now: made)
      try standby.apply(action, by: lan, now: made)
      journal += primary.drainEvents().flatMap { JournalRecord.records(for: $0, sites: Self.sites) }
    }
    // Restarted: what it knows is what its journal's lines say.
    let lines = journal.map { JournalCodec.encode($0) }
    let reread = try lines.map { try JournalCodec.decode(Substring($0)).get() }
    let restored = RestoredSite.replay(reread, siteIndex: { id in Self.sites.firstIndex { $0.id == id } }, siteCount: Self.sites.count)
    var restarted = StatusEngine(sites: Self.sites, timing: Timing())
    for (index, site) in restored.enumerated() { restarted.restore(site, site: index, now: Self.start) }
    let state = FollowState(epoch: "run-2", revision: 0, records: restarted.records.all, sites: Self.sites)
    #expect(state.sites.count == 3)
    let requests = state.requests(toBring: standby.records.all, sites: Self.sites)
    #expect(requests.isEmpty, "\(requests.map { "\($0.request) by \($0.who.displayName)" })")
    // A real difference still is one: a decision the standby lacks, by its operator at its time.
    var behind = StatusEngine(sites: Self.sites, timing: Timing())
    try behind.apply(actions[0], by: lan, now: made)
    let missing = state.requests(toBring: behind.records.all, sites: Self.sites)
    #expect(missing.map(\.request.site) == ["HB-DB-TULY", "HB-MC-HU"])
    #expect(
      missing.allSatisfy { $0.who.displayName == "lan (ops)" && $0.at.map { JournalTime.sameMillisecond($0, made.unixSeconds) } == true })
  }

  @Test func followMessagesAndRolesRoundTripOnTheWire() throws {
    let action = FollowedAction(
      revision: 7, request: OperatorRequest(site: "HB-TU", action: .mark(reason: "mất tín hiệu")), who: lan, at: 1_763_863_920.5)
    let messages: [ConsoleMessage] = [
      .hello(
        ConsoleHello(operatorName: "standby", readOnly: true, group: nil, purpose: .follow, follow: FollowPosition(epoch: "e", after: 6))),
      .actions(FollowActions(epoch: "e", revision: 7, actions: [action])),
      .state(FollowState(epoch: "e", revision: 7, sites: [FollowState.Site(id: "HB-TU", manualHeadcount: 12)])),
      .promote(ConsolePromote(id: 3)),
    ]
    for message in messages {
      var line = ConsoleProtocol.encode(message)
      #expect(line.removeLast() == 0x0A)
      #expect(try ConsoleProtocol.decode(line) == message)
    }
    var role = MonitorRole(kind: .standby, following: "/run/bw.sock", lastPrimaryContact: 10, primarySilentSince: 12)
    role.linkProblem = "no monitor is running on /run/bw.sock"
    let data = try JSONEncoder().encode(role)
    #expect(try JSONDecoder().decode(MonitorRole.self, from: data) == role)
    #expect(String(decoding: data, as: UTF8.self).contains("\"primary_silent_since\":12"))
  }

  /// Check-ins travel with the operators' actions: in the log's order, on the wire, and in a resync as the typed
  /// count with who typed it; a followed action is a request or a check-in, never both or neither.
  @Test func checkinsTravelInTheActionLogOnTheWireAndInAResync() throws {
    var log = ActionLog(epoch: "run-1")
    log.append(OperatorRequest(site: "HB-TU", action: .clear), by: lan, at: 1)
    let checkin = FollowedCheckin(site: "HB-DB-TULY", count: 45, state: .help)
    log.append(checkin, by: OperatorIdentity(name: "Chị Lan 0912"), at: 2)
    let after = try #require(log.actions(after: 1, epoch: "run-1"))
    #expect(after.map(\.revision) == [2] && after[0].checkin == checkin && after[0].request == nil && after[0].site == "HB-DB-TULY")
    let message = ConsoleMessage.actions(FollowActions(epoch: "run-1", revision: 2, actions: after))
    var line = ConsoleProtocol.encode(message)
    #expect(line.removeLast() == 0x0A)
    #expect(try ConsoleProtocol.decode(line) == message)
    for bad in [
      #"{"rev":3,"operator":{"name":"x"},"at":5}"#,
      #"{"rev":3,"operator":{"name":"x"},"at":5,"checkin":{"site":"A"},"request":{"site":"A","action":"clear"}}"#,
    ] {
      #expect(throws: (any Error).self) { try JSONDecoder().decode(FollowedAction.self, from: Data(bad.utf8)) }
    }

    // The primary's engine after a check-in; a standby that has nothing gets it back, one that has it gets nothing.
    let config = ConferenceConfig(sites: Self.sites)
    var primary = StatusEngine(config: config)
    primary.checkin(count: 45, state: nil, typedBy: "Chị Lan 0912", site: 1, now: Self.start)
    let state = FollowState(epoch: "run-1", revision: 2, records: primary.records.all, sites: Self.sites)
    #expect(state.sites.map(\.id) == ["HB-DB-TULY"] && state.sites[0].checkinHeadcount == 45 && state.sites[0].manualHeadcount == nil)
    let fresh = StatusEngine(config: config)
    let resync = state.checkins(toBring: fresh.records.all, sites: Self.sites)
    #expect(resync.map(\.checkin) == [FollowedCheckin(site: "HB-DB-TULY", count: 45, state: nil)])
    #expect(resync.first?.who.name == "Chị Lan 0912" && resync.first?.at == Self.start.unixSeconds)
    #expect(state.checkins(toBring: primary.records.all, sites: Self.sites).isEmpty)
  }

  @Test func roleRecordsRoundTripInTheJournal() throws {
    let record = JournalRecord(unixSeconds: 1_763_863_920.25, site: nil, kind: .role("primary", note: "promoted by lan (ops)"))
    let line = JournalCodec.encode(record)
    #expect(line == #"{"t":1763863920.250,"type":"role","role":"primary","reason":"promoted by lan (ops)"}"#)
    #expect(try JournalCodec.decode(Substring(line)).get() == record)
    #expect(record.isNeverDropped)
  }

  /// The primary ran, a standby followed it; the primary was killed, the standby promoted, a mark made there.
  @Test func twoJournalsMergeIntoOneConferenceWithEachActionOnce() {
    func record(_ t: Double, _ site: String?, _ kind: JournalRecord.Kind) -> JournalRecord {
      JournalRecord(unixSeconds: t, site: site, kind: kind)
    }
    let primary = [
      record(100, nil, .start(sites: 3)),
      record(101, "HB-TU", .status(from: .unknown, to: .online, cause: "heartbeat", source: .udp)),
      record(150, "HB-MC-HU", .mark(operatorName: "lan (ops)", reason: "line down")),
      record(150, "HB-MC-HU", .status(from: .online, to: .marked, cause: "mark")),
      record(200, "HB-TU", .status(from: .online, to: .late, cause: "silence")),
    ]
    let standby = [
      record(102, nil, .start(sites: 3)),
      record(102, nil, .role("standby", note: "following /run/a.sock")),
      record(103, "HB-TU", .status(from: .unknown, to: .online, cause: "heartbeat", source: .udp)),
      // Copied from the primary: the same line.
      record(150, "HB-MC-HU", .mark(operatorName: "lan (ops)", reason: "line down")),
      record(150, "HB-MC-HU", .status(from: .online, to: .marked, cause: "mark")),
      // The primary was killed after 200; the standby speaks from there on.
      record(205, "HB-DB-TULY", .status(from: .online, to: .offline, cause: "silence")),
      record(220, nil, .role("primary", note: "promoted by minh")),
      record(230, "HB-DB-TULY", .mark(operatorName: "minh", reason: "power cut")),
      record(300, nil, .stop),
    ]
    let merged = JournalMerge.merge([primary, standby])
    let marks = merged.filter { if case .mark = $0.kind { true } else { false } }
    #expect(marks.map(\.site) == ["HB-MC-HU", "HB-DB-TULY"])
    // The primary's view while it ran; the standby's once it spoke; one start (the primary's).
    #expect(merged.filter { if case .start = $0.kind { true } else { false } }.map(\.unixSeconds) == [100])
    #expect(merged.contains { $0.unixSeconds == 101 } && !merged.contains { $0.unixSeconds == 103 })
    #expect(merged.contains { $0.unixSeconds == 200 } && merged.contains { $0.unixSeconds == 205 })
    #expect(merged.map(\.unixSeconds) == merged.map(\.unixSeconds).sorted())
    // Either order of the journals gives the same conference.
    #expect(JournalMerge.merge([standby, primary]).map(JournalCodec.encode).sorted() == merged.map(JournalCodec.encode).sorted())
    #expect(JournalMerge.merged([primary, standby]).splitBrains.isEmpty)
  }

  /// Two standbys of a dead primary both promoted at the same moment, each seeing a site differently: the merge
  /// is the same whichever journal comes first, and says where the two primaries overlapped.
  @Test func twoPrimariesAtOnceMergeTheSameInEitherOrderAndAreCalledASplitBrain() {
    func record(_ t: Double, _ site: String?, _ kind: JournalRecord.Kind, madeAt: Double? = nil) -> JournalRecord {
      JournalRecord(unixSeconds: t, site: site, kind: kind, madeAt: madeAt)
    }
    let east = [
      record(100, nil, .start(sites: 3)), record(100, nil, .role("standby", note: "following a")),
      record(101, "HB-TU", .status(from: .unknown, to: .online, cause: "heartbeat", source: .udp)),
      record(200, nil, .role("primary", note: "promoted by lan")),
      record(210, "HB-MC-HU", .mark(operatorName: "lan", reason: "line down")),
      record(300, nil, .stop),
    ]
    let west = [
      record(100, nil, .start(sites: 3)), record(100, nil, .role("standby", note: "following a")),
      record(101, "HB-TU", .status(from: .unknown, to: .offline, cause: "silence")),
      record(200, nil, .role("primary", note: "promoted by minh")),
      // A copy journaled later than made is the same action as east's line.
      record(215, "HB-MC-HU", .mark(operatorName: "lan", reason: "line down"), madeAt: 210),
      record(250, nil, .role("replaced", note: "by east")),
      record(300, nil, .stop),
    ]
    let forward = JournalMerge.merged([east, west])
    let backward = JournalMerge.merged([west, east])
    #expect(forward.records == backward.records, "the order of the arguments decides nothing")
    #expect(forward.records.filter { if case .mark = $0.kind { true } else { false } }.count == 1)
    #expect(
      forward.splitBrains == [JournalMerge.SplitBrain(from: 200, to: 250, journals: [0, 1], taken: forward.splitBrains.first?.taken ?? -1)])
    #expect(backward.splitBrains.map { [$0.from, $0.to] } == [[200, 250]])
    // The same journal taken, named by its place in each call.
    #expect(forward.splitBrains.first.map { [east, west][$0.taken] } == backward.splitBrains.first.map { [west, east][$0.taken] })
  }
}
