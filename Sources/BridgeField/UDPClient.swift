import BridgeCore
import BridgePlatform
import Foundation

/// A resolved IPv4 or IPv6 address to send heartbeats to.
public struct UDPAddress: CustomStringConvertible, Sendable {
  var storage = sockaddr_storage()
  var length: socklen_t = 0
  public var family: Int32 { Int32(storage.ss_family) }
  public var description: String

  /// Resolves HOST:PORT (names, IPv4, [IPv6]). Returns nil with the resolver's message on failure.
  public static func resolve(host: String, port: Int) -> Result<UDPAddress, ResolveError> {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    hints.ai_family = AF_UNSPEC
    var list: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host, String(port), &hints, &list)
    guard status == 0, let first = list else {
      return .failure(ResolveError(message: "cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
    }
    defer { freeaddrinfo(list) }
    var address = UDPAddress(description: HostPortText.format(host: host, port: port))
    withUnsafeMutableBytes(of: &address.storage) { target in
      target.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
    }
    address.length = first.pointee.ai_addrlen
    return .success(address)
  }

  /// Resolves every HOST:PORT, in order; the first that cannot be resolved is the error.
  public static func resolveAll(_ targets: [(host: String, port: Int)]) throws(ResolveError) -> [UDPAddress] {
    try targets.map { target throws(ResolveError) in try resolve(host: target.host, port: target.port).get() }
  }

  public struct ResolveError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
  }
}

/// A plain UDP socket for the agent, `send` and the simulator: send to one address, read what comes back.
public final class UDPClient {
  let fd: Int32
  public let family: Int32

  public init(family: Int32) throws {
    self.family = family
    fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw POSIXFailure(operation: "socket", errno: errno) }
    // Room for the acks of a simulator that sends thousands of heartbeats a second.
    var size: Int32 = 4 << 20
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
  }

  deinit { close(fd) }

  /// Sends one datagram; returns errno on failure (the caller decides how loudly to report it).
  @discardableResult
  public func send(_ bytes: [UInt8], to address: UDPAddress) -> Int32? {
    var target = address.storage
    let sent = withUnsafePointer(to: &target) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, address.length) }
    }
    return sent < 0 ? errno : nil
  }

  /// Connects the socket to `address`, so the kernel reports an ICMP "port unreachable" for it (`takeError`): an
  /// unconnected UDP socket never hears of one. Only `send` does this: it talks to one address per socket.
  public func connect(to address: UDPAddress) -> Int32? {
    var target = address.storage
    let result = withUnsafePointer(to: &target) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, address.length) }
    }
    return result < 0 ? errno : nil
  }

  /// The error the kernel holds for a connected socket (ECONNREFUSED after "port unreachable"), cleared by reading.
  public func takeError() -> Int32? {
    var error: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error != 0 else { return nil }
    return error
  }

  /// Waits up to `timeoutMilliseconds` for the socket to be readable (0: do not wait).
  public func waitReadable(timeoutMilliseconds: Int32) -> Bool {
    var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&descriptor, 1, timeoutMilliseconds) > 0
  }

  /// Waits up to `timeoutMilliseconds` for any of `clients` to be readable, or for `stop` (a descriptor that turns
  /// readable to end the wait, such as `StopSignals.stopDescriptor`; -1: none); returns which clients are.
  public static func waitReadable(_ clients: [UDPClient?], timeoutMilliseconds: Int32, orStop stop: Int32 = -1) -> [Bool] {
    var descriptors = clients.map { pollfd(fd: $0?.fd ?? -1, events: Int16(POLLIN), revents: 0) }
    descriptors.append(pollfd(fd: stop, events: Int16(POLLIN), revents: 0))
    guard poll(&descriptors, nfds_t(descriptors.count), timeoutMilliseconds) > 0 else { return clients.map { _ in false } }
    return descriptors.dropLast().map { $0.revents & Int16(POLLIN) != 0 }
  }

  /// Datagrams that came from another address than the one asked for, and were dropped.
  public private(set) var foreignDatagrams = 0

  /// The next datagram already waiting that came from `peer`, without blocking; datagrams from anywhere else (from
  /// anywhere at all while `peer` is nil: no heartbeat has an address to go to) are dropped, counted in
  /// `foreignDatagrams`. An ack counts only from the address the heartbeat went to: any host
  /// that can reach this port could otherwise guess the next sequence number and make a dead monitor look alive.
  public func receiveNow(from peer: UDPAddress?) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: 2048)
    while true {
      var source = sockaddr_storage()
      var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
      let count = withUnsafeMutablePointer(to: &source) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT), $0, &length) }
      }
      guard count >= 0 else { return nil }
      if let peer, peer.isSameEndpoint(as: source) { return Array(buffer[0..<count]) }
      foreignDatagrams += 1
    }
  }
}

extension UDPAddress {
  /// The same address and port as `other` (a datagram's source).
  func isSameEndpoint(as other: sockaddr_storage) -> Bool {
    guard other.ss_family == storage.ss_family else { return false }
    var mine = storage
    var theirs = other
    switch Int32(storage.ss_family) {
    case AF_INET:
      let (a, b) = (Self.cast(&mine, to: sockaddr_in.self), Self.cast(&theirs, to: sockaddr_in.self))
      return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr
    case AF_INET6:
      let (a, b) = (Self.cast(&mine, to: sockaddr_in6.self), Self.cast(&theirs, to: sockaddr_in6.self))
      return a.sin6_port == b.sin6_port
        && withUnsafeBytes(of: a.sin6_addr) { x in withUnsafeBytes(of: b.sin6_addr) { x.elementsEqual($0) } }
    default: return false
    }
  }

  private static func cast<Address>(_ storage: inout sockaddr_storage, to: Address.Type) -> Address {
    withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: Address.self, capacity: 1) { $0.pointee } }
  }
}

public struct POSIXFailure: Error, CustomStringConvertible {
  public var operation: String
  public var errno: Int32
  public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
