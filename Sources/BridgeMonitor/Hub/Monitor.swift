import BridgeCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The running engine, a hub: its inputs (UDP, heartbeat files, probes) hand batches to the state behind one lock
/// (`MonitorIntake`), a once-a-second tick on `loop` times sites out and journals what changed, and every update
/// goes to the subscribers (the dashboard, consoles) and the outputs (status file, metrics, log). Operator actions
/// are applied on the loop and journaled before they are answered.
public final class Monitor: Sendable {
  /// What only the loop touches: the box checks that it is on the loop.
  struct LoopOwned {
    var tickTask: RepeatedTask?
    /// Events drained (and journaled) right after an operator action, delivered to the faces at the next publish.
    var carriedEvents: [EngineEvent] = []
    var clockWatcher: ClockWatcher
    /// The last tick has run and the journal is closed: an action still coming (a console's, whose server stops
    /// after the hub's last update) is refused, not applied unjournaled.
    var stopped = false
  }

  public let config: ConferenceConfig
  /// The sites' places by id, one for the run (`SiteIndex`).
  public let siteIndex: SiteIndex
  public let loop: any EventLoop
  let clock: any MonitorClock
  private let logger: Logger
  private let ownsGroup: MultiThreadedEventLoopGroup?
  /// The state behind its lock, shared with the inputs.
  let intake: MonitorIntake
  private let inputs: [any MonitorInput]
  /// The outputs given besides the config's own (made at start: `MonitorWiring.outputs`).
  private let givenOutputs: [any MonitorOutput]
  /// The console server's limits, when this monitor serves consoles (a `MonitorProcess`; a bare hub does not).
  private let consoleLimits: ConsoleServer.Limits?
  /// The inputs started, until they are stopped.
  private let running = Mutex<[any MonitorInput]>([])
  /// What the outputs were started with (`startPorts`), for the faces that ask once the monitor runs.
  private let startedFacts = Mutex<ConsoleFacts?>(nil)
  /// The outputs, from start (the wiring's, then the given ones) until stop; the journal alone before start, so
  /// a monitor stopped before it started still journals its stop.
  let outputs: Mutex<[any MonitorOutput]>
  let owned: NIOLoopBoundBox<LoopOwned>
  /// The journal: an output, and the hook through which an operator action is on disk before it is answered.
  let journal: JournalRecorder
  /// Everyone who gets updates with a detail pane of their own: the dashboard, the console server.
  let subscribers = MonitorSubscribers()
  private let healthObserver: (any MonitorHealthObserver)?
  /// Primary or standby, the action log standbys follow, and the primary's contact watch.
  let pair: MonitorPair
  /// What an operator types to promote this monitor (in refusals and the silent-primary warning).
  public var promoteCommand: String { pair.promoteCommand }

  /// `journal` receives every status change, operator action and headcount sample; `restored` is what an
  /// earlier run left in it (marks, acknowledgements, headcounts set by hand). `inputs` are the config's
  /// (`MonitorWiring`) unless given; `outputs` come after the config's own (the status file, the console server
  /// when `consoles` gives its limits); `language` is the bridges' problems' (nil: the locale's); `siteIndex` the
  /// config's sites' (built when not given).
  public init(
    config: ConferenceConfig, clock: any MonitorClock = SystemClock(), logger: Logger, group: (any EventLoopGroup)? = nil,
    journal: sending JournalFile? = nil, restored: [RestoredSite] = [], healthObserver: (any MonitorHealthObserver)? = nil,
    inputs: [any MonitorInput]? = nil, outputs: [any MonitorOutput] = [], consoles: ConsoleServer.Limits? = nil,
    language: Language? = nil, siteIndex: SiteIndex? = nil
  ) {
    self.config = config
    self.healthObserver = healthObserver
    self.clock = clock
    self.logger = logger
    ownsGroup = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
    loop = (group ?? ownsGroup!).next()
    let now = clock.now()
    // Names this run: a standby that reconnects after the primary restarted must not take revisions for the old run's.
    pair = MonitorPair(
      epoch: "\(getpid())-\(Int64(now.unixSeconds * 1000))-\(UInt32.random(in: 0...UInt32.max))",
      promoteCommand: MonitorRole.promoteCommand(configPath: config.path), logger: logger)
    // A signed heartbeat from before this start is a replay of one captured earlier (its ts would pass the skew
    // window for two minutes after a restart).
    var state = MonitorState(
      config: config, refuseSignedBefore: UInt64(max(0, now.unixSeconds.rounded(.down))), siteIndex: siteIndex)
    self.siteIndex = state.engine.siteIndex
    for (index, site) in restored.enumerated() where index < config.sites.count && site != RestoredSite() {
      state.withEngine { $0.restore(site, site: index, now: now) }
    }
    if !config.bridges.isEmpty && restored.count == config.sites.count {
      state.restoreBridges(config: config, since: restored.map(\.bridgeSince))
    }
    let intake = MonitorIntake(config: config, clock: clock, logger: logger, loop: loop, state: state, pair: pair)
    self.intake = intake
    self.inputs = inputs ?? MonitorWiring.inputs(config: config, language: language)
    givenOutputs = outputs
    consoleLimits = consoles
    let recorder = JournalRecorder(
      file: journal, sites: config.sites, restored: restored, logger: logger, healthObserver: healthObserver, loop: loop
    ) { [intake, sites = config.sites] now in Self.checkpoint(intake, sites: sites, now: now) }
    self.journal = recorder
    self.outputs = Mutex<[any MonitorOutput]>([recorder])
    owned = .makeBoxSendingValue(LoopOwned(clockWatcher: ClockWatcher(logger: logger)), eventLoop: loop)
  }

