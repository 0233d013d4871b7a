import BridgeCore
import Foundation
import Glibc
import Synchronization

/// The simulated bridges' pushes to the monitor's `events_listen` (docs/BRIDGES.md "What is pushed"), so `demo` and
/// `sim --play-bridge` show a join before the next poll: Janus's sample event handler (`libjanus_sampleevh.so`,
/// Janus 1.1.2, `grouping = true`: a JSON array of events a POST) or Pexip's event sink (`onePerPost`: one JSON object
/// a POST, `PexipConferenceEvents`).
///
/// As src/events/janus_sampleevh.c does it: events are queued as they happen and one thread sends them, one POST
/// per batch of what is queued (at most 100 events, a JSON array); a POST that gets no answer (refused connection,
/// no answer within `timeout`) is sent again 5 times after 100, 200, 400, 800 and 1,600 ms (`backoff` doubling),
/// then given up; an answer of any status ends it (a refusal is counted, never sent again: the receiver polls
/// instead). The simulated Pexip retries the same way (Pexip's own schedule is not played). The bridge is looked at
/// on a thread of its own, so neither the POSTs nor their retries hold the simulation's clock. Bounded: the queue
/// (`maximumQueuedEvents`; more are dropped and counted), a body, an answer, and each POST's time.
public final class BridgeEventPusher: Sendable {
  /// What the pusher did so far.
  public struct Totals: Sendable, Equatable {
    /// POSTs answered 200, and the events they carried.
    public var accepted = 0
    public var eventsAccepted = 0
    /// POSTs answered with another status (400, 413, 503...): not sent again.
    public var refused = 0
    /// POSTs sent again after no answer, and batches given up after the last retry.
    public var retries = 0
    public var givenUp = 0
    /// Events dropped because the queue was full.
    public var dropped = 0
    /// The last answer other than 200, or why the last POST got none.
    public var lastProblem: String?
  }

  public let host: String
  public let port: Int
  public let path: String
  public let room: UInt64
  public let plugin: BridgeSettings.JanusPlugin
  /// Pexip's event sink: each event its own POST, the object itself (not an array).
  public let onePerPost: Bool
  private let address: UDPAddress
  private let backoff: Duration
  private let timeout: Duration
  private let queue = Mutex<[[UInt8]]>([])
  private let counted = Mutex(Totals())
  private let wake = DispatchSemaphore(value: 0)
  private let stopping = Atomic<Bool>(false)
  private let running = Mutex<[DispatchSemaphore]>([])

  /// janus_sampleevh.c groups at most this many events a POST.
  static let maximumEventsPerPost = 100
  /// Retries after the first POST of a batch (janus_sampleevh.c's `max_retransmissions` default).
  static let maximumRetries = 5
  /// A batch is closed before its body passes this (far below the receiver's 1 MiB).
  static let maximumBodyBytes = 256 * 1024
  /// Events waiting to be sent; past this a new event is dropped (the next poll restores what it said).
  static let maximumQueuedEvents = 50_000
  /// An answer's bytes read at most (the receiver answers a line).
  static let maximumAnswerBytes = 64 * 1024
  /// janus_sampleevh.c's emitter when `server_name` is not set.
  static let emitter = "MyJanusInstance"

  public struct TargetFailure: Error, CustomStringConvertible {
    public let description: String
  }

  /// Posts to `http://host:port/path`; `backoff` is the first retry's wait, `timeout` a POST's whole time (both
  /// janus_sampleevh.c's: 100 ms and curl's 10 s). Sends nothing until `start`.
  public init(
    host: String, port: Int, path: String = "/janus-events", room: UInt64 = 1234, plugin: BridgeSettings.JanusPlugin = .audiobridge,
    backoff: Duration = .milliseconds(100), timeout: Duration = .seconds(10), onePerPost: Bool = false
  ) throws {
    self.onePerPost = onePerPost
    // A monitor listening on every address is reached on this machine's loopback.
    let target = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host
    switch UDPAddress.resolve(host: target, port: port) {
    case .success(let resolved): address = resolved
    case .failure(let problem): throw TargetFailure(description: "events_listen \(host):\(port): \(problem)")
    }
    self.host = target
    self.port = port
    self.path = path
    self.room = room
    self.plugin = plugin
    self.backoff = backoff
    self.timeout = timeout
  }

