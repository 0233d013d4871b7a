import BridgeCore
import BridgeMonitor
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

/// The console server on a real Unix socket, with a raw client that speaks the protocol line by line.
@Suite struct ConsoleServerTests {
  struct Served {
    let fixture: MonitorFixture
    let server: ConsoleServer
    var path: String { server.path }

    static func start(limits: ConsoleServer.Limits = ConsoleServer.Limits(), log: CollectedLog? = nil) async throws -> Served {
      let fixture = try await MonitorFixture.start(
        consoles: limits, logger: log?.logger ?? Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
      let server = try #require(fixture.monitor.consoleServer, "the hub's wiring holds the console server")
      return Served(fixture: fixture, server: server)
    }

    /// The hub stops its outputs, the console server among them.
    func stop() async {
      await fixture.stop()
    }
  }

  /// A console as bytes on a socket: what it sends, and each line it receives.
  final class RawConsole {
    let fd: Int32
    private var pending: [UInt8] = []

    init(path: String, receiveBuffer: Int32? = nil) throws {
      fd = try ConsoleSocket.connect(path: path)
      if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
      var timeout = timeval(tv_sec: 5, tv_usec: 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
    func send(_ message: ConsoleMessage) { send(ConsoleProtocol.encode(message)) }

    func hello(
      version: Int = ConsoleProtocol.version, readOnly: Bool = false, purpose: ConsoleHello.Purpose = .console, readsRows: Bool? = true
    ) {
      send(
        .hello(
          ConsoleHello(version: version, operatorName: "lan", readOnly: readOnly, group: nil, purpose: purpose, readsRows: readsRows)))
    }

    /// The next line as sent, without its newline; nil when the monitor closed the connection (or nothing came
    /// within 5 s).
    func receiveLine() -> [UInt8]? {
      var chunk = [UInt8](repeating: 0, count: 65536)
      while true {
        if let newline = pending.firstIndex(of: 0x0A) {
          defer { pending.removeFirst(newline + 1) }
          return Array(pending[..<newline])
        }
        let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count <= 0 { return nil }
        pending += chunk[0..<count]
      }
    }

    /// The next message; nil when the monitor closed the connection (or nothing came within 5 s).
    func receive() -> ConsoleMessage? { receiveLine().flatMap { try? ConsoleProtocol.decode($0) } }

    /// Messages until one matches.
    func receive<T>(until match: (ConsoleMessage) -> T?) -> T? {
      while let message = receive() {
        if let found = match(message) { return found }
      }
      return nil
    }
  }

  @Test func aConsoleGetsTheFactsASnapshotThenDeltasWithOtherConsolesActions() async throws {
    let served = try await Served.start()
    try await stopping(served.stop) { () async throws in
      var info = stat()
      #expect(stat(served.path, &info) == 0 && info.st_mode & 0o777 == 0o660, "owner and group may attach, nobody else")

      let desk = try RawConsole(path: served.path)
      desk.hello()
      guard case .welcome(let welcome) = desk.receive() else { Issue.record("no welcome"); return }
      #expect(welcome.facts.sites.map(\.id) == ["HB-TU", "HB-DB-HU", "HB-DB-TULY"])
      #expect(welcome.unixUser == ConsoleSocket.userName(getuid()))
      #expect(welcome.pid == Int(getpid()))
      guard case .snapshot(let snapshot) = desk.receive() else { Issue.record("no snapshot"); return }
      var mirror = try ConsoleMirror(facts: welcome.facts)
      mirror.apply(snapshot)

      // Another console marks a site; this one gets a delta with the record and the event, then its own answer is
      // not involved (it asked nothing).
      let other = try RawConsole(path: served.path)
      other.hello()
      _ = other.receive(until: { if case .snapshot = $0 { true } else { nil } })
      other.send(.request(ConsoleRequest(id: 7, request: OperatorRequest(site: "HB-DB-HU", action: .mark(reason: "line down")))))
      let answer = other.receive(until: { if case .answer(let answer) = $0 { answer } else { nil } })
      #expect(answer?.id == 7 && answer?.outcome.isApplied == true, "\(String(describing: answer))")
      let events = desk.receive(until: { message -> [EngineEvent]? in
        guard case .delta(let delta) = message, case .applied(let events) = mirror.apply(delta), !events.isEmpty else { return nil }
        return events
      })
      #expect(mirror.snapshot.records[1].status == .marked)
      #expect(
        mirror.snapshot.records[1].mark?.operatorName == "lan (\(ConsoleSocket.userName(getuid())))"
          || getuid() == 0 && ConsoleSocket.userName(0) == "lan")
      #expect(events?.first?.siteIndex == 1)
      // The answer carries what the mark did: the events every console got in the delta.
      #expect(answer?.outcome == .applied(events: events))

      // The same mark again is refused with who made it, and nothing changes.
      other.send(.request(ConsoleRequest(id: 8, request: OperatorRequest(site: "HB-DB-HU", action: .mark(reason: "again")))))
      let refused = other.receive(until: { if case .answer(let answer) = $0 { answer } else { nil } })
      guard case .refused(.alreadyMarked(let mark)) = refused?.outcome else { Issue.record("\(String(describing: refused))"); return }
      #expect(mark.reason == "line down")
      #expect(served.server.consoles.consoles.count == 2)
    }
  }