  /// Delivers every update (after every tick, with the events drained in it) to `handler`, on the event loop,
  /// until the subscription is cancelled. Each subscription asks for its own site's last hour (`showDetail`).
  public func subscribe(_ handler: @escaping @Sendable (MonitorUpdate) -> Void) -> MonitorSubscription {
    subscribers.subscribe(handler)
  }

  /// The number of live subscriptions (for the status line and tests).
  public var subscriberCount: Int { subscribers.count }

  /// The facts the outputs were started with (the console server's welcome), once `startPorts` got that far: one
  /// per-site array shared by whoever shows the conference, not one each (a megabyte at 10,000 sites).
  public var consoleFacts: ConsoleFacts? { startedFacts.withLock { $0 } }

  /// The console server, while this monitor serves consoles (from start until stop).
  public var consoleServer: ConsoleServer? { outputs.withLock { $0.lazy.compactMap { $0 as? ConsoleServer }.first } }

  /// The ports the bridges' event receivers listen on once started, by the bridge's index in `config.bridges` (an
  /// `events_listen` of port 0 takes whatever port the kernel gives).
  public var bridgeEventPorts: [Int: Int] {
    running.withLock { $0.lazy.compactMap { $0 as? BridgeInput }.first }?.eventPorts ?? [:]
  }

  /// Starts the inputs (the UDP socket on `listen` instead of the config's, if given), the tick and the outputs
  /// (the console socket listens before they start). Returns the UDP input's bound address.
  @discardableResult
  public func start(listen: (host: String, port: Int)? = nil) async throws -> SocketAddress {
    guard let address = try await startPorts(listen: listen) else {
      throw MonitorStartError(description: "the monitor has no UDP input; use startPorts")
    }
    return address
  }

