import BridgeCore
import Foundation
import Logging
import NIOCore
import Synchronization

/// Serves the monitor's state to consoles on a Unix socket (docs/CONSOLE-PROTOCOL.md), on a thread of its own:
/// one subscription to the monitor, one delta encoded per publish for every console, each console with its own
/// bounded queue. A console that stalls loses its queued deltas and gets a fresh snapshot when it reads again;
/// nothing it does reaches ingest, the journal or the other consoles.
public final class ConsoleServer: Sendable {
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
  private let facts: ConsoleFacts
  private let logger: Logger
  private let limits: Limits
  private let listenFD: Int32
  private let inbox = ConsoleServerInbox()
  private let stopped = Atomic<Bool>(false)
  private let started = Atomic<Bool>(false)
  private let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)
  private let done = Atomic<Bool>(false)
  private let attachedList = Mutex<ConsoleList>(ConsoleList(consoles: []))
  /// The socket file's identity, so stopping removes only our own socket.
  private let socketInode: UInt64

  /// Listens on `path` (see `ConsoleSocket.listen`); call `start` to serve.
  public init(path: String, monitor: Monitor, facts: ConsoleFacts, logger: Logger, limits: Limits = Limits()) throws {
    self.path = path
    self.monitor = monitor
    self.facts = facts
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

  public func start() {
    let subscription = monitor.subscribe { [inbox] update in inbox.post(update) }
    let thread = Thread { [self] in
      ThreadName.setCurrent(ConsoleServer.threadName)
      let loop = ConsoleServerLoop(server: self, subscription: subscription)
      loop.run()
      subscription.cancel()
      done.store(true, ordering: .releasing)
      finished.withLock { $0 }?.resume()
    }
    thread.name = "consoles"
    started.store(true, ordering: .relaxed)
    thread.start()
    monitor.requestPublish()
  }

  /// Closes every console and removes the socket.
  public func stop() async {
    stopped.store(true, ordering: .relaxed)
    inbox.wake()
    if started.load(ordering: .relaxed) {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let alreadyDone = finished.withLock { pending -> Bool in
          if done.load(ordering: .acquiring) { return true }
          pending = continuation
          return false
        }
        if alreadyDone { continuation.resume() }
      }
    }
    close(listenFD)
    var info = stat()
    if stat(path, &info) == 0, UInt64(info.st_ino) == socketInode { unlink(path) }
  }

  // For the loop.
  fileprivate var context:
    (monitor: Monitor, facts: ConsoleFacts, logger: Logger, limits: Limits, listenFD: Int32, inbox: ConsoleServerInbox)
  {
    (monitor, facts, logger, limits, listenFD, inbox)
  }
  fileprivate var isStopped: Bool { stopped.load(ordering: .relaxed) }
  fileprivate func publishList(_ list: ConsoleList) { attachedList.withLock { $0 = list } }
}

/// What other threads hand the console thread: monitor updates and answers to requests, with a pipe to wake it.
final class ConsoleServerInbox: Sendable {
  private struct Pending {
    var update: MonitorUpdate?
    /// An update came, kept without its snapshot when nobody wants one.
    var updated = false
    var events: [EngineEvent] = []
    var droppedEvents = 0
    var answers: [(connection: Int, answer: ConsoleAnswer)] = []
  }
  private let pending = Mutex(Pending())
  /// Whether a console is attached to be served the state. While none is, updates are taken without their
  /// snapshot: holding it here until the thread wakes kept the engine's records shared, so each heartbeat after a
  /// tick copied all of them (at national load, megabytes a second and the monitor's peak memory).
  let wantsSnapshots = Atomic<Bool>(false)
  /// Whether any connection is open. While none is, an update does not wake the thread (its events wait here,
  /// bounded, for the thread's next wake-up: a connection, an answer or the stop).
  let wakesForUpdates = Atomic<Bool>(false)
  let readFD: Int32
  private let writeFD: Int32
  /// Events kept for consoles if the thread falls behind (a mass outage is 7,400 at once).
  static let eventLimit = 20_000
  /// The latest events, kept for the log of a console that attaches later.
  static let recentEventLimit = 200