  /// What was done so far.
  public var totals: Totals { counted.withLock { $0 } }

  /// Events queued and not sent yet.
  public var queued: Int { queue.withLock { $0.count } }

  /// Queues events (each one event's JSON, `JanusEventShape`) for the sender; never waits.
  public func push(_ events: [[UInt8]]) {
    guard !events.isEmpty else { return }
    let dropped = queue.withLock { queue in
      let room = max(0, Self.maximumQueuedEvents - queue.count)
      queue.append(contentsOf: events.prefix(room))
      return events.count - min(room, events.count)
    }
    if dropped > 0 { counted.withLock { $0.dropped += dropped } }
    wake.signal()
  }

  /// Starts the sender; with `roster`, also a thread that looks at the room every `every` and queues each join and
  /// leave since the last look (the first look joins whoever is in).
  public func start(every: Duration = .milliseconds(200), roster: (@Sendable () -> [SimulatedJanus.Participant])? = nil) {
    guard let roster else {
      startSender()
      return
    }
    // Janus's core says it started before anything else (the monitor polls again on it).
    push([JanusEventShape.started(unixMicroseconds: Self.nowMicroseconds())])
    let watched = Mutex(JanusRoomEvents(room: room, plugin: plugin))
    start(every: every) { now in watched.withLock { $0.events(for: roster(), unixMicroseconds: now) } }
  }

  /// Starts the sender, and a thread that queues what `look` says happened every `every` (given the time in Unix
  /// microseconds): any bridge's events.
  public func start(every: Duration, look: @escaping @Sendable (UInt64) -> [[UInt8]]) {
    startSender()
    spawn("sim-bridge-look") { [self] in
      while !stopping.load(ordering: .acquiring) {
        push(look(Self.nowMicroseconds()))
        pause(every)
      }
    }
  }

  private func startSender() {
    spawn("sim-bridge-push") { [self] in
      while !stopping.load(ordering: .acquiring) {
        let batch = takeBatch()
        if batch.isEmpty {
          _ = wake.wait(timeout: .now() + .milliseconds(100))
          continue
        }
        send(batch)
      }
    }
  }

  /// Stops both threads (a POST under way ends within 100 ms); what is still queued is not sent. A second call does
  /// nothing.
  public func stop() {
    stopping.store(true, ordering: .releasing)
    wake.signal()
    let threads = running.withLock { running in
      defer { running = [] }
      return running
    }
    for finished in threads { finished.wait() }
  }

