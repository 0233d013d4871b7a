import BridgeCore
import CLinux
import Foundation
import Logging
import Synchronization

/// A line-based link to another monitor's console socket: the socket itself, or a command whose standard input
/// and output reach it (`ssh bw@primary bridgewatch console --relay CONFIG`). A source that starts with `/` or
/// `.` is a socket path; anything else is run with `/bin/sh -c`.
final class MonitorPeerLink {
  let readFD: Int32
  let writeFD: Int32
  /// The relay's standard error, read for the log.
  let errorFD: Int32?
  /// The relay's pid, also its process group's: closing kills the group (an `ssh` and whatever the shell started).
  let pid: Int32?

  static func isSocketPath(_ source: String) -> Bool { source.hasPrefix("/") || source.hasPrefix(".") }

  init(source: String) throws {
    if Self.isSocketPath(source) {
      let fd = try ConsoleSocket.connect(path: source)
      readFD = fd
      writeFD = fd
      errorFD = nil
      pid = nil
      return
    }
    var input: Int32 = -1
    var output: Int32 = -1
    var error: Int32 = -1
    let spawned = bw_spawn_shell(source, &input, &output, &error)
    guard spawned > 0 else { throw ConsoleSocket.Failure("cannot run the follow command", errno: errno) }
    pid = spawned
    readFD = output
    writeFD = input
    errorFD = error
  }

  func send(_ message: ConsoleMessage) throws {
    let bytes = ConsoleProtocol.encode(message)
    var sent = 0
    while sent < bytes.count {
      let count = bytes.withUnsafeBytes { Glibc.write(writeFD, $0.baseAddress! + sent, $0.count - sent) }
      if count < 0 {
        if errno == EINTR { continue }
        throw ConsoleSocket.Failure("cannot write to the link", errno: errno)
      }
      sent += count
    }
  }

  /// Closes the link; a relay's whole process group is killed (SIGKILL: a stopped relay would not act on
  /// SIGTERM) and the relay reaped.
  func close() {
    Glibc.close(readFD)
    if writeFD != readFD { Glibc.close(writeFD) }
    if let errorFD { Glibc.close(errorFD) }
    if let pid {
      kill(-pid, SIGKILL)
      var status: Int32 = 0
      while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
  }
}

/// A standby's side of the follow link (`run --follow SOURCE`), on a thread of its own: connects, asks for the
/// actions after the last one applied (or the whole state), applies each in order with its operator and time,
/// and tells the monitor every time the primary is heard. A link that breaks, stalls or sends anything but the
/// protocol is dropped with the reason logged and tried again, each second at first, then every ten. Stops when
/// the monitor is promoted.
public final class Follower: Sendable {
  public let source: String
  private let monitor: Monitor
  private let logger: Logger
  private let facts: ConsoleFacts
  /// No line for this long (a keep-alive comes every second): the link is dropped and made again.
  private let stallSeconds: Double
  private let stopped = Atomic<Bool>(false)
  private let started = Atomic<Bool>(false)
  private let finished = Atomic<Bool>(false)
  /// The pid of the relay now running (tests).
  private let relayPID = Atomic<Int32>(0)
  /// Actions applied and links made (status and tests).
  private let counts = Mutex<(applied: Int, notApplied: Int, connections: Int, resyncs: Int)>((0, 0, 0, 0))

  public init(source: String, monitor: Monitor, facts: ConsoleFacts, logger: Logger, stallAfter: Duration) {
    self.source = source
    self.monitor = monitor
    self.facts = facts
    self.logger = logger
    stallSeconds = max(2, Double(stallAfter.nanoseconds) / 1e9)
  }

  public var currentRelayPID: Int32? {
    let pid = relayPID.load(ordering: .relaxed)
    return pid > 0 ? pid : nil
  }

  public func start() {
    // A relay that exits must not kill the monitor with SIGPIPE at the next write to its pipe.
    signal(SIGPIPE, SIG_IGN)
    let thread = Thread { [self] in
      ThreadName.setCurrent("bw-follow")
      run()
      finished.store(true, ordering: .releasing)
    }
    thread.name = "follow"
    started.store(true, ordering: .relaxed)
    thread.start()
  }

  public func stop() {
    stopped.store(true, ordering: .relaxed)
    while started.load(ordering: .relaxed) && !finished.load(ordering: .acquiring) { usleep(10_000) }
  }

  private var shouldRun: Bool { !stopped.load(ordering: .relaxed) && monitor.isFollowing }