  /// `start` for any wiring: the UDP input's bound address, if it has one.
  public func startPorts(listen: (host: String, port: Int)? = nil) async throws -> SocketAddress? {
    let inputs = self.inputs.map { input in
      guard let listen, input is UDPInput else { return input }
      return UDPInput(host: listen.host, port: listen.port)
    }
    for input in inputs {
      do {
        try await input.start(deliver: intake)
      } catch {
        for started in running.withLock({ $0 }).reversed() { await started.stop() }
        running.withLock { $0 = [] }
        throw error
      }
      running.withLock { $0.append(input) }
    }
    let address = inputs.lazy.compactMap { ($0 as? UDPInput)?.address }.first
    try await loop.submit { [self] in
      owned.value.tickTask = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in tick() }
      let now = clock.now().unixSeconds
      var records = [JournalRecord(unixSeconds: now, site: nil, kind: .start(sites: config.sites.count))]
      let role = pair.current
      if role.kind == .standby {
        records.append(JournalRecord(unixSeconds: now, site: nil, kind: .role("standby", note: "following \(role.following ?? "")")))
      }
      writeJournal(records, sync: true)
    }.get()
    let facts = ConsoleFacts(config: config, listenAddress: address.map(MonitorProcess.describe) ?? "")
    startedFacts.withLock { $0 = facts }
    let outputs = try MonitorWiring.outputs(config: config, logger: logger, hub: self, consoles: consoleLimits) + givenOutputs
    self.outputs.withLock { $0 = outputs }
    for output in outputs { try await output.start(facts: facts) }
    return address
  }

  @discardableResult
  private func tick(isFinal: Bool = false) -> MonitorSnapshot {
    let started = DispatchTime.now().uptimeNanoseconds
    defer { healthObserver?.tickTook(seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9) }
    let now = clock.now()
    let audience = subscribers.all
    let outputs = self.outputs.withLock { $0 }
    let wanted = Self.detailSites(audience, outputs)
    let (fresh, taken, details, bridgeRecords) = intake.withState { state in
      state.withEngine { $0.tick(now: now) }
      let fresh = state.withEngine { $0.drainEvents() }
      let (taken, details) = self.snapshot(of: &state, wanted: wanted, now: now)
      return (fresh, taken, details, state.drainBridgeRecords(now: now, view: taken.bridge))
    }
    // The bridges' joins, leaves and disagreements go with the clock's records: none is an engine event.
    let clockRecords = owned.value.clockWatcher.observe(now: now, counters: taken.counters) + bridgeRecords
    pair.watchPrimary(now: now)
    let carried = owned.value.carriedEvents
    owned.value.carriedEvents = []
    var update = MonitorUpdate(events: carried + fresh, snapshot: taken, isTick: !isFinal, isFinal: isFinal)
    update.journalRecords = clockRecords
    update.eventsJournaled = carried.count
    return publish(update, details, to: audience, outputs, now: now)
  }

  // MARK: - For the faces

  public func snapshot() async throws -> MonitorSnapshot {
    try await loop.submit { [self] in
      let now = clock.now()
      return completed(intake.withState { $0.snapshot(now: now, title: config.title) }, now: now)
    }.get()
  }

  /// Runs `body` on the engine, on the loop, journaling what it did: for tests that need what no operator request
  /// does (heartbeats without a socket). Faces send `OperatorRequest`s (`apply`).
  func withEngineForTests<T: Sendable, E: Error>(
    _ body: @escaping @Sendable (inout StatusEngine, ClockReading) throws(E) -> T
  ) async throws -> T {
    try await applyOnLoop(body).get()
  }

  /// Scans heartbeat files now and applies what changed (tests and `--once` tools; the timer does the same).
  public func pollFilesNow() async throws {
    for case let files as HeartbeatFileInput in running.withLock({ $0 }) { try await files.scanNow() }
  }

  /// Runs one tick now: silence timeouts, events to the update handler, status file.
  public func tickNow() async throws {
    try await loop.submit { [self] in _ = tick() }.get()
  }

  /// Applies `body`, then journals what it did (fsynced when it was an operator action) before returning, so the
  /// screen confirms only what is on disk.
  private func applyOnLoop<T: Sendable>(_ body: @escaping @Sendable (inout StatusEngine, ClockReading) throws -> T) -> EventLoopFuture<T> {
    loop.submit { [self] in
      guard !owned.value.stopped else { throw MonitorStopped() }
      let now = clock.now()
      let (result, events) = try intake.withState { state in
        let result = try state.withEngine { engine in try body(&engine, now) }
        return (result, state.withEngine { $0.drainEvents() })
      }
      owned.value.carriedEvents += events
      let records = events.flatMap { JournalRecord.records(for: $0, sites: config.sites) }
      if let failure = writeJournal(records, sync: records.contains(where: \.isOperatorAction)) {
        throw JournalNotSaved(reason: failure)
      }
      return result
    }
  }

  /// Applies an operator request for `who`, journals it (on disk before this returns), and publishes the new
  /// state to every subscriber at once. Returns the events it caused. Throws `OperatorActionError` when refused
  /// (nothing changed), or `JournalNotSaved` when applied but not yet on disk.
  @discardableResult
  public func apply(_ request: OperatorRequest, by who: OperatorIdentity) async throws -> [EngineEvent] {
    try await applyAndPublish(request, by: who).get()
  }

  /// `apply` for a caller that must not wait (the console server, the dashboard's link): the future completes on
  /// the loop, after the publish.
  public func applyAndPublish(_ request: OperatorRequest, by who: OperatorIdentity) -> EventLoopFuture<[EngineEvent]> {
    if let refusal = pair.refusal {
      return loop.makeFailedFuture(RoleRefusal(description: refusal))
    }
    return applyOnLoop { [self] engine, now in
      let events = try engine.apply(request, by: who, now: now)
      pair.record(request, by: who, at: now.unixSeconds)
      return events
    }
    .always { [self] _ in publishNow() }
  }

  /// Publishes now without waiting, outside the tick (a face attached, or asked for another site's detail pane).
  public func requestPublish() {
    loop.execute { [self] in publishNow() }
  }

  /// Stops the inputs (no heartbeat is applied after them), runs a last tick, journals the stop, and stops the
  /// outputs, which write their last state.
  public func stop() async {
    let ticking = try? await loop.submit { [self] in
      defer { owned.value.tickTask = nil }
      return owned.value.tickTask
    }.get()
    ticking?.cancel()
    let started = running.withLock { running in
      defer { running = [] }
      return running
    }
    for input in started { await input.stop() }
    // A last tick so the final status file and log lines reflect the end state; the journal writes its stop from it.
    try? await loop.submit { [self] in
      tick(isFinal: true)
      owned.value.stopped = true
    }.get()
    // Let go of them, too: the console server holds this hub.
    let outputs = self.outputs.withLock { outputs in
      defer { outputs = [] }
      return outputs
    }
    for output in outputs { await output.stop() }
    try? await ownsGroup?.shutdownGracefully()
  }
}
