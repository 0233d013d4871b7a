import Glibc

/// A TCP socket listening on a free loopback port, for the tests' stand-in servers: the descriptor (close-on-exec)
/// and the port the kernel chose; nil when it cannot listen (the socket then closed).
public func listenOnLoopback(backlog: Int32 = 16) -> (descriptor: Int32, port: Int)? {
  let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
  guard descriptor >= 0 else { return nil }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let listening = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
      bind(descriptor, pointer, length) == 0 && listen(descriptor, backlog) == 0 && getsockname(descriptor, pointer, &length) == 0
    }
  }
  guard listening else {
    close(descriptor)
    return nil
  }
  return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}
