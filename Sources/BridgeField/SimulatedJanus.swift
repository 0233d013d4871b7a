import BridgeCore
import Foundation
import Glibc
import Synchronization

/// The simulator's conference bridge: a stand-in for Janus's HTTP API on loopback, speaking the part of it the
/// monitor's Janus input uses (`create`, `attach`, the AudioBridge's `listparticipants`, `keepalive`; docs/BRIDGES.md
/// "Janus") with the same JSON Janus 1.1.2 answers, so `sim` and `demo` show the bridge without Janus installed.
/// Who is in the room comes from `roster` at each `listparticipants`. One thread serves one connection at a time
/// (the monitor makes one per request, HTTP/1.0); every read is bounded in size and time.
public final class SimulatedJanus: Sendable {
  /// A participant as `listparticipants` lists it.
  public struct Participant: Sendable, Equatable {
    public var id: UInt64
    public var display: String
    public var muted: Bool

    public init(id: UInt64, display: String, muted: Bool) {
      self.id = id
      self.display = display
      self.muted = muted
    }
  }

  public let host: String
  public let port: Int
  public let path: String
  public let room: UInt64
  private let listener: Int32
  private let stopping = Atomic<Bool>(false)
  private let started = Atomic<Bool>(false)
  private let closed = Atomic<Bool>(false)
  private let finished = DispatchSemaphore(value: 0)
  private let served = Atomic<Int>(0)
  /// Sessions made, each with its one handle (the monitor keeps one session per bridge).
  private let sessions = Mutex<[UInt64: UInt64]>([:])

  /// A request's head and body, at most; a longer one is answered 413 and closed.
  static let maximumHeadBytes = 16 * 1024
  static let maximumBodyBytes = 64 * 1024
  /// A connection that sends nothing for this long is closed (one slow client holds no one else for longer).
  static let readTimeoutMilliseconds = 2_000

  public struct ListenFailure: Error, CustomStringConvertible {
    public let description: String
  }

