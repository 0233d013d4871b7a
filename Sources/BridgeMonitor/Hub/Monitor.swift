import BridgeCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The running engine: feeds `MonitorState` from UDP, heartbeat files and a once-a-second tick. Datagrams are
/// applied on the listener's thread, everything else on `loop`; `state` is behind a lock taken once per batch of
/// up to 64 datagrams, so the two never wait on each other for long.
public final class Monitor: @unchecked Sendable {
  public let config: ConferenceConfig
  public let loop: any EventLoop
  private let clock: any MonitorClock
  private let logger: Logger
  private let threadPool: NIOThreadPool
  private let ownsGroup: MultiThreadedEventLoopGroup?
  private let state: Mutex<MonitorState>
  private let listener = Mutex<DatagramListener?>(nil)
  private let prober = Mutex<Prober?>(nil)
  /// Probe-answer rejection logging, touched only on the prober's thread.
  private var probeRejectionLog = ThrottledNote()
  /// "BW1 ack site=<id> seq=" of every site, back to back; site i's runs from `ackPrefixEnds[i]` to `[i + 1]`.
  private let ackPrefixes: [UInt8]
  private let ackPrefixEnds: [Int]
  private var repeatedTasks: [RepeatedTask] = []
  private var statusFileWriteInFlight = false
  /// Failing status-file writes are logged at first, then as a reminder with a count, then when they work again.
  private var statusFileFailures: RepeatedFailureLog
  private let statusFileWriter: StatusFileWriter?
  private var statusFileSchedule = StatusFileSchedule()
  /// Events came since the status file was last written (one may have come while a write was in flight).
  private var statusFileOwesEvents = false
  /// Everyone who gets updates: the dashboard, the headless log, and (later) each console; the next id.
  private let subscribers = Mutex<(all: [Int: MonitorSubscription], nextID: Int)>(([:], 0))
  private let poller: HeartbeatFilePoller
  /// Rejection logging, touched only on the listener's thread.
  private var rejectionLog = ThrottledNote()
  private let journal: JournalFile?
  /// Events drained (and journaled) right after an operator action, delivered to the faces at the next tick.
  private var carriedEvents: [EngineEvent] = []
  private var lastSampledHeadcount: [Int?]
  private var lastSampleNanos: [Int64]
  /// What the faces show while journal records wait; `journalCause` is its reason alone, logged once.
  private var journalProblem: String?
  private var journalCause: String?
  private var clockWatch = ClockWatch()
  /// What was last logged about the clock's looking off, so it is said when it starts and when it ends.
  private var loggedClockOff = false
  /// Per site: the highest reported headcount since its last journal sample.
  private var windowPeak: [Int?]
  /// The records the last sampling pass saw, and whether it left a change waiting for its window: with neither
  /// a new record nor a waiting change, a pass would find nothing (a quiet monitor skips it).
  private var sampledRevision: UInt64?
  private var samplesWaiting = false
  private let healthObserver: (any MonitorHealthObserver)?
  /// At most one headcount sample per site in this long.
  static let headcountSampleNanos: Int64 = 10_000_000_000
  /// Operator actions by revision, for the standbys that follow this monitor.
  private let actionLog: Mutex<ActionLog>
  /// Primary or standby, and when a standby's primary was last heard; read by the follower's thread too.
  private let role = Mutex<(role: MonitorRole, watch: PrimaryContactWatch?)>((.primary, nil))
  /// What an operator types to promote this monitor (in refusals and the silent-primary warning).
  public let promoteCommand: String

