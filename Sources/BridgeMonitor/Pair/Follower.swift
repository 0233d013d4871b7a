import BridgeCore
import CLinux
import Foundation
import Logging
import Synchronization

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
