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
  /// The relay's pid, also its process group's: closing ends it and every process it started (`ProcessTree`).
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
    let spawned = ProcessTree.spawnLink { bw_spawn_shell(source, &input, &output, &error) }
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

  /// Closes the link; the relay and every process it started are killed (SIGKILL: a stopped relay would not act
  /// on SIGTERM) and reaped, those that left its process group or session (`setsid`) too.
  func close() {
    Glibc.close(readFD)
    if writeFD != readFD { Glibc.close(writeFD) }
    if let errorFD { Glibc.close(errorFD) }
    if let pid { ProcessTree.end(link: pid) }
  }
}

/// The processes of follow and peer commands. Their group is not enough to end them: a command may start
/// something in a session of its own (`setsid`), and one whose parent exits is reparented. So the monitor makes
/// itself the child subreaper of its descendants (PR_SET_CHILD_SUBREAPER, no cgroup needed): whatever a link's
/// command started stays below the monitor, as a descendant of the relay or, once orphaned, a child of the
/// monitor. Ending a link kills the relay's tree and every orphan (a child of the monitor that is no running
/// link's relay; the monitor starts no other processes), and reaps them all.
enum ProcessTree {
  /// The relays of the links now open; held while one is started or ended, so no new relay is taken for an orphan.
  private static let links = Mutex<Set<Int32>>([])

  /// Runs `spawn` (returns the relay's pid, or -1) as a link's relay.
  static func spawnLink(_ spawn: () -> Int32) -> Int32 {
    links.withLock { links in
      _ = bw_become_subreaper()
      let pid = spawn()
      if pid > 0 { links.insert(pid) }
      return pid
    }
  }

  /// Kills the relay `pid`, its descendants and the monitor's orphans, and reaps them.
  static func end(link pid: Int32) {
    links.withLock { links in
      links.remove(pid)
      kill(-pid, SIGKILL)
      let me = getpid()
      // Rounds until nothing is left: a process may fork while its siblings are killed. Bounded: a kernel that
      // keeps one alive (uninterruptible sleep) must not hang the follow link.
      for _ in 0..<200 {
        let table = processTable()
        // The relay, while it is still the monitor's child (once reaped, its pid may be another process's).
        var doomed: Set<Int32> = table[pid]?.parent == me ? [pid] : []
        var grew = true
        while grew {
          grew = false
          for (child, entry) in table where !doomed.contains(child) {
            let orphan = entry.parent == me && !links.contains(child)
            if orphan || doomed.contains(entry.parent) {
              doomed.insert(child)
              grew = true
            }
          }
        }
        var present = 0
        for member in doomed {
          guard let entry = table[member] else { continue }
          present += 1
          if !entry.isZombie {
            kill(member, SIGKILL)
          } else if entry.parent == me {
            var status: Int32 = 0
            _ = waitpid(member, &status, WNOHANG)
          }
          // A zombie of another (killed) parent comes to the monitor when that one dies, and is reaped then.
        }
        if present == 0 { return }
        usleep(5_000)
      }
    }
  }

  /// Every process's parent and whether it is a zombie, from /proc.
  private static func processTable() -> [Int32: (parent: Int32, isZombie: Bool)] {
    var table: [Int32: (parent: Int32, isZombie: Bool)] = [:]
    guard let directory = opendir("/proc") else { return table }
    defer { closedir(directory) }
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8) else { continue }
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so the fields start after the last ')'.
      guard let close = stat.lastIndex(of: ")") else { continue }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 1, let parent = Int32(fields[1]) else { continue }
      table[pid] = (parent, fields[0] == "Z")
    }
    return table
  }
}

/// What a relay writes on its standard error, for the log: read at most `chunkBytes` each `readEverySeconds`,
/// and logged as one bounded excerpt at most each `logEverySeconds`, the rest counted.
struct RelayErrorOutput {
  static let chunkBytes = 16 * 1024
  static let readEveryNanos: UInt64 = 100_000_000
  static let logEveryNanos: UInt64 = 10_000_000_000
  static let excerptCharacters = 200

  private var nextRead: UInt64 = 0
  private var nextLog: UInt64 = 0
  /// Lines and bytes since the last excerpt logged, not in it.
  private(set) var unloggedLines = 0
  private(set) var unloggedBytes = 0

  func isDue(now: UInt64) -> Bool { now >= nextRead }
  func millisecondsUntilDue(now: UInt64) -> UInt64 { nextRead > now ? (nextRead - now + 999_999) / 1_000_000 : 0 }

  /// Takes one chunk read at `now` (monotonic nanoseconds); returns the line to log, when one is due.
  mutating func take(_ bytes: UnsafeRawBufferPointer, now: UInt64) -> String? {
    nextRead = now + Self.readEveryNanos
    let lines = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    guard now >= nextLog else {
      unloggedLines += lines
      unloggedBytes += bytes.count
      return nil
    }
    nextLog = now + Self.logEveryNanos
    let first = bytes.split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: false).first ?? bytes[...]
    let excerpt = TextSanitizer.printable(String(String(decoding: first, as: UTF8.self).prefix(Self.excerptCharacters)))
    let rest = bytes.count - first.count
    let skipped = (lines: unloggedLines + max(0, lines - 1), bytes: unloggedBytes + max(0, rest - 1))
    unloggedLines = 0
    unloggedBytes = 0
    guard skipped.bytes > 0 else { return excerpt }
    return "\(excerpt) (and \(NumberText.grouped(skipped.lines)) more line(s), \(NumberText.grouped(skipped.bytes)) bytes, not logged)"
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
    var relayErrors = RelayErrorOutput()
    var errorFD = link.errorFD
    while shouldRun {
      let now = DispatchTime.now().uptimeNanoseconds
      var fds = [pollfd(fd: link.readFD, events: Int16(POLLIN), revents: 0)]
      // The relay's standard error is read a bounded chunk at a time, at a bounded pace: one that spews fills its
      // pipe and waits, instead of keeping this thread reading.
      let errorDue = errorFD != nil && relayErrors.isDue(now: now)
      if errorDue, let errorFD { fds.append(pollfd(fd: errorFD, events: Int16(POLLIN), revents: 0)) }
      let wait = errorFD == nil || errorDue ? 200 : Int32(min(200, relayErrors.millisecondsUntilDue(now: now)))
      _ = poll(&fds, nfds_t(fds.count), wait)
      if fds.count > 1, fds[1].revents != 0, let fd = errorFD {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, RelayErrorOutput.chunkBytes)) }
        if count == 0 || (count < 0 && errno != EINTR && errno != EAGAIN) {
          errorFD = nil  // closed: polling it would wake at once, for ever
        } else if count > 0,
          let line = chunk.withUnsafeBytes({ relayErrors.take(UnsafeRawBufferPointer(rebasing: $0[0..<count]), now: now) })
        {
          logger.notice("follow relay says: \(line)")
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
        // Applied on the monitor's loop in the order sent; this thread reads on without waiting for it.
        let count = fresh.count
        monitor.applyFollowed(fresh).whenSuccess { [self] notes in record(applied: count - notes.count, notes: notes) }
      }
      position = FollowPosition(epoch: batch.epoch, after: fresh.last?.revision ?? position?.after ?? batch.revision)
    case .state(let state):
      counts.withLock { $0.resyncs += 1 }
      monitor.applyFollowed(state).whenSuccess { [self] notes in
        logger.notice(
          "resynchronized with the primary's whole operator state at revision \(state.revision) (\(state.sites.count) site(s) with operator decisions)"
        )
        record(applied: 0, notes: notes)
      }
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