  /// Listens on `host`:`port` (0: a free port, read back in `port`); serves nothing until `start`.
  public init(host: String = "127.0.0.1", port: Int = 0, path: String = "/janus", room: UInt64 = 1234) throws {
    guard port >= 0, port <= 65_535 else { throw ListenFailure(description: "port \(port) is out of range") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
      throw ListenFailure(description: "\(host) is not an IPv4 address")
    }
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw ListenFailure(description: "socket: \(String(cString: strerror(errno)))") }
    var yes: Int32 = 1
    setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let listening = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(descriptor, pointer, length) == 0 && listen(descriptor, 16) == 0 && getsockname(descriptor, pointer, &length) == 0
      }
    }
    guard listening else {
      let reason = String(cString: strerror(errno))
      close(descriptor)
      throw ListenFailure(description: "cannot listen on \(host):\(port): \(reason)")
    }
    self.host = host
    self.port = Int(UInt16(bigEndian: address.sin_port))
    self.path = path
    self.room = room
    listener = descriptor
  }

  /// The `url` a config's `bridges:` entry names this bridge by.
  public var url: String { "http://\(host):\(port)\(path)" }

  /// Requests answered so far.
  public var requestsServed: Int { served.load(ordering: .relaxed) }

  /// Serves until `stop`, asking `roster` for the room's participants at each `listparticipants`.
  public func start(roster: @escaping @Sendable () -> [Participant]) {
    let service = Thread { [self] in
      defer { finished.signal() }
      while !stopping.load(ordering: .acquiring) {
        var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&entry, 1, 100) > 0 else { continue }
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { continue }
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        serve(connection, roster: roster)
        close(connection)
      }
    }
    service.name = "sim-janus"
    started.store(true, ordering: .releasing)
    service.start()
  }

  /// Stops serving and frees the port; a second call does nothing.
  public func stop() {
    if started.exchange(false, ordering: .acquiring) {
      stopping.store(true, ordering: .releasing)
      finished.wait()
    }
    if !closed.exchange(true, ordering: .acquiringAndReleasing) { close(listener) }
  }

  private func serve(_ connection: Int32, roster: () -> [Participant]) {
    guard let (method, target, body) = Self.readRequest(connection) else {
      Self.send(
        connection, status: 400, body: Self.json(["janus": "error", "error": ["code": 454, "reason": "Too large, cut short or too slow"]]))
      return
    }
    guard method == "POST" else {
      Self.send(connection, status: 405, body: Self.json(["janus": "error", "error": ["code": 457, "reason": "Only POST is played"]]))
      return
    }
    let answer = answer(target: target, body: body, roster: roster)
    served.add(1, ordering: .relaxed)
    Self.send(connection, status: 200, body: answer)
  }

  /// What Janus answers to one request (its HTTP status is 200 even for an error, as Janus's own is).
  func answer(target: String, body: [UInt8], roster: () -> [Participant]) -> [UInt8] {
    guard let request = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
      let kind = request["janus"] as? String
    else {
      return Self.json(["janus": "error", "error": ["code": 454, "reason": "Failed to parse JSON"]])
    }
    let transaction = (request["transaction"] as? String) ?? ""
    func error(_ code: Int, _ reason: String) -> [UInt8] {
      Self.json(["janus": "error", "transaction": transaction, "error": ["code": code, "reason": reason]])
    }
    let parts = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
    guard parts == path || parts.hasPrefix(path + "/") else { return error(457, "Unhandled request at this path") }
    let ids = parts.dropFirst(path.count).split(separator: "/").map { UInt64($0) }
    if ids.contains(nil) || ids.count > 2 { return error(457, "Unhandled request at this path") }
    switch (kind, ids.count) {
    case ("create", 0):
      let session = UInt64.random(in: 1...(1 << 53))
      let handle = UInt64.random(in: 1...(1 << 53))
      // A monitor restarted many times leaves its sessions behind: keep at most 64 (Janus times them out).
      sessions.withLock { sessions in
        if sessions.count >= 64, let any = sessions.keys.first { sessions[any] = nil }
        sessions[session] = handle
      }
      return Self.json(["janus": "success", "transaction": transaction, "data": ["id": session]])
    case (_, 0):
      return error(457, "Unhandled request '\(kind.prefix(40))' at this path")
    default:
      break
    }
    let session = ids[0]!
    guard let handle = sessions.withLock({ $0[session] }) else { return error(458, "No such session \(session)") }
    switch (kind, ids.count) {
    case ("attach", 1):
      guard request["plugin"] as? String == "janus.plugin.audiobridge" else { return error(460, "No such plugin") }
      return Self.json(["janus": "success", "session_id": session, "transaction": transaction, "data": ["id": handle]])
    case ("keepalive", 1):
      return Self.json(["janus": "ack", "session_id": session, "transaction": transaction])
    case ("message", 2):
      guard ids[1] == handle else { return error(459, "No such handle \(ids[1]!) in session \(session)") }
      let message = request["body"] as? [String: Any]
      guard message?["request"] as? String == "listparticipants" else {
        return plugin(session, handle, transaction, ["audiobridge": "event", "error_code": 481, "error": "Unknown request"])
      }
      let asked = (message?["room"] as? NSNumber)?.uint64Value
      guard asked == room else {
        return plugin(session, handle, transaction, ["audiobridge": "event", "error_code": 485, "error": "No such room (\(asked ?? 0))"])
      }
      let participants: [[String: Any]] = roster().map { ["id": $0.id, "display": $0.display, "setup": false, "muted": $0.muted] }
      return plugin(session, handle, transaction, ["audiobridge": "participants", "room": room, "participants": participants])
    default:
      return error(457, "Unhandled request '\(kind.prefix(40))' at this path")
    }
  }

  private func plugin(_ session: UInt64, _ handle: UInt64, _ transaction: String, _ data: [String: Any]) -> [UInt8] {
    Self.json([
      "janus": "success", "session_id": session, "transaction": transaction, "sender": handle,
      "plugindata": ["plugin": "janus.plugin.audiobridge", "data": data],
    ])
  }

  static func json(_ object: [String: Any]) -> [UInt8] {
    (try? JSONSerialization.data(withJSONObject: object)).map(Array.init) ?? Array("{}".utf8)
  }

  /// The request's method, target and body, or nil for a request over the bounds, cut short or too slow.
  static func readRequest(_ connection: Int32) -> (String, String, [UInt8])? {
    var buffer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    var headEnd: Int?
    var bodyLength = 0
    while true {
      if let headEnd, buffer.count >= headEnd + bodyLength { break }
      var entry = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
      guard Glibc.poll(&entry, 1, Int32(readTimeoutMilliseconds)) > 0 else { return nil }
      let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
      guard count > 0 else { return nil }
      buffer.append(contentsOf: chunk[0..<count])
      if headEnd == nil, let end = buffer.firstRange(of: [13, 10, 13, 10])?.upperBound {
        headEnd = end
        let head = String(decoding: buffer[0..<end], as: UTF8.self).lowercased()
        if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
          guard let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)),
            length >= 0, length <= maximumBodyBytes
          else { return nil }
          bodyLength = length
        }
      }
      if headEnd == nil && buffer.count > maximumHeadBytes { return nil }
      if let headEnd, buffer.count > headEnd + bodyLength { return nil }
    }
    let end = headEnd!
    let requestLine = String(decoding: buffer[0..<end], as: UTF8.self).split(separator: "\r\n").first ?? ""
    let words = requestLine.split(separator: " ")
    guard words.count == 3 else { return nil }
    return (String(words[0]), String(words[1]), Array(buffer[end..<(end + bodyLength)]))
  }

  static func send(_ connection: Int32, status: Int, body: [UInt8]) {
    let reason = status == 200 ? "OK" : status == 405 ? "Method Not Allowed" : "Bad Request"
    let answer =
      Array(
        "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
      + body
    var sent = 0
    while sent < answer.count {
      let result = answer.withUnsafeBytes { Glibc.send(connection, $0.baseAddress! + sent, answer.count - sent, Int32(MSG_NOSIGNAL)) }
      if result <= 0 { break }
      sent += result
    }
  }
}

extension SimulationPlan {
  /// Participants no site claims, always in the simulated bridge (the header's "in the bridge, not in the roster").
  public static let bridgeGuests = ["Khách mời 1", "Khách mời 2"]

  /// The simulated bridge's room at simulated time `time`: each site `isInBridge` has in it, under its name in the
  /// bridge (`names`, the sites' `bridge_name`), with an id of its own for the run; then the guests.
  public func bridgeRoster(names: [String], at time: Double) -> [SimulatedJanus.Participant] {
    var roster: [SimulatedJanus.Participant] = []
    for site in names.indices where site < sites.count && isInBridge(site: site, at: time) {
      let key = SimRandom.hash(seed, 70, UInt64(site))
      roster.append(SimulatedJanus.Participant(id: key % (1 << 53), display: names[site], muted: key % 7 == 0))
    }
    for (offset, guest) in Self.bridgeGuests.enumerated() {
      roster.append(SimulatedJanus.Participant(id: UInt64(offset + 1), display: guest, muted: true))
    }
    return roster
  }
}
