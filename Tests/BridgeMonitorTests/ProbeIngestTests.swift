import BridgeCore
import BridgeMonitor
import Foundation
import Logging
import TestSupport
import Testing

/// A monitor probing loopback endpoints the test plays itself, with a manual clock for statuses and real time for
/// the prober's schedule (a probe a second, answered or not within 500 ms).
struct ProbeFixture {
  let monitor: Monitor
  let clock: ManualClock
  let directory: String

  /// `slow`: probe every 5 s with 4 s to answer, for a test that plays the answers by hand on a busy machine.
  static func start(_ probes: [(id: String, probe: String)], slow: Bool = false) async throws -> ProbeFixture {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-probe-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory + "/heartbeats", withIntermediateDirectories: true)
    var config = ConferenceConfig(
      sites: probes.map { site in
        var probe = try! ProbeTarget.parse(site.probe).get()
        probe.address = probe.host
        return SiteConfig(
          id: site.id, name: "Điểm \(site.id)", group: ["P"], expected: 10, heartbeatFile: directory + "/heartbeats/\(site.id).hb",
          probe: probe)
      }, baseDirectory: directory, path: directory + "/test.yaml")
    config.udp.host = "127.0.0.1"
    config.udp.port = 0
    config.timing.interval = .seconds(slow ? 5 : 1)
    config.timing.lateAfter = .seconds(slow ? 12 : 3)
    config.timing.offlineAfter = .seconds(slow ? 30 : 5)
    config.probing.timeout = slow ? .seconds(4) : .milliseconds(500)
    let clock = ManualClock(unixSeconds: Date().timeIntervalSince1970)
    let monitor = Monitor(config: config, clock: clock, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    _ = try await monitor.start()
    return ProbeFixture(monitor: monitor, clock: clock, directory: directory)
  }

  func stop() async {
    await monitor.stop()
    try? FileManager.default.removeItem(atPath: directory)
  }

  func record(_ index: Int) async throws -> SiteRecord { try await monitor.snapshot().records[index] }

  /// Polls the monitor's state for up to 10 s.
  @discardableResult
  func waitFor(_ condition: (MonitorSnapshot) -> Bool) async throws -> MonitorSnapshot {
    let met = try await eventually(timeout: .seconds(10)) { () async throws -> MonitorSnapshot? in
      let snapshot = try await monitor.snapshot()
      return condition(snapshot) ? snapshot : nil
    }
    if let met { return met }
    return try await monitor.snapshot()
  }
}

/// A UDP socket on a free loopback port, playing a SIP endpoint by hand.
final class HandSIPEndpoint {
  let socket = UDPTestSocket()
  let port: Int

  init() {
    let fd = socket.fd
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    port = Int(UInt16(bigEndian: address.sin_port))
  }

  /// The newest OPTIONS request (waiting for one, then taking any that queued behind it, so a test that was held up
  /// answers the probe that still waits): its Call-ID and CSeq number, and the port it came from.
  func receiveOptions(timeoutMilliseconds: Int = 3000) -> (callID: String, sequence: String, from: Int)? {
    guard var newest = receiveOne(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
    while let later = receiveOne(timeoutMilliseconds: 1) { newest = later }
    return newest
  }

  private func receiveOne(timeoutMilliseconds: Int) -> (callID: String, sequence: String, from: Int)? {
    var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: Int((timeoutMilliseconds % 1000) * 1000))
    setsockopt(socket.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 4096)
    var sender = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let count = withUnsafeMutablePointer(to: &sender) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(socket.fd, &buffer, buffer.count, 0, $0, &length) }
    }
    guard count > 0 else { return nil }
    let text = String(decoding: buffer[0..<count], as: UTF8.self)
    guard text.hasPrefix("OPTIONS "),
      let callID = text.firstMatch(of: /\r\nCall-ID: ([^\r]+)\r\n/)?.1,
      let sequence = text.firstMatch(of: /\r\nCSeq: ([0-9]+) OPTIONS\r\n/)?.1
    else { return nil }
    return (String(callID), String(sequence), Int(UInt16(bigEndian: sender.sin_port)))
  }

  static func response(_ code: String, callID: String, sequence: String) -> String {
    "SIP/2.0 \(code)\r\nVia: SIP/2.0/UDP 127.0.0.1\r\nCall-ID: \(callID)\r\nCSeq: \(sequence) OPTIONS\r\nContent-Length: 0\r\n\r\n"
  }
}

