import BridgeCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Events drained on a tick, with the snapshot taken right after applying them.
public struct MonitorUpdate: Sendable {
  public var events: [EngineEvent]
  public var snapshot: MonitorSnapshot
}

/// The running engine: owns `MonitorState` on one event loop and feeds it from UDP, heartbeat files and a
/// once-a-second tick. Everything that touches `state` runs on `loop`, so the hot path takes no lock.
public final class Monitor: @unchecked Sendable {
  public let config: ConferenceConfig
  public let loop: any EventLoop
  private let clock: any MonitorClock
  private let logger: Logger
  private let threadPool: NIOThreadPool
  private let ownsGroup: MultiThreadedEventLoopGroup?
  private var state: MonitorState
  private var channel: (any Channel)?
  private var repeatedTasks: [RepeatedTask] = []
  private var statusFileWriteInFlight = false
  private var statusFileSchedule = StatusFileSchedule()
  /// Events came since the status file was last written (one may have come while a write was in flight).
  private var statusFileOwesEvents = false
  private var updateHandler: (@Sendable (MonitorUpdate) -> Void)?
  private let poller: HeartbeatFilePoller
  static let vectorReadCount = 64
  private var lastRejectionLog: Int64 = .min / 2
  private var suppressedRejections = 0
  private let journal: JournalFile?
  /// Events drained (and journaled) right after an operator action, delivered to the faces at the next tick.
  private var carriedEvents: [EngineEvent] = []
  private var lastSampledHeadcount: [Int?]
  private var lastSampleNanos: [Int64]
  private var journalProblem: String?
  /// The site whose last hour goes into each snapshot (the dashboard's detail pane), or -1.
  private let detailSite = Atomic<Int>(-1)
  /// At most one headcount sample per site in this long.
  static let headcountSampleNanos: Int64 = 10_000_000_000

  /// `journal` receives every status change, operator action and headcount sample; `restored` is what an
  /// earlier run left in it (marks, acknowledgements, headcounts set by hand).
  public init(
    config: ConferenceConfig, clock: any MonitorClock = SystemClock(), logger: Logger, group: (any EventLoopGroup)? = nil,
    journal: JournalFile? = nil, restored: [RestoredSite] = []
  ) {
    self.config = config
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
    state = MonitorState(config: config)
    poller = HeartbeatFilePoller(paths: config.sites.map(\.heartbeatFile))
    self.journal = journal
    lastSampledHeadcount = Array(repeating: nil, count: config.sites.count)
    lastSampleNanos = Array(repeating: .min / 2, count: config.sites.count)
    let now = clock.now()
    for (index, site) in restored.enumerated() where index < config.sites.count && site != RestoredSite() {
      state.withEngine { $0.restore(site, site: index, now: now) }
      lastSampledHeadcount[index] = site.manualHeadcount
    }
  }

  /// Called on the event loop after every tick with the events drained in it. Set before `start`.
  public func onUpdate(_ handler: @escaping @Sendable (MonitorUpdate) -> Void) {
    updateHandler = handler
  }

