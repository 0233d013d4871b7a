import BridgeCore
import BridgeThreads
import Foundation
import Glibc
import Logging
import NIOPosix
import Synchronization

/// The conference bridges (`bridges:`): each bridge's roster polled every `poll` on a thread of its own (`bw-bridge`;
/// the HTTP exchanges block), each poll reconciled outside the monitor's lock and its changes applied under it
/// (`BridgeBoard.prepare`, `apply`; docs/BRIDGES.md "The reconcile and the lock"). A bridge that
/// fails is logged when its problem changes, not at every poll. A bridge with `events_listen` also has a push
/// receiver (`BridgeEventReceiver`, BridgeInput+Events.swift) whose events change its roster between polls.
public final class BridgeInput: MonitorInput {
  enum Message: Sendable {
    case stop
    /// Poll this bridge (nil: every bridge) now.
    case pollNow(Int?)
  }

  let bridges: [BridgeSettings]
  let inbox: WakeableInbox<Message>?
  private let thread = Mutex<ServiceThread?>(nil)
  /// Polls completed since start, over every bridge (tests wait on it).
  private let completed = Atomic<Int>(0)
  /// Set by `stop`: the loop leaves after the poll under way, not after every bridge's.
  private let stopping = Atomic<Bool>(false)

  /// The language of the bridges' problems (the run's `--lang`; nil: the locale's).
  let say: Strings
  /// The sites' names, for the clients that ask for a leg's quality only when a site has it (CMS).
  private let sites: BridgeNameIndex?
  /// Per bridge, its receiver's state: who it counts as in (the last poll's roster, then its events), the senders'
  /// sequence numbers, CMS's calls and legs.
  let receiverStates: [BridgeReceiverBox]
  /// The receivers' one event loop thread, their servers, and the port each bridge's listens on.
  let receiverGroup = Mutex<MultiThreadedEventLoopGroup?>(nil)
  let receivers = Mutex<[BridgeEventReceiver]>([])
  let receiverPorts = Mutex<[Int: Int]>([:])
  let intake = Mutex<MonitorIntake?>(nil)
  /// The receivers' bounds (tests narrow them before `start`).
  let receiverLimits = Mutex(BridgeEventReceiver.Limits())
  /// Events applied, bodies refused, since start (tests wait on them).
  let eventsApplied = Atomic<Int>(0)
  let bodiesRefused = Atomic<Int>(0)
  let refusalNote = Mutex(ThrottledNote())

  public init(config: ConferenceConfig, language: Language? = nil) {
    say = Strings(language ?? Language.fromEnvironment(ProcessInfo.processInfo.environment))
    bridges = config.bridges
    sites = config.bridges.isEmpty ? nil : BridgeNameIndex(sites: config.sites)
    inbox = config.bridges.isEmpty ? nil : WakeableInbox(capacity: 64)
    receiverStates = config.bridges.map { BridgeReceiverBox(bridge: $0) }
  }

  public func start(deliver intake: MonitorIntake) async throws {
    guard !bridges.isEmpty else { return }
    guard let inbox else { throw MonitorStartError(description: "no descriptor left for the bridge input's inbox") }
    // The receivers first: one that cannot listen (its port taken) stops the start before any poll runs, and the
    // ones already listening are stopped with their thread (the hub stops only the inputs that started).
    do {
      try await startReceivers(intake: intake)
    } catch {
      await stopReceivers()
      throw error
    }
    let bridges = self.bridges
    let service = ServiceThread(name: "bw-bridge") { [self] in
      run(bridges: bridges, inbox: inbox, intake: intake)
    }
    thread.withLock { $0 = service }
    service.start()
  }

  public func stop() async {
    await stopReceivers()
    stopping.store(true, ordering: .releasing)
    inbox?.post(.stop)
    let service = thread.withLock { thread in
      defer { thread = nil }
      return thread
    }
    service?.join()
    inbox?.close()
  }

  /// Polls completed since start.
  public var pollsCompleted: Int { completed.load(ordering: .acquiring) }

  /// Polls every bridge at once (tests), or bridge `bridge` (its receiver, after a restart or a gap).
  public func pollNow(bridge: Int? = nil) { inbox?.post(.pollNow(bridge)) }

