import BridgeCore
import Foundation
import Testing

/// The bridge on consoles (issue 32): a snapshot's and a delta's `bridge` rebuild, in a console's mirror, the
/// monitor's own bridge view (every site's state, its disagreement, the header's counts), or its group's; a delta
/// carries only what changed; what a monitor sends out of bounds is refused at decode.
@Suite struct ConsoleBridgeTests {
  static let sites = ConsoleProtocolTests.sites
  static let start = ConsoleProtocolTests.start

  static func config() -> ConferenceConfig {
    var config = ConferenceConfig(sites: sites)
    config.bridges = [BridgeSettings(url: "http://127.0.0.1:8088/janus", host: "127.0.0.1", port: 8088, path: "/janus", room: 1234)]
    return config
  }

  /// BK-TU and BK-CD heard; the others never.
  static func engine() -> StatusEngine {
    var engine = StatusEngine(sites: sites, timing: Timing())
    for index in [0, 1] {
      engine.heartbeat(
        HeartbeatInput(source: .udp, sequence: 1, count: 20, state: .ok, rttMilliseconds: 9, senderTimestamp: 1_763_863_919),
        site: index, heardAt: start, now: start)
    }
    return engine
  }

  static func participant(_ site: String, id: String) -> BridgeParticipant {
    BridgeParticipant(id: id, display: site, muted: false, talking: true, mediaUp: false, audioArriving: true)
  }

  static func wire(_ message: ConsoleMessage) throws -> ConsoleMessage {
    try ConsoleProtocol.decode(ConsoleProtocol.encode(message).dropLast())
  }

  static func snapshot(_ engine: StatusEngine, _ view: BridgeView, revision: UInt64) throws -> ConsoleSnapshot {
    let message = ConsoleMessage.snapshot(
      ConsoleSnapshot(
        revision: revision, taken: ConsoleClock(start), sites: engine.records.indices.map { ConsoleSite(engine.records[$0], index: $0) },
        status: ConsoleMonitorStatus(counters: IngestCounters(), journalProblem: nil, clockNote: nil, consoles: 1),
        bridge: ConsoleBridge(view)))
    guard case .snapshot(let decoded) = try wire(message) else { throw CocoaError(.coderInvalidValue) }
    return decoded
  }

  static func delta(_ engine: StatusEngine, from old: BridgeView, to new: BridgeView, base: UInt64) throws -> ConsoleDelta {
    let message = ConsoleMessage.delta(
      ConsoleDelta(
        revision: base + 1, base: base, taken: ConsoleClock(start), sites: [], beats: ConsoleBeats(), events: [],
        status: ConsoleMonitorStatus(counters: IngestCounters(), journalProblem: nil, clockNote: nil, consoles: 1),
        bridge: ConsoleBridge.delta(from: old, to: new)))
    guard case .delta(let decoded) = try wire(message) else { throw CocoaError(.coderInvalidValue) }
    return decoded
  }

  @Test func aConsolesMirrorShowsTheMonitorsBridgeAndAGroupCountsItsOwnSites() throws {
    let engine = Self.engine()
    var board = BridgeBoard(config: Self.config())
    board.apply(
      .roster([Self.participant("BK-TU", id: "11"), Self.participant("HB-TU", id: "12"), Self.participant("Khách", id: "13")]),
      bridge: 0, now: 1_763_863_921, audioProblem: "Janus error 403: Unauthorized request")
    let view = board.view(records: engine.records.all)
    #expect(view.inBridgeCount == 2 && view.agentSilentCount == 1 && view.notInBridgeCount == 1 && view.unmatchedCount == 1)

    var whole = try ConsoleMirror(facts: ConsoleProtocolTests.facts())
    whole.apply(try Self.snapshot(engine, view, revision: 4))
    #expect(whole.snapshot.bridge == view, "the whole console shows exactly the monitor's view")

    var group = try ConsoleMirror(facts: ConsoleProtocolTests.facts(), group: "Bắc Kạn")
    group.apply(try Self.snapshot(engine, view, revision: 4))
    let grouped = try #require(group.snapshot.bridge)
    #expect(grouped.sites.count == 3)
    #expect(grouped.inBridgeCount == 1 && grouped.notInBridgeCount == 1 && grouped.agentSilentCount == 0)
    #expect(grouped.disagreement(site: 1) == .aliveNotInBridge)
    #expect(grouped.polls.first?.unmatchedNames == ["Khách"])
  }

  @Test func aDeltaCarriesWhatChangedAndTheMirrorFollowsTheMonitor() throws {
    let engine = Self.engine()
    var board = BridgeBoard(config: Self.config())
    board.apply(.roster([Self.participant("BK-TU", id: "11"), Self.participant("HB-TU", id: "12")]), bridge: 0, now: 1_763_863_921)
    let first = board.view(records: engine.records.all)
    var mirror = try ConsoleMirror(facts: ConsoleProtocolTests.facts())
    mirror.apply(try Self.snapshot(engine, first, revision: 1))
    #expect(ConsoleBridge.delta(from: first, to: first) == nil, "nothing changed: no bridge in the delta")

    // BK-CD joins, HB-TU leaves: two sites travel, and the summary (its counts and the poll's time).
    board.apply(.roster([Self.participant("BK-TU", id: "11"), Self.participant("BK-CD", id: "14")]), bridge: 0, now: 1_763_863_926)
    let second = board.view(records: engine.records.all)
    let change = try #require(ConsoleBridge.delta(from: first, to: second))
    #expect(Set(change.sites.map(\.index)) == [1, 3])
    #expect(change.summary != nil)
    #expect(mirror.apply(try Self.delta(engine, from: first, to: second, base: 1)) == .applied(events: []))
    #expect(mirror.snapshot.bridge == second)

    // The bridge fails: every site unknown, no disagreement; the problem reaches the console printable.
    board.apply(.failed(problem: "refused \u{1B}[2J here"), bridge: 0, now: 1_763_863_931)
    let third = board.view(records: engine.records.all)
    #expect(mirror.apply(try Self.delta(engine, from: second, to: third, base: 2)) == .applied(events: []))
    #expect(mirror.snapshot.bridge == third)
    #expect(mirror.snapshot.bridge?.sites.allSatisfy { $0 == .unknown } == true)
    #expect(mirror.snapshot.bridge?.polls.first?.problem?.contains("\u{1B}") == false)

    // Read again: the same roster as before it failed.
    board.apply(.roster([Self.participant("BK-TU", id: "11"), Self.participant("BK-CD", id: "14")]), bridge: 0, now: 1_763_863_936)
    let fourth = board.view(records: engine.records.all)
    #expect(mirror.apply(try Self.delta(engine, from: third, to: fourth, base: 3)) == .applied(events: []))
    #expect(mirror.snapshot.bridge == fourth)
  }