  private func run() {
    var position: FollowPosition?
    var failures = 0
    var lastProblem: String?
    while shouldRun {
      let problem: String
      do {
        problem = try follow(from: &position)
        failures = 0
      } catch {
        problem = "\(error)"
        failures += 1
      }
      guard shouldRun else { break }
      let wait = failures <= 3 ? 1 : 10
      monitor.notePrimaryContact(linkProblem: problem)
      if problem != lastProblem || failures == 1 {
        logger.warning("follow link to \(source) dropped: \(problem); trying again in \(wait)s")
      }
      lastProblem = problem
      for _ in 0..<(wait * 10) where shouldRun { usleep(100_000) }
    }
  }

  /// One connection: returns (or throws) why it ended.
  private func follow(from position: inout FollowPosition?) throws -> String {
    let link = try MonitorPeerLink(source: source)
    relayPID.store(link.pid ?? 0, ordering: .relaxed)
    defer {
      relayPID.store(0, ordering: .relaxed)
      link.close()
    }

    counts.withLock { $0.connections += 1 }
    try link.send(
      .hello(ConsoleHello(operatorName: "standby", readOnly: true, group: nil, purpose: .follow, follow: position)))
    var framer = LineFramer(limit: ConsoleProtocol.maximumMonitorLine / 4)
    var welcomed = false
    var lastLine = DispatchTime.now().uptimeNanoseconds
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    var stderrNote = ThrottledNote()
    while shouldRun {
      var fds = [pollfd(fd: link.readFD, events: Int16(POLLIN), revents: 0)]
      if let errorFD = link.errorFD { fds.append(pollfd(fd: errorFD, events: Int16(POLLIN), revents: 0)) }
      _ = poll(&fds, nfds_t(fds.count), 200)
      if fds.count > 1, fds[1].revents != 0 {
        let count = chunk.withUnsafeMutableBytes { read(link.errorFD!, $0.baseAddress, $0.count) }
        if count > 0, let more = stderrNote.due(count: 1, now: SystemClock().now()) {
          let text = String(decoding: chunk[0..<count], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
          logger.notice("follow relay says: \(TextSanitizer.printable(String(text.prefix(200))))\(more)")
        }
      }
      if fds[0].revents != 0 {
        let count = chunk.withUnsafeMutableBytes { read(link.readFD, $0.baseAddress, $0.count) }
        if count == 0 { return welcomed ? "the primary closed the link" : "the link closed before the primary's welcome" }
        if count < 0 {
          if errno == EINTR || errno == EAGAIN { continue }
          return "cannot read: \(String(cString: strerror(errno)))"
        }
        chunk.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        while let line = try framer.nextLine() {
          lastLine = DispatchTime.now().uptimeNanoseconds
          let message = try ConsoleProtocol.decode(line)
          if !welcomed {
            guard case .welcome(let welcome) = message else {
              if case .refused(let refusal) = message { return "the primary refused: \(TextSanitizer.printable(refusal.reason))" }
              throw ConsoleProtocolError.malformed("expected a welcome, got \(message.typeName)")
            }
            welcomed = true
            checkFacts(welcome.facts)
            monitor.notePrimaryContact()
            continue
          }
          try take(message, position: &position)
          monitor.notePrimaryContact()
        }
      }
      let quiet = Double(DispatchTime.now().uptimeNanoseconds - lastLine) / 1e9
      if quiet > stallSeconds { return "no word from the primary for \(Int(quiet))s" }
    }
    return "stopped"
  }

  private func take(_ message: ConsoleMessage, position: inout FollowPosition?) throws {
    switch message {
    case .actions(let batch):
      if let current = position, current.epoch != batch.epoch {
        throw ConsoleProtocolError.malformed("actions of another run of the primary without its state")
      }
      var fresh = batch.actions
      if let current = position { fresh = fresh.filter { $0.revision > current.after } }  // never twice
      if let first = fresh.first, let current = position, first.revision != current.after + 1 {
        throw ConsoleProtocolError.malformed("actions from revision \(first.revision) after \(current.after): some are missing")
      }
      if position == nil && !fresh.isEmpty {
        throw ConsoleProtocolError.malformed("actions before the primary's state")
      }
      if !fresh.isEmpty {
        let notes = try monitor.applyFollowed(fresh).wait()
        record(applied: fresh.count - notes.count, notes: notes)
      }
      position = FollowPosition(epoch: batch.epoch, after: fresh.last?.revision ?? position?.after ?? batch.revision)
    case .state(let state):
      let notes = try monitor.applyFollowed(state).wait()
      counts.withLock { $0.resyncs += 1 }
      logger.notice(
        "resynchronized with the primary's whole operator state at revision \(state.revision) (\(state.sites.count) site(s) with operator decisions)"
      )
      record(applied: 0, notes: notes)
      position = FollowPosition(epoch: state.epoch, after: state.revision)
    case .refused(let refusal):
      throw ConsoleSocket.Failure("the primary refused: \(TextSanitizer.printable(refusal.reason))")
    default:
      throw ConsoleProtocolError.malformed("a primary does not send \(message.typeName) to a standby")
    }
  }

  private func record(applied: Int, notes: [String]) {
    counts.withLock {
      $0.applied += applied
      $0.notApplied += notes.count
    }
    for note in notes.prefix(5) { logger.warning("a followed action was not applied here: \(TextSanitizer.printable(note))") }
    if notes.count > 5 { logger.warning("\(notes.count - 5) more followed actions were not applied here") }
  }

  private let warnedFacts = Atomic<Bool>(false)
  private func checkFacts(_ theirs: ConsoleFacts) {
    guard !warnedFacts.load(ordering: .relaxed) else { return }
    let mine = Set(facts.sites.map(\.id))
    let missing = Set(theirs.sites.map(\.id)).subtracting(mine)
    guard !missing.isEmpty else { return }
    warnedFacts.store(true, ordering: .relaxed)
    logger.warning(
      "the primary has \(missing.count) site(s) this standby's config lacks (e.g. \(TextSanitizer.printable(missing.sorted().first!))); their actions cannot be applied here"
    )
  }

  /// Actions applied, actions that could not be, links made, whole-state resyncs.
  public var tallies: (applied: Int, notApplied: Int, connections: Int, resyncs: Int) { counts.withLock { $0 } }
}

/// An old primary's watch on its peer (`run --peer SOURCE`): every few seconds, asks the peer who it is; a peer
/// that was promoted means this monitor was replaced, which every face then shows.
public final class PeerWatch: Sendable {
  public let source: String
  private let monitor: Monitor
  private let stopped = Atomic<Bool>(false)
  private let finished = Atomic<Bool>(false)
  private let started = Atomic<Bool>(false)
  private let period: Double

