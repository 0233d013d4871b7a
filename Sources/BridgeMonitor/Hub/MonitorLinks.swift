import BridgeCore
import Foundation
import Synchronization

/// The dashboard of `run`: the monitor in the same process.
public final class InProcessLink: MonitorLink {
  private let monitor: Monitor
  public let facts: ConsoleFacts
  private let subscription = Mutex<MonitorSubscription?>(nil)

  public init(monitor: Monitor, facts: ConsoleFacts) {
    self.monitor = monitor
    self.facts = facts
  }

  public func attach(_ deliver: @escaping @Sendable (LinkUpdate) -> Void) {
    let subscription = monitor.subscribe { update in deliver(LinkUpdate(snapshot: update.snapshot, events: update.events)) }
    self.subscription.withLock { $0 = subscription }
    monitor.requestPublish()
  }

  public func perform(
    _ request: OperatorRequest, operatorName: String, answer: @escaping @Sendable (ConsoleAnswer.Outcome) -> Void
  ) {
    // The monitor's own dashboard runs as the monitor's user: only the operator's name says who. The new state is
    // published (and delivered) before the future completes.
    monitor.applyAndPublish(request, by: OperatorIdentity(name: operatorName)).whenComplete { result in
      switch result {
      case .success(let events): answer(.applied(events: events))
      case .failure(let refused as OperatorActionError): answer(.refused(refused))
      case .failure(let unsaved as JournalNotSaved): answer(.unsaved(unsaved.reason))
      case .failure(let error): answer(.notAllowed("\(error)"))
      }
    }
  }

  public func showDetail(site: Int?) {
    subscription.withLock { $0 }?.showDetail(site: site)
    monitor.requestPublish()
  }

  public func detach() { subscription.withLock { $0 }?.cancel() }
}

/// A console's link to a monitor over its Unix socket: a snapshot, then deltas, kept in a `ConsoleMirror`. When
/// the monitor goes away the link says so and connects again by itself, every second, until it is back.
public final class ConsoleClient: MonitorLink {
  public struct Refused: Error, CustomStringConvertible {
    public var description: String
  }

  public let path: String
  private let hello: ConsoleHello
  private let group: String?
  /// The monitor's pid and the Unix user it records for this console, from the first welcome.
  public let monitorPID: Int
  public let unixUser: String
  /// Asked for, or imposed by the monitor (`console.read_only_users`).
  public let isReadOnly: Bool
  private let state: Mutex<State>
  private let stopping = Atomic<Bool>(false)
  /// How long a request waits for the monitor's answer before its caller is told none came.
  public static let answerTimeout: TimeInterval = 5

  private struct State {
    var fd: Int32
    /// What `connect` read past the welcome, for the reader of `fd` to start from.
    var framer: LineFramer?
    var mirror: ConsoleMirror
    var nextRequest = 1
    /// Who waits for the answer to each request sent and not yet answered (nor given up on).
    var awaiting: [Int: @Sendable (ConsoleAnswer.Outcome) -> Void] = [:]
    var detailSiteID: String?
    var deliver: (@Sendable (LinkUpdate) -> Void)?
    var readerStarted = false
    /// When the newest event handed to the face happened: a snapshot's recent events after it are new to the face
    /// (it attached, or came back after the monitor restarted); those before it are already in its log.
    var loggedUntil = -Double.infinity

    mutating func newEvents(_ events: [EngineEvent]) -> [EngineEvent] {
      let new = events.filter { $0.time.unixSeconds > loggedUntil }
      if let last = new.map(\.time.unixSeconds).max() { loggedUntil = last }
      return mirror.shownEvents(new)
    }
  }

  public var facts: ConsoleFacts { state.withLock { $0.mirror.facts } }

  /// The state as last received (all unknown until the first snapshot).
  public var currentSnapshot: MonitorSnapshot { state.withLock { $0.mirror.snapshot } }

  /// Whether a monitor answers on `path`: its welcome, or the reason none does.
  public static func probe(path: String, timeout: Double = 5) throws -> ConsoleWelcome {
    let (fd, welcome, _) = try connect(
      path: path, hello: ConsoleHello(operatorName: "probe", readOnly: true, group: nil, purpose: .peer), timeout: timeout)
    close(fd)
    return welcome
  }