  @Test func aMonitorWithoutBridgesSendsNoneAndItsConsoleShowsNone() throws {
    var mirror = try ConsoleMirror(facts: ConsoleProtocolTests.facts())
    let message = ConsoleMessage.snapshot(
      ConsoleSnapshot(
        revision: 1, taken: ConsoleClock(Self.start), sites: [],
        status: ConsoleMonitorStatus(counters: IngestCounters(), journalProblem: nil, clockNote: nil, consoles: 1)))
    let line = String(decoding: ConsoleProtocol.encode(message), as: UTF8.self)
    #expect(!line.contains("\"bridge\""))
    guard case .snapshot(let decoded) = try Self.wire(message) else { throw CocoaError(.coderInvalidValue) }
    mirror.apply(decoded)
    #expect(mirror.snapshot.bridge == nil)
  }

  /// A snapshot line with `bridge` replaced.
  static func line(bridge: String) -> [UInt8] {
    Array(
      """
      {"type":"snapshot","revision":1,"taken":[1,1763863920],"sites":[],"status":{"consoles":1,"counters":{"acks_sent":0,\
      "bad_files":0,"datagrams_accepted":0,"datagrams_received":0,"file_errors":0,"files_read":0,\
      "rejections":[0,0,0,0,0,0,0],"signed_accepted":0}},"bridge":\(bridge)}
      """.utf8)
  }

  static let poll = #"{"bridge":"janus","participants":3,"unmatched":1,"polls":2,"failures":0,"sessions_renewed":0}"#
  static let summary = #"{"in_bridge":1,"agent_silent":0,"not_in_bridge":0,"unmatched":1,"polls":[\#(poll)]}"#

  func refusal(_ bridge: String) -> String? {
    do {
      _ = try ConsoleProtocol.decode(Self.line(bridge: bridge))
      return nil
    } catch {
      return error.description
    }
  }

  @Test func aBridgeOutOfBoundsIsRefusedAtDecode() throws {
    let good = #"{"summary":\#(Self.summary),"sites":[{"i":0,"in":{"id":"7","since":1763863920,"legs":1},"disagreement":"x"}]}"#
    #expect(refusal(good) == nil)
    guard case .snapshot(let decoded) = try ConsoleProtocol.decode(Self.line(bridge: good)) else { throw CocoaError(.coderInvalidValue) }
    #expect(decoded.bridge?.sites.first?.disagreement == nil, "a disagreement this console does not know reads as none")

    let site = { (leg: String) in #"{"summary":\#(Self.summary),"sites":[{"i":0,"in":\#(leg)}]}"# }
    #expect(refusal(site(#"{"id":"7","since":1763863920,"legs":0}"#))?.contains("legs 0 out of range") == true)
    #expect(refusal(site(#"{"id":"7","since":1e300,"legs":1}"#))?.contains("outside 1970-01-01") == true)
    #expect(refusal(#"{"sites":[{"i":-1}]}"#)?.contains("not a count") == true)
    #expect(refusal(#"{"summary":\#(Self.summary)}"#)?.contains("missing \"sites\"") == true)
    let names =
      #"{"bridge":"janus","participants":3,"unmatched":1,"polls":2,"failures":0,"sessions_renewed":0,"unmatched_names":[\#((0...50).map { "\"n\($0)\"" }.joined(separator: ","))]}"#
    #expect(
      refusal(#"{"summary":{"in_bridge":1,"agent_silent":0,"not_in_bridge":0,"unmatched":1,"polls":[\#(names)]},"sites":[]}"#)?.contains(
        "more than 50 names") == true)
    let polls = Array(repeating: Self.poll, count: 17).joined(separator: ",")
    #expect(
      refusal(#"{"summary":{"in_bridge":1,"agent_silent":0,"not_in_bridge":0,"unmatched":1,"polls":[\#(polls)]},"sites":[]}"#)?.contains(
        "more than 16 bridges") == true)
    // An over-long id is cut to its bound, not refused (a bridge's own ids are cut the same way).
    let long = String(repeating: "x", count: 500)
    guard case .snapshot(let cut) = try ConsoleProtocol.decode(Self.line(bridge: site(#"{"id":"\#(long)","since":1763863920,"legs":1}"#)))
    else {
      throw CocoaError(.coderInvalidValue)
    }
    #expect(cut.bridge?.sites.first?.leg?.leg.participantID.utf8.count == BridgeParticipant.maximumIDBytes)
  }
}