  public init(source: String, monitor: Monitor, every period: Duration = .seconds(5)) {
    self.source = source
    self.monitor = monitor
    self.period = Double(period.nanoseconds) / 1e9
  }

  public func start() {
    let thread = Thread { [self] in
      ThreadName.setCurrent("bw-peer")
      while !stopped.load(ordering: .relaxed) {
        if let role = try? Self.role(of: source), role.kind == .primary, let promotedAt = role.promotedAt {
          monitor.noteReplaced(by: source, promotedAt: promotedAt)
        }
        for _ in 0..<Int(period * 10) where !stopped.load(ordering: .relaxed) { usleep(100_000) }
      }
      finished.store(true, ordering: .releasing)
    }
    started.store(true, ordering: .relaxed)
    thread.start()
  }

  public func stop() {
    stopped.store(true, ordering: .relaxed)
    while started.load(ordering: .relaxed) && !finished.load(ordering: .acquiring) { usleep(10_000) }
  }

  /// The role the monitor at `source` states in its welcome (nil: a monitor from before standbys).
  static func role(of source: String) throws -> MonitorRole? {
    let link = try MonitorPeerLink(source: source)
    defer { link.close() }
    try link.send(.hello(ConsoleHello(operatorName: "peer", readOnly: true, group: nil, purpose: .peer)))
    var framer = LineFramer(limit: ConsoleProtocol.maximumMonitorLine / 4)
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
    while DispatchTime.now().uptimeNanoseconds < deadline {
      var descriptor = pollfd(fd: link.readFD, events: Int16(POLLIN), revents: 0)
      guard poll(&descriptor, 1, 200) >= 0 else { continue }
      guard descriptor.revents != 0 else { continue }
      let count = chunk.withUnsafeMutableBytes { read(link.readFD, $0.baseAddress, $0.count) }
      guard count > 0 else { throw ConsoleSocket.Failure("the peer closed the link") }
      chunk.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
      if let line = try framer.nextLine() {
        guard case .welcome(let welcome) = try ConsoleProtocol.decode(line) else { throw ConsoleSocket.Failure("no welcome") }
        return welcome.role
      }
    }
    throw ConsoleSocket.Failure("the peer did not answer")
  }
}
