import Foundation

/// A plain POSIX UDP socket on loopback, as a site's script would use.
public final class UDPTestSocket {
  public let fd: Int32

  public init() {
    fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    precondition(fd >= 0)
  }

  deinit { close(fd) }

  public func send(_ bytes: [UInt8], port: Int) {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let sent = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    precondition(sent == bytes.count, "sendto failed: \(errno)")
  }

  public func send(_ text: String, port: Int) { send(Array(text.utf8), port: port) }

  /// The next datagram, or nil after the timeout.
  public func receive(timeoutMilliseconds: Int = 2000) -> String? {
    var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: Int((timeoutMilliseconds % 1000) * 1000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 2048)
    let count = recv(fd, &buffer, buffer.count, 0)
    return count >= 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
  }
}
