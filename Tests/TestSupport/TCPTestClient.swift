import Foundation

/// A plain blocking TCP client on loopback, for talking HTTP by hand (well-formed or not).
public final class TCPTestClient {
  public let fd: Int32

  /// Connects to 127.0.0.1:`port`; nil when the connection is refused.
  public init?(port: Int) {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0, "socket failed: \(errno)")
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
      close(fd)
      return nil
    }
  }

  deinit { close(fd) }

  /// Sends everything; false when the peer has closed (EPIPE, ECONNRESET).
  @discardableResult
  public func send(_ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if sent <= 0 { return false }
      offset += sent
    }
    return true
  }

  @discardableResult
  public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

  /// Reads until the peer closes or `timeout` passes; returns what came.
  public func readToEnd(timeout: Double = 5) -> [UInt8] {
    var received: [UInt8] = []
    let deadline = Date().addingTimeInterval(timeout)
    var buffer = [UInt8](repeating: 0, count: 65536)
    while Date() < deadline {
      var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&poller, 1, 100) > 0 else { continue }
      let count = recv(fd, &buffer, buffer.count, 0)
      if count <= 0 { break }
      received += buffer[0..<count]
    }
    return received
  }

  /// Whether the peer has closed the connection within `timeout` (EOF or reset), reading and dropping data.
  public func isClosedByPeer(within timeout: Double) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    var buffer = [UInt8](repeating: 0, count: 65536)
    while Date() < deadline {
      var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&poller, 1, 100) > 0 else { continue }
      if recv(fd, &buffer, buffer.count, 0) <= 0 { return true }
    }
    return false
  }
}

/// One HTTP/1.1 exchange over a fresh connection, read to its end (`Connection: close`).
public struct HTTPTestResponse {
  public var status: Int
  /// Header names lowercased.
  public var headers: [String: String]
  public var body: String

  /// Sends `method path` and reads the answer; nil when the connection fails or the answer is not HTTP.
  public static func fetch(port: Int, method: String = "GET", path: String = "/metrics", timeout: Double = 10) -> HTTPTestResponse? {
    guard let client = TCPTestClient(port: port) else { return nil }
    client.send("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    return parse(client.readToEnd(timeout: timeout))
  }

  public static func parse(_ bytes: [UInt8]) -> HTTPTestResponse? {
    let text = String(decoding: bytes, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { return nil }
    let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
    let statusParts = lines[0].split(separator: " ")
    guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else { return nil }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return HTTPTestResponse(status: status, headers: headers, body: String(text[split.upperBound...]))
  }
}