  init() {
    var fds: [Int32] = [0, 0]
    precondition(pipe(&fds) == 0)
    readFD = fds[0]
    writeFD = fds[1]
    for fd in fds {
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
  }

  func post(_ update: MonitorUpdate) {
    let keep = wantsSnapshots.load(ordering: .relaxed)
    let wakes = wakesForUpdates.load(ordering: .relaxed)
    // Without a connection only the log's latest events can ever be sent (to a console that attaches later).
    let limit = wakes ? Self.eventLimit : Self.recentEventLimit
    pending.withLock {
      $0.events += update.events
      $0.update = keep ? update : nil
      $0.updated = true
      if $0.events.count > limit {
        $0.droppedEvents += $0.events.count - limit
        $0.events.removeFirst($0.events.count - limit)
      }
    }
    if wakes { wake() }
  }

  func post(_ answer: ConsoleAnswer, to connection: Int) {
    pending.withLock { $0.answers.append((connection, answer)) }
    wake()
  }

  func wake() {
    var byte: UInt8 = 1
    _ = write(writeFD, &byte, 1)
  }

  func take() -> (update: MonitorUpdate?, updated: Bool, events: [EngineEvent], answers: [(connection: Int, answer: ConsoleAnswer)]) {
    var scratch = [UInt8](repeating: 0, count: 256)
    while read(readFD, &scratch, scratch.count) > 0 {}
    return pending.withLock { pending in
      defer { pending = Pending() }
      return (pending.update, pending.updated, pending.events, pending.answers)
    }
  }
}

/// A line waiting for a console, and what may become of it when the console does not read.
struct QueuedLine {
  enum Kind {
    /// A delta or a detail: dropped on overflow, the next snapshot replaces it.
    case update
    /// Dropped on overflow unless begun; a fresh one follows.
    case snapshot
    /// A welcome, an answer, a refusal: nothing replaces it, so it is never dropped.
    case reply
  }
  var bytes: [UInt8]
  var kind: Kind
}

/// One console's connection, owned by the console thread.
private final class ConsoleConnection {
  let id: Int
  let fd: Int32
  let unixUser: String
  let peerPID: Int32
  let since: Double
  let acceptedAt = ContinuousClock.now
  var hello: ConsoleHello?
  var framer = LineFramer(limit: ConsoleProtocol.maximumClientLine)
  /// Encoded lines waiting to be written, the first one `headWritten` bytes in.
  var queue: [QueuedLine] = []
  var headWritten = 0
  /// Bytes waiting, by kind: the bound applies to updates alone, so a snapshot larger than the bound (a national
  /// roster on a small queue) is never dropped for the updates behind it, and replies are never dropped.
  var queuedBytes: [QueuedLine.Kind: Int] = [:]
  /// Gets a snapshot as soon as its queue is empty (just attached, or its queue overflowed).
  var needsSnapshot = false
  /// Close once the queue is written (after a refusal, or a status reply).
  var closeWhenFlushed = false
  /// The peer shut its sending side (`printf … | socat`): a reply still due is written before closing.
  var readClosed = false
  /// Its descriptor is closed: nothing more may be written, and it must not be closed twice (the number may
  /// already belong to another file of this process).
  var isClosed = false
  var detailSite: Int?
  var lastDetail: SiteHistoryView??
  var overflows = 0
  /// A standby: where it stands in this monitor's action log (what it was last sent).
  var followed: FollowPosition?

  init(id: Int, fd: Int32, unixUser: String, peerPID: Int32, since: Double) {
    self.id = id
    self.fd = fd
    self.unixUser = unixUser
    self.peerPID = peerPID
    self.since = since
  }

  var isAttached: Bool { hello?.purpose == .console && !closeWhenFlushed }
  var isFollower: Bool { hello?.purpose == .follow && !closeWhenFlushed }
  /// Not (yet, or no longer) an attached console or standby: bounded in number and in time.
  var isPending: Bool { !isAttached && !isFollower }