  /// A console that says it reads rows gets the roster as rows; one from before them (no `rows` in its hello) gets
  /// JSON objects, and both hold the same state.
  @Test func rowsGoOnlyToConsolesThatAskForThem() async throws {
    let served = try await Served.start()
    try await stopping(served.stop) { () async throws in
      var lines: [Bool: (welcome: String, snapshot: String)] = [:]
      var decoded: [Bool: (ConsoleFacts, [ConsoleSite])] = [:]
      for readsRows in [false, true] {
        let desk = try RawConsole(path: served.path)
        desk.hello(readsRows: readsRows ? true : nil)
        let welcome = try #require(desk.receiveLine())
        let snapshot = try #require(desk.receiveLine())
        lines[readsRows] = (String(decoding: welcome, as: UTF8.self), String(decoding: snapshot, as: UTF8.self))
        guard case .welcome(let welcomed) = try ConsoleProtocol.decode(welcome),
          case .snapshot(let state) = try ConsoleProtocol.decode(snapshot)
        else {
          Issue.record("not a welcome and a snapshot")
          return
        }
        decoded[readsRows] = (welcomed.facts, state.sites)
      }
      let old = try #require(lines[false])
      let new = try #require(lines[true])
      #expect(!old.welcome.contains("site_rows") && old.welcome.contains(#""sites":[{"#))
      #expect(new.welcome.contains("\"site_rows\":\"HB-TU\u{7F}") && new.welcome.contains(#""sites":[]"#))
      #expect(!old.snapshot.contains(#""rows""#) && new.snapshot.contains(#""rows":"0,"#))
      #expect(decoded[false]?.0 == decoded[true]?.0)
      #expect(decoded[false]?.1.map(\.index) == decoded[true]?.1.map(\.index))
      #expect(decoded[true]?.1.count == 3)
    }
  }

  @Test func aReadOnlyConsoleIsAnsweredNotAllowedAndNothingChanges() async throws {
    let served = try await Served.start()
    try await stopping(served.stop) { () async throws in
      let wall = try RawConsole(path: served.path)
      wall.hello(readOnly: true)
      wall.send(.request(ConsoleRequest(id: 1, request: OperatorRequest(site: "HB-TU", action: .mark(reason: "x")))))
      let answer = wall.receive(until: { if case .answer(let answer) = $0 { answer } else { nil } })
      #expect(answer == ConsoleAnswer(id: 1, outcome: .notAllowed("read-only console")))
      #expect(try await served.fixture.record("HB-TU").mark == nil)
    }
  }

  @Test func aUserTheConfigMakesReadOnlyCannotActWhateverItsHelloSays() async throws {
    // This process's own user stands for the wall account.
    var limits = ConsoleServer.Limits()
    limits.readOnlyUsers = [ConsoleSocket.userName(getuid())]
    let served = try await Served.start(limits: limits)
    try await stopping(served.stop) { () async throws in
      let wall = try RawConsole(path: served.path)
      wall.hello(readOnly: false)
      guard case .welcome(let welcome) = wall.receive() else { Issue.record("no welcome"); return }
      #expect(welcome.readOnly == true, "the console is told, so its keys and footer say so")
      wall.send(.request(ConsoleRequest(id: 1, request: OperatorRequest(site: "HB-TU", action: .mark(reason: "x")))))
      let answer = wall.receive(until: { if case .answer(let answer) = $0 { answer } else { nil } })
      #expect(answer == ConsoleAnswer(id: 1, outcome: .notAllowed("read-only console")))
      #expect(try await served.fixture.record("HB-TU").mark == nil)
      #expect(served.server.consoles.consoles.first?.readOnly == true, "status lists it as read-only")

      // The real client takes it from the welcome.
      let client = try ConsoleClient(
        path: served.path, hello: ConsoleHello(operatorName: "wall", readOnly: false, group: nil, purpose: .console))
      defer { client.detach() }
      #expect(client.isReadOnly)
    }
  }

