import BridgeCore
import BridgeField
import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

@testable import BridgeMonitor

/// The simulated Janus's sample event handler (issue 32, item 4): the room's joins and leaves posted as Janus 1.1.2
/// posts them, read by the monitor's own parser and applied by its real receiver before any poll, and the handler's
/// retry rule (no answer: 5 retries, 100 ms doubling; an answer of any status: never again), without blocking.
@Suite(.serialized) struct JanusEventPushTests {
  static let a = SimulatedJanus.Participant(id: 11, display: "A", muted: false)
  static let b = SimulatedJanus.Participant(id: 12, display: "B", muted: true)

  static func body(_ events: [[UInt8]]) -> [UInt8] {
    [UInt8(ascii: "[")] + Array(events.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "]")]
  }

  /// The last event of each body a real Janus posted, from a fixture of Tests/Fixtures/bridges (a body a line).
  static func capturedEvents(_ fixture: String) throws -> [Data] {
    try String(contentsOfFile: Repository.path("Tests/Fixtures/bridges/" + fixture), encoding: .utf8).split(separator: "\n").map {
      line in
      let array = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Any])
      return try JSONSerialization.data(withJSONObject: array[array.count - 1])
    }
  }

  static func keys(_ json: [UInt8]) -> (top: Set<String>, data: Set<String>) {
    let object = (try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any] ?? [:]
    let data = ((object["event"] as? [String: Any])?["data"] as? [String: Any]) ?? [:]
    return (Set(object.keys), Set(data.keys))
  }

  @Test func theRoomsJoinsAndLeavesAreJanussEventsAsTheMonitorReadsThem() throws {
    var room = JanusRoomEvents(room: 1234)
    let first = room.events(for: [Self.a], unixMicroseconds: 1_796_456_594_206_389)
    let joined = try JanusEventPayload.parse(Self.body(first), room: 1234, plugin: .audiobridge)
    // The session's "created" is acknowledged and dropped, as Janus's own is.
    #expect(joined.events == [.joined(BridgeParticipant(id: "11", display: "A", muted: false, mediaUp: false))])
    #expect(joined.ignored == 1)
    #expect(room.events(for: [Self.a], unixMicroseconds: 1).isEmpty)
    let second = room.events(for: [Self.b], unixMicroseconds: 1_796_456_594_507_948)
    let changed = try JanusEventPayload.parse(Self.body(second), room: 1234, plugin: .audiobridge)
    #expect(
      changed.events == [.joined(BridgeParticipant(id: "12", display: "B", muted: true, mediaUp: false)), .left(id: "11", display: "A")])
    // Another room's monitor takes none of them.
    #expect(try JanusEventPayload.parse(Self.body(second), room: 999, plugin: .audiobridge).events.isEmpty)

    // The same fields as the bodies Debian's Janus 1.1.2 posted (its "joined" and its last "left", lines 3 and 8).
    let captured = try Self.capturedEvents("janus-1.1.2-sampleevh-bodies.jsonl")
    #expect(Self.keys(first[1]) == Self.keys(Array(captured[2])))
    #expect(Self.keys(first[0]) == Self.keys(Array(captured[1])))
    #expect(Self.keys(second[2]) == Self.keys(Array(captured[7])))
    let started = try JanusEventPayload.parse(Self.body([JanusEventShape.started(unixMicroseconds: 1)]), room: 1234, plugin: .audiobridge)
    #expect(started.events == [.resync(reason: "Janus started")])
  }

  /// A played VideoRoom (`sim --play-bridge` on a config watching one) raises VideoRoom's own events: `joined` with
  /// its `private_id`, `leaving` with the id alone, in the shapes Debian's Janus 1.1.2 posted; the monitor reads them.
  @Test func aPlayedVideoRoomsJoinsAndLeavesAreVideoRoomsEvents() throws {
    var room = JanusRoomEvents(room: 1234, plugin: .videoroom)
    let first = room.events(for: [Self.a], unixMicroseconds: 1_796_477_980_282_060)
    let joined = try JanusEventPayload.parse(Self.body(first), room: 1234, plugin: .videoroom)
    #expect(joined.events.count == 1 && joined.ignored == 1, "\(joined)")
    guard case .joined(let participant) = joined.events.first else {
      Issue.record("no join: \(joined)")
      return
    }
    #expect(participant.id == "11" && participant.display == "A")
    let second = room.events(for: [], unixMicroseconds: 1_796_477_983_727_094)
    let left = try JanusEventPayload.parse(Self.body(second), room: 1234, plugin: .videoroom)
    #expect(left.events.count == 1, "\(left)")
    guard case .left(let id, _) = left.events.first else {
      Issue.record("no leave: \(left)")
      return
    }
    #expect(id == "11")
    // An AudioBridge's monitor takes none of them.
    #expect(try JanusEventPayload.parse(Self.body(first), room: 1234, plugin: .audiobridge).events.isEmpty)
    // The same fields as the VideoRoom bodies Debian's Janus 1.1.2 posted (its first "joined" and its "leaving").
    let captured = try Self.capturedEvents("janus-1.1.2-videoroom-sampleevh-bodies.jsonl")
    #expect(Self.keys(first[1]) == Self.keys(Array(captured[1])))
    #expect(Self.keys(second[0]) == Self.keys(Array(captured[5])))
  }

  @Test func theSimulatedJanussPushesAreAppliedBeforeAnyPoll() async throws {
    let room = BridgeReceiverTests.Room()
    room.participants.withLock { $0 = [Self.a] }
    // Polled once a minute: a change seen sooner came from an event.
    let harness = try await BridgeReceiverTests.start(room: room)
    let pusher = try BridgeEventPusher(host: "127.0.0.1", port: harness.eventPort, room: harness.janus.room)
    let polled = harness.input.pollsCompleted
    pusher.start(every: .milliseconds(50)) { room.participants.withLock { $0 } }
    // Janus's "started" asks for a poll at once; from then on only the events move the roster.
    #expect(eventually(timeout: .seconds(30)) { pusher.totals.accepted >= 1 && harness.input.pollsCompleted > polled })
    let polls = harness.input.pollsCompleted
    #expect(BridgeReceiverTests.isIn(try await harness.bridge(), 0))

    room.participants.withLock { $0.append(Self.b) }
    #expect(try await eventually(timeout: .seconds(20)) { BridgeReceiverTests.isIn(try await harness.bridge(), 1) })
    _ = room.participants.withLock { $0.removeFirst() }
    #expect(try await eventually(timeout: .seconds(20)) { !BridgeReceiverTests.isIn(try await harness.bridge(), 0) })
    let view = try await harness.bridge()
    #expect(BridgeReceiverTests.isIn(view, 1) && view.inBridgeCount == 1)
    #expect(harness.input.pollsCompleted == polls, "a poll came between: the test shows nothing")
    // A's join was in the poll already (nothing applied); B's join and A's leave were.
    #expect(view.polls[0].eventsApplied == 2 && view.polls[0].bodiesRefused == 0, "\(view.polls[0])")
    #expect(harness.input.pushedEventsApplied == 2)
    let totals = pusher.totals
    #expect(totals.refused == 0 && totals.retries == 0 && totals.givenUp == 0 && totals.dropped == 0, "\(totals)")
    pusher.stop()
    await harness.stop()
  }

  /// A port nothing listens on (taken, read, let go).
  static func closedPort() throws -> Int {
    let probe = try SimulatedJanus()
    probe.stop()
    return probe.port
  }

  @Test func noAnswerIsRetriedFiveTimesDoublingThenGivenUpWithoutBlocking() throws {
    let pusher = try BridgeEventPusher(host: "127.0.0.1", port: try Self.closedPort(), backoff: .milliseconds(20), timeout: .seconds(2))
    pusher.start()
    defer { pusher.stop() }
    let began = ContinuousClock.now
    pusher.push([JanusEventShape.started(unixMicroseconds: 1)])
    // Queued and back at once: the caller (the simulation's clock) never waits on the monitor.
    #expect(ContinuousClock.now - began < .milliseconds(50))
    #expect(eventually(timeout: .seconds(10), every: .milliseconds(2)) { pusher.totals.retries >= 1 })
    // While the first batch is retried, the next event waits in the queue: its own batch, after.
    let second = ContinuousClock.now
    pusher.push([JanusEventShape.started(unixMicroseconds: 2)])
    #expect(ContinuousClock.now - second < .milliseconds(50))
    #expect(pusher.queued == 1)
    #expect(eventually(timeout: .seconds(20)) { pusher.totals.givenUp == 2 })
    let totals = pusher.totals
    // Each batch: the POST and 5 retries after 20, 40, 80, 160 and 320 ms (620 ms), the second after the first.
    #expect(totals.retries == 10 && totals.accepted == 0 && totals.refused == 0, "\(totals)")
    #expect(ContinuousClock.now - began >= .milliseconds(1240))
    #expect(totals.lastProblem?.contains("Connection refused") == true, "\(String(describing: totals.lastProblem))")
  }

  @Test(arguments: [400, 503])
  func anAnswerIsNeverSentAgain(status: Int) throws {
    let server = try AnsweringServer(status: status)
    defer { server.stop() }
    let pusher = try BridgeEventPusher(host: "127.0.0.1", port: server.port, backoff: .milliseconds(10))
    pusher.start()
    defer { pusher.stop() }
    var room = JanusRoomEvents(room: 1234)
    pusher.push(room.events(for: [Self.a, Self.b], unixMicroseconds: 1))
    #expect(eventually(timeout: .seconds(10)) { pusher.totals.refused == 1 })
    // Time for a retry that must not come (the first would be 10 ms later).
    Thread.sleep(forTimeInterval: 0.3)
    #expect(server.bodies.count == 1)
    #expect(pusher.totals.retries == 0 && pusher.totals.lastProblem == "answered \(status)", "\(pusher.totals)")
    // One POST for the batch: the four events as one array, as `grouping = true` sends them.
    let batch = try JanusEventPayload.parse(try #require(server.bodies.first), room: 1234, plugin: .audiobridge)
    #expect(batch.events.count == 2 && batch.ignored == 2)
  }

  @Test func aFullQueueDropsAndCounts() throws {
    let pusher = try BridgeEventPusher(host: "127.0.0.1", port: try Self.closedPort())
    // Not started: nothing is taken off the queue.
    let event = JanusEventShape.started(unixMicroseconds: 1)
    pusher.push(Array(repeating: event, count: 50_000))
    pusher.push([event, event])
    #expect(pusher.queued == 50_000 && pusher.totals.dropped == 2)
    pusher.stop()
  }
}