  var label: String {
    let name = hello.map { OperatorIdentity(name: $0.operatorName, unixUser: unixUser).displayName } ?? unixUser
    return "\(name), pid \(peerPID)"
  }
}

/// The console thread's state and loop.
private final class ConsoleServerLoop {
  private let server: ConsoleServer
  private let monitor: Monitor
  private let facts: ConsoleFacts
  private let logger: Logger
  private let limits: ConsoleServer.Limits
  private let listenFD: Int32
  private let inbox: ConsoleServerInbox
  private let subscription: MonitorSubscription
  private let indexByID: [String: Int]
  private var connections: [Int: ConsoleConnection] = [:]
  private var nextID = 0
  private var revision: UInt64 = 0
  /// What the consoles were last told (the base of the next delta).
  private var published: MonitorSnapshot?
  private var publishedDetails: [Int: SiteHistoryView] = [:]
  /// The snapshot message of `published`, encoded once for every console that needs it.
  private var encodedSnapshot: (revision: UInt64, bytes: [UInt8])?
  /// Connection log lines against the flood of a reconnect storm.
  private var connectionLog: ConnectionLogBudget
  /// Accepting stops a moment when the process is out of descriptors (the listener would stay readable).
  private var acceptPausedUntil: ContinuousClock.Instant?
  /// The latest events, for the log of a console that attaches now.
  private var recentEvents: [EngineEvent] = []
  static let recentEventLimit = ConsoleServerInbox.recentEventLimit

  init(server: ConsoleServer, subscription: MonitorSubscription) {
    self.server = server
    (monitor, facts, logger, limits, listenFD, inbox) = server.context
    self.subscription = subscription
    connectionLog = ConnectionLogBudget(burst: limits.logBurst, window: limits.logWindow)
    var indexByID: [String: Int] = [:]
    for (index, site) in facts.sites.enumerated() { indexByID[site.id] = index }
    self.indexByID = indexByID
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
  private func pollTimeout() -> Int32 {
    var due: [ContinuousClock.Instant] = []
    if !connections.isEmpty { due.append(.now + .seconds(1)) }
    if let oldest = connections.values.filter(\.isPending).map(\.acceptedAt).min() { due.append(oldest + limits.pendingDeadline) }
    if let summary = connectionLog.summaryAt { due.append(summary) }
    if let paused = acceptPausedUntil { due.append(paused) }
    guard let next = due.min() else { return -1 }
    let left = ContinuousClock.now.duration(to: next)
    return left <= .zero ? 0 : Int32(min(left.milliseconds + 1, 1000))
  }

  /// Closes the pending connections past their deadline.
  private func dropOverdue() {
    let now = ContinuousClock.now
    for connection in connections.values where connection.isPending && connection.acceptedAt + limits.pendingDeadline <= now {
      let what = connection.hello == nil ? "no hello" : "its \(connection.hello!.purpose.rawValue) reply not read"
      let reason = "\(what) within \(DurationText.format(limits.pendingDeadline))"
      if connection.hello == nil { Self.refuseAtOnce(connection.fd, reason) }
      drop(connection, reason: reason, level: .notice)
    }
  }

  /// Keeps at most `maximumPending` pending connections: the oldest one that has not said hello goes (a client
  /// says it as soon as it connects), or the newest when all of them did.
  private func boundPending(newest: ConsoleConnection) {
    let pending = connections.values.filter(\.isPending)
    guard pending.count > limits.maximumPending else { return }
    let victim = pending.filter { $0.hello == nil }.min { $0.id < $1.id } ?? newest
    let reason = "\(pending.count - 1) other connections are waiting for their hello or reply, the most this monitor keeps"
    if victim.hello == nil { Self.refuseAtOnce(victim.fd, reason) }
    drop(victim, reason: reason, level: .notice)
  }

  /// Reads the consoles and standbys whose other end hung up, so they are gone before a new one is counted
  /// against the limit (a reconnect storm leaves many whose end is not read yet).
  private func dropHungUp() {
    let held = connections.values.filter { $0.isAttached || $0.isFollower }
    var fds = held.map { pollfd(fd: $0.fd, events: Int16(POLLIN) | Self.peerClosed, revents: 0) }
    guard !fds.isEmpty, poll(&fds, nfds_t(fds.count), 0) > 0 else { return }
    for (index, connection) in held.enumerated() where fds[index].revents & (Self.peerClosed | Int16(POLLHUP | POLLERR)) != 0 {
      read(connection, toTheEnd: true)
    }
  }

  /// Tells a connection about to be closed why, if its socket takes the line at once (a client that never
  /// said hello gets no queue): a console then says the monitor's reason rather than "closed".
  private static func refuseAtOnce(_ fd: Int32, _ reason: String) {
    let line = ConsoleProtocol.encode(.refused(ConsoleRefusal(reason: reason)))
    _ = line.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
  }

  /// POLLRDHUP: the peer closed its end (Linux).
  private static let peerClosed: Int16 = 0x2000

  /// A connection line, within the log budget.
  private func logConnection(_ level: Logger.Level, _ kind: ConnectionLogBudget.Kind, _ message: @autoclosure () -> String) {
    guard connectionLog.admit(kind, now: .now) else { return }
    logger.log(level: level, "\(message())")
  }

  /// The descriptor number from which an accepted connection is closed at once: the process's soft limit less the
  /// reserve (descriptors are numbered lowest free first, so one at or past it leaves fewer than the reserve free).
  private func descriptorCeiling() -> Int32 {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int32.max) else { return .max }
    return Int32(limit.rlim_cur) - Int32(limits.descriptorReserve)
  }