  private func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
    let finished = DispatchSemaphore(value: 0)
    running.withLock { $0.append(finished) }
    let thread = Thread {
      body()
      finished.signal()
    }
    thread.name = name
    thread.start()
  }

  /// Waits `duration`, or less once stopping.
  private func pause(_ duration: Duration) {
    let end = ContinuousClock.now + duration
    while !stopping.load(ordering: .acquiring), ContinuousClock.now < end {
      let left = (end - ContinuousClock.now).components
      Thread.sleep(forTimeInterval: min(0.05, max(0.001, Double(left.seconds) + Double(left.attoseconds) / 1e18)))
    }
  }

  /// What is queued, up to a POST's worth, oldest first.
  private func takeBatch() -> [[UInt8]] {
    queue.withLock { queue in
      var bytes = 2
      var count = 0
      for event in queue.prefix(onePerPost ? 1 : Self.maximumEventsPerPost) {
        guard count == 0 || bytes + event.count + 1 <= Self.maximumBodyBytes else { break }
        bytes += event.count + 1
        count += 1
      }
      defer { queue.removeFirst(count) }
      return Array(queue.prefix(count))
    }
  }

  /// One batch: POSTed, sent again while it gets no answer (at most `maximumRetries` times), then counted.
  private func send(_ batch: [[UInt8]]) {
    var body: [UInt8] = onePerPost ? batch[0] : [UInt8(ascii: "[")]
    for (position, event) in batch.enumerated() where !onePerPost {
      if position > 0 { body.append(UInt8(ascii: ",")) }
      body += event
    }
    if !onePerPost { body.append(UInt8(ascii: "]")) }
    var attempt = 0
    while true {
      switch post(body) {
      case .success(let status):
        counted.withLock { totals in
          if status == 200 {
            totals.accepted += 1
            totals.eventsAccepted += batch.count
          } else {
            totals.refused += 1
            totals.lastProblem = "answered \(status)"
          }
        }
        return
      case .failure(let problem):
        // Cut short by `stop`: neither a failure of the monitor's nor a give-up.
        if stopping.load(ordering: .acquiring) { return }
        counted.withLock { $0.lastProblem = problem.description }
        guard attempt < Self.maximumRetries else {
          counted.withLock { $0.givenUp += 1 }
          return
        }
        pause(backoff * (1 << attempt))
        attempt += 1
        counted.withLock { $0.retries += 1 }
      }
    }
  }

  /// The answer's HTTP status, or why there was none.
  func post(_ body: [UInt8]) -> Result<Int, TargetFailure> {
    let deadline = ContinuousClock.now + timeout
    let socket = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    guard socket >= 0 else { return .failure(TargetFailure(description: "socket: \(String(cString: strerror(errno)))")) }
    defer { close(socket) }
    var storage = address.storage
    let connected = withUnsafePointer(to: &storage) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, address.length) }
    }
    if connected != 0 {
      guard errno == EINPROGRESS else { return .failure(connectFailure(errno)) }
      guard wait(socket, for: Int16(POLLOUT), until: deadline) else { return .failure(TargetFailure(description: "connect timed out")) }
      var error: Int32 = 0
      var length = socklen_t(MemoryLayout<Int32>.size)
      getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length)
      guard error == 0 else { return .failure(connectFailure(error)) }
    }
    let request =
      Array(
        "POST \(path) HTTP/1.1\r\nHost: \(HostPortText.format(host: host, port: port))\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
          .utf8) + body
    var sent = 0
    while sent < request.count {
      let result = request.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
      if result > 0 {
        sent += result
      } else if result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
        guard wait(socket, for: Int16(POLLOUT), until: deadline) else { return .failure(TargetFailure(description: "send timed out")) }
      } else {
        return .failure(TargetFailure(description: "send: \(String(cString: strerror(errno)))"))
      }
    }
    // The status line is all that is read: the receiver's answer is a line of text.
    var answer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while answer.count < Self.maximumAnswerBytes, answer.firstRange(of: [13, 10]) == nil {
      guard wait(socket, for: Int16(POLLIN), until: deadline) else { return .failure(TargetFailure(description: "no answer in time")) }
      let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
      if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { continue }
      guard count > 0 else { break }
      answer += chunk[0..<count]
    }
    let line = answer.firstRange(of: [13, 10]).map { String(decoding: answer[..<$0.lowerBound], as: UTF8.self) } ?? ""
    let words = line.split(separator: " ")
    guard words.count >= 2, words[0].hasPrefix("HTTP/1."), let status = Int(words[1]), (100...599).contains(status) else {
      return .failure(TargetFailure(description: "no HTTP answer"))
    }
    return .success(status)
  }

  private func connectFailure(_ code: Int32) -> TargetFailure {
    TargetFailure(description: "cannot connect to \(HostPortText.format(host: host, port: port)): \(String(cString: strerror(code)))")
  }

  /// Waits for `events` on `socket` in slices of 100 ms; false at the deadline or once stopping.
  private func wait(_ socket: Int32, for events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
    while !stopping.load(ordering: .acquiring) {
      let left = deadline - ContinuousClock.now
      guard left > .zero else { return false }
      var entry = pollfd(fd: socket, events: events, revents: 0)
      let milliseconds = Int32(min(100, max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
      let ready = Glibc.poll(&entry, 1, milliseconds)
      if ready > 0 { return true }
      if ready < 0 && errno != EINTR { return false }
    }
    return false
  }

  static func nowMicroseconds() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1_000_000) }

  /// "posted 12 (events 30) · refused 1 · retried 5 · given up 1": for the simulator's progress lines.
  public static func describe(_ totals: Totals) -> String {
    var parts = ["bridge events posted \(NumberText.grouped(totals.accepted)) (\(NumberText.grouped(totals.eventsAccepted)) events)"]
    if totals.refused > 0 { parts.append("refused \(NumberText.grouped(totals.refused))") }
    if totals.retries > 0 { parts.append("retried \(NumberText.grouped(totals.retries))") }
    if totals.givenUp > 0 { parts.append("given up \(NumberText.grouped(totals.givenUp))") }
    if totals.dropped > 0 { parts.append("dropped \(NumberText.grouped(totals.dropped))") }
    return parts.joined(separator: " · ")
  }
}
