import BridgeCore
import BridgeThreads
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
///
/// This is the handle other threads hold; the schedule, pending probes and sockets are a `ProbeLoop`, which `start`
/// hands (out of a Mutex) to the probing `ServiceThread`, so only that thread ever touches them. `stop` posts to
/// the loop's inbox and joins the thread.
final class Prober: Sendable {
  /// What the probing thread is told.
  enum Command: Sendable, Equatable {
    case stop
  }

  /// Nothing to probe: `start` starts no thread.
  let isEmpty: Bool
  private let inbox: WakeableInbox<Command>
  /// The loop's state until `start` hands it to the thread (or until the handle goes, if never started).
  private let loop: Mutex<ProbeLoop?>
  private let thread = Mutex<ServiceThread?>(nil)

  /// Opens what `sites`' probes need; throws with the reason (ICMP not allowed, a SIP socket that cannot bind).
  init(sites: [SiteConfig], probing: ProbingSettings, timing: Timing) throws(ProbeSetupError) {
    guard let inbox = WakeableInbox<Command>(capacity: 4) else {
      throw ProbeSetupError(description: "pipe: \(String(cString: strerror(errno)))")
    }
    let loop = try ProbeLoop(sites: sites, probing: probing, timing: timing, inbox: inbox)
    self.inbox = inbox
    isEmpty = loop.isEmpty
    self.loop = Mutex(loop)
  }

  /// Starts the probing thread; `handle` runs on it with each wake-up's results.
  func start(_ handle: @escaping @Sendable (ProbeBatch) -> Void) {
    guard !isEmpty else { return }
    let thread = ServiceThread(name: "bw-probe") { [self] in
      guard let loop = self.loop.withLock({ $0.take() }) else { return }
      loop.run(handle)
    }
    self.thread.withLock { $0 = thread }
    thread.start()
  }

  /// Stops the probing thread and waits for it. Safe to call more than once.
  func stop() {
    guard let thread = thread.withLock({ $0.take() }) else { return }
    inbox.post(.stop)
    thread.join()
  }
}

/// The prober's state and loop, owned by the probing thread once started.
final class ProbeLoop {
  struct Target {
    var kind: ProbeTarget.Kind
    var probe: ProbeTarget
    var address: sockaddr_storage
    var length: socklen_t
    var ipv6: Bool
    /// The local address SIP requests name in Via and Contact.
    var localHost: String
    var template: SIPProbeCodec.Template?
  }

  struct Pending {
    var token: UInt64
    var sentAt: Int64
    var sequence: UInt32
    var tcpFD: Int32 = -1
  }

  var targets: [Target?]
  var schedule: ProbeSchedule
  let timeoutNanos: Int64
  var pending: [Pending?]
  /// (site, token, deadline) in sending order, which is deadline order: one timeout for every probe.
  var deadlines: [(site: Int, token: UInt64, at: Int64)] = []
  var deadlineHead = 0
  var tcpInFlight: [Int] = []
  var sipSockets: [Int32] = [-1, -1]  // IPv4, IPv6
  var sipPorts: [Int] = [0, 0]
  var icmpSockets: [Int32] = [-1, -1]
  var icmpIsRaw = [false, false]
  let icmpIdentifier = UInt16(truncatingIfNeeded: getpid())
  var sequence: UInt32 = 0
  var generator = SystemRandomNumberGenerator()
  let inbox: WakeableInbox<Prober.Command>
  let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
  let tag: String

  /// CLOCK_MONOTONIC, the clock the kernel's receive times are converted to.
  static func monotonicNanos() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
  }

  /// The loop wakes this often while probes wait for answers: probes due within a tick go together, answers are
  /// read together (their round trips from the kernel's receive times, not from when they were read).
  static let tickNanos: Int64 = 10_000_000
  var requestBuffer: [UInt8] = []

  /// Opens what `sites`' probes need; throws with the reason (ICMP not allowed, a SIP socket that cannot bind).
  init(sites: [SiteConfig], probing: ProbingSettings, timing: Timing, inbox: WakeableInbox<Prober.Command>) throws(ProbeSetupError) {
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
    self.inbox = inbox
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

  var closed = false

  /// Closes every descriptor once (a failed init closes them, and deinit comes after it too).
  func closeAll() {
    guard !closed else { return }
    closed = true
    for fd in sipSockets + icmpSockets where fd >= 0 { close(fd) }
    sipSockets = [-1, -1]
    icmpSockets = [-1, -1]
    for site in tcpInFlight { if let fd = pending[site]?.tcpFD, fd >= 0 { close(fd) } }
    tcpInFlight = []
  }

  var isEmpty: Bool { schedule.order.isEmpty }

  // MARK: - The loop

  /// Probes until the inbox says stop.
  func run(_ handle: (ProbeBatch) -> Void) {
    var descriptors: [pollfd] = []
    var sleeper = [pollfd(fd: inbox.descriptor, events: Int16(POLLIN), revents: 0)]
    var stopping = false
    while !stopping {
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
      if poll(&sleeper, 1, Int32(sleepNanos / 1_000_000)) > 0 { stopping = inbox.drain().messages.contains(.stop) }
    }
    for site in tcpInFlight { if let fd = pending[site]?.tcpFD, fd >= 0 { close(fd) } }
    tcpInFlight = []
  }

  // MARK: - Sending

  func send(_ site: Int, now: Int64, into batch: inout ProbeBatch) {
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

  func sendTo(_ fd: Int32, _ bytes: [UInt8], _ target: Target) -> Bool {
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
  func record(_ site: Int, _ outcome: ProbeOutcome, into batch: inout ProbeBatch) {
    batch.results.append(ProbeBatch.Result(site: site, outcome: outcome, rttMilliseconds: nil, sentNanosAgo: 0))
  }
}
