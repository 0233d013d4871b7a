import BridgeCore
import Foundation
import Testing

/// The console protocol: every message survives a round trip, every malformed line is refused with a reason, and a
/// console's mirror rebuilds the monitor's state (or its group's) from a snapshot and deltas.
@Suite struct ConsoleProtocolTests {
  static let sites: [SiteConfig] = [
    ("BK-TU", "Bắc Kạn / Tỉnh ủy", 80), ("BK-CD", "Bắc Kạn / Chợ Đồn", 40), ("BK-CD-XA", "Bắc Kạn / Chợ Đồn", 25),
    ("HB-TU", "Hòa Bình", 60),
  ].map { id, group, expected in
    SiteConfig(id: id, name: "Điểm \(id)", group: GroupPath.parse(group)!, expected: expected, heartbeatFile: "/tmp/\(id).hb")
  }
  static let start = ClockReading(monotonicNanos: 5_000_000_000_000, unixSeconds: 1_763_863_920)
  let lan = OperatorIdentity(name: "lan", unixUser: "ops")

  static func facts() -> ConsoleFacts {
    var config = ConferenceConfig(sites: sites)
    config.title = "Hội nghị trực tuyến toàn quốc"
    config.keys = ["BK-TU": Array("a-secret-key-of-the-site".utf8)]
    config.schedule.sessions = [ScheduleSession(name: "Phiên sáng", start: 1_763_863_200, end: 1_763_874_000)]
    return ConsoleFacts(config: config, listenAddress: "0.0.0.0:7400")
  }

  func at(seconds: Double) -> ClockReading {
    ClockReading(
      monotonicNanos: Self.start.monotonicNanos + Int64(seconds * 1e9), unixSeconds: Self.start.unixSeconds + seconds)
  }

  /// An engine with every site heard, one marked and one claimed: records with every field a console shows.
  func busyEngine() throws -> StatusEngine {
    var engine = StatusEngine(sites: Self.sites, timing: Timing())
    for index in Self.sites.indices {
      engine.heartbeat(
        HeartbeatInput(source: .udp, sequence: 7, count: 30 + index, state: .ok, rttMilliseconds: 12, senderTimestamp: 1_763_863_919),
        site: index, heardAt: Self.start, now: Self.start)
    }
    try engine.apply(OperatorRequest(site: "BK-CD", action: .mark(reason: "mất điện")), by: lan, now: at(seconds: 1))
    try engine.apply(OperatorRequest(site: "HB-TU", action: .claim), by: lan, now: at(seconds: 2))
    _ = engine.drainEvents()
    return engine
  }

  func roundTrip(_ message: ConsoleMessage) throws -> ConsoleMessage {
    let line = ConsoleProtocol.encode(message)
    #expect(line.last == UInt8(ascii: "\n"), "one message is one line")
    #expect(!line.dropLast().contains(UInt8(ascii: "\n")), "no newline inside a message")
    return try ConsoleProtocol.decode(line.dropLast())
  }

  func decodeError(_ text: String) -> ConsoleProtocolError? {
    do {
      _ = try ConsoleProtocol.decode(Array(text.utf8))
      return nil
    } catch {
      return error
    }
  }