  @Test func anotherVersionTooManyConsolesAndBadMessagesAreRefusedOrClosed() async throws {
    var limits = ConsoleServer.Limits()
    limits.maximumConsoles = 1
    let served = try await Served.start(limits: limits)
    try await stopping(served.stop) { () async throws in

      let future = try RawConsole(path: served.path)
      future.hello(version: 99)
      guard case .refused(let refusal) = future.receive() else { Issue.record("not refused"); return }
      #expect(refusal.reason.contains("speaks console protocol version \(ConsoleProtocol.version)"))
      #expect(future.receive() == nil, "closed after the refusal")
      // A later version's hello that is not ours in shape is still answered with the version.
      let later = try RawConsole(path: served.path)
      later.send(Array(#"{"type":"hello","version":2,"who":{"name":"lan"}}"#.utf8) + [0x0A])
      guard case .refused(let laterRefusal) = later.receive() else { Issue.record("a later hello was not refused"); return }
      #expect(laterRefusal.reason.contains("the console version 2"))

      let first = try RawConsole(path: served.path)
      first.hello()
      _ = first.receive(until: { if case .snapshot = $0 { true } else { nil } })
      let second = try RawConsole(path: served.path)
      second.hello()
      guard case .refused(let full) = second.receive() else { Issue.record("not refused"); return }
      #expect(full.reason.contains("1 consoles are attached, the most this monitor takes"))

      // A status request is not a console: it is answered even when the consoles are full.
      let status = try RawConsole(path: served.path)
      status.hello(purpose: .status)
      let list = status.receive(until: { if case .consoles(let list) = $0 { list } else { nil } })
      #expect(list?.consoles.count == 1)
      // A script that shuts its side after the hello (`printf … | socat`) still gets the whole reply.
      let script = try RawConsole(path: served.path)
      script.hello(purpose: .status)
      shutdown(script.fd, Int32(SHUT_WR))
      let scriptList = script.receive(until: { if case .consoles(let list) = $0 { list } else { nil } })
      #expect(scriptList?.consoles.count == 1)

      for bad in [
        Array("not json\n".utf8), Array("{\"type\":\"snapshot\"}\n".utf8), [0xFF, 0xFE, 0x0A], Array("{\"type\":\"welcome\"}\n".utf8),
      ] {
        let console = try RawConsole(path: served.path)
        console.send(bad)
        #expect(console.receive() == nil, "closed: \(bad.prefix(20))")
      }
      // A line that never ends is cut off at the limit, not buffered for ever.
      let endless = try RawConsole(path: served.path)
      endless.send([UInt8](repeating: UInt8(ascii: "a"), count: ConsoleProtocol.maximumClientLine + 10))
      #expect(endless.receive() == nil)
      // After all that, the attached console is still served.
      #expect(served.server.consoles.consoles.count == 1)
    }
  }

  @Test func aConsoleThatStopsReadingLosesItsQueueAndGetsAFreshSnapshot() async throws {
    let served = try await Served.start(limits: .small)
    try await stopping(served.stop) { () async throws in
      let slow = try RawConsole(path: served.path, receiveBuffer: 4096)
      slow.hello()
      guard case .welcome(let welcome) = slow.receive() else { Issue.record("no welcome"); return }
      var mirror = try ConsoleMirror(facts: welcome.facts)
      guard case .snapshot(let first) = slow.receive() else { Issue.record("no snapshot"); return }
      mirror.apply(first)

      // It stops reading while the state changes many times (each publish a delta of a few hundred bytes), and
      // midway asks for something: its updates overflow, its answer, queued behind a full socket, must not.
      let who = OperatorIdentity(name: "binh")
      // An odd number of rounds: the last one is a mark, so the end state is one the console can recognise.
      for round in 0...150 {
        let action: OperatorRequest.Action = round % 2 == 0 ? .mark(reason: "round \(round)") : .clear
        try await served.fixture.monitor.apply(OperatorRequest(site: "HB-TU", action: action), by: who)
        if round == 50 {
          slow.send(.request(ConsoleRequest(id: 7, request: OperatorRequest(site: "HB-DB-HU", action: .claim))))
          try await Task.sleep(for: .milliseconds(100))
        }
      }
      // Reading again: what it missed was dropped, a snapshot replaced it, and it ends where the monitor is.
      var snapshots = 0
      var deltasBehind = 0
      var answer: ConsoleAnswer?
      let deadline = ContinuousClock.now + .seconds(20)
      while ContinuousClock.now < deadline, let message = slow.receive() {
        switch message {
        case .snapshot(let snapshot):
          snapshots += 1
          mirror.apply(snapshot)
        case .delta(let delta):
          if case .needsSnapshot = mirror.apply(delta) { deltasBehind += 1 }
        case .answer(let received): answer = received
        default: break
        }
        if mirror.snapshot.records[0].mark?.reason == "round 150" && snapshots > 0 && answer != nil { break }
      }
      #expect(snapshots >= 1)
      #expect(deltasBehind == 0, "every delta after the snapshot follows it")
      #expect(mirror.snapshot.records[0].mark?.reason == "round 150")
      #expect(answer?.id == 7, "the answer survived the overflows")
      guard case .applied(let events?) = answer?.outcome else { Issue.record("not applied: \(String(describing: answer))"); return }
      // What the claim did, with who claimed it (this console's operator).
      #expect(events.map(\.siteIndex) == [1], "\(events)")
      guard case .claimed(let name)? = events.first?.kind else { Issue.record("not a claim: \(events)"); return }
      #expect(name.hasPrefix("lan"), "\(name)")
      #expect(mirror.snapshot.records[1].claim?.operatorName.hasPrefix("lan") == true, "and its claim is in the state")
    }
  }

  @Test func aStaleSocketIsReplacedButALiveOneIsNeverTaken() async throws {
    let served = try await Served.start()
    try await stopping(served.stop) { () async throws in
      #expect(throws: ConsoleSocket.Failure.self) {
        _ = try ConsoleServer(path: served.path, monitor: served.fixture.monitor, logger: Logger(label: "test"))
      }
      // A socket file nobody listens on (a monitor killed with -9 leaves one).
      let stale = served.fixture.directory + "/stale.sock"
      let fd = try ConsoleSocket.listen(path: stale)
      close(fd)
      #expect(throws: ConsoleSocket.Failure.self) { _ = try ConsoleSocket.connect(path: stale) }
      let replaced = try ConsoleSocket.listen(path: stale)
      close(replaced)
      // Not a socket: left alone.
      let plain = served.fixture.directory + "/plain.sock"
      try "keep".write(toFile: plain, atomically: true, encoding: .utf8)
      #expect(throws: ConsoleSocket.Failure.self) { _ = try ConsoleSocket.listen(path: plain) }
      #expect(try String(contentsOfFile: plain, encoding: .utf8) == "keep")
    }
  }

  @Test func aConsoleAttachingLaterStartsWithTheRecentEventsOnce() async throws {
    let served = try await Served.start()
    try await stopping(served.stop) { () async throws in
      let who = OperatorIdentity(name: "binh")
      try await served.fixture.monitor.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "line down")), by: who)
      try await served.fixture.monitor.apply(OperatorRequest(site: "HB-DB-HU", action: .claim), by: who)