@Suite(.serialized) struct ProbeIngestTests {
  /// A forged Call-ID, an answer from another address, garbage, a 64 KB datagram, a provisional answer and a
  /// duplicate: each counted and dropped; only the true final answer makes the site online.
  @Test func hostileAnswersAreCountedAndDropped() async throws {
    let endpoint = HandSIPEndpoint()
    let fixture = try await ProbeFixture.start([("CODEC", "sip://127.0.0.1:\(endpoint.port)")], slow: true)
    try await stopping(fixture.stop) { () async throws in
      // Each round answers the newest probe with the hostile set, then rightly, twice. A round that comes too late
      // on a busy machine (its probe timed out) finds everything unmatched, and the next round tries again.
      var rounds = 0
      var snapshot = try await fixture.monitor.snapshot()
      while rounds < 5 && snapshot.records[0].status != .online {
        let options = try #require(endpoint.receiveOptions(timeoutMilliseconds: 8000), "a probe comes within each 5 s period")
        rounds += 1
        let right = HandSIPEndpoint.response("200 OK", callID: options.callID, sequence: options.sequence)
        // The right answer from another socket: wrong source.
        HandSIPEndpoint().socket.send(right, port: options.from)
        // A forged Call-ID, and the right Call-ID with another CSeq.
        endpoint.socket.send(HandSIPEndpoint.response("200 OK", callID: "0-0@bridgewatch", sequence: options.sequence), port: options.from)
        endpoint.socket.send(HandSIPEndpoint.response("200 OK", callID: options.callID, sequence: "99999"), port: options.from)
        endpoint.socket.send([0x1b, 0x5d, 0x32, 0x3b, 0x70, 0x77, 0x6e, 0x07, 0x00, 0xff], port: options.from)
        endpoint.socket.send(Array(repeating: UInt8(ascii: "S"), count: 65_000), port: options.from)
        endpoint.socket.send(HandSIPEndpoint.response("100 Trying", callID: options.callID, sequence: options.sequence), port: options.from)
        endpoint.socket.send(right, port: options.from)
        endpoint.socket.send(right, port: options.from)  // a duplicate
        snapshot = try await fixture.waitFor {
          $0.counters[probe: .tooLarge] == UInt64(rounds) && $0.counters[probe: .unmatched] >= UInt64(3 * rounds)
        }
      }
      let record = snapshot.records[0]
      #expect(record.status == .online, "after \(rounds) rounds: \(snapshot.counters)")
      #expect(record.lastSource == .probe)
      // The answer's code, unless the next probe (nobody answers it) has timed out since.
      let outcome = record.probeOutcome
      #expect(outcome == .sipAnswered(code: 200) || outcome == .timedOut, "\(String(describing: outcome))")
      // An answered probe shows its round trip; a probe that timed out since shows none (no answer, no RTT).
      #expect((record.rttMilliseconds != nil) == (outcome == .sipAnswered(code: 200)), "\(String(describing: outcome))")
      let counters = snapshot.counters
      #expect(counters[probe: .wrongSource] >= 1)
      #expect(counters[probe: .unmatched] >= UInt64(3 * rounds), "forged Call-ID, another CSeq, the duplicate")
      #expect(counters[probe: .malformed] == UInt64(rounds))
      #expect(counters[probe: .tooLarge] == UInt64(rounds))
      #expect(counters.probeHeartbeats == 1, "only the true answer counted")
      #expect(counters.probesSent >= 1)
    }
  }

  /// A listener (connected), a closed port (refused: the host is up) and a listener whose backlog is full (the SYN
  /// is dropped: a black hole that only times out).
  @Test func tcpTellsConnectedRefusedAndTimedOut() async throws {
    // Nobody accepts: each probe's connection stays queued, so the backlog must outlast a slow (loaded) run's probes.
    let listener = try TCPTestListener(backlog: 1024)
    let closedPort = try TCPTestListener(backlog: 1).closeAndKeepPort()
    let blackHole = try TCPTestListener(backlog: 0)
    let fillers = blackHole.fillAcceptQueue()
    defer { for fd in fillers { close(fd) } }
    let fixture = try await ProbeFixture.start([
      ("OPEN", "tcp://127.0.0.1:\(listener.port)"), ("CLOSED", "tcp://127.0.0.1:\(closedPort)"),
      ("HOLE", "tcp://127.0.0.1:\(blackHole.port)"),
    ])
    try await stopping(fixture.stop) { () async throws in
      let snapshot = try await fixture.waitFor { snapshot in
        snapshot.records[0].status == .online && snapshot.records[1].status == .online && snapshot.records[2].probeOutcome == .timedOut
      }
      #expect(snapshot.records[0].probeOutcome == .tcpConnected)
      #expect(snapshot.records[1].probeOutcome == .tcpRefused)
      #expect(snapshot.records[1].status == .online, "refused is alive")
      #expect(snapshot.records[2].probeOutcome == .timedOut)
      #expect(snapshot.records[2].status == .unknown)
      // Unanswered since its first probe: offline once offline_after has passed.
      fixture.clock.advance(by: .seconds(6))
      try await fixture.monitor.tickNow()
      #expect(try await fixture.record(2).status == .offline)
      // Operators act on probed sites as on any other. (On the silent one: a claim on a site that answers would end by
      // itself when the manual clock's jump makes it offline and its next answer brings it back.)
      try await fixture.monitor.apply(OperatorRequest(site: "HOLE", action: .acknowledge), by: OperatorIdentity(name: "lan"))
      #expect(try await fixture.record(2).acknowledgedBy == "lan")
      try await fixture.monitor.apply(OperatorRequest(site: "HOLE", action: .claim), by: OperatorIdentity(name: "minh"))
      #expect(try await fixture.record(2).claim?.operatorName == "minh")
      try await fixture.monitor.apply(
        OperatorRequest(site: "HOLE", action: .mark(reason: "router down")), by: OperatorIdentity(name: "lan"))
      let acted = try await fixture.monitor.snapshot()
      #expect(acted.records[2].status == .marked && acted.records[2].mark?.reason == "router down")
    }
  }
}

/// A listening TCP socket on a free loopback port that never accepts.
final class TCPTestListener {
  private(set) var fd: Int32
  let port: Int

  init(backlog: Int32) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    self.fd = fd
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && listen(fd, backlog) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard ok else { throw POSIXError(.EADDRINUSE) }
    port = Int(UInt16(bigEndian: address.sin_port))
  }

  deinit { if fd >= 0 { close(fd) } }

  /// Connects without waiting until the accept queue is full (it holds backlog + 1): the next SYN is dropped.
  func fillAcceptQueue() -> [Int32] {
    var clients: [Int32] = []
    for _ in 0..<3 {
      let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = in_port_t(UInt16(port).bigEndian)
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
      }
      clients.append(client)
    }
    usleep(100_000)
    return clients
  }

  /// Closes the socket; its port then refuses connections (nothing listens there).
  func closeAndKeepPort() -> Int {
    close(fd)
    fd = -1
    return port
  }
}
