import BridgeCore
import Foundation
import Synchronization

/// The simulator's stand-ins for probed sites' endpoints on this machine: a UDP socket answering SIP OPTIONS and
/// a TCP listener accepting connections, per loopback probe target. A SIP endpoint answers only while its site is
/// up in the plan, so sites that drop out go dark to the monitor's probes and come back with the plan.
/// The endpoints are set up first (`init`, `forDemo`, `assign`), then served by one thread from a copy of them.
public final class SimulatedEndpoints: Sendable {
  private struct Endpoint {
    var fd: Int32
    var kind: ProbeTarget.Kind
    /// Sites probed at this address and port.
    var sites: [Int]
    /// The SIP status this endpoint answers with when up (486: a codec busy in a call).
    var code: Int
  }

  private struct Setup {
    var endpoints: [Endpoint] = []
    var started = false
  }

  private let setup = Mutex(Setup())
  private let stopping = Atomic<Bool>(false)
  private let answered = Atomic<Int>(0)
  /// What could not be opened, for the user.
  public let skipped: [String]

  public var answeredCount: Int { answered.load(ordering: .relaxed) }
  public var isEmpty: Bool { setup.withLock { $0.endpoints.isEmpty } }

  /// Opens an endpoint for every loopback SIP or TCP probe of `sites`; others are real devices and left alone.
  public init(sites: [SiteConfig]) {
    var endpoints: [Endpoint] = []
    var skipped: [String] = []
    var byTarget: [String: Int] = [:]
    for (index, site) in sites.enumerated() {
      guard let probe = site.probe, probe.kind != .icmp, Self.isLoopback(probe.address ?? probe.host) else { continue }
      let key = "\(probe.kind.rawValue) \(probe.address ?? probe.host) \(probe.port)"
      if let existing = byTarget[key] {
        endpoints[existing].sites.append(index)
        continue
      }
      guard let fd = Self.open(kind: probe.kind, host: probe.address ?? probe.host, port: probe.port) else {
        skipped.append("\(probe) (\(String(cString: strerror(errno))))")
        continue
      }
      byTarget[key] = endpoints.count
      endpoints.append(Endpoint(fd: fd, kind: probe.kind, sites: [index], code: 200))
    }
    self.skipped = skipped
    setup.withLock { $0.endpoints = endpoints }
  }

  /// For the demo: `sip` SIP endpoints (every third answering 486, busy) and `tcp` TCP ones on 127.0.0.1, on free
  /// ports; returns their probe targets in order, SIP first.
  public static func forDemo(sip: Int, tcp: Int) -> (SimulatedEndpoints, [ProbeTarget]) {
    let endpoints = SimulatedEndpoints(sites: [])
    var targets: [ProbeTarget] = []
    for number in 0..<(sip + tcp) {
      let kind: ProbeTarget.Kind = number < sip ? .sip : .tcp
      guard let fd = open(kind: kind, host: "127.0.0.1", port: 0) else { continue }
      var address = sockaddr_in()
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
      let port = Int(UInt16(bigEndian: address.sin_port))
      let endpoint = Endpoint(fd: fd, kind: kind, sites: [], code: kind == .sip && number % 3 == 2 ? 486 : 200)
      endpoints.setup.withLock { $0.endpoints.append(endpoint) }
      targets.append(ProbeTarget(kind: kind, host: "127.0.0.1", port: port, address: "127.0.0.1"))
    }
    return (endpoints, targets)
  }

  /// Tells the demo's endpoints which site each one plays (in `forDemo`'s order).
  public func assign(sites: [Int]) {
    setup.withLock { setup in
      for (offset, site) in sites.enumerated() where offset < setup.endpoints.count { setup.endpoints[offset].sites = [site] }
    }
  }

  /// The sites these endpoints play: the simulator sends them no heartbeats, the monitor probes them.
  public var playedSites: Set<Int> { setup.withLock { Set($0.endpoints.flatMap(\.sites)) } }

  /// Serves on a thread of its own until `stop`; `isUp(site)` says whether the plan has the site up now.
  public func start(isUp: @escaping @Sendable (Int) -> Bool) {
    let endpoints = setup.withLock { setup in
      setup.started = !setup.endpoints.isEmpty
      return setup.endpoints
    }
    guard !endpoints.isEmpty else { return }
    let thread = Thread { [self] in
      serve(endpoints, isUp: isUp)
      // The serving thread closes what it served: `stop` need not wait for it.
      for endpoint in endpoints { close(endpoint.fd) }
    }
    thread.name = "simulated-endpoints"
    thread.start()
  }

  /// Ends the serving (within its poll's 100 ms, on its own thread) without waiting for it; closes the endpoints
  /// at once if they were never served.
  public func stop() {
    guard !stopping.exchange(true, ordering: .relaxed) else { return }
    let (started, endpoints) = setup.withLock { ($0.started, $0.endpoints) }
    if !started { for endpoint in endpoints { close(endpoint.fd) } }
  }

  private func serve(_ endpoints: [Endpoint], isUp: (Int) -> Bool) {
    var descriptors = endpoints.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !stopping.load(ordering: .relaxed) {
      guard poll(&descriptors, nfds_t(descriptors.count), 100) > 0 else { continue }
      for (offset, entry) in descriptors.enumerated() where entry.revents != 0 {
        let endpoint = endpoints[offset]
        let up = endpoint.sites.contains(where: isUp)
        switch endpoint.kind {
        case .tcp:
          let client = accept(endpoint.fd, nil, nil)
          if client >= 0 { close(client) }
        case .sip:
          var sender = sockaddr_storage()
          var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
          let count = withUnsafeMutablePointer(to: &sender) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
              recvfrom(endpoint.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT), $0, &length)
            }
          }
          guard count > 0, up else { continue }  // a dark site says nothing
          let answer = Self.answer(to: buffer[0..<count], code: endpoint.code)
          _ = withUnsafePointer(to: &sender) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(endpoint.fd, answer, answer.count, 0, $0, length) }
          }
          answered.add(1, ordering: .relaxed)
        case .icmp:
          break
        }
      }
    }
  }

  /// A final response to an OPTIONS request: its Via, From, To, Call-ID and CSeq lines back, as RFC 3261 wants.
  public static func answer(to request: ArraySlice<UInt8>, code: Int) -> [UInt8] {
    let text = String(decoding: request, as: UTF8.self)
    var answer = "SIP/2.0 \(code) \(ProbeOutcome.sipReason(code))\r\n"
    for line in text.split(separator: "\r\n") {
      let name = line.prefix { $0 != ":" }.lowercased()
      if ["via", "from", "to", "call-id", "cseq"].contains(name) { answer += line + (name == "to" ? ";tag=sim" : "") + "\r\n" }
    }
    answer += "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\nContent-Length: 0\r\n\r\n"
    return Array(answer.utf8)
  }

  private static func isLoopback(_ address: String) -> Bool { address.hasPrefix("127.") || address == "::1" }

  private static func open(kind: ProbeTarget.Kind, host: String, port: Int) -> Int32? {
    var hints = addrinfo()
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
    hints.ai_socktype = Int32(kind == .sip ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
    var found: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, String(port), &hints, &found) == 0, let info = found else { return nil }
    defer { freeaddrinfo(found) }
    let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return nil }
    var one: Int32 = 1
    if kind == .tcp { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
    guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, kind == .sip || listen(fd, 64) == 0 else {
      let reason = errno
      close(fd)
      errno = reason
      return nil
    }
    return fd
  }
}