  // MARK: Connections

  private func accept() {
    let ceiling = descriptorCeiling()
    while true {
      let fd = Glibc.accept(listenFD, nil, nil)
      guard fd >= 0 else {
        if errno == EMFILE || errno == ENFILE {
          // The listener stays readable while the connection waits: wait a moment rather than spin.
          acceptPausedUntil = .now + .milliseconds(100)
          logConnection(
            .warning, .refused, "console connections wait: this process has no descriptor left (\(String(cString: strerror(errno))))")
        }
        return
      }
      guard fd < ceiling else {
        Self.refuseAtOnce(fd, "the monitor is short of file descriptors; try again later")
        close(fd)
        logConnection(
          .warning, .refused,
          "console connection closed at once: fewer than \(limits.descriptorReserve) descriptors left, kept for the journal, status file and heartbeat files"
        )
        continue
      }
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
      guard let peer = ConsoleSocket.peer(of: fd) else {
        close(fd)
        continue
      }
      var bufferSize = limits.sendBufferBytes
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size))
      let connection = ConsoleConnection(id: nextID, fd: fd, unixUser: peer.user, peerPID: peer.pid, since: Date().timeIntervalSince1970)
      nextID += 1
      connections[connection.id] = connection
      // A client says hello as soon as it connects (and a storm's hangs up as fast): handle both now.
      read(connection, toTheEnd: true)
      if connections[connection.id] != nil { boundPending(newest: connection) }
    }
  }

  private func drop(_ connection: ConsoleConnection, reason: String, level: Logger.Level) {
    guard !connection.isClosed else { return }
    connection.isClosed = true
    close(connection.fd)
    connections.removeValue(forKey: connection.id)
    switch connection.hello?.purpose {
    case .follow:
      logConnection(level == .info ? .notice : level, .detached, "standby detached: \(connection.label): \(reason)")
    case .console:
      logConnection(level, .detached, "console detached: \(connection.label): \(reason)")
      updateDetailRequests()
      publishList()
    case nil:
      logConnection(level, .droppedBeforeHello, "connection of \(connection.label) closed before its hello: \(reason)")
    case .status?, .peer?:
      if level > .debug {
        logConnection(level, .dropped, "\(connection.hello!.purpose.rawValue) connection of \(connection.label) closed: \(reason)")
      }
    }
  }

  /// Reads what `connection` sent. `toTheEnd`: on past a short read, to see whether the peer also hung up (a
  /// few reads at most).
  private func read(_ connection: ConsoleConnection, toTheEnd: Bool = false) {
    var chunk = [UInt8](repeating: 0, count: 16 * 1024)
    var reads = 0
    while true {
      reads += 1
      let count = chunk.withUnsafeMutableBytes { Glibc.read(connection.fd, $0.baseAddress, $0.count) }
      if count == 0 {
        if connection.closeWhenFlushed || connection.hello?.purpose == .status || connection.hello?.purpose == .peer {
          connection.readClosed = true
          return
        }
        drop(connection, reason: "closed by the console", level: .info)
        return
      }
      if count < 0 {
        if errno == EAGAIN || errno == EINTR { break }
        drop(connection, reason: "read failed: \(String(cString: strerror(errno)))", level: .notice)
        return
      }
      chunk.withUnsafeBytes { connection.framer.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
      do {
        while let line = try connection.framer.nextLine() {
          if connection.hello == nil, let version = ConsoleProtocol.otherVersion(line) {
            // Another version's hello may not parse as ours: answer with the version rather than "malformed".
            refuse(connection, Self.versionRefusal(theirs: version))
            return
          }
          try handle(try ConsoleProtocol.decode(line), from: connection)
          guard connections[connection.id] != nil else { return }
        }
      } catch {
        drop(connection, reason: "\(error)", level: .notice)
        return
      }
      if count < chunk.count && (!toTheEnd || reads >= 4) { break }
    }
  }

  private func handle(_ message: ConsoleMessage, from connection: ConsoleConnection) throws(ConsoleProtocolError) {
    guard let hello = connection.hello else {
      guard case .hello(let hello) = message else { throw .malformed("expected hello first, got \(message.typeName)") }
      greet(connection, hello)
      return
    }
    guard hello.purpose == .console, !connection.closeWhenFlushed else {
      throw .malformed("\(message.typeName) from a \(hello.purpose.rawValue) connection")
    }
    switch message {
    case .promote(let promote):
      guard let who = actor(of: connection, answering: promote.id) else { return }
      logger.notice("promotion asked by \(connection.label)")
      answer(promote.id, to: connection, when: monitor.promote(by: who))
    case .request(let request):
      guard let who = actor(of: connection, answering: request.id) else { return }
      answer(request.id, to: connection, when: monitor.applyAndPublish(request.request, by: who).map { _ in })
    case .show(let show):
      connection.detailSite = show.site.flatMap { indexByID[$0] }
      connection.lastDetail = nil
      updateDetailRequests()
      monitor.requestPublish()
    case .resync:
      dropQueue(of: connection)
      connection.needsSnapshot = true
    default:
      throw .malformed("a console does not send \(message.typeName)")
    }
  }

  /// Who acts through this console, or nil (answered at once) when it is read-only.
  private func actor(of connection: ConsoleConnection, answering id: Int) -> OperatorIdentity? {
    guard let hello = connection.hello, !hello.readOnly else {
      enqueue(.answer(ConsoleAnswer(id: id, outcome: .notAllowed("read-only console"))), to: connection)
      return nil
    }
    return OperatorIdentity(name: hello.operatorName, unixUser: connection.unixUser)
  }

  /// Answers request `id` when `result` completes: applied, refused with the engine's reason, applied but not yet
  /// saved, or not allowed (the monitor's role, a stop).
  private func answer(_ id: Int, to connection: ConsoleConnection, when result: EventLoopFuture<Void>) {
    let inbox = self.inbox
    let connectionID = connection.id
    result.whenComplete { result in
      let outcome: ConsoleAnswer.Outcome
      switch result {
      case .success: outcome = .applied
      case .failure(let refused as OperatorActionError): outcome = .refused(refused)
      case .failure(let unsaved as JournalNotSaved): outcome = .unsaved(unsaved.reason)
      case .failure(let error): outcome = .notAllowed("\(error)")
      }
      inbox.post(ConsoleAnswer(id: id, outcome: outcome), to: connectionID)
    }
  }

  private func greet(_ connection: ConsoleConnection, _ hello: ConsoleHello) {
    var hello = hello
    hello.operatorName = OperatorText.clamped(hello.operatorName.trimmingCharacters(in: .whitespaces), as: .operatorName)
    if hello.operatorName.isEmpty { hello.operatorName = connection.unixUser }
    hello.group = hello.group.map { String(TextSanitizer.printable($0).prefix(200)) }
    connection.hello = hello
    guard hello.version == ConsoleProtocol.version else {
      refuse(connection, Self.versionRefusal(theirs: hello.version))
      return
    }
    func held(_ purpose: ConsoleHello.Purpose) -> Int {
      connections.values.filter { purpose == .console ? $0.isAttached : $0.isFollower }.count - (hello.purpose == purpose ? 1 : 0)
    }
    // Those that already hung up do not count.
    if hello.purpose == .console && held(.console) >= limits.maximumConsoles
      || hello.purpose == .follow && held(.follow) >= limits.maximumStandbys
    {
      dropHungUp()
    }
    let attached = held(.console)
    if hello.purpose == .console && attached >= limits.maximumConsoles {
      logConnection(
        .warning, .refused, "console refused for \(connection.label): \(attached) consoles are attached, the most this monitor takes")
      refuse(
        connection,
        "\(attached) consoles are attached, the most this monitor takes (console.max_consoles in the config); close one or raise the limit"
      )
      return
    }
    let following = held(.follow)
    if hello.purpose == .follow && following >= limits.maximumStandbys {
      logConnection(.warning, .refused, "standby refused for \(connection.label): \(following) standbys follow this monitor already")
      refuse(connection, "\(following) standbys follow this monitor already, the most it takes")
      return
    }
    let forced = !hello.readOnly && limits.readOnlyUsers.contains(connection.unixUser)
    if forced {
      hello.readOnly = true
      connection.hello = hello
    }
    let welcome = ConsoleWelcome(
      pid: Int(getpid()), unixUser: connection.unixUser, facts: facts, readOnly: forced ? true : nil, role: monitor.currentRole)
    enqueue(.welcome(welcome), to: connection)
    switch hello.purpose {
    case .peer:
      connection.closeWhenFlushed = true
      flush(connection)
      return
    case .follow:
      let position = hello.follow.map { ", after revision \($0.after)" } ?? ", wants the whole state"
      logConnection(.notice, .attached, "standby attached: \(connection.label)\(position)")
      sendFollowed(to: connection, after: hello.follow)
      flush(connection)
      return
    case .console, .status: break
    }
    connection.needsSnapshot = true
    if published == nil { monitor.requestPublish() }
    if hello.purpose == .console {
      let mode = hello.readOnly ? ", read-only" : ""
      let group = hello.group.map { ", group \($0)" } ?? ""
      logConnection(.info, .attached, "console attached: \(connection.label)\(mode)\(group)")
      publishList()
    }
    serveSnapshotIfDue(connection)
  }

  private static func versionRefusal(theirs: Int) -> String {
    "this monitor speaks console protocol version \(ConsoleProtocol.version), the console version \(theirs): use the same bridgewatch for both"
  }

  private func refuse(_ connection: ConsoleConnection, _ reason: String) {
    enqueue(.refused(ConsoleRefusal(reason: reason)), to: connection)
    connection.hello?.purpose = .status
    connection.closeWhenFlushed = true
    flush(connection)
  }

  private func publishList() {
    server.publishList(
      ConsoleList(
        consoles: connections.values.filter(\.isAttached).sorted { $0.id < $1.id }.map {
          ConsoleList.Entry(
            unixUser: $0.unixUser, operatorName: $0.hello?.operatorName ?? $0.unixUser, readOnly: $0.hello?.readOnly ?? false,
            group: $0.hello?.group, since: $0.since)
        }))
  }

  private func updateDetailRequests() {
    subscription.showDetails(Set(connections.values.compactMap(\.detailSite)))
  }

  // MARK: Publishing

  private var monitorStatus: ConsoleMonitorStatus {
    ConsoleMonitorStatus(
      counters: published?.counters ?? IngestCounters(), journalProblem: published?.journalProblem, clockNote: published?.clockNote,
      consoles: connections.values.filter(\.isAttached).count, role: published?.role)
  }

  /// Sends a standby what it lacks: the actions after its position, or the whole state when they have left the
  /// log (or it has none); with nothing new, a keep-alive (it tells the standby the primary is alive).
  private func sendFollowed(to connection: ConsoleConnection, after position: FollowPosition?) {
    let (epoch, revision, actions) = monitor.followedActions(after: position)
    if let actions {
      enqueue(.actions(FollowActions(epoch: epoch, revision: revision, actions: actions)), to: connection)
      connection.followed = FollowPosition(epoch: epoch, after: actions.last?.revision ?? position?.after ?? revision)
    } else {
      let state = monitor.followState()
      enqueue(.state(state), to: connection)
      connection.followed = FollowPosition(epoch: state.epoch, after: state.revision)
    }
  }

  /// `update` is nil when it came while nobody wanted the state (`ConsoleServerInbox.wantsSnapshots`).
  private func publish(_ update: MonitorUpdate?, events: [EngineEvent]) {
    for connection in connections.values where connection.isFollower {
      sendFollowed(to: connection, after: connection.followed)
      flush(connection)
    }
    recentEvents += events.suffix(Self.recentEventLimit)
    if recentEvents.count > Self.recentEventLimit { recentEvents.removeFirst(recentEvents.count - Self.recentEventLimit) }
    // Nobody to serve: keep no copy of the state (megabytes at national scale); the first to come asks for one.
    guard let update, servesState else {
      published = nil
      publishedDetails = [:]
      encodedSnapshot = nil
      revision += 1
      return
    }
    let snapshot = update.snapshot
    publishedDetails = update.details
    // Nobody to send a delta to (only consoles waiting for a snapshot): skip comparing 7,400 records.
    let wantsDelta = connections.values.contains { $0.isAttached && !$0.needsSnapshot }
    guard wantsDelta, let previous = published, previous.records.count == snapshot.records.count else {
      published = snapshot
      revision += 1
      return
    }
    var whole: [ConsoleSite] = []
    var beats: [ConsoleBeats.Beat] = []
    for index in snapshot.records.indices {
      switch ConsoleSite.change(from: previous.records[index], to: snapshot.records[index]) {
      case .none: break
      case .beat: beats.append(ConsoleBeats.Beat(snapshot.records[index], index: index))
      case .whole: whole.append(ConsoleSite(snapshot.records[index], index: index))
      }
    }
    published = snapshot
    let base = revision
    revision += 1
    let delta = ConsoleDelta(
      revision: revision, base: base, taken: ConsoleClock(snapshot.takenAt), sites: whole, beats: ConsoleBeats(beats),
      events: events.map(ConsoleEvent.init), status: monitorStatus)
    var encoded: [UInt8]?
    for connection in connections.values where connection.isAttached {
      if !connection.needsSnapshot {
        if encoded == nil { encoded = ConsoleProtocol.encode(.delta(delta)) }
        enqueue(bytes: encoded!, to: connection)
      }
      sendDetailIfChanged(connection)
    }
  }

  /// Whether a console (not a standby following actions) is attached and wants the state.
  private var servesState: Bool { connections.values.contains { $0.hello != nil && $0.hello?.purpose != .follow } }

  private func sendDetailIfChanged(_ connection: ConsoleConnection) {
    guard !connection.needsSnapshot else { return }
    let detail = connection.detailSite.flatMap { publishedDetails[$0] }
    guard connection.detailSite == nil || detail != nil else { return }  // asked for; comes with the next publish
    if let last = connection.lastDetail, last == detail { return }
    connection.lastDetail = .some(detail)
    enqueue(.detail(ConsoleDetail(history: detail)), to: connection)
  }

  /// Sends a snapshot to a console that needs one, once what it was sending is out.
  private func serveSnapshotIfDue(_ connection: ConsoleConnection) {
    guard connection.needsSnapshot, connection.queue.isEmpty, let published else { return }
    if encodedSnapshot?.revision != revision {
      let snapshot = ConsoleSnapshot(
        revision: revision, taken: ConsoleClock(published.takenAt),
        sites: published.records.enumerated().map { ConsoleSite($0.element, index: $0.offset) }, status: monitorStatus,
        events: recentEvents.map(ConsoleEvent.init))
      encodedSnapshot = (revision, ConsoleProtocol.encode(.snapshot(snapshot)))
    }
    connection.needsSnapshot = false
    enqueue(bytes: encodedSnapshot!.bytes, to: connection, kind: .snapshot)
    connection.lastDetail = nil
    sendDetailIfChanged(connection)
    if connection.hello?.purpose == .status {
      enqueue(.consoles(server.consoles), to: connection)
      connection.closeWhenFlushed = true
    }
    flush(connection)
  }

  // MARK: Writing

  private func enqueue(_ message: ConsoleMessage, to connection: ConsoleConnection) {
    let kind: QueuedLine.Kind =
      switch message {
      case .delta, .detail: .update
      case .snapshot: .snapshot
      default: .reply
      }
    enqueue(bytes: ConsoleProtocol.encode(message), to: connection, kind: kind)
  }

  private func enqueue(bytes: [UInt8], to connection: ConsoleConnection, kind: QueuedLine.Kind = .update) {
    guard !connection.isClosed else { return }
    let waiting = connection.queuedBytes[kind, default: 0]
    if kind == .reply && waiting + bytes.count > limits.queueBytes {
      // Requests sent without reading the answers (or a standby not reading its actions): nothing to replace them
      // with, and no bound otherwise. A standby that comes back asks from its position, or gets the whole state.
      let why = connection.hello?.purpose == .follow ? "it does not read what it is sent" : "it sends requests without reading the answers"
      drop(connection, reason: why, level: .notice)
      return
    }
    if kind == .update && waiting + bytes.count > limits.queueBytes && !connection.queue.isEmpty {
      // The console is not reading: what it missed is replaced by a snapshot when it reads again.
      dropQueue(of: connection)
      connection.needsSnapshot = true
      connection.overflows += 1
      if connection.overflows == 1 || connection.overflows % 100 == 0 {
        logger.notice(
          "console \(connection.label) is not reading; its queued updates were dropped (\(connection.overflows) time(s)), it gets a fresh snapshot when it reads again"
        )
      }
      return
    }
    connection.queue.append(QueuedLine(bytes: bytes, kind: kind))
    connection.queuedBytes[kind, default: 0] += bytes.count
  }

  /// Drops the updates and snapshots that wait, except a line already partly written (the console would read half
  /// a line); replies stay.
  private func dropQueue(of connection: ConsoleConnection) {
    let begun = connection.headWritten > 0 ? connection.queue.first : nil
    let rest = connection.queue.dropFirst(begun == nil ? 0 : 1).filter { $0.kind == .reply }
    connection.queue = (begun.map { [$0] } ?? []) + rest
    if begun == nil { connection.headWritten = 0 }
    connection.queuedBytes = [:]
    for line in connection.queue { connection.queuedBytes[line.kind, default: 0] += line.bytes.count }
  }

  private func flush(_ connection: ConsoleConnection) {
    guard !connection.isClosed else { return }
    while let head = connection.queue.first {
      let written = head.bytes.withUnsafeBytes { bytes in
        Glibc.send(connection.fd, bytes.baseAddress! + connection.headWritten, bytes.count - connection.headWritten, Int32(MSG_NOSIGNAL))
      }
      if written < 0 {
        if errno == EAGAIN || errno == EINTR { return }
        drop(connection, reason: "write failed: \(String(cString: strerror(errno)))", level: .info)
        return
      }
      connection.headWritten += written
      if connection.headWritten == head.bytes.count {
        connection.queue.removeFirst()
        connection.queuedBytes[head.kind, default: 0] -= head.bytes.count
        connection.headWritten = 0
      }
    }
    if connection.closeWhenFlushed {
      shutdown(connection.fd, Int32(SHUT_WR))
      drop(connection, reason: "done", level: .debug)
    }
  }
}

