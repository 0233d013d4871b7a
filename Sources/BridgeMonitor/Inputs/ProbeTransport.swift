import BridgeCore
import CLinux
import Foundation
import Synchronization

/// The prober's sockets and addresses: the SIP and ICMP sockets it opens, numeric addresses, and what ICMP needs
/// from the system.
extension ProbeLoop {
  // MARK: - Sockets and addresses

  static func openSIPSocket(ipv6: Bool) throws(ProbeSetupError) -> (Int32, Int) {
    let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw ProbeSetupError(description: "cannot open the SIP probe socket: \(String(cString: strerror(errno)))") }
    var any = sockaddr_storage()
    var length: socklen_t
    if ipv6 {
      var only: Int32 = 1
      setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &only, socklen_t(MemoryLayout<Int32>.size))
      withUnsafeMutablePointer(to: &any) {
        $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_family = sa_family_t(AF_INET6) }
      }
      length = socklen_t(MemoryLayout<sockaddr_in6>.size)
    } else {
      withUnsafeMutablePointer(to: &any) {
        $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_family = sa_family_t(AF_INET) }
      }
      length = socklen_t(MemoryLayout<sockaddr_in>.size)
    }
    let bound = withUnsafePointer(to: &any) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw ProbeSetupError(description: "cannot bind the SIP probe socket: \(reason)")
    }
    var local = sockaddr_storage()
    var localLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &localLength) } }
    return (fd, DatagramListener.describe(local, length: localLength)?.port ?? 0)
  }

  /// The local address the kernel would send from toward `address` (a connected UDP socket's name; no packet).
  static func localAddress(toward address: sockaddr_storage, length: socklen_t) -> String? {
    let fd = socket(Int32(address.ss_family), Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var remote = address
    let connected = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }
    guard connected == 0 else { return nil }
    var local = sockaddr_storage()
    var localLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &localLength) } }
    return DatagramListener.describe(local, length: localLength)?.host
  }

  static func numericAddress(_ host: String, port: Int) -> (sockaddr_storage, socklen_t)? {
    var hints = addrinfo()
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
    var found: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, String(port), &hints, &found) == 0, let info = found else { return nil }
    defer { freeaddrinfo(found) }
    var storage = sockaddr_storage()
    withUnsafeMutableBytes(of: &storage) { destination in
      destination.copyMemory(from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen)))
    }
    return (storage, info.pointee.ai_addrlen)
  }

  static func sameEndpoint(_ a: sockaddr_storage, _ b: sockaddr_storage, comparePort: Bool) -> Bool {
    guard a.ss_family == b.ss_family else { return false }
    var a = a
    var b = b
    if a.ss_family == sa_family_t(AF_INET) {
      return withUnsafeBytes(of: &a) { left in
        withUnsafeBytes(of: &b) { right in
          let l = left.load(as: sockaddr_in.self)
          let r = right.load(as: sockaddr_in.self)
          return l.sin_addr.s_addr == r.sin_addr.s_addr && (!comparePort || l.sin_port == r.sin_port)
        }
      }
    }
    return withUnsafeBytes(of: &a) { left in
      withUnsafeBytes(of: &b) { right in
        let l = left.load(as: sockaddr_in6.self)
        let r = right.load(as: sockaddr_in6.self)
        let sameAddress = withUnsafeBytes(of: l.sin6_addr) { x in withUnsafeBytes(of: r.sin6_addr) { y in x.elementsEqual(y) } }
        return sameAddress && (!comparePort || l.sin6_port == r.sin6_port)
      }
    }
  }

  static func describe(_ address: sockaddr_storage, _ length: socklen_t) -> String {
    guard let (host, port) = DatagramListener.describe(address, length: length) else { return "?" }
    return HostPortText.format(host: host, port: port)
  }

  /// TCP probes hold a descriptor each while in flight: lift the soft limit to the hard one.
  static func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = min(limit.rlim_max, 65536)
    setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
  }
}

/// Whether this process may send ICMP echo requests, and the socket to do it with.
public enum ICMPAccess {
  /// Linux's unprivileged ICMP datagram socket ("ping socket"), or a raw socket when that is refused and the
  /// process may open one (root, or CAP_NET_RAW); otherwise the error says exactly how to allow it.
  static func open(ipv6: Bool) throws(ProbeSetupError) -> (fd: Int32, raw: Bool) {
    let family = ipv6 ? AF_INET6 : AF_INET
    let proto = ipv6 ? Int32(IPPROTO_ICMPV6) : Int32(IPPROTO_ICMP)
    let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    let datagram = socket(family, Int32(SOCK_DGRAM.rawValue) | flags, proto)
    if datagram >= 0 { return (datagram, false) }
    let raw = socket(family, Int32(SOCK_RAW.rawValue) | flags, proto)
    if raw >= 0 { return (raw, true) }
    throw ProbeSetupError(description: problemText(ipv6: ipv6))
  }

  /// Nil when ICMP probes of this family can be sent here; otherwise one message saying how to allow them.
  public static func problem(ipv6: Bool) -> String? {
    do {
      let (fd, _) = try open(ipv6: ipv6)
      close(fd)
      return nil
    } catch {
      return error.description
    }
  }

  private static func problemText(ipv6: Bool) -> String {
    let range =
      (try? String(contentsOfFile: "/proc/sys/net/ipv4/ping_group_range", encoding: .utf8))?
      .split(whereSeparator: \.isWhitespace).joined(separator: " ") ?? "?"
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "bridgewatch"
    return
      "icmp:// probes need ICMP\(ipv6 ? "v6" : "") sockets, which this system refuses to this user (group \(getgid())): "
      + "net.ipv4.ping_group_range is \"\(range)\" and the process may not open raw sockets. Allow one: "
      + "sysctl -w net.ipv4.ping_group_range=\"0 2147483647\" (persist it in /etc/sysctl.d/), "
      + "or setcap cap_net_raw+ep \(executable)"
  }
}