  /// Asks the monitor on `path` to become the primary (`bridgewatch promote`): its answer.
  public static func promote(path: String, operatorName: String) throws -> ConsoleAnswer.Outcome {
    let (fd, _, welcomeFramer) = try connect(
      path: path, hello: ConsoleHello(operatorName: operatorName, readOnly: false, group: nil, purpose: .console))
    defer { close(fd) }
    var framer = welcomeFramer
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    try send(.promote(ConsolePromote(id: 1)), on: fd)
    while let line = try readLine(fd, &framer, waited: 10) {
      if case .answer(let answer) = try ConsoleProtocol.decode(line), answer.id == 1 { return answer.outcome }
    }
    throw ConsoleSocket.Failure("the monitor closed the connection before answering")
  }

  /// Who the monitor on `path` is (`run --peer`): its welcome, with its role, without attaching.
  public static func peer(path: String) throws -> ConsoleWelcome {
    let (fd, welcome, _) = try connect(
      path: path, hello: ConsoleHello(operatorName: "peer", readOnly: true, group: nil, purpose: .peer))
    close(fd)
    return welcome
  }

  /// What `bridgewatch status` prints.
  public struct Status: Sendable {
    public var welcome: ConsoleWelcome
    public var mirror: ConsoleMirror
    public var consoles: ConsoleList
  }

  /// Asks the monitor on `path` for a snapshot and its list of consoles.
  public static func status(path: String) throws -> Status {
    let user = ConsoleSocket.userName(getuid())
    let (fd, welcome, welcomeFramer) = try connect(
      path: path, hello: ConsoleHello(operatorName: user, readOnly: true, group: nil, purpose: .status))
    defer { close(fd) }
    var framer = welcomeFramer
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var mirror = try ConsoleMirror(facts: welcome.facts)
    var sawSnapshot = false
    while let line = try readLine(fd, &framer) {
      switch try ConsoleProtocol.decode(line) {
      case .snapshot(let snapshot):
        mirror.apply(snapshot)
        sawSnapshot = true
      case .detail: break
      case .consoles(let list) where sawSnapshot: return Status(welcome: welcome, mirror: mirror, consoles: list)
      case let other: throw ConsoleSocket.Failure("the monitor sent \(other.typeName) where its status was expected")
      }
    }
    throw ConsoleSocket.Failure("the monitor closed the connection before sending its status")
  }

  /// Connects and reads the welcome; throws when no monitor answers, it refuses this console, or the group does
  /// not exist.
  public init(path: String, hello: ConsoleHello) throws {
    self.path = path
    self.hello = hello
    group = hello.group
    let (fd, welcome, framer) = try Self.connect(path: path, hello: hello)
    monitorPID = welcome.pid
    unixUser = welcome.unixUser
    isReadOnly = hello.readOnly || welcome.readOnly == true
    do {
      state = Mutex(State(fd: fd, framer: framer, mirror: try ConsoleMirror(facts: welcome.facts, group: hello.group)))
    } catch {
      close(fd)
      throw error
    }
  }

  /// Connects, says `hello` and reads the welcome. A listener that does not answer as a monitor (nothing within
  /// `timeout`, a close, a line that is not a welcome or a refusal) is named by the pid and user the kernel gives
  /// for it: a console never talks to an impostor without saying so. What followed the welcome in the same read
  /// stays in the framer returned, for the descriptor's reader.
  private static func connect(
    path: String, hello: ConsoleHello, timeout seconds: Double = 5
  ) throws -> (Int32, ConsoleWelcome, LineFramer) {
    let fd = try ConsoleSocket.connect(path: path)
    // The welcome comes at once from a live monitor; one that does not answer is as good as gone.
    var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var framer = LineFramer(limit: ConsoleProtocol.maximumMonitorLine)
    do {
      do {
        try send(.hello(hello), on: fd)
        guard let line = try readLine(fd, &framer, waited: seconds) else {
          throw ConsoleSocket.Failure("it closed the connection without a welcome")
        }
        switch try ConsoleProtocol.decode(line) {
        case .welcome(let welcome):
          timeout = timeval(tv_sec: 0, tv_usec: 0)
          setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
          return (fd, welcome, framer)
        case .refused(let refusal): throw Refused(description: "the monitor refused this console: \(refusal.reason)")
        case let other: throw ConsoleSocket.Failure("it sent \(other.typeName) where a welcome was due")
        }
      } catch let refused as Refused {
        throw refused
      } catch {
        let listener = ConsoleSocket.peer(of: fd).map { "pid \($0.pid), user \($0.user)" } ?? "unknown process"
        throw ConsoleSocket.Failure(
          "the process listening on \(path) (\(listener)) did not answer as a bridgewatch monitor: \(TextSanitizer.printable("\(error)"))")
      }
    } catch {
      close(fd)
      throw error
    }
  }

