import BridgeCore
import BridgeField
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import BridgeMonitor

/// A bridge's push receiver (`events_listen`, issue 32) in a real monitor, over real loopback HTTP, with the
/// simulated Janus as the polled bridge (polled once a minute, so a change seen sooner came from an event): a
/// pushed join and kick applied before the answer, a restart event polling again, and every bound refused with
/// its status.
@Suite(.serialized) struct BridgeReceiverTests {
  final class Room: Sendable {
    let participants = Mutex<[SimulatedJanus.Participant]>([])
  }

  struct Harness {
    let janus: SimulatedJanus
    let monitor: Monitor
    let input: BridgeInput
    let eventPort: Int

    func post(_ body: String, bridgePort: Int? = nil) throws -> (status: Int, text: String) {
      let http = BoundedHTTPClient(timeout: .seconds(20), maximumResponseBytes: 1 << 16)
      let answer = try http.post(host: "127.0.0.1", port: bridgePort ?? eventPort, path: "/janus-events", body: Array(body.utf8))
      return (answer.status, String(decoding: answer.body, as: UTF8.self))
    }

    func bridge() async throws -> BridgeView { try #require(try await monitor.snapshot().bridge) }

    func stop() async {
      await monitor.stop()
      janus.stop()
    }
  }

  static func start(room: Room, limits: BridgeEventReceiver.Limits = .init(), deadBridge: Bool = false) async throws -> Harness {
    let janus = try SimulatedJanus()
    janus.start { room.participants.withLock { $0 } }
    var config = ConferenceConfig(
      sites: ["A", "B", "C"].map { SiteConfig(id: $0, name: $0, group: ["G"], expected: 1, heartbeatFile: "/x/\($0).hb") })
    // Polled once at start and when an event asks; never by the clock inside a test: the full suite on a busy
    // 2-core host once took over a minute between two posts, and a timed poll made the roster the room's again.
    config.bridges = [
      BridgeSettings(
        url: janus.url, host: janus.host, port: janus.port, path: janus.path, room: janus.room, poll: .seconds(3_600),
        eventsListen: "127.0.0.1:0")
    ]
    if deadBridge {
      // Nothing listens on port 1: this bridge's roster is never read.
      config.bridges.append(
        BridgeSettings(
          url: "http://127.0.0.1:1/janus", host: "127.0.0.1", port: 1, path: "/janus", room: 1234, poll: .seconds(3_600),
          eventsListen: "127.0.0.1:0"))
    }
    let input = BridgeInput(config: config, language: .en)
    input.receiverLimits.withLock { $0 = limits }
    let monitor = Monitor(config: config, logger: Logger(label: "test"), inputs: [input])
    _ = try await monitor.startPorts()
    let port = try #require(input.eventPort(bridge: 0))
    let harness = Harness(janus: janus, monitor: monitor, input: input, eventPort: port)
    let read = try await eventually(timeout: .seconds(30), every: .milliseconds(50)) {
      try await harness.bridge().polls[0].isKnown
    }
    #expect(read)
    return harness
  }

  static func event(_ what: String, id: Int, display: String? = nil) -> String {
    let name = display.map { #","display":"\#($0)""# } ?? ""
    return #"[{"type":64,"event":{"plugin":"janus.plugin.audiobridge","data":{"event":"\#(what)","room":1234,"id":\#(id)\#(name)}}}]"#
  }

  static func isIn(_ view: BridgeView, _ site: Int) -> Bool {
    if case .inBridge = view.sites[site] { return true }
    return false
  }

  /// A receiver that cannot listen (its port taken) stops the start, and the receivers already listening are
  /// stopped with it: their ports are free again, nothing answers there.
  @Test func aReceiverThatCannotListenStopsTheOnesAlreadyListening() async throws {
    let squatter = try LoopbackHTTPServer(host: "127.0.0.1", port: 0, threadName: "squatter")
    defer { squatter.stop() }
    var config = ConferenceConfig(sites: [SiteConfig(id: "A", name: "A", group: ["G"], expected: 1, heartbeatFile: "/x/A.hb")])
    config.bridges = [
      BridgeSettings(
        url: "http://127.0.0.1:1/janus", host: "127.0.0.1", port: 1, path: "/janus", room: 1, poll: .seconds(3_600),
        eventsListen: "127.0.0.1:0"),
      BridgeSettings(
        url: "http://127.0.0.1:1/janus", host: "127.0.0.1", port: 1, path: "/janus", room: 2, poll: .seconds(3_600),
        eventsListen: "127.0.0.1:\(squatter.port)"),
    ]
    let input = BridgeInput(config: config, language: .en)
    let monitor = Monitor(config: config, logger: Logger(label: "test"), inputs: [input])
    await #expect(throws: MonitorStartError.self) { _ = try await monitor.startPorts() }
    let first = try #require(input.eventPort(bridge: 0), "the first receiver listened")
    let http = BoundedHTTPClient(timeout: .seconds(5), maximumResponseBytes: 1 << 16)
    #expect(throws: (any Error).self, "nothing listens on \(first) any more") {
      _ = try http.post(host: "127.0.0.1", port: first, path: "/janus-events", body: Array("[]".utf8))
    }
    await monitor.stop()
  }

