import BridgeCore
import BridgeThreads
import Foundation
import Logging
import NIOCore
import Synchronization

/// Serves the monitor's state to consoles on a Unix socket (docs/CONSOLE-PROTOCOL.md), on a thread of its own: an
/// output of the hub (it asks for the detail panes its consoles show), one delta encoded per publish for every
/// console, each console with its own bounded queue. A console that stalls loses its queued deltas and gets a
/// fresh snapshot when it reads again; nothing it does reaches ingest, the journal or the other consoles. This file
/// is the server and its thread's loop; beside it, by job: admitting connections (ConsoleAdmission), reading them
/// and answering requests (ConsoleRequests), publishing (ConsoleFeed), writing (ConsoleQueue), what is kept per
/// connection (ConsoleConnection), what other threads hand the loop (ConsoleServerInbox).
public final class ConsoleServer: MonitorOutput {
  public struct Limits: Sendable {
    public var maximumConsoles = 64
    /// Standbys following at once (one is the design; a few allow a rehearsal beside the real one).
    public var maximumStandbys = 4
    /// Unix users whose consoles are read-only whatever their hello says (`console.read_only_users`).
    public var readOnlyUsers: Set<String> = []
    /// Bytes of deltas and details queued for one console before they are dropped (it then gets a fresh snapshot);
    /// also the most its unread answers may take before it is closed.
    public var queueBytes = 4 * 1024 * 1024
    /// The kernel's send buffer per console: a console whose reads stall must not make the kernel hold megabytes
    /// for it; our queue is the bound.
    public var sendBufferBytes: Int32 = 256 * 1024
    /// Connections that are neither an attached console nor a standby: before their hello, or while a one-off
    /// reply (status, peer, a refusal) is written. One more evicts the oldest that has not said hello.
    public var maximumPending = 32
    /// How long such a connection may stay open: its hello, and a one-off reply, are done well within it.
    public var pendingDeadline: Duration = .seconds(10)
    /// Descriptors kept free for the journal, the status file and heartbeat files: a connection accepted with
    /// fewer than this left below the process's limit is closed at once.
    public var descriptorReserve = 16
    /// Connection lines (attached, detached, refused, dropped) logged per `logWindow`; the others are counted
    /// and said in one line when the window ends (a reconnect storm must not flood the log).
    public var logBurst = 20
    public var logWindow: Duration = .seconds(10)
    public init() {}
  }

  public let path: String
  private let monitor: Monitor
  private let logger: Logger
  private let limits: Limits
  private let listenFD: Int32
  private let inbox = ConsoleServerInbox()
  private let stopped = Atomic<Bool>(false)
  /// The console thread, once `start` made it; `stop` joins it.
  private let thread = Mutex<ServiceThread?>(nil)
  private let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)
  private let done = Atomic<Bool>(false)
  private let attachedList = Mutex<ConsoleList>(ConsoleList(consoles: []))
  /// The sites whose last hour the consoles show, set by the console thread, read by the hub as it publishes.
  private let shownSites = Mutex<Set<Int>>([])
  /// The socket file's identity, so stopping removes only our own socket.
  private let socketInode: UInt64

  /// Listens on `path` (see `ConsoleSocket.listen`); serves once `monitor`, whose output it is, starts it.
  public init(path: String, monitor: Monitor, logger: Logger, limits: Limits = Limits()) throws {
    self.path = path
    self.monitor = monitor
    self.logger = logger
    self.limits = limits
    listenFD = try ConsoleSocket.listen(path: path)
    var info = stat()
    socketInode = stat(path, &info) == 0 ? UInt64(info.st_ino) : 0
  }

  /// The consoles attached now (for `status` and tests).
  public var consoles: ConsoleList { attachedList.withLock { $0 } }

  /// The console thread's name in /proc (`bench consoles` reads its CPU time).
  public static let threadName = "bw-consoles"

  public func start(facts: ConsoleFacts) async {
    let thread = ServiceThread(name: ConsoleServer.threadName) { [self] in
      let loop = ConsoleServerLoop(server: self, facts: facts)
      loop.run()
      done.store(true, ordering: .releasing)
      finished.withLock { $0 }?.resume()
    }
    self.thread.withLock { $0 = thread }
    thread.start()
    monitor.requestPublish()
  }

  /// Every update, on the hub's loop: handed to the console thread, which folds what it has not taken yet.
  public func receive(_ update: MonitorUpdate) {
    inbox.post(update)
  }

  public var detailSites: Set<Int> { shownSites.withLock { $0 } }

  /// Closes every console and removes the socket.
  public func stop() async {
    stopped.store(true, ordering: .relaxed)
    inbox.wake()
    if let thread = thread.withLock({ $0.take() }) {
      // Awaited, not joined, so no cooperative thread blocks while the loop closes its consoles.
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let alreadyDone = finished.withLock { pending -> Bool in
          if done.load(ordering: .acquiring) { return true }
          pending = continuation
          return false
        }
        if alreadyDone { continuation.resume() }
      }
      // The body has returned or is returning: this only reaps the thread.
      thread.join()
    }
    close(listenFD)
    var info = stat()
    if stat(path, &info) == 0, UInt64(info.st_ino) == socketInode { unlink(path) }
  }

  // For the loop.
  fileprivate var context: (monitor: Monitor, logger: Logger, limits: Limits, listenFD: Int32, inbox: ConsoleServerInbox) {
    (monitor, logger, limits, listenFD, inbox)
  }
  fileprivate var isStopped: Bool { stopped.load(ordering: .relaxed) }
  fileprivate func publishList(_ list: ConsoleList) { attachedList.withLock { $0 = list } }
  fileprivate func show(_ sites: Set<Int>) { shownSites.withLock { $0 = sites } }
}

