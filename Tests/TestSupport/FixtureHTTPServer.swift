import Foundation
import Glibc
import Synchronization

/// A plain HTTP server on loopback for tests of the bridge clients (issue 32): answers each request by `route(path)`
/// when its Authorization header is exactly `authorization` (401 otherwise), one connection at a time, and records the
/// paths asked. At most `maximumConnections`, then it stops accepting; `stop` ends it and frees the port.
public final class FixtureHTTPServer: @unchecked Sendable {
  public let port: Int
  private let listener: Int32
  private let stopped = Atomic<Bool>(false)
  private let asked = Mutex<[String]>([])
  private let done = DispatchSemaphore(value: 0)

  public struct ListenFailure: Error {}
  public static let maximumConnections = 3_000

  public init(authorization: String, route: @escaping @Sendable (String) -> (status: Int, body: [UInt8])) throws {
    guard let (descriptor, port) = listenOnLoopback() else { throw ListenFailure() }
    listener = descriptor
    self.port = port
    let thread = Thread { [self] in
      defer { done.signal() }
      for _ in 0..<Self.maximumConnections {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while !stopped.load(ordering: .acquiring) && Glibc.poll(&entry, 1, 100) == 0 {}
        if stopped.load(ordering: .acquiring) { return }
        let connection = accept(descriptor, nil, nil)
        guard connection >= 0 else { continue }
        serve(connection, authorization: authorization, route: route)
        close(connection)
      }
    }
    thread.start()
  }

  private func serve(_ connection: Int32, authorization: String, route: (String) -> (status: Int, body: [UInt8])) {
    var head: [UInt8] = []
    var byte: UInt8 = 0
    while head.count < 65_536, recv(connection, &byte, 1, 0) == 1 {
      head.append(byte)
      if head.suffix(4) == [13, 10, 13, 10] { break }
    }
    let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n")
    let path = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? ""
    asked.withLock { $0.append(path) }
    let given = lines.first { $0.lowercased().hasPrefix("authorization:") }.map {
      $0.dropFirst("authorization:".count).trimmingCharacters(in: .whitespaces)
    }
    let (status, body) = given == authorization ? route(path) : (401, Array("<html>401 Unauthorized</html>".utf8))
    let answer = Array("HTTP/1.1 \(status) X\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
    var sent = 0
    while sent < answer.count {
      let result = answer.withUnsafeBytes { send(connection, $0.baseAddress! + sent, answer.count - sent, Int32(MSG_NOSIGNAL)) }
      if result <= 0 { break }
      sent += result
    }
  }

  public var paths: [String] { asked.withLock { $0 } }

  public func stop() {
    stopped.store(true, ordering: .releasing)
    done.wait()
    close(listener)
  }
}