  /// Binds the UDP socket (or `listen` instead of the config's) and starts polling and ticking.
  /// Returns the bound address.
  @discardableResult
  public func start(listen: (host: String, port: Int)? = nil) async throws -> SocketAddress {
    threadPool.start()
    let host = listen?.host ?? config.udp.host
    let port = listen?.port ?? config.udp.port
    let channel = try await DatagramBootstrap(group: loop)
      .channelOption(.socketOption(.so_reuseaddr), value: 1)
      .channelOption(.datagramVectorReadMessageCount, value: Self.vectorReadCount)
      // Vector reads split this buffer evenly across the messages: 2 KiB each, so any datagram over the
      // 1,200-byte limit still arrives longer than the limit and is rejected as too large, not truncated into a valid one.
      .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.vectorReadCount * 2048))
      .channelOption(.socketOption(.so_rcvbuf), value: 8 << 20)
      .channelInitializer { [self] channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(DatagramHandler(monitor: self))
        }
      }
      .bind(host: host, port: port).get()
    let address = channel.localAddress!
    try await loop.submit { [self] in
      self.channel = channel
      self.scheduleWork()
      writeJournal([JournalRecord(unixSeconds: clock.now().unixSeconds, site: nil, kind: .start(sites: config.sites.count))], sync: true)
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
        for change in changes {
          state.receiveFile(change.observation, site: change.site, now: now)
          if case .unreadable(let reason) = change.observation {
            logger.warning("heartbeat file of \(config.sites[change.site].id) cannot be read: \(reason)")
          }
        }
      }
      .recover { [self] error in logger.error("heartbeat file scan failed: \(error)") }
  }

  @discardableResult
  private func tick(writesStatusFile: Bool = true) -> MonitorSnapshot {
    let now = clock.now()
    state.withEngine { $0.tick(now: now) }
    let fresh = state.withEngine { $0.drainEvents() }
    if journal != nil {
      // Status changes of the last second go out as one batch, with the headcount samples that are due.
      writeJournal(fresh.flatMap { JournalRecord.records(for: $0, sites: config.sites) } + headcountSamples(now: now), sync: true)
    }
    let events = carriedEvents + fresh
    carriedEvents = []
    let detail = detailSite.load(ordering: .relaxed)
    var snapshot = state.snapshot(now: now, title: config.title, detailSite: detail >= 0 ? detail : nil)
    snapshot.journalProblem = journalProblem
    updateHandler?(MonitorUpdate(events: events, snapshot: snapshot))
    statusFileOwesEvents = statusFileOwesEvents || !events.isEmpty
    if writesStatusFile { writeStatusFile(snapshot) }
    return snapshot
  }

  /// A sample for each site whose reported headcount changed, at most one per site per 10 seconds.
  private func headcountSamples(now: ClockReading) -> [JournalRecord] {
    var samples: [JournalRecord] = []
    let records = state.engine.records
    for index in records.indices {
      guard let count = records[index].headcount, records[index].headcountSource != .manual,
        count != lastSampledHeadcount[index], now.monotonicNanos - lastSampleNanos[index] >= Self.headcountSampleNanos
      else { continue }
      lastSampledHeadcount[index] = count
      lastSampleNanos[index] = now.monotonicNanos
      samples.append(
        JournalRecord(
          unixSeconds: now.unixSeconds, site: config.sites[index].id,
          kind: .headcount(count: count, source: records[index].headcountSource ?? .udp, operatorName: nil)))
    }
    return samples
  }

  /// Writes to the journal; a failure is logged once and shown on the faces until writing works again.
  @discardableResult
  private func writeJournal(_ records: [JournalRecord], sync: Bool) -> JournalFile.OpenError? {
    guard let journal, !records.isEmpty else { return nil }
    do {
      try journal.append(records, sync: sync)
      if journalProblem != nil { logger.notice("journal \(journal.path) is being written again") }
      journalProblem = nil
      return nil
    } catch {
      if journalProblem != error.description { logger.error("\(error)") }
      journalProblem = error.description
      return error
    }
  }

  private func writeStatusFile(_ snapshot: MonitorSnapshot) {
    guard let path = config.statusFilePath, !statusFileWriteInFlight,
      statusFileSchedule.isDue(snapshot, hadEvents: statusFileOwesEvents)
    else { return }
    statusFileSchedule.writing(snapshot)
    statusFileOwesEvents = false
    statusFileWriteInFlight = true
    threadPool.runIfActive(eventLoop: loop) {
      try AtomicFile.write(StatusFileEncoder.encodeBytes(snapshot), to: path)
    }.whenComplete { [self] result in
      statusFileWriteInFlight = false
      if case .failure(let error) = result { logger.error("cannot write status file \(path): \(error)") }
    }
  }

  // MARK: - Called by the datagram handler, on the loop

  func receive(_ bytes: UnsafeRawBufferPointer) -> DatagramOutcome {
    state.receiveDatagram(bytes, now: clock.now())
  }

  func noteAckSent() { state.countAck() }

  /// Logs why a datagram was rejected, at most once a second (a flood must not flood the log).
  func noteRejection(_ reason: RejectionReason, detail: MalformedDetail?, site: Int?, from address: SocketAddress) {
    let now = clock.now()
    guard now.monotonicNanos - lastRejectionLog >= 1_000_000_000 else {
      suppressedRejections += 1
      return
    }
    lastRejectionLog = now.monotonicNanos
    let more = suppressedRejections > 0 ? " (\(suppressedRejections) more since the last report)" : ""
    suppressedRejections = 0
    let what = detail.map { "\(reason.rawValue): \($0.rawValue)" } ?? reason.rawValue
    let claimed = site.map { " for site \(config.sites[$0].id)" } ?? ""
    logger.notice("rejected datagram from \(address.ipAddress ?? "?"):\(address.port ?? 0)\(claimed): \(what)\(more)")
  }

  // MARK: - For the faces

  /// Asks for `site`'s last hour in every snapshot from now on (nil: none). Cheap: one site's copy per tick.
  public func showDetail(site: Int?) {
    detailSite.store(site ?? -1, ordering: .relaxed)
  }

  public func snapshot() async throws -> MonitorSnapshot {
    try await loop.submit { [self] in state.snapshot(now: clock.now(), title: config.title) }.get()
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

  /// `perform` for a thread that is not in an async context (the dashboard's own thread).
  public func performBlocking<T: Sendable>(_ body: @escaping @Sendable (inout StatusEngine, ClockReading) throws -> T) throws -> T {
    try applyOnLoop(body).wait()
  }

  /// Applies `body`, then journals what it did (fsynced when it was an operator action) before returning, so the
  /// screen confirms only what is on disk.
  private func applyOnLoop<T: Sendable>(_ body: @escaping @Sendable (inout StatusEngine, ClockReading) throws -> T) -> EventLoopFuture<T> {
    loop.submit { [self] in
      let now = clock.now()
      let result = try state.withEngine { engine in try body(&engine, now) }
      let events = state.withEngine { $0.drainEvents() }
      carriedEvents += events
      let records = events.flatMap { JournalRecord.records(for: $0, sites: config.sites) }
      if let failure = writeJournal(records, sync: records.contains(where: \.isOperatorAction)) {
        throw JournalNotSaved(reason: failure.description)
      }
      return result
    }
  }

  /// `tickNow` for a thread that is not in an async context.
  public func tickBlocking() throws {
    try loop.submit { [self] in _ = tick() }.wait()
  }

  public func stop() async {
    let tasks = try? await loop.submit { [self] in
      defer { repeatedTasks = [] }
      return repeatedTasks
    }.get()
    for task in tasks ?? [] { task.cancel() }
    try? await channel?.close()
    // A last tick so the final status file and log lines reflect the end state.
    let final = try? await loop.submit { [self] in
      let snapshot = tick(writesStatusFile: false)
      writeJournal([JournalRecord(unixSeconds: clock.now().unixSeconds, site: nil, kind: .stop)], sync: true)
      journal?.close()
      return snapshot
    }.get()
    try? await threadPool.shutdownGracefully()  // lets a status file write in flight finish first
    if let path = config.statusFilePath, let final {
      do { try AtomicFile.write(StatusFileEncoder.encodeBytes(final), to: path) } catch {
        logger.error("cannot write status file \(path): \(error)")
      }
    }
    try? await ownsGroup?.shutdownGracefully()
  }
}