/// Connection log lines against floods: up to `burst` in a window, the others counted by kind and said in one
/// line when the window ends.
struct ConnectionLogBudget {
  enum Kind: String, CaseIterable {
    case attached, detached, refused, dropped
    case droppedBeforeHello = "closed before their hello"
  }
  let burst: Int
  let window: Duration
  private var windowStart: ContinuousClock.Instant?
  private var logged = 0
  private var suppressed: [Kind: Int] = [:]

  init(burst: Int, window: Duration) {
    self.burst = burst
    self.window = window
  }

  /// Whether a line of `kind` may be logged now; if not, it is counted.
  mutating func admit(_ kind: Kind, now: ContinuousClock.Instant) -> Bool {
    if let start = windowStart, now - start < window {
      guard logged < burst else {
        suppressed[kind, default: 0] += 1
        return false
      }
    } else if suppressed.isEmpty {
      windowStart = now
      logged = 0
    } else {
      suppressed[kind, default: 0] += 1
      return false
    }
    logged += 1
    return true
  }

  /// When the summary of the lines not logged is due, if any were not.
  var summaryAt: ContinuousClock.Instant? { suppressed.isEmpty ? nil : windowStart.map { $0 + window } }

  /// The summary line once its window has ended (or at once with `windowEnded`), starting a new window.
  mutating func summaryDue(now: ContinuousClock.Instant, windowEnded: Bool = false) -> String? {
    guard let due = summaryAt, windowEnded || now >= due else { return nil }
    let total = suppressed.values.reduce(0, +)
    let kinds = Kind.allCases.compactMap { kind in suppressed[kind].map { "\(kind.rawValue) \(NumberText.grouped($0))" } }
    suppressed = [:]
    windowStart = now
    logged = 0
    return "console connections: \(NumberText.grouped(total)) more lines not logged in the last \(DurationText.format(window)) ("
      + kinds.joined(separator: ", ") + ")"
  }
}