  @Test func everyMessageTypeSurvivesARoundTrip() throws {
    var engine = try busyEngine()
    let sites = engine.records.indices.map { ConsoleSite(engine.records[$0], index: $0) }
    let counters = IngestCounters()
    let status = ConsoleMonitorStatus(
      counters: counters, journalProblem: "JOURNAL NOT WRITTEN", clockNote: nil, consoles: 3)
    let clock = ConsoleClock(at(seconds: 3))
    try engine.apply(OperatorRequest(site: "BK-TU", action: .mark(reason: "line down")), by: lan, now: at(seconds: 3))
    try engine.apply(OperatorRequest(site: "BK-CD-XA", action: .claim), by: lan, now: at(seconds: 3))
    try engine.apply(OperatorRequest(site: "BK-CD-XA", action: .setHeadcount(20)), by: lan, now: at(seconds: 3))
    let engineEvents = engine.drainEvents()
    #expect(engineEvents.count == 3, "a mark, a claim and a headcount: \(engineEvents)")
    let events = engineEvents.map(ConsoleEvent.init)
    let beats = ConsoleBeats([ConsoleBeats.Beat(engine.records[0], index: 0)])
    var history = SiteHistoryView(site: 1, slotSeconds: 5, beats: [], minuteCounts: [nil, 30], recentEvents: [])
    history.recentEvents = engineEvents
    let messages: [ConsoleMessage] = [
      .hello(ConsoleHello(operatorName: "lan", readOnly: true, group: "Bắc Kạn", purpose: .console)),
      .hello(ConsoleHello(operatorName: "minh", readOnly: false, group: nil, purpose: .status)),
      .welcome(ConsoleWelcome(pid: 4242, unixUser: "ops", facts: Self.facts())),
      .refused(ConsoleRefusal(reason: "the monitor speaks version 1")),
      .snapshot(ConsoleSnapshot(revision: 9, taken: clock, sites: sites, status: status)),
      .delta(ConsoleDelta(revision: 10, base: 9, taken: clock, sites: [sites[1]], beats: beats, events: events, status: status)),
      .detail(ConsoleDetail(history: history)),
      .detail(ConsoleDetail(history: nil)),
      .request(ConsoleRequest(id: 1, request: OperatorRequest(site: "BK-TU", action: .mark(reason: "line down"), seenStatus: .online))),
      .request(ConsoleRequest(id: 2, request: OperatorRequest(site: "BK-TU", action: .release(force: true)))),
      .request(ConsoleRequest(id: 3, request: OperatorRequest(site: "BK-TU", action: .setHeadcount(77)))),
      .answer(ConsoleAnswer(id: 1, outcome: .applied(events: engineEvents))),
      .answer(ConsoleAnswer(id: 5, outcome: .applied(events: []))),
      .answer(ConsoleAnswer(id: 6, outcome: .applied(events: nil))),
      .answer(
        ConsoleAnswer(
          id: 2,
          outcome: .refused(.alreadyMarked(OperatorMark(operatorName: "lan", reason: "line down", unixSeconds: 1_763_863_921))))),
      .answer(ConsoleAnswer(id: 3, outcome: .unsaved("the journal is not written"))),
      .answer(ConsoleAnswer(id: 4, outcome: .notAllowed("read-only console"))),
      .show(ConsoleShow(site: "BK-CD")),
      .show(ConsoleShow(site: nil)),
      .resync,
      .consoles(
        ConsoleList(consoles: [
          ConsoleList.Entry(unixUser: "ops", operatorName: "lan", readOnly: false, group: "Bắc Kạn", since: 1_763_863_000)
        ])),
    ]
    for message in messages {
      #expect(try roundTrip(message) == message, "\(message.typeName)")
    }
  }