  /// `journal` receives every status change, operator action and headcount sample; `restored` is what an
  /// earlier run left in it (marks, acknowledgements, headcounts set by hand).
  public init(
    config: ConferenceConfig, clock: any MonitorClock = SystemClock(), logger: Logger, group: (any EventLoopGroup)? = nil,
    journal: JournalFile? = nil, restored: [RestoredSite] = [], healthObserver: (any MonitorHealthObserver)? = nil
  ) {
    self.config = config
    promoteCommand = MonitorRole.promoteCommand(configPath: config.path)
    self.healthObserver = healthObserver
    self.clock = clock
    self.logger = logger
    if let group {
      loop = group.next()
      ownsGroup = nil
    } else {
      let owned = MultiThreadedEventLoopGroup(numberOfThreads: 1)
      loop = owned.next()
      ownsGroup = owned
    }
    threadPool = NIOThreadPool(numberOfThreads: 1)
    let now = clock.now()
    // Names this run: a standby that reconnects after the primary restarted must not take revisions for the old run's.
    actionLog = Mutex(ActionLog(epoch: "\(getpid())-\(Int64(now.unixSeconds * 1000))-\(UInt32.random(in: 0...UInt32.max))"))
    // A signed heartbeat from before this start is a replay of one captured earlier (its ts would pass the skew
    // window for two minutes after a restart).
    var state = MonitorState(config: config, refuseSignedBefore: UInt64(max(0, now.unixSeconds.rounded(.down))))
    poller = HeartbeatFilePoller(paths: config.sites.map(\.heartbeatFile))
    self.journal = journal
    lastSampledHeadcount = Array(repeating: nil, count: config.sites.count)
    lastSampleNanos = Array(repeating: .min / 2, count: config.sites.count)
    windowPeak = Array(repeating: nil, count: config.sites.count)
    for (index, site) in restored.enumerated() where index < config.sites.count && site != RestoredSite() {
      state.withEngine { $0.restore(site, site: index, now: now) }
      lastSampledHeadcount[index] = site.manualHeadcount
    }
    statusFileWriter = config.statusFilePath.map {
      StatusFileWriter(path: $0, fixed: StatusFileEncoder.FixedParts(state.snapshot(now: now, title: config.title)))
    }
    statusFileFailures = RepeatedFailureLog(subject: "status file \(config.statusFilePath ?? "")")
    self.state = Mutex(state)
    var prefixes: [UInt8] = []
    var ends = [0]
    for site in config.sites {
      prefixes += HeartbeatCodec.ackPrefix(site: site.id).utf8
      ends.append(prefixes.count)
    }
    ackPrefixes = prefixes
    ackPrefixEnds = ends
  }

  /// Delivers every update (after every tick, with the events drained in it) to `handler`, on the event loop,
  /// until the subscription is cancelled. Each subscription asks for its own site's last hour (`showDetail`).
  public func subscribe(_ handler: @escaping @Sendable (MonitorUpdate) -> Void) -> MonitorSubscription {
    subscribers.withLock { subscribers in
      let subscription = MonitorSubscription(id: subscribers.nextID, handler: handler) { [weak self] id in
        _ = self?.subscribers.withLock { $0.all.removeValue(forKey: id) }
      }
      subscribers.nextID += 1
      subscribers.all[subscription.id] = subscription
      return subscription
    }
  }

  /// The number of live subscriptions (for the status line and tests).
  public var subscriberCount: Int { subscribers.withLock { $0.all.count } }

  /// Binds the UDP socket (or `listen` instead of the config's) and starts polling and ticking.
  /// Returns the bound address.
  @discardableResult
  public func start(listen: (host: String, port: Int)? = nil) async throws -> SocketAddress {
    threadPool.start()
    let host = listen?.host ?? config.udp.host
    let port = listen?.port ?? config.udp.port
    let listener = try DatagramListener(host: host, port: port)
    let prober: Prober
    do {
      prober = try Prober(sites: config.sites, probing: config.probing, timing: config.timing)
    } catch {
      listener.stop()
      throw error
    }
    listener.start { [self] batch in receive(batch) }
    self.listener.withLock { $0 = listener }
    prober.start { [self] batch in receive(batch) }
    self.prober.withLock { $0 = prober }
    let address = listener.address
    try await loop.submit { [self] in
      self.scheduleWork()
      let now = clock.now().unixSeconds
      var records = [JournalRecord(unixSeconds: now, site: nil, kind: .start(sites: config.sites.count))]
      let role = self.role.withLock { $0.role }
      if role.kind == .standby {
        records.append(JournalRecord(unixSeconds: now, site: nil, kind: .role("standby", note: "following \(role.following ?? "")")))
      }
      writeJournal(records, sync: true)
    }.get()
    var isDirectory: ObjCBool = false
    if !FileManager.default.fileExists(atPath: config.heartbeatDirectory, isDirectory: &isDirectory) || !isDirectory.boolValue {
      logger.warning(
        "heartbeat_dir \(config.heartbeatDirectory) does not exist; sites using heartbeat files will look silent until it does")
    }
    return address
  }

