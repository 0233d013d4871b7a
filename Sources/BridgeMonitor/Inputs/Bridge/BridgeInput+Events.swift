import BridgeCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The push side of the bridge input (`events_listen`, docs/BRIDGES.md "What is pushed"): a receiver per bridge
/// that has one, all on one event loop thread (`bw-bridge-event`). A body is read by its kind's parser (pure,
/// BridgeCore), each event admitted by the bridge's `BridgeMembers` (a join already counted, a leave of a leg never
/// counted, change nothing) and the changes applied under the monitor's lock like a heartbeat batch: the journal's
/// records are drained by the next tick, as a poll's are. Only then is 200 answered. A restart, a room or session
/// gone, a sequence gap, a body refused or a request not taken now (503) asks for a poll of that bridge at once, so
/// what was not applied is restored by it.
extension BridgeInput {
  /// Events applied since start (tests wait on it).
  public var pushedEventsApplied: Int { eventsApplied.load(ordering: .acquiring) }

  /// Bodies answered other than 200 since start.
  public var pushedBodiesRefused: Int { bodiesRefused.load(ordering: .acquiring) }

  /// The port bridge `bridge`'s receiver listens on (after `start`), nil when it has none.
  public func eventPort(bridge: Int) -> Int? { receiverPorts.withLock { $0[bridge] } }

  /// Every receiver's port (after `start`), by the bridge's index.
  public var eventPorts: [Int: Int] { receiverPorts.withLock { $0 } }

  func startReceivers(intake: MonitorIntake) async throws {
    self.intake.withLock { $0 = intake }
    let listening = bridges.indices.filter { bridges[$0].eventsListen != nil }
    guard !listening.isEmpty else { return }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    receiverGroup.withLock { $0 = group }
    // Named for `top -H` and the benchmarks, as the monitor's other threads are.
    try? await group.next().submit { ThreadName.setCurrent("bw-bridge-event") }.get()
    for index in listening {
      guard let text = bridges[index].eventsListen, let address = HostPort.parse(text) else { continue }
      let (host, port) = address
      let receiver = BridgeEventReceiver(
        group: group, limits: receiverLimits.withLock { $0 },
        handle: { [self] body in receive(body, bridge: index) },
        refused: { [self] answer in noteRefusal(answer, bridge: index) })
      do {
        let bound = try await receiver.start(host: host, port: port)
        receivers.withLock { $0.append(receiver) }
        receiverPorts.withLock { $0[index] = bound }
        intake.logger.notice("bridge \(bridges[index].label): events received on \(host):\(bound)")
      } catch {
        throw MonitorStartError(
          description: "bridge \(bridges[index].label): cannot listen for events on \(text) (\(bridges[index].location)): \(error)")
      }
    }
  }

  func stopReceivers() async {
    intake.withLock { $0 = nil }
    let running = receivers.withLock { receivers in
      defer { receivers = [] }
      return receivers
    }
    for receiver in running { await receiver.stop() }
    let group = receiverGroup.withLock { group in
      defer { group = nil }
      return group
    }
    try? await group?.shutdownGracefully()
  }

  /// One body for bridge `bridge`: parsed, admitted, applied; the answer says which.
  func receive(_ body: [UInt8], bridge index: Int) -> BridgeEventReceiver.Answer {
    guard let intake = intake.withLock({ $0 }) else {
      return .init(status: .serviceUnavailable, text: "the monitor is starting or stopping")
    }
    let now = intake.clock.now()
    let outcome = receiverStates[index].state.withLock {
      receiver -> Result<(BridgeEventBatch, taken: Bool, applied: Int), BridgeEventRefusal> in
      let batch: BridgeEventBatch
      do throws(BridgeEventRefusal) {
        batch = try receiver.read(body)
      } catch {
        return .failure(error)
      }
      let changes = batch.events.compactMap { receiver.members.admit($0) }
      guard !changes.isEmpty else { return .success((batch, true, 0)) }
      let taken = intake.withState { state in state.receiveBridgeChanges(changes, bridge: index, now: now) }
      return .success((batch, taken, changes.count))
    }
    let batch: BridgeEventBatch
    let taken: Bool
    let applied: Int
    switch outcome {
    case .failure(let refusal):
      // The bridge may not send it again: what it said is read by the next poll, now.
      pollNow(bridge: index)
      return .init(status: HTTPResponseStatus(statusCode: refusal.status), text: refusal.reason)
    case .success(let result): (batch, taken, applied) = result
    }
    if batch.events.contains(where: { if case .resync = $0 { true } else { false } }) { pollNow(bridge: index) }
    guard taken else {
      // Not read yet, or its last poll failed: the events would change a roster nobody trusts. The poll asked
      // for reads the bridge itself.
      pollNow(bridge: index)
      return .init(status: .serviceUnavailable, text: "the bridge's roster is not read yet; it is being polled")
    }
    eventsApplied.add(applied, ordering: .releasing)
    return .init(status: .ok, text: "applied \(applied), ignored \(batch.ignored + batch.events.count - applied)")
  }

  func noteRefusal(_ answer: BridgeEventReceiver.Answer, bridge index: Int) {
    bodiesRefused.add(1, ordering: .releasing)
    guard let intake = intake.withLock({ $0 }) else { return }
    intake.withState { $0.noteBridgeBodyRefused(bridge: index) }
    if answer.status == .serviceUnavailable || answer.status == .payloadTooLarge { pollNow(bridge: index) }
    guard let more = refusalNote.withLock({ $0.due(count: 1, now: intake.clock.now()) }) else { return }
    intake.logger.warning(
      "bridge \(bridges[index].label): event refused, \(answer.status.code): \(TextSanitizer.printable(String(answer.text.prefix(200))))\(more)"
    )
  }
}

/// A bridge's receiver state behind its lock (a class: `Mutex` is not copyable, so not kept in an array itself).
final class BridgeReceiverBox: Sendable {
  let state: Mutex<BridgeReceiverState>
  init(bridge: BridgeSettings) { state = Mutex(BridgeReceiverState(bridge: bridge)) }
}

/// A receiver's state for its bridge, under one lock with the roster's apply: who it counts as in, and its kind's
/// reading state (Pexip's per-node `seq`, CMS's records).
struct BridgeReceiverState: Sendable {
  let bridge: BridgeSettings
  var members = BridgeMembers()
  var sequences = BridgeSequences()
  var cms: CMSRecordTracker

  init(bridge: BridgeSettings) {
    self.bridge = bridge
    cms = CMSRecordTracker(coSpace: bridge.conference ?? "")
  }

  /// A body read as its kind's: the events it makes (a replay makes none; a gap or restart adds a resync).
  mutating func read(_ body: [UInt8]) throws(BridgeEventRefusal) -> BridgeEventBatch {
    switch bridge.kind {
    case .janus:
      return try JanusEventPayload.parse(body, room: bridge.room, plugin: bridge.plugin)
    case .pexip:
      let read = try PexipEventPayload.parse(body, conference: bridge.conference ?? "")
      var batch = read.batch
      switch sequences.admit(sender: read.node, sequence: read.sequence) {
      case .next: break
      case .replay: return BridgeEventBatch(events: [], ignored: batch.events.count + batch.ignored)
      case .gap: batch.events.append(.resync(reason: "seq \(read.sequence) from \(read.node.prefix(64)) follows a gap"))
      case .restarted: batch.events.append(.resync(reason: "the sink on \(read.node.prefix(64)) began again"))
      }
      return batch
    case .cms:
      return cms.events(for: try CMSRecordsPayload.parse(body))
    }
  }
}