final class DatagramHandler: ChannelInboundHandler, @unchecked Sendable {
  typealias InboundIn = AddressedEnvelope<ByteBuffer>
  typealias OutboundOut = AddressedEnvelope<ByteBuffer>

  private let monitor: Monitor
  private var pendingFlush = false

  init(monitor: Monitor) { self.monitor = monitor }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let envelope = Self.unwrapInboundIn(data)
    let outcome = envelope.data.withUnsafeReadableBytes { monitor.receive($0) }
    guard case .accepted(let site, let sequence) = outcome else {
      if case .rejected(let reason, let detail, let site) = outcome {
        monitor.noteRejection(reason, detail: detail, site: site, from: envelope.remoteAddress)
      }
      return  // never answer a rejection
    }
    var buffer = context.channel.allocator.buffer(capacity: 96)
    buffer.writeString(HeartbeatCodec.ack(site: monitor.config.sites[site].id, sequence: sequence))
    context.write(Self.wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)), promise: nil)
    monitor.noteAckSent()
    pendingFlush = true
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    if pendingFlush {
      pendingFlush = false
      context.flush()
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // UDP errors (an ack to a port that closed: ECONNREFUSED) must not close the listener.
  }
}

/// An operator action was applied but could not be written to the journal.
public struct JournalNotSaved: Error, CustomStringConvertible {
  public var reason: String
  public var description: String { "applied, but NOT saved to the journal: \(reason)" }
}

/// Writes a file so readers never see it half-written: temp file in the same directory, fsync, rename.
public enum AtomicFile {
  public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws {
    try write(Array(text.utf8), to: path, mode: mode)
  }

  public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
    let temporary = path + ".tmp.\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw POSIXError(errno: errno, path: temporary) }
    var failure = FileHandleOutput.write(fd: fd, bytes)
    if failure == 0 && fsync(fd) != 0 { failure = errno }
    close(fd)
    if failure == 0 && rename(temporary, path) != 0 { failure = errno }
    if failure != 0 {
      unlink(temporary)
      throw POSIXError(errno: failure, path: path)
    }
  }
}

public struct POSIXError: Error, CustomStringConvertible {
  public var errno: Int32
  public var path: String
  public var description: String { "\(path): \(String(cString: strerror(errno)))" }
}
