import Foundation
import Glibc
import Synchronization

/// The simulator's bridges' HTTP: a listener on loopback whose one thread serves one connection at a time (the
/// monitor makes one per request), every read bounded in size and time. What a request gets is the bridge's.
public final class LoopbackHTTPServer: Sendable {
  public struct Request: Sendable {
    public var method: String
    public var target: String
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]
  }

  public struct Response: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var headers: [(String, String)] = []

    public init(status: Int, body: [UInt8], headers: [(String, String)] = []) {
      self.status = status
      self.body = body
      self.headers = headers
    }
  }

  public struct ListenFailure: Error, CustomStringConvertible {
    public let description: String
  }

  public let host: String
  public let port: Int
  private let listener: Int32
  private let threadName: String
  private let stopping = Atomic<Bool>(false)
  private let started = Atomic<Bool>(false)
  private let closed = Atomic<Bool>(false)
  private let finished = DispatchSemaphore(value: 0)
  private let served = Atomic<Int>(0)

  /// A request's head and body, at most; a longer one is answered 400 and closed.
  static let maximumHeadBytes = 16 * 1024
  static let maximumBodyBytes = 64 * 1024
  /// A connection that sends nothing for this long is closed (one slow client holds no one else for longer).
  static let readTimeoutMilliseconds = 2_000

  /// Listens on `host`:`port` (0: a free port, read back in `port`); serves nothing until `start`.
  public init(host: String, port: Int, threadName: String) throws(ListenFailure) {
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
    self.threadName = threadName
    listener = descriptor
  }

  /// Requests answered so far (a request over the bounds is not one).
  public var requestsServed: Int { served.load(ordering: .relaxed) }

  /// Serves until `stop`: each request read whole gets `handle`'s answer; one over the bounds, cut short or too
  /// slow gets `refused`.
  public func start(refused: Response, handle: @escaping @Sendable (Request) -> Response) {
    let service = Thread { [self] in
      defer { finished.signal() }
      while !stopping.load(ordering: .acquiring) {
        var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&entry, 1, 100) > 0 else { continue }
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { continue }
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        if let request = Self.readRequest(connection) {
          let response = handle(request)
          served.add(1, ordering: .relaxed)
          Self.send(connection, response)
        } else {
          Self.send(connection, refused)
        }
        close(connection)
      }
    }
    service.name = threadName
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

  static func json(_ object: [String: Any]) -> [UInt8] {
    (try? JSONSerialization.data(withJSONObject: object)).map(Array.init) ?? Array("{}".utf8)
  }

  /// The request, or nil for one over the bounds, cut short or too slow.
  static func readRequest(_ connection: Int32) -> Request? {
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
    let lines = String(decoding: buffer[0..<end], as: UTF8.self).split(separator: "\r\n")
    let words = (lines.first ?? "").split(separator: " ")
    guard words.count == 3 else { return nil }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return Request(
      method: String(words[0]), target: String(words[1]), headers: headers, body: Array(buffer[end..<(end + bodyLength)]))
  }

  static func send(_ connection: Int32, _ response: Response) {
    let reasons = [200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"]
    var head = "HTTP/1.1 \(response.status) \(reasons[response.status] ?? "Error")\r\nContent-Type: application/json\r\n"
    for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
    head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
    let answer = Array(head.utf8) + response.body
    var sent = 0
    while sent < answer.count {
      let result = answer.withUnsafeBytes { Glibc.send(connection, $0.baseAddress! + sent, answer.count - sent, Int32(MSG_NOSIGNAL)) }
      if result <= 0 { break }
      sent += result
    }
  }
}