/// A loopback HTTP server answering every request whole with `status`, keeping each body (read by its length).
final class AnsweringServer: Sendable {
  struct CannotListen: Error {}
  let port: Int
  private let listener: Int32
  private let received = Mutex<[[UInt8]]>([])
  private let stopping = Atomic<Bool>(false)
  private let done = DispatchSemaphore(value: 0)

  init(status: Int) throws {
    guard let (descriptor, port) = listenOnLoopback() else { throw CannotListen() }
    listener = descriptor
    self.port = port
    let thread = Thread { [self] in
      defer { done.signal() }
      while !stopping.load(ordering: .acquiring) {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&entry, 1, 100) > 0 else { continue }
        let connection = accept(descriptor, nil, nil)
        guard connection >= 0 else { continue }
        serve(connection, status: status)
        close(connection)
      }
    }
    thread.start()
  }

  var bodies: [[UInt8]] { received.withLock { $0 } }

  private func serve(_ connection: Int32, status: Int) {
    var buffer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    var entry = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
    while Glibc.poll(&entry, 1, 2000) > 0 {
      let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
      guard count > 0 else { return }
      buffer += chunk[0..<count]
      guard let end = buffer.firstRange(of: [13, 10, 13, 10])?.upperBound else { continue }
      let head = String(decoding: buffer[..<end], as: UTF8.self).lowercased()
      let length =
        head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
        .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
      guard buffer.count >= end + length else { continue }
      received.withLock { $0.append(Array(buffer[end..<(end + length)])) }
      let answer = Array("HTTP/1.1 \(status) No\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno\n".utf8)
      _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      return
    }
  }

  func stop() {
    stopping.store(true, ordering: .releasing)
    done.wait()
    close(listener)
  }
}
