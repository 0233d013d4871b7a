import BridgeCore
import CLinux
import Foundation
import Synchronization

/// What one wake-up of the prober found, for the monitor to apply under one lock.
struct ProbeBatch: Sendable {
  struct Result: Sendable {
    var site: Int
    var outcome: ProbeOutcome
    var rttMilliseconds: Int?
    /// How long before the batch was handed over the probe was sent.
    var sentNanosAgo: Int64
  }
  var results: [Result] = []
  var sent = 0
  var rejections = [Int](repeating: 0, count: ProbeRejection.allCases.count)
  /// The first rejection's reason and sender, for the log.
  var firstRejection: (reason: ProbeRejection, from: String)?

  var isEmpty: Bool { results.isEmpty && sent == 0 && firstRejection == nil }

  /// Counts a dropped answer; the sender is described (a getnameinfo) only for the first of the wake-up, which
  /// is all the log says, so a flood of junk costs no lookup per datagram.
  mutating func reject(_ reason: ProbeRejection, from sender: @autoclosure () -> String) {
    rejections[ProbeRejection.allCases.firstIndex(of: reason)!] += 1
    if firstRejection == nil { firstRejection = (reason, sender()) }
  }
}

public struct ProbeSetupError: Error, CustomStringConvertible {
  public var description: String
}

/// Probes sites that have no agent: SIP OPTIONS over UDP, TCP connects, ICMP echoes. One thread drives
/// non-blocking sockets with `poll`: one UDP socket per address family for SIP, one ICMP socket per family, and a
/// socket per TCP connect in flight. Probes go out spread over the period (`ProbeSchedule`); each answer is matched
/// to the probe waiting for it (SIP: Call-ID, CSeq and source; ICMP: payload token, sequence and source; TCP: the
/// connection), so nothing late, forged or duplicated counts for any site.
final class Prober: @unchecked Sendable {
  private struct Target {
    var kind: ProbeTarget.Kind
    var probe: ProbeTarget
    var address: sockaddr_storage
    var length: socklen_t
    var ipv6: Bool
    /// The local address SIP requests name in Via and Contact.
    var localHost: String
    var template: SIPProbeCodec.Template?
  }

  private struct Pending {
    var token: UInt64
    var sentAt: Int64
    var sequence: UInt32
    var tcpFD: Int32 = -1
  }

  private var targets: [Target?]
  private var schedule: ProbeSchedule
  private let timeoutNanos: Int64
  private var pending: [Pending?]
  /// (site, token, deadline) in sending order, which is deadline order: one timeout for every probe.
  private var deadlines: [(site: Int, token: UInt64, at: Int64)] = []
  private var deadlineHead = 0
  private var tcpInFlight: [Int] = []
  private var sipSockets: [Int32] = [-1, -1]  // IPv4, IPv6
  private var sipPorts: [Int] = [0, 0]
  private var icmpSockets: [Int32] = [-1, -1]
  private var icmpIsRaw = [false, false]
  private let icmpIdentifier = UInt16(truncatingIfNeeded: getpid())
  private var sequence: UInt32 = 0
  private var generator = SystemRandomNumberGenerator()
  private let wakeRead: Int32
  private let wakeWrite: Int32
  private let stopping = Atomic<Bool>(false)
  private let finished = DispatchSemaphore(value: 0)
  private var started = false
  private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
  private let tag: String