      // A province console (Đà Bắc) attaches afterwards: its log starts with what concerns it, renumbered to its rows.
      let received = Mutex<[EngineEvent]>([])
      let client = try ConsoleClient(
        path: served.path, hello: ConsoleHello(operatorName: "lan", readOnly: true, group: "Đà Bắc", purpose: .console))
      defer { client.detach() }
      client.attach { update in received.withLock { $0 += update.events } }
      let deadline = ContinuousClock.now + .seconds(5)
      while received.withLock({ $0.isEmpty }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
      let first = received.withLock { $0 }
      #expect(first.map(\.kind) == [.claimed(operatorName: "binh")], "only its group's event, once: \(first)")
      #expect(first.first?.siteIndex == 0, "HB-DB-HU is the first of the group's rows")

      // Later events come once, in deltas; a fresh snapshot (the console asked again) repeats none.
      try await served.fixture.monitor.apply(OperatorRequest(site: "HB-DB-TULY", action: .mark(reason: "power cut")), by: who)
      while received.withLock({ $0.count < 2 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
      try await Task.sleep(for: .milliseconds(300))
      let all = received.withLock { $0 }
      #expect(all.count == 2, "\(all)")
      #expect(all.last?.siteIndex == 1)
    }
  }

  /// A welcome larger than the queue's bound is still sent: it carries the roster's facts, over 4 MiB at 31,097
  /// sites (every console was closed as "not reading" at that size), and the roster bounds it.
  @Test func aWelcomeLargerThanTheQueueIsStillSent() async throws {
    var limits = ConsoleServer.Limits.small
    limits.queueBytes = 256
    let served = try await Served.start(limits: limits)
    try await stopping(served.stop) { () async throws in
      let desk = try RawConsole(path: served.path)
      desk.hello()
      let welcome = try #require(desk.receive(until: { if case .welcome = $0 { $0 } else { nil } }))
      #expect(ConsoleProtocol.encode(welcome).count > limits.queueBytes)
      #expect(desk.receive(until: { if case .snapshot = $0 { true } else { nil } }) == true)
    }
  }

  @Test func aConsoleThatSendsRequestsWithoutReadingTheAnswersIsClosed() async throws {
    let served = try await Served.start(limits: .small)
    try await stopping(served.stop) { () async throws in
      let hostile = try RawConsole(path: served.path, receiveBuffer: 4096)
      hostile.hello(readOnly: true)
      // Answers ("read-only console") pile up unread until the monitor has had enough.
      var lines: [UInt8] = []
      for id in 0..<3000 {
        lines += ConsoleProtocol.encode(.request(ConsoleRequest(id: id, request: OperatorRequest(site: "HB-TU", action: .clear))))
      }
      hostile.send(lines)
      try await Task.sleep(for: .milliseconds(500))
      var received = 0
      while hostile.receive() != nil { received += 1 }
      #expect(received < 3000, "closed before all its answers were queued: \(received)")
      // The others are served as before.
      let desk = try RawConsole(path: served.path)
      desk.hello()
      #expect(desk.receive(until: { if case .snapshot = $0 { true } else { nil } }) == true)
    }
  }
}

extension ConsoleServerTests {
  /// Whether the monitor closed `fd` (end of stream) rather than leaving it open (nothing within the timeout).
  static func closedByTheMonitor(_ fd: Int32, within seconds: Int = 5) -> Bool {
    var timeout = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var byte: UInt8 = 0
    while true {
      let count = Glibc.read(fd, &byte, 1)
      if count == 0 { return true }
      if count < 0 { return errno == ECONNRESET }
    }
  }

