import BridgeCore
import Foundation

/// `console --relay`: the monitor's socket on standard input and output, byte for byte, until either side ends.
/// The first line, the hello, says what the link is for: the relay carries only the purposes it was told to
/// (by default a standby's link: whoever holds the standby's SSH key must not act as an operator). Past the
/// hello, the monitor holds the link to its purpose (a standby's link that sends a request is closed).
public enum SocketRelay {
  /// A standby following its primary, and a primary asking its standby who it is.
  public static let standbyLink: Set<ConsoleHello.Purpose> = [.follow, .peer]
  /// How long the relay waits for the hello.
  public static let helloDeadline: Double = 10

  public struct Refusal: Error, CustomStringConvertible {
    public var description: String
  }

  /// `carrying`: the hello purposes let through; nil: any.
  public static func run(path: String, carrying allowed: Set<ConsoleHello.Purpose>?) throws {
    let (hello, rest) = try readHello()
    if let allowed {
      let refusal: String? =
        switch try? ConsoleProtocol.decode(hello) {
        case .hello(let asked) where allowed.contains(asked.purpose): nil
        case .hello(let asked):
          "this relay carries a standby's link only (follow, peer), not \(asked.purpose.rawValue); see console --relay-consoles"
        default: "this relay carries a standby's link only (follow, peer), and the first line was not a hello"
        }
      if let refusal {
        _ = FileHandleOutput.write(fd: 1, ConsoleProtocol.encode(.refused(ConsoleRefusal(reason: refusal))))
        throw Refusal(description: refusal)
      }
    }
    let socket = try ConsoleSocket.connect(path: path)
    defer { close(socket) }
    guard sendAll(socket, Array(hello) + [0x0A] + rest) else { return }
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    var inputOpen = true
    while true {
      var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: inputOpen ? 0 : -1, events: Int16(POLLIN), revents: 0)]
      guard poll(&fds, 2, 1000) >= 0 || errno == EINTR else { throw ConsoleSocket.Failure("poll", errno: errno) }
      if fds[0].revents != 0 {
        let count = buffer.withUnsafeMutableBytes { read(socket, $0.baseAddress, $0.count) }
        if count <= 0 { return }
        guard FileHandleOutput.write(fd: 1, Array(buffer[0..<count])) == 0 else { return }
      }
      if fds[1].revents != 0 {
        let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count <= 0 {
          // The standby hung up: tell the monitor, and keep relaying what it still sends until it closes.
          shutdown(socket, Int32(SHUT_WR))
          inputOpen = false
          continue
        }
        guard sendAll(socket, Array(buffer[0..<count])) else { return }
      }
    }
  }

  /// Reads standard input up to the first newline, within `helloDeadline` and the protocol's line limit: the
  /// hello without its newline, and what came after it.
  private static func readHello() throws -> (hello: ArraySlice<UInt8>, rest: [UInt8]) {
    var framer = LineFramer(limit: ConsoleProtocol.maximumClientLine)
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    let deadline = Date().addingTimeInterval(helloDeadline)
    while true {
      if let line = try framer.nextLine() {
        return (line, Array(framer.unread))
      }
      let left = deadline.timeIntervalSinceNow
      guard left > 0 else { throw Refusal(description: "no hello within \(Int(helloDeadline)) seconds") }
      var input = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
      guard poll(&input, 1, Int32(left * 1000) + 1) >= 0 || errno == EINTR else { throw ConsoleSocket.Failure("poll", errno: errno) }
      guard input.revents != 0 else { continue }
      let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { throw Refusal(description: "the link closed before its hello") }
      buffer.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
  }

  /// Writes all of `bytes` to the monitor; false when it went away.
  private static func sendAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
    var sent = 0
    while sent < bytes.count {
      let written = bytes.withUnsafeBytes { send(socket, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
      if written < 0 {
        if errno == EINTR { continue }
        return false
      }
      sent += written
    }
    return true
  }
}