  /// An answer carries the events its request caused, within a bound; an older monitor's answer has none, and
  /// an older console ignores them (fields a receiver does not know are ignored).
  @Test func anAppliedAnswerCarriesItsEventsWithinABound() throws {
    var engine = try busyEngine()
    let events = try engine.apply(OperatorRequest(site: "BK-TU", action: .mark(reason: "line down")), by: lan, now: at(seconds: 3))
    let line = String(decoding: ConsoleProtocol.encode(.answer(ConsoleAnswer(id: 1, outcome: .applied(events: events)))), as: UTF8.self)
    #expect(line.contains(#""events":[{"kind":{"statusChanged":"#), "\(line)")
    let older = try ConsoleProtocol.decode(Array(#"{"id":1,"outcome":"applied","type":"answer"}"#.utf8))
    #expect(older == .answer(ConsoleAnswer(id: 1, outcome: .applied(events: nil))))
    let event = String(decoding: try JSONEncoder().encode(ConsoleEvent(events[0])), as: UTF8.self)
    let many = Array(repeating: event, count: ConsoleAnswer.maximumEvents + 1).joined(separator: ",")
    let tooMany = decodeError(#"{"events":["# + many + #"],"id":1,"outcome":"applied","type":"answer"}"#)
    guard case .malformed(let why)? = tooMany else {
      Issue.record("an answer with too many events was not refused: \(String(describing: tooMany))")
      return
    }
    #expect(why.contains("at most \(ConsoleAnswer.maximumEvents) events"), "\(why)")
  }

  @Test func theFactsNeverCarryAKeyButSayWhichSitesSign() throws {
    let facts = Self.facts()
    let line = String(decoding: ConsoleProtocol.encode(.welcome(ConsoleWelcome(pid: 1, unixUser: "ops", facts: facts))), as: UTF8.self)
    #expect(!line.contains("a-secret-key-of-the-site"))
    #expect(!line.contains("keys"))
    #expect(facts.signedSites == ["BK-TU"])
    #expect(facts.siteFacts.map(\.id) == Self.sites.map(\.id))
    #expect(facts.siteFacts.map(\.group) == Self.sites.map(\.group))
    #expect(facts.schedule.sessions.map(\.name) == ["Phiên sáng"])
    #expect(facts.schedule.utcOffsetSeconds == 7 * 3600)
  }

  /// Snapshots carry facts, not config: a console's mirror, built from the welcome line alone, shows each site as
  /// the monitor's own snapshot does, its probe as the target written and its contact, with nothing parsed back.
  @Test func aConsoleShowsTheSameSiteFactsAsTheMonitor() throws {
    var config = ConferenceConfig(sites: Self.sites)
    config.sites[0].probe = try ProbeTarget.parse("sip://10.0.0.5:5060").get()
    config.sites[1].contact = "Anh Tuấn 0912 345 678"
    let monitor = MonitorState(config: config).snapshot(now: Self.start, title: config.title)
    let welcome = ConsoleProtocol.encode(
      .welcome(ConsoleWelcome(pid: 1, unixUser: "ops", facts: ConsoleFacts(config: config, listenAddress: ""))))
    guard case .welcome(let received) = try ConsoleProtocol.decode(welcome.dropLast()) else {
      Issue.record("not a welcome")
      return
    }
    let mirror = try ConsoleMirror(facts: received.facts)
    #expect(mirror.snapshot.sites == monitor.sites)
    #expect(monitor.sites[0].probe != nil && monitor.sites[0].probe == config.sites[0].probe?.description)
    #expect(monitor.sites[1].contact == "Anh Tuấn 0912 345 678")
    #expect(monitor.sites.map(\.id) == Self.sites.map(\.id))
  }

  @Test func aSiteRecordSurvivesTheShortForm() throws {
    let engine = try busyEngine()
    for (index, record) in engine.records.enumerated() {
      let site = ConsoleSite(record, index: index)
      let data = try JSONEncoder().encode(site)
      let decoded = try JSONDecoder().decode(ConsoleSite.self, from: data)
      #expect(decoded == site)
      #expect(ConsoleSite(decoded.record, index: index) == site, "the record rebuilt from the wire is the same record")
      #expect(ConsoleSite.change(from: record, to: decoded.record) == .none)
    }
    #expect(ConsoleSite(engine.records[1], index: 1).record.mark?.reason == "mất điện")
    #expect(ConsoleSite(engine.records[3], index: 3).record.claim?.operatorName == "lan (ops)")
  }

  @Test func aHeartbeatAloneTravelsAsABeatAndAnythingReadTravelsWhole() throws {
    var engine = try busyEngine()
    let before = engine.records.all
    engine.heartbeat(
      HeartbeatInput(source: .udp, sequence: 8, count: 30, state: .ok, rttMilliseconds: 9, senderTimestamp: nil), site: 0,
      heardAt: at(seconds: 5), now: at(seconds: 5))
    #expect(ConsoleSite.change(from: before[0], to: engine.records[0]) == .beat)
    #expect(ConsoleSite.change(from: before[2], to: engine.records[2]) == .none)
    engine.heartbeat(
      HeartbeatInput(source: .udp, sequence: 8, count: 55, state: .ok, rttMilliseconds: 9, senderTimestamp: nil), site: 2,
      heardAt: at(seconds: 5), now: at(seconds: 5))
    #expect(ConsoleSite.change(from: before[2], to: engine.records[2]) == .whole, "a new headcount is read by a person")
    try engine.apply(OperatorRequest(site: "HB-TU", action: .release(force: false)), by: lan, now: at(seconds: 6))
    #expect(ConsoleSite.change(from: before[3], to: engine.records[3]) == .whole, "a released claim")

    // The beat carries exactly what a heartbeat changed.
    let beats = ConsoleBeats([ConsoleBeats.Beat(engine.records[0], index: 0)])
    var rebuilt = before[0]
    for beat in try #require(beats.beats()) { beat.apply(to: &rebuilt) }
    #expect(ConsoleSite(rebuilt, index: 0) == ConsoleSite(engine.records[0], index: 0))
  }

  @Test func beatsRoundTripAndRefuseAnythingButGroupsOfEightIntegers() throws {
    let beats = [
      ConsoleBeats.Beat(
        index: 7399, heard: at(seconds: 1.25), sequence: 123_456, rtt: 40, received: 86_400, missed: 3),
      ConsoleBeats.Beat(index: 0, heard: at(seconds: 2), sequence: nil, rtt: nil, received: 0, missed: 0),
    ]
    let encoded = ConsoleBeats(beats)
    #expect(encoded.beats() == beats)
    let data = try JSONEncoder().encode(encoded)
    #expect(try JSONDecoder().decode(ConsoleBeats.self, from: data) == encoded)
    #expect(ConsoleBeats().beats() == [])

    func parses(_ text: String) -> Bool { (try? JSONDecoder().decode(ConsoleBeats.self, from: Data(#""\#(text)""#.utf8))) != nil }
    #expect(parses("1,2,3,4,5,6,7,0"))
    #expect(parses("1,2,3,-1,-1,6,7,1"))
    #expect(!parses("1,2,3,4,5,6,7,2"), "a refresh flag that is not 0 or 1")
    #expect(!parses("1,2,3,4,5,6,7"), "seven fields")
    #expect(!parses("1,2,3,4,5,6,7,0,9"), "nine fields")
    #expect(!parses("1,2,,4,5,6,7,0"), "an empty field")
    #expect(!parses("1,2,3,4,5,6,7,"), "a trailing comma")
    #expect(!parses("-1,2,3,4,5,6,7,0"), "a negative site")
    #expect(!parses("1,2,3,4,5,-6,7,0"), "a negative count")
    #expect(!parses("1,2,3,4,5,6,99999999999,0"), "a count beyond 32 bits")
    #expect(!parses("1,2,3,4,5,6,1234567890123456789012,0"), "a number beyond 64 bits")
    #expect(!parses("1,2,3,4,5,6,7x,0"), "a letter")
    #expect(!parses("1,2,3,4,5,6,--7,0"), "two signs")
    #expect(!parses("1,2,3,4,5,6,-,0"), "a sign alone")
  }

  @Test func malformedLinesAreRefusedWithAReason() {
    #expect(decodeError("") != nil)
    #expect(decodeError("not json") != nil)
    #expect(decodeError("[1,2,3]") != nil)
    #expect(decodeError(#"{"operator":"lan"}"#) != nil, "no type")
    #expect(decodeError(#"{"type":"teleport"}"#) == .unknownType("teleport"))
    #expect(decodeError(#"{"type":7}"#) != nil, "a type that is not a string")
    #expect(decodeError(#"{"type":"hello","version":"one","operator":"lan","read_only":false,"purpose":"console"}"#) != nil)
    #expect(decodeError(#"{"type":"hello","version":1,"operator":"lan","read_only":false,"purpose":"wall"}"#) != nil)
    #expect(decodeError(#"{"type":"request","id":1,"request":{"site":"X"}}"#) != nil, "a request without its action")
    #expect(decodeError(#"{"type":"delta","revision":2,"base":1,"taken":[1,2],"sites":[],"beats":"1,2","events":[]}"#) != nil)
    #expect(decodeError(#"{"type":"show","site":"X"} trailing"#) != nil)
    do {
      _ = try ConsoleProtocol.decode([0xFF, 0xFE, 0x7B, 0x7D])
      Issue.record("bytes that are not UTF-8 were accepted")
    } catch {
      #expect(!error.description.isEmpty)
    }
    let good = #"{"type":"hello","version":1,"operator":"lan","read_only":false,"purpose":"console"}"#
    #expect(decodeError(good) == nil)
    if case .malformed(let why)? = decodeError(#"{"type":"hello","version":1}"#) {
      #expect(why.contains("operator"), "the reason names what is missing: \(why)")
    } else {
      Issue.record("a hello without its fields was not refused as malformed")
    }
  }

  @Test func aMirrorRebuildsTheMonitorsStateFromASnapshotAndDeltas() throws {
    var engine = try busyEngine()
    var mirror = try ConsoleMirror(facts: Self.facts())
    #expect(mirror.revision == nil)
    mirror.apply(snapshot(engine, revision: 1))
    #expect(mirror.revision == 1)
    #expect(mirror.snapshot.title == "Hội nghị trực tuyến toàn quốc")
    #expect(mirror.consoleCount == 2)
    expectSame(mirror.snapshot.records, engine.records.all)

    let before = engine.records.all
    engine.heartbeat(
      HeartbeatInput(source: .udp, sequence: 9, count: 31, state: .ok, rttMilliseconds: 8, senderTimestamp: nil), site: 0,
      heardAt: at(seconds: 5), now: at(seconds: 5))
    try engine.apply(OperatorRequest(site: "BK-TU", action: .mark(reason: "line down")), by: lan, now: at(seconds: 5))
    let events = engine.drainEvents()
    let outcome = mirror.apply(delta(from: before, to: engine, base: 1, revision: 2, events: events))
    #expect(outcome == .applied(events: events))
    expectSame(mirror.snapshot.records, engine.records.all)
    #expect(mirror.snapshot.rollups[0].statusCounts[.marked] == 2)
    // Roll-ups do not travel: the console computes the monitor's own figures from the records.
    #expect(mirror.snapshot.rollups == engine.rollups)

    // A delta from elsewhere than our revision is never applied on top.
    let stale = delta(from: before, to: engine, base: 7, revision: 8, events: [])
    #expect(mirror.apply(stale) == .needsSnapshot)
    #expect(mirror.revision == 2)
  }

  @Test func aGroupMirrorShowsOnlyItsSitesAndItsFigures() throws {
    var engine = try busyEngine()
    var mirror = try ConsoleMirror(facts: Self.facts(), group: "Bắc Kạn")
    #expect(mirror.shownSites == [0, 1, 2])
    #expect(mirror.snapshot.title == "Hội nghị trực tuyến toàn quốc · Bắc Kạn")
    mirror.apply(snapshot(engine, revision: 1))
    #expect(mirror.snapshot.sites.map(\.id) == ["BK-TU", "BK-CD", "BK-CD-XA"])
    #expect(mirror.snapshot.rollups[0].expectedHeadcount == 145, "the header's figures are the group's")

    let deeper = try ConsoleMirror(facts: Self.facts(), group: "Chợ Đồn")
    #expect(deeper.shownSites == [1, 2], "a name matches at any depth")
    let path = try ConsoleMirror(facts: Self.facts(), group: "Bắc Kạn / Chợ Đồn")
    #expect(path.shownSites == [1, 2])

    // Events outside the group are not shown; those inside are renumbered to the shown sites.
    let before = engine.records.all
    try engine.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "x")), by: lan, now: at(seconds: 4))
    try engine.apply(OperatorRequest(site: "BK-CD-XA", action: .mark(reason: "y")), by: lan, now: at(seconds: 4))
    let events = engine.drainEvents()
    #expect(events.map(\.siteIndex) == [3, 2])
    guard case .applied(let shown) = mirror.apply(delta(from: before, to: engine, base: 1, revision: 2, events: events)) else {
      Issue.record("the delta was not applied")
      return
    }
    #expect(shown.map(\.siteIndex) == [2])
    #expect(mirror.snapshot.records[2].mark?.reason == "y")
    #expect(mirror.snapshot.rollups[0].statusCounts[.marked] == 2)
    #expect(mirror.snapshot.rollups[0] == engine.rollups[try #require(engine.groups.node(path: ["Bắc Kạn"]))])

    #expect(throws: ConsoleMirror.GroupError.self) { try ConsoleMirror(facts: Self.facts(), group: "Cao Bằng") }
    do {
      _ = try ConsoleMirror(facts: Self.facts(), group: "Cao Bằng")
    } catch {
      #expect(error.description.contains("Bắc Kạn, Hòa Bình"), "the error lists the groups: \(error)")
    }
  }

  // MARK: - Helpers

  func snapshot(_ engine: StatusEngine, revision: UInt64) -> ConsoleSnapshot {
    ConsoleSnapshot(
      revision: revision, taken: ConsoleClock(at(seconds: 3)),
      sites: engine.records.indices.map { ConsoleSite(engine.records[$0], index: $0) },
      status: ConsoleMonitorStatus(counters: IngestCounters(), journalProblem: nil, clockNote: nil, consoles: 2))
  }

  /// A delta built the way the monitor builds one, sent through the wire.
  func delta(from old: [SiteRecord], to engine: StatusEngine, base: UInt64, revision: UInt64, events: [EngineEvent]) -> ConsoleDelta {
    var whole: [ConsoleSite] = []
    var beats: [ConsoleBeats.Beat] = []
    for index in old.indices {
      switch ConsoleSite.change(from: old[index], to: engine.records[index]) {
      case .none: break
      case .beat: beats.append(ConsoleBeats.Beat(engine.records[index], index: index))
      case .whole: whole.append(ConsoleSite(engine.records[index], index: index))
      }
    }
    let message = ConsoleMessage.delta(
      ConsoleDelta(
        revision: revision, base: base, taken: ConsoleClock(at(seconds: 5)), sites: whole, beats: ConsoleBeats(beats),
        events: events.map(ConsoleEvent.init),
        status: ConsoleMonitorStatus(counters: IngestCounters(), journalProblem: nil, clockNote: nil, consoles: 2)))
    guard case .delta(let decoded)? = try? ConsoleProtocol.decode(ConsoleProtocol.encode(message).dropLast()) else {
      Issue.record("the delta did not survive the wire")
      return ConsoleDelta(
        revision: revision, base: base, taken: ConsoleClock(at(seconds: 5)), sites: [], beats: ConsoleBeats(), events: [],
        status: ConsoleMonitorStatus(counters: IngestCounters(), journalProblem: nil, clockNote: nil, consoles: 0))
    }
    return decoded
  }

  func expectSame(_ mirrored: [SiteRecord], _ engine: [SiteRecord], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    #expect(mirrored.count == engine.count, sourceLocation: sourceLocation)
    for index in engine.indices {
      #expect(
        ConsoleSite(mirrored[index], index: index) == ConsoleSite(engine[index], index: index), "site \(index)",
        sourceLocation: sourceLocation)
    }
  }
}