  private func scheduleWork() {
    loop.preconditionInEventLoop()
    repeatedTasks.append(
      loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in self.tick() })
    let pollPeriod = max(config.timing.interval / 2, .seconds(1))
    repeatedTasks.append(
      loop.scheduleRepeatedAsyncTask(initialDelay: .zero, delay: .nanoseconds(pollPeriod.nanoseconds)) { [self] _ in
        self.pollFiles()
      })
  }

  private func pollFiles() -> EventLoopFuture<Void> {
    let poller = self.poller
    return threadPool.runIfActive(eventLoop: loop) { poller.scan() }
      .map { [self] changes in
        let now = clock.now()
        state.withLock { state in
          for change in changes { state.receiveFile(change.observation, site: change.site, now: now) }
        }
        for change in changes {
          if case .unreadable(let reason) = change.observation {
            logger.warning("heartbeat file of \(config.sites[change.site].id) cannot be read: \(reason)")
          }
        }
      }
      .recover { [self] error in
        // A scan asked for as the monitor stops finds the pool shut: nothing failed.
        guard !(error is NIOThreadPoolError.ThreadPoolInactive) else { return }
        logger.error("heartbeat file scan failed: \(error)")
      }
  }

  @discardableResult
  private func tick(writesStatusFile: Bool = true) -> MonitorSnapshot {
    let started = DispatchTime.now().uptimeNanoseconds
    defer { healthObserver?.tickTook(seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9) }
    let now = clock.now()
    let audience = subscribers.withLock { Array($0.all.values) }
    let (fresh, taken, details) = state.withLock { state in
      state.withEngine { $0.tick(now: now) }
      let fresh = state.withEngine { $0.drainEvents() }
      let (taken, details) = self.snapshot(of: state, for: audience, now: now)
      return (fresh, taken, details)
    }
    let clockRecords = watchClock(now: now, counters: taken.counters)
    watchPrimary(now: now)
    if journal != nil {
      // Status changes of the last second go out as one batch, with the headcount samples that are due; built in
      // one array, as at first contact it holds two records for every site.
      var batch = clockRecords
      for event in fresh {
        batch += JournalRecord.records(for: event, sites: config.sites, heardBy: taken.records[event.siteIndex].lastSource)
      }
      appendHeadcountSamples(taken.records, revision: taken.recordsRevision, now: now, to: &batch)
      writeJournal(batch, sync: true)
    }
    let events = carriedEvents + fresh
    carriedEvents = []
    let snapshot = publish(events, taken, details, to: audience, now: now)
    if writesStatusFile { writeStatusFile(snapshot) }
    return snapshot
  }

  /// One snapshot for all subscribers, and the last hour of each site one of them asked about. Under the lock.
  private func snapshot(of state: MonitorState, for audience: [MonitorSubscription], now: ClockReading) -> (
    MonitorSnapshot, [Int: SiteHistoryView]
  ) {
    let wanted = audience.reduce(into: Set<Int>()) { $0.formUnion($1.detailSites) }
    let details = Dictionary(uniqueKeysWithValues: wanted.compactMap { site in state.detail(site: site, now: now).map { (site, $0) } })
    return (state.snapshot(now: now, title: config.title), details)
  }

  /// Hands `events` and the snapshot to every subscriber, each with the detail pane it asked for.
  @discardableResult
  private func publish(
    _ events: [EngineEvent], _ taken: MonitorSnapshot, _ details: [Int: SiteHistoryView], to audience: [MonitorSubscription],
    now: ClockReading
  ) -> MonitorSnapshot {
    var snapshot = taken
    snapshot.journalProblem = journalProblem
    snapshot.clockNote = clockWatch.note(now: now)
    snapshot.role = currentRole
    for subscriber in audience {
      var own = snapshot
      let asked = subscriber.detailSites
      own.detail = asked.count == 1 ? details[asked.first!] : nil
      subscriber.deliver(MonitorUpdate(events: events, snapshot: own, details: details.filter { asked.contains($0.key) }))
    }
    statusFileOwesEvents = statusFileOwesEvents || !events.isEmpty
    return snapshot
  }

  /// Publishes the current state and the events of operator actions now, without the tick's work (silence,
  /// journal batch, status file): an action or a detail request shows on every face at once.
  private func publishNow() {
    let now = clock.now()
    let audience = subscribers.withLock { Array($0.all.values) }
    let (taken, details) = state.withLock { state in self.snapshot(of: state, for: audience, now: now) }
    let events = carriedEvents
    carriedEvents = []
    publish(events, taken, details, to: audience, now: now)
  }

  /// Compares the wall clock with the monotonic one: a step is logged and journaled (the report re-bases the times
  /// before it); most signed heartbeats refused as stale is logged when it starts and when it ends.
  private func watchClock(now: ClockReading, counters: IngestCounters) -> [JournalRecord] {
    let step = clockWatch.observe(now, staleRefused: counters[.stale], signedAccepted: counters.signedAccepted)
    let note = clockWatch.note(now: now)
    let looksOff = note?.clockLooksOff ?? false
    if looksOff && !loggedClockOff, let note {
      logger.error("\(ClockNote(staleSigned: note.staleSigned, acceptedSigned: note.acceptedSigned).text)")
    } else if !looksOff && loggedClockOff {
      logger.notice("signed heartbeats are accepted again: the monitor's clock and the sites' agree")
    }
    loggedClockOff = looksOff
    guard let step else { return [] }
    let stepText = ClockNote.signedDuration(step)
    logger.warning(
      "the wall clock stepped \(stepText) (against the monotonic clock); ages and timeouts are not affected, the journal records the step so the report re-bases the times before it"
    )
    return [JournalRecord(unixSeconds: now.unixSeconds, site: nil, kind: .clock(step: step))]
  }

  /// Appends a sample for each site whose reported headcount changed, at most one per site per 10 seconds
  /// (`flush`: every change now, whatever the window, as on stop). A count that rose and fell back within a window
  /// is not lost: the sample carries the window's `peak`.
  private func appendHeadcountSamples(
    _ records: [SiteRecord], revision: UInt64?, now: ClockReading, flush: Bool = false, to samples: inout [JournalRecord]
  ) {
    if !flush, !samplesWaiting, let revision, revision == sampledRevision { return }
    sampledRevision = revision
    samplesWaiting = false
    for index in records.indices {
      guard let count = records[index].headcount, records[index].headcountSource != .manual else {
        windowPeak[index] = nil
        continue
      }
      let peak = max(windowPeak[index] ?? count, count)
      windowPeak[index] = peak
      guard count != lastSampledHeadcount[index] || peak > count else { continue }
      guard flush || now.monotonicNanos - lastSampleNanos[index] >= Self.headcountSampleNanos else {
        samplesWaiting = true
        continue
      }
      lastSampledHeadcount[index] = count
      lastSampleNanos[index] = now.monotonicNanos
      windowPeak[index] = nil
      samples.append(
        JournalRecord(
          unixSeconds: now.unixSeconds, site: config.sites[index].id,
          kind: .headcount(
            count: count, source: records[index].headcountSource ?? .udp, operatorName: nil, peak: peak > count ? peak : nil)))
    }
  }

  /// Writes to the journal, or leaves the records waiting in its backlog; what waits is logged once per cause and
  /// shown on the faces until it is written.
  @discardableResult
  private func writeJournal(_ records: [JournalRecord], sync: Bool) -> String? {
    guard let journal else { return nil }
    let now = clock.now()
    let outcome = journal.append(records, sync: sync, now: now.unixSeconds) { [self] in
      JournalRecord.checkpoint(state.withLock { $0.engine.records }, sites: config.sites, unixSeconds: now.unixSeconds)
    }
    switch outcome {
    case .written, .recreated:
      if journal.lastAppendWroteLines {
        healthObserver?.journalWritten(atUnixSeconds: now.unixSeconds, syncSeconds: journal.lastSyncSeconds)
      }
    case .waiting: healthObserver?.journalWriteFailed()
    }
    switch outcome {
    case .written:
      if journalProblem != nil { logger.notice("journal \(journal.path) is being written again; nothing waits") }
      journalProblem = nil
      journalCause = nil
      return nil
    case .recreated:
      logger.warning(
        "journal \(journal.path) was deleted under the running monitor; created it again with the current state (marks, acknowledgements, statuses, headcounts); the older history was in the deleted file"
      )
      journalProblem = nil
      journalCause = nil
      return nil
    case .waiting(let reason):
      let backlog = journal.backlog
      var waiting =
        "waiting: \(backlog.operatorActionCount) operator action(s), \(backlog.records.count - backlog.operatorActionCount) other record(s)"
      if backlog.droppedCount > 0 { waiting += "; \(backlog.droppedCount) status/headcount record(s) dropped to stay bounded" }
      if journalCause != reason { logger.error("\(reason); records wait and are written when the journal takes them again") }
      journalCause = reason
      journalProblem = "\(reason) (\(waiting))"
      return journalProblem
    }
  }

  private func writeStatusFile(_ snapshot: MonitorSnapshot) {
    guard let writer = statusFileWriter, !statusFileWriteInFlight else { return }
    let action = statusFileSchedule.action(for: snapshot, hadEvents: statusFileOwesEvents)
    switch action {
    case .none: return
    case .touch: statusFileSchedule.touching(snapshot)
    case .write:
      statusFileSchedule.writing(snapshot)
      statusFileOwesEvents = false
    }
    statusFileWriteInFlight = true
    threadPool.runIfActive(eventLoop: loop) {
      // A file someone removed or replaced by something else is written again rather than touched.
      if action == .write || !writer.touch() { try writer.write(snapshot) }
    }.whenComplete { [self] result in
      statusFileWriteInFlight = false
      // Not a line per attempt (every 5 s): when it starts failing, a reminder now and then, when it works again.
      let attemptedAt = snapshot.takenAt.monotonicNanos
      switch result {
      case .failure(let error):
        if let line = statusFileFailures.failed("\(error)", atNanos: attemptedAt) { logger.error("\(line)") }
      case .success:
        if let line = statusFileFailures.succeeded(atNanos: attemptedAt) { logger.notice("\(line)") }
      }
    }
  }

  /// At exit with records still unwritten: every waiting operator action goes to the log as its journal line, so
  /// it can be added to the journal by hand; nothing is dropped without a word.
  private func reportUnsaved(_ journal: JournalFile) {
    let backlog = journal.backlog
    let others = backlog.records.count - backlog.operatorActionCount
    logger.critical(
      "journal \(journal.path) was NOT written at exit: \(backlog.operatorActionCount) operator action(s) and \(others) other record(s) are lost unless added by hand; the operator actions follow as journal lines"
    )
    for record in backlog.records where record.isOperatorAction {
      logger.critical("unsaved journal line: \(JournalCodec.encode(record))")
    }
  }

  // MARK: - On the listener's thread

  /// Applies a batch of datagrams under one lock and queues an ack for each one accepted.
  private func receive(_ batch: DatagramBatch) {
    let now = clock.now()
    var firstRejection: (index: Int, reason: RejectionReason, detail: MalformedDetail?, site: Int?)?
    var rejections = 0
    state.withLock { state in
      for index in 0..<batch.count {
        switch state.receiveDatagram(batch.datagram(index), now: now) {
        case .accepted(let site, let sequence):
          ackPrefixes.withUnsafeBytes { prefixes in
            let prefix = UnsafeRawBufferPointer(rebasing: prefixes[ackPrefixEnds[site]..<ackPrefixEnds[site + 1]])
            batch.queueAck(to: index, prefix: prefix, sequence: sequence)
          }
          state.countAck()
        case .rejected(let reason, let detail, let site):
          // Never answer a rejection. One that names a site of the roster shows on that site.
          if let site { state.withEngine { $0.noteRejection(reason, site: site, at: now, from: batch.sender(index)) } }
          if firstRejection == nil { firstRejection = (index, reason, detail, site) }
          rejections += 1
        }
      }
    }
    if let first = firstRejection {
      noteRejections(
        rejections, first.reason, detail: first.detail, site: first.site, from: batch.sender(first.index), now: now,
        unknownID: first.reason == .unknownSite ? { Self.claimedSite(batch.datagram(first.index)) } : nil)
    }
  }

  // MARK: - On the prober's thread

  /// Applies what one wake-up of the prober found, under one lock.
  private func receive(_ batch: ProbeBatch) {
    let now = clock.now()
    state.withLock { state in
      state.countProbes(sent: batch.sent, rejections: batch.rejections)
      for result in batch.results {
        state.receiveProbe(
          result.outcome, rttMilliseconds: result.rttMilliseconds, site: result.site,
          sentAt: now.advanced(by: .nanoseconds(-result.sentNanosAgo)), now: now)
      }
    }
    guard let first = batch.firstRejection,
      let more = probeRejectionLog.due(count: batch.rejections.reduce(0, +), now: now)
    else { return }
    logger.notice("dropped an answer on a probe socket from \(first.from): \(first.reason.rawValue)\(more)")
  }

  /// Logs why a datagram was rejected, at most once a second (a flood must not flood the log). `unknownID` reads
  /// the id an unknown site gave, only when a line is written: unknown senders allocate nothing otherwise.
  private func noteRejections(
    _ count: Int, _ reason: RejectionReason, detail: MalformedDetail?, site: Int?, from sender: String, now: ClockReading,
    unknownID: (() -> String?)? = nil
  ) {
    guard let more = rejectionLog.due(count: count, now: now) else { return }
    let what = detail.map { "\(reason.rawValue): \($0.rawValue)" } ?? reason.rawValue
    let claimed = site.map { " for site \(config.sites[$0].id)" } ?? unknownID?().map(unknownSiteText) ?? ""
    logger.notice("rejected datagram from \(sender)\(claimed): \(what)\(more)")
  }

  /// " for site 'hb-tu', not in the roster (ids are case-sensitive: did you mean HB-TU?)": a wrong-case id is the
  /// usual mistake at a site, and the log line is written at most once a second, so the roster scan costs nothing.
  private func unknownSiteText(_ id: String) -> String {
    let lowered = id.lowercased()
    let near = config.sites.first { $0.id.lowercased() == lowered }.map { " (ids are case-sensitive: did you mean \($0.id)?)" } ?? ""
    return " for site '\(id)', not in the roster\(near)"
  }

  /// The site id a datagram gives, printable, when it decodes.
  private static func claimedSite(_ bytes: UnsafeRawBufferPointer) -> String? {
    guard case .success(let heartbeat) = HeartbeatCodec.decode(bytes) else { return nil }
    return String(TextSanitizer.printable(heartbeat.site).prefix(64))
  }

  // MARK: - For the faces

  public func snapshot() async throws -> MonitorSnapshot {
    try await loop.submit { [self] in
      let now = clock.now()
      var snapshot = state.withLock { $0.snapshot(now: now, title: config.title) }
      snapshot.journalProblem = journalProblem
      snapshot.clockNote = clockWatch.note(now: now)
      snapshot.role = currentRole
      return snapshot
    }.get()
  }

  /// Runs an operator action (or any engine access) on the loop.
  public func perform<T: Sendable, E: Error>(
    _ body: @escaping @Sendable (inout StatusEngine, ClockReading) throws(E) -> T
  ) async throws -> T {
    try await applyOnLoop(body).get()
  }

  /// Scans heartbeat files now and applies what changed (tests and `--once` tools; the timer does the same).
  public func pollFilesNow() async throws {
    try await loop.flatSubmit { [self] in pollFiles() }.get()
  }

  /// Runs one tick now: silence timeouts, events to the update handler, status file.
  public func tickNow() async throws {
    try await loop.submit { [self] in _ = tick() }.get()
  }

  /// Applies `body`, then journals what it did (fsynced when it was an operator action) before returning, so the
  /// screen confirms only what is on disk.
  private func applyOnLoop<T: Sendable>(_ body: @escaping @Sendable (inout StatusEngine, ClockReading) throws -> T) -> EventLoopFuture<T> {
    loop.submit { [self] in
      let now = clock.now()
      let (result, events) = try state.withLock { state in
        let result = try state.withEngine { engine in try body(&engine, now) }
        return (result, state.withEngine { $0.drainEvents() })
      }
      carriedEvents += events
      let records = events.flatMap { JournalRecord.records(for: $0, sites: config.sites) }
      if let failure = writeJournal(records, sync: records.contains(where: \.isOperatorAction)) {
        throw JournalNotSaved(reason: failure)
      }
      return result
    }
  }

  /// `tickNow` for a thread that is not in an async context.
  public func tickBlocking() throws {
    try loop.submit { [self] in _ = tick() }.wait()
  }

  /// Applies an operator request for `who`, journals it (on disk before this returns), and publishes the new
  /// state to every subscriber at once. Throws `OperatorActionError` when refused (nothing changed), or
  /// `JournalNotSaved` when applied but not yet on disk.
  public func apply(_ request: OperatorRequest, by who: OperatorIdentity) async throws {
    try await applyAndPublish(request, by: who).get()
  }

  /// `apply` for a thread that is not in an async context (the dashboard's own thread).
  public func applyBlocking(_ request: OperatorRequest, by who: OperatorIdentity) throws {
    try applyAndPublish(request, by: who).wait()
  }

  /// `apply` for a caller that must not wait (the console server): the future completes on the loop.
  public func applyAndPublish(_ request: OperatorRequest, by who: OperatorIdentity) -> EventLoopFuture<Void> {
    if let refusal = role.withLock({ $0.role.refusal(promoteHint: promoteCommand) }) {
      return loop.makeFailedFuture(RoleRefusal(description: refusal))
    }
    return applyOnLoop { [self] engine, now in
      try engine.apply(request, by: who, now: now)
      actionLog.withLock { _ = $0.append(request, by: who, at: now.unixSeconds) }
    }
    .always { [self] _ in publishNow() }
  }

  /// Publishes now, outside the tick (a face asked for another site's detail pane).
  public func publishBlocking() throws {
    try loop.submit { [self] in publishNow() }.wait()
  }

  /// `publishBlocking` without waiting.
  public func requestPublish() {
    loop.execute { [self] in publishNow() }
  }

  // MARK: - Primary and standby

  /// Primary or standby, as every face shows it.
  public var currentRole: MonitorRole { role.withLock { $0.role } }

  /// Makes this monitor a standby of `source` (before `start`): operators' actions are refused here, the follower
  /// applies the primary's, and the primary is silent after `silentAfter` without a word.
  public func becomeStandby(following source: String, silentAfter: Duration) {
    let now = clock.now()
    role.withLock { $0 = (MonitorRole(kind: .standby, following: source), PrimaryContactWatch(silentAfter: silentAfter, start: now)) }
  }

  /// A standby still following (not promoted).
  public var isFollowing: Bool { role.withLock { $0.role.kind == .standby } }

  /// The actions after `position` for a standby of this monitor, or nil when it needs the whole state.
  public func followedActions(after position: FollowPosition?) -> (epoch: String, revision: UInt64, actions: [FollowedAction]?) {
    actionLog.withLock { log in
      (log.epoch, log.revision, position.flatMap { log.actions(after: $0.after, epoch: $0.epoch) })
    }
  }

  /// The whole operator state for a standby, at the revision it stands for.
  public func followState() -> EventLoopFuture<FollowState> {
    loop.submit { [self] in
      state.withLock { state in
        actionLog.withLock { log in
          FollowState(epoch: log.epoch, revision: log.revision, records: state.engine.records, sites: config.sites)
        }
      }
    }
  }

  /// A word from the primary on the follow link (any line, a keep-alive too), or why the link is down.
  public func notePrimaryContact(linkProblem: String? = nil) {
    let now = clock.now()
    let cameBack = role.withLock { pair -> Bool in
      pair.role.linkProblem = linkProblem
      guard linkProblem == nil, var watch = pair.watch else { return false }
      defer { pair.watch = watch }
      let back = watch.contact(now: now)
      pair.role.lastPrimaryContact = watch.lastContactUnix
      pair.role.primarySilentSince = nil
      return back
    }
    if cameBack { logger.notice("the primary is heard again on the follow link") }
  }

  /// Says, once, when the primary has been silent too long (every face shows it and rings).
  private func watchPrimary(now: ClockReading) {
    let silent = role.withLock { pair -> Double? in
      guard pair.role.kind == .standby, var watch = pair.watch else { return nil }
      defer { pair.watch = watch }
      guard watch.check(now: now) else { return nil }
      pair.role.primarySilentSince = watch.silentSince
      return watch.silentSince
    }
    guard let silent else { return }
    let seconds = Int(now.unixSeconds - silent)
    logger.critical(
      "PRIMARY SILENT: no word from \(currentRole.following ?? "the primary") for \(seconds)s\(currentRole.linkProblem.map { " (\($0))" } ?? ""); if it is down, make this standby the primary: \(promoteCommand)"
    )
  }

  /// How far back a followed action may be journaled at its own time. One made earlier than this before the
  /// standby applies it (it comes in a resync, or after the link was down) is journaled at the standby's time
  /// with its own kept in `made_at`: the standby's journal never goes back in time by more than this.
  static let followedActionDelay = 1.0

  /// Applies the primary's actions on this standby, in order, each with its operator and original time, and
  /// journals them; returns what could not be applied (the standby's view differed), for the log.
  public func applyFollowed(_ actions: [FollowedAction]) -> EventLoopFuture<[String]> {
    loop.submit { [self] in
      let now = clock.now()
      var notes: [String] = []
      var records: [JournalRecord] = []
      let events = state.withLock { state in
        // What the engine had pending is journaled as it came.
        var events = state.withEngine { $0.drainEvents() }
        records = events.flatMap { JournalRecord.records(for: $0, sites: config.sites) }
        for action in actions {
          let at = ClockReading(monotonicNanos: now.monotonicNanos, unixSeconds: action.at)
          do {
            try state.withEngine { engine in try engine.apply(action.request, by: action.who, now: at) }
            actionLog.withLock { _ = $0.append(action.request, by: action.who, at: action.at) }
          } catch {
            // What the primary sent goes to a log: made to fit the operator-text rule first.
            notes.append(
              "\(OperatorText.clamped(action.request.site, as: .note)) (\(OperatorText.clamped(action.who.displayName, as: .operatorName))): \(error)"
            )
          }
          let applied = state.withEngine { $0.drainEvents() }
          events += applied
          let copies = applied.flatMap { JournalRecord.records(for: $0, sites: config.sites) }
          guard action.at < now.unixSeconds - Self.followedActionDelay else {
            records += copies  // as the primary journaled it: the same line in both journals
            continue
          }
          records += copies.map { copy in
            JournalRecord(unixSeconds: now.unixSeconds, site: copy.site, kind: copy.kind, madeAt: copy.isOperatorAction ? action.at : nil)
          }
        }
        return events
      }
      carriedEvents += events
      writeJournal(records, sync: true)
      publishNow()
      return notes
    }
  }

  /// Brings this standby to the primary's whole operator state (a resync): only what differs is applied.
  public func applyFollowed(_ state: FollowState) -> EventLoopFuture<[String]> {
    loop.flatSubmit { [self] in
      let records = self.state.withLock { $0.engine.records }
      let now = clock.now().unixSeconds
      let requests = state.requests(toBring: records, sites: config.sites)
      return applyFollowed(requests.map { FollowedAction(revision: 0, request: $0.request, who: $0.who, at: $0.at ?? now) })
    }
  }

  /// Makes this standby the primary: it stops following and accepts operators' actions. Refused while the
  /// primary is heard (two primaries would be two writers), and on a monitor that is not a standby.
  public func promote(by who: OperatorIdentity) -> EventLoopFuture<Void> {
    loop.submit { [self] in
      let now = clock.now()
      let refusal = role.withLock { pair -> String? in
        guard pair.role.kind == .standby else { return "this monitor is already the primary" }
        guard pair.role.primarySilentSince != nil else {
          let age = pair.role.lastPrimaryContact.map { "last word \(Int(now.unixSeconds - $0))s ago" } ?? "heard"
          return "the primary is alive (\(age)); stop it first, or wait until this standby says PRIMARY SILENT"
        }
        pair.role = MonitorRole(kind: .primary, promotedAt: now.unixSeconds)
        pair.watch = nil
        return nil
      }
      if let refusal { throw RoleRefusal(description: refusal) }
      logger.critical("PROMOTED to primary by \(who.displayName): this monitor no longer follows; operators act here now")
      writeJournal(
        [JournalRecord(unixSeconds: now.unixSeconds, site: nil, kind: .role("primary", note: "promoted by \(who.displayName)"))], sync: true
      )
      publishNow()
    }
  }

  /// The peer (`--peer`) says it was promoted: this monitor is no longer the primary the conference follows.
  public func noteReplaced(by peer: String, promotedAt: Double) {
    loop.execute { [self] in
      let isNew = role.withLock { pair -> Bool in
        guard pair.role.replacedBy == nil else { return false }
        pair.role.replacedBy = MonitorRole.Replacement(peer: peer, promotedAt: promotedAt)
        return true
      }
      guard isNew else { return }
      let now = clock.now().unixSeconds
      logger.critical(
        "REPLACED: the standby \(peer) was promoted to primary; operator actions are refused here. Stop this monitor and restart it as a standby of the new primary (run --follow)"
      )
      writeJournal([JournalRecord(unixSeconds: now, site: nil, kind: .role("replaced", note: "by \(peer)"))], sync: true)
      publishNow()
    }
  }

  public func stop() async {
    let tasks = try? await loop.submit { [self] in
      defer { repeatedTasks = [] }
      return repeatedTasks
    }.get()
    for task in tasks ?? [] { task.cancel() }
    // Waits for the listener's thread, so no datagram is applied after the last tick.
    listener.withLock { listener in
      defer { listener = nil }
      return listener
    }?.stop()
    prober.withLock { prober in
      defer { prober = nil }
      return prober
    }?.stop()
    // A last tick so the final status file and log lines reflect the end state.
    let final = try? await loop.submit { [self] in
      let snapshot = tick(writesStatusFile: false)
      // Counts still inside their 10-second window go now, or the report's figures would fall short of the screen's.
      let now = clock.now()
      var last: [JournalRecord] = []
      appendHeadcountSamples(snapshot.records, revision: nil, now: now, flush: true, to: &last)
      last.append(JournalRecord(unixSeconds: now.unixSeconds, site: nil, kind: .stop))
      writeJournal(last, sync: true)
      if let journal, !journal.backlog.isEmpty { reportUnsaved(journal) }
      journal?.close()
      return snapshot
    }.get()
    try? await threadPool.shutdownGracefully()  // lets a status file write in flight finish first
    if let writer = statusFileWriter, let final {
      do { try writer.write(final) } catch { logger.error("cannot write status file \(writer.path): \(error)") }
    }
    try? await ownsGroup?.shutdownGracefully()
  }
}