  @Test func aConnectionThatNeverSaysHelloIsClosedAtItsDeadlineWithTheReasonLogged() async throws {
    var limits = ConsoleServer.Limits()
    limits.pendingDeadline = .milliseconds(300)
    let log = CollectedLog()
    let served = try await Served.start(limits: limits, log: log)
    try await stopping(served.stop) { () async throws in
      let silent = try RawConsole(path: served.path)
      // Told why, then closed.
      guard case .refused(let refusal) = silent.receive() else { Issue.record("a connection without a hello is held for ever"); return }
      #expect(refusal.reason == "no hello within 300ms")
      #expect(Self.closedByTheMonitor(silent.fd))
      #expect(log.waitFor { $0.contains("closed before its hello: no hello within 300ms") }, "\(log.lines)")
      // A malformed first line is logged with its reason too (docs/CONSOLE-PROTOCOL.md says so).
      let garbled = try RawConsole(path: served.path)
      garbled.send(Array("not json\n".utf8))
      #expect(garbled.receive() == nil)
      #expect(log.waitFor { $0.contains("closed before its hello: ") && $0.contains("JSON") }, "\(log.lines)")
      // A console that says hello in time stays past the deadline.
      let desk = try RawConsole(path: served.path)
      desk.hello()
      #expect(desk.receive(until: { if case .snapshot = $0 { true } else { nil } }) == true)
      try await Task.sleep(for: .milliseconds(600))
      #expect(served.server.consoles.consoles.count == 1)
    }
  }

