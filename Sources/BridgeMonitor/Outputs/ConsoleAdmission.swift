import BridgeCore
import Foundation
import Logging
import NIOCore

/// The console thread admitting connections: accepting within the descriptor reserve, the bounds on pending
/// connections and their deadline, the hello and the limits on consoles and standbys, refusals, and closing.
extension ConsoleServerLoop {
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
    let rows = connection.readsRows
    if encodedFacts[rows] == nil { encodedFacts[rows] = ConsoleProtocol.encode(facts: facts, rows: rows) }
    enqueue(bytes: ConsoleProtocol.encodeWelcome(welcome, facts: encodedFacts[rows]!, rows: rows), to: connection, kind: .reply)
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
    if published == nil {
      // Said before asking: the publish asked for must not come back empty because the loop had not yet said
      // that someone wants the state (the console would then wait for the next tick, up to a second).
      inbox.wantsSnapshots.store(true, ordering: .relaxed)
      monitor.requestPublish()
    }
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
}