/// The console thread's state and loop.
final class ConsoleServerLoop {
  let server: ConsoleServer
  let monitor: Monitor
  let facts: ConsoleFacts
  /// The facts as every welcome carries them, encoded once per form (`ConsoleRows`) when a console first needs it.
  var encodedFacts: [Bool: [UInt8]] = [:]
  let logger: Logger
  let limits: ConsoleServer.Limits
  let listenFD: Int32
  let inbox: ConsoleServerInbox
  let siteIndex: SiteIndex
  var connections: [Int: ConsoleConnection] = [:]
  var nextID = 0
  var revision: UInt64 = 0
  /// What the consoles were last told (the base of the next delta).
  var published: MonitorSnapshot?
  var publishedDetails: [Int: SiteHistoryView] = [:]
  /// The snapshot message of `published`, encoded once per form (rows or JSON objects: `ConsoleRows`) for every
  /// console that needs it.
  var encodedSnapshots: (revision: UInt64, byForm: [Bool: [UInt8]])?
  /// Connection log lines against the flood of a reconnect storm.
  var connectionLog: ConnectionLogBudget
  /// Accepting stops a moment when the process is out of descriptors (the listener would stay readable).
  var acceptPausedUntil: ContinuousClock.Instant?
  /// The latest events, for the log of a console that attaches now.
  var recentEvents: [EngineEvent] = []
  static let recentEventLimit = ConsoleServerInbox.recentEventLimit

  init(server: ConsoleServer, facts: ConsoleFacts) {
    self.server = server
    self.facts = facts
    (monitor, logger, limits, listenFD, inbox) = server.context
    connectionLog = ConnectionLogBudget(burst: limits.logBurst, window: limits.logWindow)
    // The facts' sites are the config's, in its order: the engine's index is theirs.
    siteIndex = monitor.siteIndex
  }

  func run() {
    while !server.isStopped {
      if let paused = acceptPausedUntil, paused <= .now { acceptPausedUntil = nil }
      let listening = acceptPausedUntil == nil ? listenFD : -1
      var fds = [pollfd(fd: listening, events: Int16(POLLIN), revents: 0), pollfd(fd: inbox.readFD, events: Int16(POLLIN), revents: 0)]
      let order = connections.keys.sorted()
      for id in order {
        let connection = connections[id]!
        var events = connection.readClosed ? Int16(0) : Int16(POLLIN)
        if !connection.queue.isEmpty { events |= Int16(POLLOUT) }
        fds.append(pollfd(fd: connection.fd, events: events, revents: 0))
      }
      // With no connection and nothing due there is nothing to serve on time: sleep until one comes, an answer or
      // the stop.
      _ = poll(&fds, nfds_t(fds.count), pollTimeout())
      if server.isStopped { break }
      let (update, updated, events, answers) = inbox.take()
      if updated { publish(update, events: events) }
      for (id, answer) in answers {
        if let connection = connections[id] { enqueue(.answer(answer), to: connection) }
      }
      if fds[0].revents & Int16(POLLIN) != 0 { accept() }
      for (position, id) in order.enumerated() {
        guard let connection = connections[id] else { continue }
        let revents = fds[position + 2].revents
        if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { read(connection) }
        if connections[id] != nil, revents & Int16(POLLOUT) != 0 { flush(connection) }
      }
      for connection in Array(connections.values) { serveSnapshotIfDue(connection) }
      dropOverdue()
      if let summary = connectionLog.summaryDue(now: .now) { logger.notice("\(summary)") }
      inbox.wantsSnapshots.store(servesState, ordering: .relaxed)
      inbox.wakesForUpdates.store(!connections.isEmpty, ordering: .relaxed)
    }
    for connection in Array(connections.values) { drop(connection, reason: "the monitor is stopping", level: .info) }
    if let summary = connectionLog.summaryDue(now: .now, windowEnded: true) { logger.notice("\(summary)") }
  }

  /// Milliseconds until something is due: a pending connection's deadline, the log's summary, accepting again;
  /// -1 (forever) when nothing is.
  func pollTimeout() -> Int32 {
    var due: [ContinuousClock.Instant] = []
    if !connections.isEmpty { due.append(.now + .seconds(1)) }
    if let oldest = connections.values.filter(\.isPending).map(\.acceptedAt).min() { due.append(oldest + limits.pendingDeadline) }
    if let summary = connectionLog.summaryAt { due.append(summary) }
    if let paused = acceptPausedUntil { due.append(paused) }
    guard let next = due.min() else { return -1 }
    let left = ContinuousClock.now.duration(to: next)
    return left <= .zero ? 0 : Int32(min(left.milliseconds + 1, 1000))
  }

  func publishList() {
    server.publishList(
      ConsoleList(
        consoles: connections.values.filter(\.isAttached).sorted { $0.id < $1.id }.map {
          ConsoleList.Entry(
            unixUser: $0.unixUser, operatorName: $0.hello?.operatorName ?? $0.unixUser, readOnly: $0.hello?.readOnly ?? false,
            group: $0.hello?.group, since: $0.since)
        }))
  }

  func updateDetailRequests() {
    server.show(Set(connections.values.compactMap(\.detailSite)))
  }
}
