import BridgeCore
import Foundation
import Glibc

/// Why an HTTP exchange with a bridge failed, in a line for the log and the detail pane.
public struct BridgeHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// An HTTP or HTTPS request that cannot hang or grow: one connection per request (HTTP/1.0, so the answer is never
/// chunked and ends when the server closes), a deadline over the whole exchange, and a cap on what is read. Blocking:
/// it runs on the bridge input's own thread; the host's lookup and the TLS handshake are under the deadline too
/// (`HostResolver`, `TLSConnection`). A bridge's API is a few requests per poll, so a connection each costs nothing
/// that matters and leaves no half-read connection behind after a failure.
public struct BoundedHTTPClient: Sendable {
  public var timeout: Duration
  public var maximumResponseBytes: Int
  /// The timeout a failure names: the caller's whole budget when `timeout` is what is left of it (a poll's
  /// requests share one deadline), so the same silence reads the same on every poll and is not a new problem.
  public var statedTimeout: Duration
  /// How the host becomes addresses, under the same deadline as the exchange.
  public var resolver: HostResolver
  /// The language of the problems (the run's `--lang`, else the locale).
  public var say: Strings
  /// HTTPS with what it trusts, or nil for plain HTTP.
  public var tls: TLSClientContext?

  public init(
    timeout: Duration, maximumResponseBytes: Int, statedTimeout: Duration? = nil, resolver: HostResolver = .system,
    say: Strings = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment)), tls: TLSClientContext? = nil
  ) {
    self.tls = tls
    self.timeout = timeout
    self.maximumResponseBytes = maximumResponseBytes
    self.statedTimeout = statedTimeout ?? timeout
    self.resolver = resolver
    self.say = say
  }

  /// POSTs `body` (JSON) to `path` and returns the status code and the body.
  public func post(host: String, port: Int, path: String, body: [UInt8]) throws(BridgeHTTPError) -> (status: Int, body: [UInt8]) {
    try exchange(method: "POST", host: host, port: port, path: path, body: body)
  }

  /// GETs `path` (CMS's and Pexip's rosters; Janus's long poll for a session's events, in tests that play a site).
  /// `headers` (an `Authorization`) must be one line each: they are checked, not trusted.
  public func get(host: String, port: Int, path: String, headers: [(name: String, value: String)] = []) throws(BridgeHTTPError) -> (
    status: Int, body: [UInt8]
  ) {
    try exchange(method: "GET", host: host, port: port, path: path, body: [], headers: headers)
  }

  private func exchange(
    method: String, host: String, port: Int, path: String, body: [UInt8], headers: [(name: String, value: String)] = []
  ) throws(BridgeHTTPError) -> (status: Int, body: [UInt8]) {
    var extra = ""
    for header in headers {
      guard !(header.name + header.value).contains(where: { $0 == "\r" || $0 == "\n" }) else {
        throw BridgeHTTPError(say(.httpHeaderNotOneLine))
      }
      extra += "\(header.name): \(header.value)\r\n"
    }
    let deadline = ContinuousClock.now + timeout
    let descriptor = try connect(host: host, port: port, deadline: deadline)
    defer { close(descriptor) }
    var secure: TLSConnection?
    if let tls {
      let connection = try TLSConnection(context: tls, descriptor: descriptor, say: say) { (descriptor, events) throws(BridgeHTTPError) in
        try wait(descriptor, for: events, deadline: deadline)
      }
      try connection.handshake(host: host)
      secure = connection
    }
    let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    let head =
      "\(method) \(path) HTTP/1.0\r\nHost: \(hostHeader)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
      + extra + "User-Agent: bridgewatch\r\nConnection: close\r\n\r\n"
    if let secure {
      try secure.send(Array(head.utf8) + body)
    } else {
      try send(Array(head.utf8) + body, on: descriptor, deadline: deadline)
    }
    let response = try receive(on: descriptor, deadline: deadline, secure: secure)
    return try Self.parse(response, maximumBody: maximumResponseBytes, say: say)
  }

  private func remainingMilliseconds(_ deadline: ContinuousClock.Instant) throws(BridgeHTTPError) -> Int32 {
    let left = deadline - ContinuousClock.now
    guard left > .zero else { throw BridgeHTTPError(say(.httpNoAnswerWithin, DurationText.format(statedTimeout))) }
    return Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
  }

  private func wait(_ descriptor: Int32, for events: Int16, deadline: ContinuousClock.Instant) throws(BridgeHTTPError) {
    var entry = pollfd(fd: descriptor, events: events, revents: 0)
    while true {
      let milliseconds = try remainingMilliseconds(deadline)
      let result = poll(&entry, 1, milliseconds)
      if result > 0 { return }
      if result < 0 && errno == EINTR { continue }
      if result < 0 { throw BridgeHTTPError(say(.httpPollFailed, String(cString: strerror(errno)))) }
    }
  }

  private func connect(host: String, port: Int, deadline: ContinuousClock.Instant) throws(BridgeHTTPError) -> Int32 {
    // The lookup is under the same deadline as the rest: a DNS server that never answers cannot hold the poll.
    let addresses = try resolver.resolve(host: host, port: port, deadline: deadline, statedTimeout: statedTimeout, say: say)
    var lastProblem = say(.httpNoAddress)
    for address in addresses {
      let descriptor = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
      guard descriptor >= 0 else {
        lastProblem = String(cString: strerror(errno))
        continue
      }
      let started = address.bytes.withUnsafeBytes { raw in
        Glibc.connect(descriptor, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
      }
      if started == 0 { return descriptor }
      guard errno == EINPROGRESS else {
        lastProblem = String(cString: strerror(errno))
        close(descriptor)
        continue
      }
      do {
        try wait(descriptor, for: Int16(POLLOUT), deadline: deadline)
      } catch {
        close(descriptor)
        throw error
      }
      var problem: Int32 = 0
      var length = socklen_t(MemoryLayout<Int32>.size)
      getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &problem, &length)
      if problem == 0 { return descriptor }
      lastProblem = String(cString: strerror(problem))
      close(descriptor)
    }
    throw BridgeHTTPError(say(.httpCannotConnect, "\(host):\(port)", lastProblem))
  }

  private func send(_ bytes: [UInt8], on descriptor: Int32, deadline: ContinuousClock.Instant) throws(BridgeHTTPError) {
    var sent = 0
    while sent < bytes.count {
      let result = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
      if result > 0 {
        sent += result
      } else if result < 0 && (errno == EAGAIN || errno == EINTR) {
        try wait(descriptor, for: Int16(POLLOUT), deadline: deadline)
      } else {
        throw BridgeHTTPError(say(.httpSendFailed, String(cString: strerror(errno))))
      }
    }
  }

  private func receive(on descriptor: Int32, deadline: ContinuousClock.Instant, secure: TLSConnection?) throws(BridgeHTTPError)
    -> [UInt8]
  {
    let cap = maximumResponseBytes + Self.maximumHeadBytes
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let count = try secure?.receive(into: &chunk) ?? chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
      if count > 0 {
        response.append(contentsOf: chunk[..<count])
        if response.count > cap { throw BridgeHTTPError(say(.httpAnswerTooLarge, cap)) }
      } else if count == 0 {
        return response
      } else if errno == EAGAIN || errno == EINTR {
        try wait(descriptor, for: Int16(POLLIN), deadline: deadline)
      } else {
        throw BridgeHTTPError(say(.httpReadFailed, String(cString: strerror(errno))))
      }
    }
  }

  static let maximumHeadBytes = 16 * 1024

  /// The status and body of a whole HTTP/1.x response (the server closed the connection after it).
  static func parse(_ response: [UInt8], maximumBody: Int, say: Strings = .english) throws(BridgeHTTPError) -> (status: Int, body: [UInt8])
  {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard let end = response.firstRange(of: separator), end.lowerBound <= maximumHeadBytes else {
      throw BridgeHTTPError(say(response.isEmpty ? .httpClosedWithoutAnswer : .httpNotHTTP))
    }
    let head = String(decoding: response[..<end.lowerBound], as: UTF8.self)
    let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
    let statusParts = lines.first?.split(separator: " ", maxSplits: 2) ?? []
    guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]), (100...599).contains(status)
    else { throw BridgeHTTPError(say(.httpNotHTTPLine, TextSanitizer.printable(String(lines.first?.prefix(60) ?? "")))) }
    var body = Array(response[end.upperBound...])
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let name = line[..<colon].lowercased()
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      if name == "content-length", let length = Int(value), length >= 0 {
        // A connection closed before the whole body came (the bridge restarting, a cut link) is not an answer.
        guard length <= body.count else { throw BridgeHTTPError(say(.httpAnswerCutShort, body.count, length)) }
        body = Array(body[..<length])
      }
      if name == "transfer-encoding", value.lowercased().contains("chunked") {
        throw BridgeHTTPError(say(.httpChunked))
      }
    }
    guard body.count <= maximumBody else { throw BridgeHTTPError(say(.httpBodyTooLarge, maximumBody)) }
    return (status, body)
  }
}