  @Test func aPushedJoinAndKickAreAppliedBeforeTheAnswer() async throws {
    let room = Room()
    room.participants.withLock { $0 = [SimulatedJanus.Participant(id: 1, display: "A", muted: false)] }
    let harness = try await Self.start(room: room)
    let polls = harness.input.pollsCompleted
    #expect(try await harness.bridge().inBridgeCount == 1)

    // B joins: in by the time the answer is 200 (no poll between).
    let joined = try harness.post(Self.event("joined", id: 2, display: "B"))
    #expect(joined.status == 200 && joined.text == "applied 1, ignored 0\n", "\(joined)")
    var view = try await harness.bridge()
    #expect(Self.isIn(view, 1))
    #expect(view.polls[0].participants == 2)
    // The same join again (Janus does not, but a replayed POST might): nothing more.
    #expect(try harness.post(Self.event("joined", id: 2, display: "B")).text == "applied 0, ignored 1\n")
    // A guest, then A kicked (by id alone) and its later "left": A out once.
    #expect(try harness.post(Self.event("joined", id: 3, display: "Khách")).status == 200)
    #expect(try harness.post(Self.event("kicked", id: 1)).text == "applied 1, ignored 0\n")
    #expect(try harness.post(Self.event("left", id: 1, display: "A")).text == "applied 0, ignored 1\n")
    view = try await harness.bridge()
    #expect(!Self.isIn(view, 0) && Self.isIn(view, 1))
    #expect(view.unmatchedCount == 1 && view.polls[0].unmatchedNames == ["Khách"])
    #expect(harness.input.pollsCompleted == polls)
    #expect(harness.input.pushedEventsApplied == 3)
    // The faces count what the receiver applied (the status file, metrics and consoles read it from the view).
    #expect(view.polls[0].eventsApplied == 3 && view.polls[0].bodiesRefused == 0)

    // Janus restarted (its rooms empty): the core's "started" asks for a poll, which finds the room as it is.
    room.participants.withLock { $0 = [] }
    let started = try harness.post(#"[{"type":256,"subtype":1,"event":{"status":"started"}}]"#)
    #expect(started.status == 200)
    let emptied = try await eventually(timeout: .seconds(30), every: .milliseconds(50)) {
      try await harness.bridge().inBridgeCount == 0 && harness.input.pollsCompleted > polls
    }
    #expect(emptied)
    #expect(try await harness.bridge().unmatchedCount == 0)
    await harness.stop()
  }

  @Test func garbageTooMuchAndTheWrongMethodAreRefused() async throws {
    let room = Room()
    let harness = try await Self.start(room: room)
    let polls = harness.input.pollsCompleted
    let garbage = try harness.post("{not json")
    #expect(garbage.status == 400 && garbage.text.hasPrefix("not JSON"), "\(garbage)")
    let noID = try harness.post(#"[{"type":64,"event":{"plugin":"janus.plugin.audiobridge","data":{"event":"joined","room":1234}}}]"#)
    #expect(noID.status == 400 && noID.text == "event 0: 'joined' without an id\n", "\(noID)")
    // A body refused may have carried a change: the roster is polled again at once.
    #expect(eventually(timeout: .seconds(30)) { harness.input.pollsCompleted > polls })
    // Over the body cap, announced: 413 at the head.
    let client = try #require(TCPTestClient(port: harness.eventPort))
    _ = client.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: \(BridgeEventLimits.maximumBodyBytes + 1)\r\n\r\n")
    #expect(HTTPTestResponse.parse(client.readToEnd())?.status == 413)
    // Over the cap, sent in chunks without a length: 413 once it passes.
    let chunked = try #require(TCPTestClient(port: harness.eventPort))
    _ = chunked.send("POST /e HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    let chunk = String(repeating: "[", count: 65536)
    for _ in 0..<20 { _ = chunked.send(String(65536, radix: 16) + "\r\n" + chunk + "\r\n") }
    #expect(HTTPTestResponse.parse(chunked.readToEnd())?.status == 413)
    // Not a POST; not HTTP.
    #expect(HTTPTestResponse.fetch(port: harness.eventPort, method: "GET", path: "/")?.status == 405)
    let junk = try #require(TCPTestClient(port: harness.eventPort))
    _ = junk.send("\u{1b}[2J hello\r\n\r\n")
    #expect(HTTPTestResponse.parse(junk.readToEnd())?.status == 400)
    #expect(harness.input.pushedBodiesRefused >= 5)
    let refused = try await harness.bridge().polls[0]
    #expect(refused.bodiesRefused == UInt64(harness.input.pushedBodiesRefused) && refused.eventsApplied == 0)
    #expect(try await harness.bridge().inBridgeCount == 0)
    await harness.stop()
  }

  @Test func connectionsAndRateAreBoundedAndAnUnreadRosterIsNotTaken() async throws {
    var limits = BridgeEventReceiver.Limits()
    limits.maximumConnections = 4
    limits.requestsPerSecond = 0.001
    limits.burst = 3
    limits.requestDeadline = .seconds(2)
    let harness = try await Self.start(room: Room(), limits: limits, deadBridge: true)
    // Four idle connections are held; a fifth is closed at once; the idle ones are closed at the deadline.
    let held = (0..<4).compactMap { _ in TCPTestClient(port: harness.eventPort) }
    #expect(held.count == 4)
    let fifth = try #require(TCPTestClient(port: harness.eventPort))
    #expect(fifth.isClosedByPeer(within: 10))
    #expect(held.allSatisfy { $0.isClosedByPeer(within: 30) })
    // Three requests pass the rate; the fourth is 503, Retry-After 1.
    for id in 1...3 { #expect(try harness.post(Self.event("joined", id: id, display: "A")).status == 200) }
    let client = try #require(TCPTestClient(port: harness.eventPort))
    let body = Self.event("joined", id: 4, display: "B")
    _ = client.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    let limited = try #require(HTTPTestResponse.parse(client.readToEnd()))
    #expect(limited.status == 503)
    #expect(limited.headers["retry-after"] == "1")
    // The bridge whose roster was never read: its events are 503, not applied.
    let deadPort = try #require(harness.input.eventPort(bridge: 1))
    let dead = try harness.post(Self.event("joined", id: 9, display: "C"), bridgePort: deadPort)
    #expect(dead.status == 503 && dead.text.contains("not read yet"), "\(dead)")
    #expect(try await harness.bridge().sites[2] == .unknown)
    await harness.stop()
  }

  static func fixture(_ name: String) -> String {
    (try? String(contentsOfFile: Repository.path("Tests/Fixtures/bridges/" + name), encoding: .utf8)) ?? ""
  }

  @Test func theCDRGuidesPostsAndPexipEventsArePlayedOverHTTP() async throws {
    let basic = "Basic " + Data("bw:pw".utf8).base64EncodedString()
    let cms = try FixtureHTTPServer(authorization: basic) { _ in (200, Array(#"<?xml version="1.0"?><calls total="0"></calls>"#.utf8)) }
    defer { cms.stop() }
    let pexip = try FixtureHTTPServer(authorization: basic) { _ in (200, Array(#"{"meta": {"next": null}, "objects": []}"#.utf8)) }
    defer { pexip.stop() }
    let sites: [(String, String)] = [("C1", "sip:sipclient1@example.com"), ("HN", "Hà Nội"), ("HP", "sip:haiphong@vc.example.com")]
    var config = ConferenceConfig(
      sites: sites.map { entry in
        var site = SiteConfig(id: entry.0, name: entry.0, group: ["G"], expected: 1, heartbeatFile: "/x/\(entry.0).hb")
        site.bridgeName = entry.1
        return site
      })
    let account = BridgeSettings.Credentials(username: "bw", password: "pw")
    config.bridges = [
      BridgeSettings(
        kind: .cms, url: "", host: "127.0.0.1", port: cms.port, path: "/api/v1", room: 0, poll: .seconds(3_600),
        eventsListen: "127.0.0.1:0", credentials: account, conference: "50605235-60cf-484a-9fa1-278ad0646243"),
      BridgeSettings(
        kind: .pexip, url: "", host: "127.0.0.1", port: pexip.port, path: "/api/admin/status/v1", room: 0, poll: .seconds(3_600),
        eventsListen: "127.0.0.1:0", credentials: account, conference: "Hội nghị toàn quốc"),
    ]
    let input = BridgeInput(config: config, language: .en)
    let monitor = Monitor(config: config, logger: Logger(label: "test"), inputs: [input])
    _ = try await monitor.startPorts()
    func view() async throws -> BridgeView { try #require(try await monitor.snapshot().bridge) }
    let read = try await eventually(timeout: .seconds(30), every: .milliseconds(50)) {
      try await view().polls.allSatisfy(\.isKnown)
    }
    #expect(read)
    let polls = input.pollsCompleted
    let http = BoundedHTTPClient(timeout: .seconds(20), maximumResponseBytes: 1 << 16)
    func post(_ bridge: Int, _ name: String) throws -> String {
      let port = try #require(input.eventPort(bridge: bridge))
      let answer = try http.post(host: "127.0.0.1", port: port, path: "/cdr", body: Array(Self.fixture(name).utf8))
      #expect(answer.status == 200, "\(name): \(String(decoding: answer.body, as: UTF8.self))")
      return String(decoding: answer.body, as: UTF8.self)
    }
    // CMS: the guide's five posts: sipclient1's leg (C1) in, sipclient2's (nobody's) in and out; post 4 again
    // (CMS sends a batch again until it has its 200) changes nothing.
    for number in 1...5 { _ = try post(0, "cms-cdr-post\(number).xml") }
    #expect(try post(0, "cms-cdr-post4.xml") == "applied 0, ignored 1\n")
    // Pexip: the sink started: a poll, which comes before anything else is posted.
    _ = try post(1, "pexip-eventsink-started.json")
    #expect(eventually(timeout: .seconds(30)) { input.pollsCompleted > polls })
    let afterStart = input.pollsCompleted
    // Hà Nội and Hải Phòng connect, Hà Nội goes; Hải Phòng's event again is a replay.
    for name in ["connected-hn", "connected-hp", "disconnected-hn"] { _ = try post(1, "pexip-eventsink-\(name).json") }
    #expect(try post(1, "pexip-eventsink-connected-hp.json") == "applied 0, ignored 1\n")
    var state = try await view()
    #expect(Self.isIn(state, 0) && !Self.isIn(state, 1) && Self.isIn(state, 2))
    #expect(state.polls[0].participants == 1 && state.polls[0].unmatchedCount == 0)
    #expect(state.polls[1].participants == 1)
    #expect(input.pollsCompleted == afterStart)
    // A seq gap (4, then 9): applied, and Pexip polled again, whose empty room takes Hải Phòng out.
    let gap = Self.fixture("pexip-eventsink-other-conference.json").replacingOccurrences(of: #""seq": 5"#, with: #""seq": 9"#)
    let port = try #require(input.eventPort(bridge: 1))
    #expect(try http.post(host: "127.0.0.1", port: port, path: "/e", body: Array(gap.utf8)).status == 200)
    let polled = try await eventually(timeout: .seconds(30), every: .milliseconds(50)) {
      let current = try await view()
      return input.pollsCompleted > afterStart && !Self.isIn(current, 2)
    }
    #expect(polled)
    state = try await view()
    #expect(Self.isIn(state, 0))
    await monitor.stop()
  }
}