  /// CLOCK_MONOTONIC, the clock the kernel's receive times are converted to.
  static func monotonicNanos() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
  }

  /// The loop wakes this often while probes wait for answers: probes due within a tick go together, answers are
  /// read together (their round trips from the kernel's receive times, not from when they were read).
  static let tickNanos: Int64 = 10_000_000
  private var requestBuffer: [UInt8] = []

  /// Opens what `sites`' probes need; throws with the reason (ICMP not allowed, a SIP socket that cannot bind).
  init(sites: [SiteConfig], probing: ProbingSettings, timing: Timing) throws(ProbeSetupError) {
    // Nothing per site unless some site is probed: a conference of agents pays nothing for the prober.
    let anyProbe = sites.contains { $0.probe != nil }
    var targets: [Target?] = anyProbe ? Array(repeating: nil, count: sites.count) : []
    var probed: [(index: Int, id: String)] = []
    var localHosts: [String: String] = [:]
    for (index, site) in sites.enumerated() {
      guard let probe = site.probe else { continue }
      let addressText = probe.address ?? probe.host
      guard let (address, length) = Self.numericAddress(addressText, port: probe.port) else {
        throw ProbeSetupError(description: "site \(site.id): probe address '\(addressText)' is not a numeric address")
      }
      let ipv6 = address.ss_family == sa_family_t(AF_INET6)
      var localHost = ""
      if probe.kind == .sip {
        localHost = localHosts[addressText] ?? Self.localAddress(toward: address, length: length) ?? (ipv6 ? "::" : "0.0.0.0")
        localHosts[addressText] = localHost
      }
      targets[index] = Target(
        kind: probe.kind, probe: probe, address: address, length: length, ipv6: ipv6, localHost: localHost, template: nil)
      probed.append((index, site.id))
    }
    self.targets = targets
    pending = anyProbe ? Array(repeating: nil, count: sites.count) : []
    timeoutNanos = probing.effectiveTimeout(timing).nanoseconds
    let now = Self.monotonicNanos()
    schedule = ProbeSchedule(
      sites: probed, periodNanos: probing.effectivePeriod(timing).nanoseconds, ratePerSecond: probing.ratePerSecond, startNanos: now)
    tag = String(UInt64.random(in: .min ... .max, using: &generator), radix: 16)
    var pipeFDs: [Int32] = [0, 0]
    guard pipe(&pipeFDs) == 0 else { throw ProbeSetupError(description: "pipe: \(String(cString: strerror(errno)))") }
    for fd in pipeFDs {
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    wakeRead = pipeFDs[0]
    wakeWrite = pipeFDs[1]
    do {
      for family in 0..<2 {
        let wanted = targets.compactMap { $0 }.filter { $0.ipv6 == (family == 1) }
        if wanted.contains(where: { $0.kind == .sip }) {
          (sipSockets[family], sipPorts[family]) = try Self.openSIPSocket(ipv6: family == 1)
        }
        if wanted.contains(where: { $0.kind == .icmp }) {
          (icmpSockets[family], icmpIsRaw[family]) = try ICMPAccess.open(ipv6: family == 1)
        }
      }
    } catch {
      closeAll()
      throw error
    }
    if targets.contains(where: { $0?.kind == .tcp }) { Self.raiseOpenFileLimit() }
    for index in self.targets.indices {
      guard let target = self.targets[index], target.kind == .sip else { continue }
      self.targets[index]?.template = SIPProbeCodec.Template(
        target: target.probe, local: (target.localHost, sipPorts[target.ipv6 ? 1 : 0]), tag: tag)
    }
    for fd in sipSockets + icmpSockets where fd >= 0 {
      var on: Int32 = 1
      setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, socklen_t(MemoryLayout<Int32>.size))
    }
  }

  deinit {
    closeAll()
    buffer.deallocate()
  }

  private var closed = false

  /// Closes every descriptor once (a failed init closes them, and deinit comes after it too).
  private func closeAll() {
    guard !closed else { return }
    closed = true
    for fd in sipSockets + icmpSockets where fd >= 0 { close(fd) }
    sipSockets = [-1, -1]
    icmpSockets = [-1, -1]
    for site in tcpInFlight { if let fd = pending[site]?.tcpFD, fd >= 0 { close(fd) } }
    tcpInFlight = []
    close(wakeRead)
    close(wakeWrite)
  }

  var isEmpty: Bool { schedule.order.isEmpty }

  /// Starts the probing thread; `handle` runs on it with each wake-up's results.
  func start(_ handle: @escaping @Sendable (ProbeBatch) -> Void) {
    guard !isEmpty else { return }
    started = true
    let thread = Thread { [self] in
      ThreadName.setCurrent("bw-probe")
      run(handle)
      finished.signal()
    }
    thread.name = "bridgewatch-probe"
    thread.start()
  }

  func stop() {
    guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
    if started {
      var byte: UInt8 = 1
      _ = write(wakeWrite, &byte, 1)
      finished.wait()
    }
  }

  // MARK: - The loop

  private func run(_ handle: (ProbeBatch) -> Void) {
    var descriptors: [pollfd] = []
    var sleeper = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
    while !stopping.load(ordering: .relaxed) {
      var batch = ProbeBatch()
      let now = Self.monotonicNanos()
      // What falls due within this tick goes now: at most a tick early, spread as the schedule spreads them.
      for site in schedule.due(at: now + Self.tickNanos) { send(site, now: now, into: &batch) }

      // What has arrived since the last tick, without waiting.
      descriptors.removeAll(keepingCapacity: true)
      for fd in sipSockets + icmpSockets where fd >= 0 { descriptors.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
      let fixed = descriptors.count
      for site in tcpInFlight { descriptors.append(pollfd(fd: pending[site]!.tcpFD, events: Int16(POLLOUT), revents: 0)) }
      if poll(&descriptors, nfds_t(descriptors.count), 0) > 0 {
        let readAt = Self.monotonicNanos()
        for entry in descriptors[0..<fixed] where entry.revents != 0 { readAnswers(entry.fd, now: readAt, into: &batch) }
        var stillInFlight: [Int] = []
        for (offset, site) in tcpInFlight.enumerated() {
          if descriptors[fixed + offset].revents == 0 {
            stillInFlight.append(site)
          } else {
            finishConnect(site, now: readAt, into: &batch)
          }
        }
        tcpInFlight = stillInFlight
      }
      expire(now: Self.monotonicNanos(), into: &batch)
      if !batch.isEmpty { handle(batch) }

      // Sleep a tick while answers are awaited; otherwise until the next probe is due (at most a second).
      let waiting = deadlineHead < deadlines.count
      let untilNext =
        schedule.nextSendNanos == .max ? Int64(1_000_000_000) : schedule.nextSendNanos - Self.tickNanos - Self.monotonicNanos()
      let sleepNanos = waiting ? Self.tickNanos : max(Self.tickNanos, min(1_000_000_000, untilNext))
      if poll(&sleeper, 1, Int32(sleepNanos / 1_000_000)) > 0 { drainWakePipe() }
    }
    for site in tcpInFlight { if let fd = pending[site]?.tcpFD, fd >= 0 { close(fd) } }
    tcpInFlight = []
  }

  private func drainWakePipe() {
    var bytes = [UInt8](repeating: 0, count: 16)
    while read(wakeRead, &bytes, bytes.count) > 0 {}
  }

  // MARK: - Sending

  private func send(_ site: Int, now: Int64, into batch: inout ProbeBatch) {
    guard let target = targets[site] else { return }
    if let stale = pending[site] {
      // The previous probe still waits (only if the timeout outlasts the period, which the config refuses): it
      // is given up, its connect closed, its late answer unmatched.
      if stale.tcpFD >= 0 {
        closeTCP(site)
        tcpInFlight.removeAll { $0 == site }
      }
      pending[site] = nil
    }
    sequence &+= 1
    let token = UInt64.random(in: 1 ... .max, using: &generator)
    var entry = Pending(token: token, sentAt: now, sequence: sequence)
    let family = target.ipv6 ? 1 : 0
    switch target.kind {
    case .sip:
      target.template!.write(into: &requestBuffer, token: token, site: site, sequence: sequence)
      guard sendTo(sipSockets[family], requestBuffer, target) else { return record(site, .unreachable, into: &batch) }
    case .icmp:
      entry.sequence = sequence & 0xffff
      let packet = ICMPEchoCodec.request(
        ipv6: target.ipv6, identifier: icmpIdentifier, sequence: UInt16(entry.sequence), token: token, site: UInt32(site))
      guard sendTo(icmpSockets[family], packet, target) else { return record(site, .unreachable, into: &batch) }
    case .tcp:
      let fd = socket(
        Int32(target.address.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
      guard fd >= 0 else { return record(site, .unreachable, into: &batch) }
      // Closing sends a reset: no TIME_WAIT left behind for every probe, and the endpoint frees the slot at once.
      var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
      var address = target.address
      let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, target.length) }
      }
      let failure = result == 0 ? 0 : errno
      batch.sent += 1
      switch failure {
      case 0:
        close(fd)
        return record(site, .tcpConnected, into: &batch)
      case EINPROGRESS:
        entry.tcpFD = fd
        pending[site] = entry
        tcpInFlight.append(site)
        deadlines.append((site, token, now + timeoutNanos))
        return
      case ECONNREFUSED:
        close(fd)
        return record(site, .tcpRefused, into: &batch)
      default:
        close(fd)
        return record(site, .unreachable, into: &batch)
      }
    }
    batch.sent += 1
    pending[site] = entry
    deadlines.append((site, token, now + timeoutNanos))
  }

  private func sendTo(_ fd: Int32, _ bytes: [UInt8], _ target: Target) -> Bool {
    var address = target.address
    let sent = bytes.withUnsafeBytes { payload in
      withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          sendto(fd, payload.baseAddress, payload.count, Int32(MSG_DONTWAIT), $0, target.length)
        }
      }
    }
    return sent == bytes.count
  }

  /// An outcome known at once (a refused or immediate connect, a send that failed).
  private func record(_ site: Int, _ outcome: ProbeOutcome, into batch: inout ProbeBatch) {
    batch.results.append(ProbeBatch.Result(site: site, outcome: outcome, rttMilliseconds: nil, sentNanosAgo: 0))
  }

  // MARK: - Answers

  private func readAnswers(_ fd: Int32, now: Int64, into batch: inout ProbeBatch) {
    let family = sipSockets[1] == fd || icmpSockets[1] == fd ? 1 : 0
    let isSIP = sipSockets[family] == fd
    while true {
      var sender = sockaddr_storage()
      var senderLength = UInt32(MemoryLayout<sockaddr_storage>.size)
      var receivedAt: Int64 = 0
      // The real length comes back, so one larger than the buffer is seen as too large, not cut down.
      let count = Int(
        bw_receive_stamped(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count, &sender, &senderLength, &receivedAt))
      guard count >= 0 else { return }
      let length = socklen_t(senderLength)
      if count > buffer.count {
        batch.reject(.tooLarge, from: Self.describe(sender, length))
        continue
      }
      let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
      let at = receivedAt > 0 ? min(receivedAt, now) : now
      if isSIP {
        matchSIP(bytes, from: sender, length, now: at, into: &batch)
      } else {
        matchICMP(bytes, ipv6: family == 1, raw: icmpIsRaw[family], from: sender, length, now: at, into: &batch)
      }
    }
  }

  private func matchSIP(
    _ bytes: UnsafeRawBufferPointer, from sender: sockaddr_storage, _ length: socklen_t, now: Int64, into batch: inout ProbeBatch
  ) {
    let response: SIPProbeCodec.Response
    switch SIPProbeCodec.parseResponse(bytes) {
    case .success(let parsed): response = parsed
    case .failure(let reason): return batch.reject(reason, from: Self.describe(sender, length))
    }
    // Call-ID "<token hex>-<site>@bridgewatch": the site says where to look, the token that it is ours.
    let callID = response.callID
    guard let dash = callID.firstIndex(of: "-"), let at = callID.firstIndex(of: "@"), dash < at,
      let token = UInt64(callID[..<dash], radix: 16), let site = Int(callID[callID.index(after: dash)..<at]),
      site >= 0, site < pending.count, let target = targets[site], target.kind == .sip,
      let waiting = pending[site], waiting.token == token, waiting.sequence == response.sequence
    else { return batch.reject(.unmatched, from: Self.describe(sender, length)) }
    guard Self.sameEndpoint(sender, target.address, comparePort: true) else {
      return batch.reject(.wrongSource, from: Self.describe(sender, length))
    }
    // A provisional response (100 Trying) says nothing about the endpoint yet; the final one does.
    guard response.code >= 200 else { return }
    complete(site, .sipAnswered(code: response.code), now: now, into: &batch)
  }

  private func matchICMP(
    _ bytes: UnsafeRawBufferPointer, ipv6: Bool, raw: Bool, from sender: sockaddr_storage, _ length: socklen_t, now: Int64,
    into batch: inout ProbeBatch
  ) {
    if raw {
      // A raw socket sees every ICMP message of the host: only echo replies with our identifier are ours to judge.
      let start = ipv6 ? 0 : Int((bytes.first ?? 0) & 0x0f) * 4
      guard bytes.count >= start + 8, bytes[start] == (ipv6 ? 129 : 0),
        UInt16(bytes[start + 4]) << 8 | UInt16(bytes[start + 5]) == icmpIdentifier
      else { return }
    }
    let reply: ICMPEchoCodec.Reply
    switch ICMPEchoCodec.parseReply(bytes, ipv6: ipv6, includesIPHeader: raw && !ipv6) {
    case .success(let parsed): reply = parsed
    case .failure(let reason): return batch.reject(reason, from: Self.describe(sender, length))
    }
    let site = Int(reply.site)
    guard site < pending.count, let target = targets[site], target.kind == .icmp, let waiting = pending[site],
      waiting.token == reply.token, UInt16(waiting.sequence) == reply.sequence
    else { return batch.reject(.unmatched, from: Self.describe(sender, length)) }
    guard Self.sameEndpoint(sender, target.address, comparePort: false) else {
      return batch.reject(.wrongSource, from: Self.describe(sender, length))
    }
    complete(site, .icmpReply, now: now, into: &batch)
  }

  private func finishConnect(_ site: Int, now: Int64, into batch: inout ProbeBatch) {
    guard let waiting = pending[site], waiting.tcpFD >= 0 else { return }
    var failure: Int32 = 0
    var size = socklen_t(MemoryLayout<Int32>.size)
    getsockopt(waiting.tcpFD, SOL_SOCKET, SO_ERROR, &failure, &size)
    closeTCP(site)
    // The connect's round trip is known only to the tick: no RTT is claimed for it.
    switch failure {
    case 0: complete(site, .tcpConnected, now: now, rtt: false, into: &batch)
    case ECONNREFUSED: complete(site, .tcpRefused, now: now, rtt: false, into: &batch)
    default: complete(site, .unreachable, now: now, into: &batch)
    }
  }

  private func closeTCP(_ site: Int) {
    guard let fd = pending[site]?.tcpFD, fd >= 0 else { return }
    close(fd)
    pending[site]?.tcpFD = -1
  }

  private func complete(_ site: Int, _ outcome: ProbeOutcome, now: Int64, rtt measured: Bool = true, into batch: inout ProbeBatch) {
    guard let waiting = pending[site] else { return }
    pending[site] = nil
    // Rounded up, as the agent does: an answer within the millisecond is "1ms", never "0ms" (which reads as none).
    let rtt = outcome.isAlive && measured ? Int((max(0, now - waiting.sentAt) + 999_999) / 1_000_000) : nil
    batch.results.append(ProbeBatch.Result(site: site, outcome: outcome, rttMilliseconds: rtt, sentNanosAgo: now - waiting.sentAt))
  }

  private func expire(now: Int64, into batch: inout ProbeBatch) {
    while deadlineHead < deadlines.count, deadlines[deadlineHead].at <= now {
      let (site, token, _) = deadlines[deadlineHead]
      deadlineHead += 1
      guard let waiting = pending[site], waiting.token == token else { continue }  // answered already
      if waiting.tcpFD >= 0 {
        closeTCP(site)
        tcpInFlight.removeAll { $0 == site }
      }
      complete(site, .timedOut, now: now, into: &batch)
    }
    if deadlineHead > 4096 && deadlineHead * 2 > deadlines.count {
      deadlines.removeFirst(deadlineHead)
      deadlineHead = 0
    }
  }

  // MARK: - Sockets and addresses

  private static func openSIPSocket(ipv6: Bool) throws(ProbeSetupError) -> (Int32, Int) {
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
  private static func localAddress(toward address: sockaddr_storage, length: socklen_t) -> String? {
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
  private static func raiseOpenFileLimit() {
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