  @Test func connectionsWithoutAHelloAreCappedAndTheOldestGoes() async throws {
    var limits = ConsoleServer.Limits()
    limits.maximumPending = 3
    let served = try await Served.start(limits: limits)
    try await stopping(served.stop) { () async throws in
      var silent: [Int32] = []
      defer { silent.forEach { close($0) } }
      for _ in 0..<8 { silent.append(try ConsoleSocket.connect(path: served.path)) }
      // A console still attaches (its hello comes with its connection), and the oldest silent ones were closed.
      let desk = try RawConsole(path: served.path)
      desk.hello()
      #expect(desk.receive(until: { if case .snapshot = $0 { true } else { nil } }) == true)
      for fd in silent.prefix(5) { #expect(Self.closedByTheMonitor(fd), "connection \(fd) is still held") }
      for fd in silent.suffix(3) { #expect(!Self.closedByTheMonitor(fd, within: 1), "the newest are kept until their deadline") }
    }
  }

  @Test func consolesThatHungUpDoNotCountAgainstTheLimitAndAStormIsLoggedInFewLines() async throws {
    var limits = ConsoleServer.Limits()
    limits.maximumConsoles = 2
    limits.logWindow = .milliseconds(500)
    let log = CollectedLog()
    let served = try await Served.start(limits: limits, log: log)
    try await stopping(served.stop) { () async throws in
      let desk = try RawConsole(path: served.path)
      desk.hello()
      #expect(desk.receive(until: { if case .snapshot = $0 { true } else { nil } }) == true)
      // A reconnect storm: consoles that say hello and hang up at once, with a live console attaching meanwhile.
      let hello = ConsoleProtocol.encode(.hello(ConsoleHello(operatorName: "storm", readOnly: true, group: nil, purpose: .console)))
      var refusals: [String] = []
      let began = ContinuousClock.now
      // In bursts of 40, each followed at once by a live console: the server takes them in together.
      for _ in 0..<10 {
        for _ in 0..<40 {
          let fd = try ConsoleSocket.connect(path: served.path)
          _ = hello.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
          close(fd)
        }
        let live = try RawConsole(path: served.path)
        live.hello()
        if case .refused(let refusal) = live.receive() { refusals.append(refusal.reason) }
      }
      #expect(refusals.isEmpty, "live consoles were refused: \(refusals)")
      let connectionLines = log.lines.filter {
        $0.contains("console attached") || $0.contains("console detached") || $0.contains("refused")
      }
      // At most a burst per window (the storm may straddle a few), far from a line per connection.
      let windows = Int((ContinuousClock.now - began) / limits.logWindow) + 2
      #expect(
        connectionLines.count <= windows * limits.logBurst, "\(connectionLines.count) lines for 810 connections in \(windows) windows")
      // What was not logged is counted and said once the window ends.
      let summary = #/console connections: [0-9,]+ more lines not logged in the last 500ms \(attached [0-9,]+, detached [0-9,]+/#
      #expect(log.waitFor { $0.contains(summary) }, "\(log.lines.suffix(3))")
    }
  }
}

/// Log lines kept in memory, to look at what a component logged.
final class CollectedLog: Sendable {
  private let collected = Mutex<[String]>([])
  var lines: [String] { collected.withLock { $0 } }
  var logger: Logger { Logger(label: "test") { _ in Handler(log: self) } }

  /// Whether a line matching `match` comes within `seconds`.
  func waitFor(seconds: Double = 5, _ match: (String) -> Bool) -> Bool {
    eventually(timeout: .seconds(seconds)) { lines.contains(where: match) }
  }

  struct Handler: LogHandler {
    let log: CollectedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { log.collected.withLock { $0.append("\(event.level): \(event.message)") } }
  }
}

extension ConsoleServer.Limits {
  /// A 4 KiB queue and send buffer: a console that does not read overflows within a few updates.
  static var small: ConsoleServer.Limits {
    var limits = ConsoleServer.Limits()
    limits.queueBytes = 4096
    limits.sendBufferBytes = 4096
    return limits
  }
}