  private static func send(_ message: ConsoleMessage, on fd: Int32) throws {
    let bytes = ConsoleProtocol.encode(message)
    var sent = 0
    while sent < bytes.count {
      let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
      if count < 0 {
        if errno == EINTR { continue }
        throw ConsoleSocket.Failure("cannot write to the monitor", errno: errno)
      }
      sent += count
    }
  }

  /// The next line, reading as needed; nil at the end of the stream.
  private static func readLine(_ fd: Int32, _ framer: inout LineFramer, waited seconds: Double = 5) throws -> ArraySlice<UInt8>? {
    var chunk = [UInt8](repeating: 0, count: 256 * 1024)
    while true {
      if let line = try framer.nextLine() { return line }
      let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if count == 0 { return nil }
      if count < 0 {
        if errno == EINTR { continue }
        if errno == EAGAIN { throw ConsoleSocket.Failure("nothing came within \(DurationText.format(.milliseconds(Int(seconds * 1000))))") }
        throw ConsoleSocket.Failure("cannot read from the monitor", errno: errno)
      }
      chunk.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
  }

  public func attach(_ deliver: @escaping @Sendable (LinkUpdate) -> Void) {
    state.withLock {
      $0.deliver = deliver
      $0.readerStarted = true
    }
    let thread = Thread { [self] in
      ThreadName.setCurrent("bw-console-link")
      readLoop()
    }
    thread.name = "console-link"
    thread.start()
  }

  public func perform(
    _ request: OperatorRequest, operatorName: String, answer: @escaping @Sendable (ConsoleAnswer.Outcome) -> Void
  ) {
    // Sent under the lock: the reader clears `fd` before closing it, so a request never goes to a reused number.
    let sent = state.withLock { state -> Result<Int, ConsoleSocket.Failure> in
      guard state.fd >= 0 else { return .failure(ConsoleSocket.Failure(Strings(.en)(.monitorGone))) }
      let id = state.nextRequest
      state.nextRequest += 1
      do {
        try Self.send(.request(ConsoleRequest(id: id, request: request)), on: state.fd)
      } catch {
        return .failure(ConsoleSocket.Failure("\(error)"))
      }
      state.awaiting[id] = answer
      return .success(id)
    }
    switch sent {
    case .failure(let failure): answer(.notAllowed(failure.description))
    case .success(let id):
      DispatchQueue.global().asyncAfter(deadline: .now() + Self.answerTimeout) { [weak self] in
        guard let waiting = self?.state.withLock({ $0.awaiting.removeValue(forKey: id) }) else { return }
        waiting(.notAllowed(Strings(.en)(.noAnswer)))
      }
    }
  }

  public func showDetail(site: Int?) {
    state.withLock { state in
      state.detailSiteID = site.map { state.mirror.facts.sites[state.mirror.shownSites[$0]].id }
      if state.fd >= 0 { try? Self.send(.show(ConsoleShow(site: state.detailSiteID)), on: state.fd) }
    }
  }

  public func detach() {
    stopping.store(true, ordering: .relaxed)
    // Under the lock: the reader clears `fd` before it closes it, so this never reaches a number reused since.
    state.withLock { state in
      guard state.fd >= 0 else { return }
      if state.readerStarted {
        shutdown(state.fd, Int32(SHUT_RDWR))  // the reader wakes, sees `stopping` and closes it
      } else {
        close(state.fd)
        state.fd = -1
      }
    }
  }

  // MARK: On the link's thread

  private func readLoop() {
    while !stopping.load(ordering: .relaxed) {
      let (fd, welcomeFramer) = state.withLock { state in
        defer { state.framer = nil }
        return (state.fd, state.framer)
      }
      var framer = welcomeFramer ?? LineFramer(limit: ConsoleProtocol.maximumMonitorLine)
      var reason = "the monitor closed the connection"
      do {
        while let line = try Self.readLine(fd, &framer) {
          try receive(try ConsoleProtocol.decode(line), fd: fd)
        }
      } catch {
        reason = "\(error)"
      }
      let deliver = state.withLock { state in
        state.fd = -1
        return state.deliver
      }
      close(fd)
      if stopping.load(ordering: .relaxed) { return }
      deliver?(LinkUpdate(snapshot: nil, events: [], connection: .lost(reason: reason)))
      reconnect()
    }
  }

  private func receive(_ message: ConsoleMessage, fd: Int32) throws {
    switch message {
    case .snapshot(let snapshot):
      let (update, events, deliver) = state.withLock { state in
        state.mirror.apply(snapshot)
        return (state.mirror.snapshot, state.newEvents((snapshot.events ?? []).map(\.event)), state.deliver)
      }
      deliver?(LinkUpdate(snapshot: update, events: events))
    case .delta(let delta):
      let (outcome, update, deliver) = state.withLock { state in
        let outcome = state.mirror.apply(delta)
        if case .applied = outcome, let last = delta.events.map(\.event.time.unixSeconds).max() {
          state.loggedUntil = max(state.loggedUntil, last)
        }
        return (outcome, state.mirror.snapshot, state.deliver)
      }
      switch outcome {
      case .needsSnapshot: try Self.send(.resync, on: fd)
      case .applied(let events): deliver?(LinkUpdate(snapshot: update, events: events))
      }
    case .detail(let detail):
      let (update, deliver) = state.withLock { state in
        state.mirror.apply(detail)
        return (state.mirror.snapshot, state.deliver)
      }
      deliver?(LinkUpdate(snapshot: update, events: []))
    case .answer(let answer):
      let (outcome, waiting) = state.withLock { state in
        var outcome = answer.outcome
        // The events name the monitor's sites: renumbered to the ones shown, as a delta's are.
        if case .applied(let events?) = outcome { outcome = .applied(events: state.mirror.shownEvents(events)) }
        return (outcome, state.awaiting.removeValue(forKey: answer.id))
      }
      waiting?(outcome)
    case .refused(let refusal):
      throw Refused(description: refusal.reason)
    case .consoles, .welcome, .actions, .state:
      break
    case .hello, .request, .show, .resync, .promote:
      throw ConsoleSocket.Failure("the monitor sent \(message.typeName), which only consoles send")
    }
  }

  /// Tries every second until a monitor answers on the socket, then takes up where it left off: the same group,
  /// the same detail pane; the screen keeps its filter, sort, folds and selection.
  private func reconnect() {
    while !stopping.load(ordering: .relaxed) {
      Thread.sleep(forTimeInterval: 1)
      guard let (fd, welcome, framer) = try? Self.connect(path: path, hello: hello) else { continue }
      let (detail, facts) = state.withLock { ($0.detailSiteID, $0.mirror.facts) }
      if welcome.facts != facts {
        // The conference changed under us (a new roster): start over from its facts.
        guard let mirror = try? ConsoleMirror(facts: welcome.facts, group: group) else {
          close(fd)
          continue
        }
        state.withLock { $0.mirror = mirror }
      }
      let detached = state.withLock { state -> Bool in
        if stopping.load(ordering: .relaxed) { return true }
        state.fd = fd
        state.framer = framer
        if let detail { try? Self.send(.show(ConsoleShow(site: detail)), on: fd) }
        return false
      }
      if detached { close(fd) }
      return
    }
  }
}
