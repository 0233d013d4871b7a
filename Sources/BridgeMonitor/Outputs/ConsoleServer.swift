import BridgeCore
import BridgeThreads
import Foundation
import Logging
import NIOCore
import Synchronization

/// Serves the monitor's state to consoles on a Unix socket (docs/CONSOLE-PROTOCOL.md), on a thread of its own:
/// one subscription to the monitor, one delta encoded per publish for every console, each console with its own
/// bounded queue. A console that stalls loses its queued deltas and gets a fresh snapshot when it reads again;
/// nothing it does reaches ingest, the journal or the other consoles. Over 400 lines: the server and its thread's
/// loop (accepting, reading, handling requests, greeting) share this file's private state; what the loop publishes
/// (ConsoleFeed), writes (ConsoleQueue) and keeps per connection (ConsoleConnection) live beside it.
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
  /// The console thread, once `start` made it; `stop` joins it.
  private let thread = Mutex<ServiceThread?>(nil)
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
    let thread = ServiceThread(name: ConsoleServer.threadName) { [self] in
      let loop = ConsoleServerLoop(server: self, subscription: subscription)
      loop.run()
      subscription.cancel()
      done.store(true, ordering: .releasing)
      finished.withLock { $0 }?.resume()
    }
    self.thread.withLock { $0 = thread }
    thread.start()
    monitor.requestPublish()
  }

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
  fileprivate var context:
    (monitor: Monitor, facts: ConsoleFacts, logger: Logger, limits: Limits, listenFD: Int32, inbox: ConsoleServerInbox)
  {
    (monitor, facts, logger, limits, listenFD, inbox)
  }
  fileprivate var isStopped: Bool { stopped.load(ordering: .relaxed) }
  fileprivate func publishList(_ list: ConsoleList) { attachedList.withLock { $0 = list } }
}

/// The console thread's state and loop.
final class ConsoleServerLoop {
  let server: ConsoleServer
  let monitor: Monitor
  let facts: ConsoleFacts
  let logger: Logger
  let limits: ConsoleServer.Limits
  let listenFD: Int32
  let inbox: ConsoleServerInbox
  let subscription: MonitorSubscription
  let indexByID: [String: Int]
  var connections: [Int: ConsoleConnection] = [:]
  var nextID = 0
  var revision: UInt64 = 0
  /// What the consoles were last told (the base of the next delta).
  var published: MonitorSnapshot?
  var publishedDetails: [Int: SiteHistoryView] = [:]
  /// The snapshot message of `published`, encoded once for every console that needs it.
  var encodedSnapshot: (revision: UInt64, bytes: [UInt8])?
  /// Connection log lines against the flood of a reconnect storm.
  var connectionLog: ConnectionLogBudget
  /// Accepting stops a moment when the process is out of descriptors (the listener would stay readable).
  var acceptPausedUntil: ContinuousClock.Instant?
  /// The latest events, for the log of a console that attaches now.
  var recentEvents: [EngineEvent] = []
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

  /// Closes the pending connections past their deadline.
  func dropOverdue() {
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
  func boundPending(newest: ConsoleConnection) {
    let pending = connections.values.filter(\.isPending)
    guard pending.count > limits.maximumPending else { return }
    let victim = pending.filter { $0.hello == nil }.min { $0.id < $1.id } ?? newest
    let reason = "\(pending.count - 1) other connections are waiting for their hello or reply, the most this monitor keeps"
    if victim.hello == nil { Self.refuseAtOnce(victim.fd, reason) }
    drop(victim, reason: reason, level: .notice)
  }

  /// Reads the consoles and standbys whose other end hung up, so they are gone before a new one is counted
  /// against the limit (a reconnect storm leaves many whose end is not read yet).
  func dropHungUp() {
    let held = connections.values.filter { $0.isAttached || $0.isFollower }
    var fds = held.map { pollfd(fd: $0.fd, events: Int16(POLLIN) | Self.peerClosed, revents: 0) }
    guard !fds.isEmpty, poll(&fds, nfds_t(fds.count), 0) > 0 else { return }
    for (index, connection) in held.enumerated() where fds[index].revents & (Self.peerClosed | Int16(POLLHUP | POLLERR)) != 0 {
      read(connection, toTheEnd: true)
    }
  }

  /// Tells a connection about to be closed why, if its socket takes the line at once (a client that never
  /// said hello gets no queue): a console then says the monitor's reason rather than "closed".
  static func refuseAtOnce(_ fd: Int32, _ reason: String) {
    let line = ConsoleProtocol.encode(.refused(ConsoleRefusal(reason: reason)))
    _ = line.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
  }

  /// POLLRDHUP: the peer closed its end (Linux).
  static let peerClosed: Int16 = 0x2000

  /// A connection line, within the log budget.
  func logConnection(_ level: Logger.Level, _ kind: ConnectionLogBudget.Kind, _ message: @autoclosure () -> String) {
    guard connectionLog.admit(kind, now: .now) else { return }
    logger.log(level: level, "\(message())")
  }

  /// The descriptor number from which an accepted connection is closed at once: the process's soft limit less the
  /// reserve (descriptors are numbered lowest free first, so one at or past it leaves fewer than the reserve free).
  func descriptorCeiling() -> Int32 {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int32.max) else { return .max }
    return Int32(limit.rlim_cur) - Int32(limits.descriptorReserve)
  }

  // MARK: Connections

  func accept() {
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

  func drop(_ connection: ConsoleConnection, reason: String, level: Logger.Level) {
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
  func read(_ connection: ConsoleConnection, toTheEnd: Bool = false) {
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

  func handle(_ message: ConsoleMessage, from connection: ConsoleConnection) throws(ConsoleProtocolError) {
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
  func actor(of connection: ConsoleConnection, answering id: Int) -> OperatorIdentity? {
    guard let hello = connection.hello, !hello.readOnly else {
      enqueue(.answer(ConsoleAnswer(id: id, outcome: .notAllowed("read-only console"))), to: connection)
      return nil
    }
    return OperatorIdentity(name: hello.operatorName, unixUser: connection.unixUser)
  }

  /// Answers request `id` when `result` completes: applied, refused with the engine's reason, applied but not yet
  /// saved, or not allowed (the monitor's role, a stop).
  func answer(_ id: Int, to connection: ConsoleConnection, when result: EventLoopFuture<Void>) {
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

  func greet(_ connection: ConsoleConnection, _ hello: ConsoleHello) {
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

  static func versionRefusal(theirs: Int) -> String {
    "this monitor speaks console protocol version \(ConsoleProtocol.version), the console version \(theirs): use the same bridgewatch for both"
  }

  func refuse(_ connection: ConsoleConnection, _ reason: String) {
    enqueue(.refused(ConsoleRefusal(reason: reason)), to: connection)
    connection.hello?.purpose = .status
    connection.closeWhenFlushed = true
    flush(connection)
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
    subscription.showDetails(Set(connections.values.compactMap(\.detailSite)))
  }
}