  private func run(bridges: [BridgeSettings], inbox: WakeableInbox<Message>, intake: MonitorIntake) {
    // A poll (all its requests) may take at most the poll period and never more than 10 s: a poll never runs into
    // the next, and a stop waits for one poll at most.
    var clients = bridges.map { BridgeRosterClient(bridge: $0, timeout: min($0.poll, .seconds(10)), say: say, sites: sites) }
    var due = bridges.map { _ in ContinuousClock.now }
    var lastProblem: [String?] = bridges.map { _ in nil }
    var lastAdminProblem: [String?] = bridges.map { _ in nil }
    while true {
      let now = ContinuousClock.now
      for index in clients.indices where due[index] <= now {
        if stopping.load(ordering: .acquiring) { return }
        let (outcome, renewed) = clients[index].poll()
        let reading = intake.clock.now()
        // The roster is matched and compared outside the lock (a national roster is tens of thousands of
        // participants, and heartbeats wait on the lock); under it, only the base is taken and the changes applied.
        if let base = intake.withState({ state in state.bridgePassBase(bridge: index) }) {
          let prepared = BridgeBoard.prepare(
            base, outcome: outcome, now: reading.unixSeconds, sessionRenewed: renewed, audioProblem: clients[index].adminProblem)
          // A receiver counts from this roster on (a join it pushes is new only if this roster lacked it): swapped
          // in with the pass, under the receiver's lock, so that no event falls between the two.
          var fresh: BridgeMembers?
          if case .roster(let roster) = outcome, bridges[index].eventsListen != nil {
            fresh = BridgeMembers()
            fresh!.replace(with: roster)
          }
          var replaced = fresh
          receiverStates[index].state.withLock { receiver in
            intake.withState { state in _ = state.receiveBridgePass(prepared) }
            if replaced != nil { swap(&receiver.members, &replaced!) }
          }
          // `prepared` and `replaced` still hold what they replaced: freed here, outside the locks.
        }
        completed.add(1, ordering: .releasing)
        // Each problem is said once per change: the roster's, and (Janus) the Admin API's, whose failure leaves the
        // roster read.
        let label = bridges[index].label
        let problem: String? = if case .failed(let problem) = outcome { problem } else { nil }
        if problem != lastProblem[index] {
          Self.logChange(
            problem, failed: "bridge \(label): cannot read the roster", read: "bridge \(label): roster read", to: intake.logger)
          lastProblem[index] = problem
        }
        if renewed { intake.logger.notice("bridge \(label): Janus had lost the session; a new one was made") }
        let adminProblem = clients[index].adminProblem
        if adminProblem != lastAdminProblem[index] {
          Self.logChange(
            adminProblem, failed: "bridge \(label): cannot read the audio from Janus's Admin API",
            read: "bridge \(label): Janus's Admin API read", to: intake.logger)
          lastAdminProblem[index] = adminProblem
        }
        due[index] = ContinuousClock.now + bridges[index].poll
      }
      let next = due.min()!
      let wait = max(Duration.zero, next - ContinuousClock.now)
      var entry = pollfd(fd: inbox.descriptor, events: Int16(POLLIN), revents: 0)
      let milliseconds = Int32(min(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000 + 1, 600_000))
      _ = poll(&entry, 1, milliseconds)
      let drained = inbox.drain()
      if drained.messages.contains(where: { if case .stop = $0 { true } else { false } }) || inbox.isClosed { return }
      for case .pollNow(let bridge) in drained.messages {
        for index in due.indices where bridge == nil || bridge == index { due[index] = ContinuousClock.now }
      }
    }
  }
}

extension BridgeInput {
  /// A problem that began (a warning with its reason) or ended (a notice).
  static func logChange(_ problem: String?, failed: String, read: String, to logger: Logger) {
    if let problem { logger.warning("\(failed): \(problem)") } else { logger.notice("\(read)") }
  }
}

/// The client of a bridge's kind: each reads one roster per poll.
enum BridgeRosterClient {
  case janus(JanusRosterClient)
  case cms(CMSRosterClient)
  case pexip(PexipRosterClient)

  init(bridge: BridgeSettings, timeout: Duration, say: Strings, sites: BridgeNameIndex? = nil) {
    switch bridge.kind {
    case .janus: self = .janus(JanusRosterClient(bridge: bridge, timeout: timeout, say: say))
    case .cms: self = .cms(CMSRosterClient(bridge: bridge, timeout: timeout, say: say, sites: sites))
    case .pexip: self = .pexip(PexipRosterClient(bridge: bridge, timeout: timeout, say: say))
    }
  }

  /// Why Janus's Admin API could not be read at the last poll (only Janus has one).
  var adminProblem: String? {
    if case .janus(let client) = self { client.adminProblem } else { nil }
  }

  /// One poll; only Janus has a session to renew.
  mutating func poll() -> (outcome: BridgePollOutcome, sessionRenewed: Bool) {
    switch self {
    case .janus(var client):
      let result = client.poll()
      self = .janus(client)
      return result
    case .cms(let client): return (client.poll(), false)
    case .pexip(let client): return (client.poll(), false)
    }
  }
}
