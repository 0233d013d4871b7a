import BridgeCore
import Foundation
import Testing

@Suite struct ProbeTargetTests {
  @Test(arguments: [
    ("sip://10.0.0.5", ProbeTarget(kind: .sip, host: "10.0.0.5", port: 5060)),
    ("sip://10.0.0.5:5062", ProbeTarget(kind: .sip, host: "10.0.0.5", port: 5062)),
    ("SIP://1001@codec.hoabinh.vn", ProbeTarget(kind: .sip, host: "codec.hoabinh.vn", port: 5060, user: "1001")),
    ("tcp://10.0.0.5:1720", ProbeTarget(kind: .tcp, host: "10.0.0.5", port: 1720)),
    ("tcp://[2001:db8::5]:1720/", ProbeTarget(kind: .tcp, host: "2001:db8::5", port: 1720)),
    ("icmp://192.168.1.1", ProbeTarget(kind: .icmp, host: "192.168.1.1", port: 0)),
    ("icmp://[::1]", ProbeTarget(kind: .icmp, host: "::1", port: 0)),
    // A link-local address names its interface, as written or in RFC 6874's URI spelling.
    ("sip://[fe80::1%eth0]", ProbeTarget(kind: .sip, host: "fe80::1%eth0", port: 5060)),
    ("tcp://[fe80::1%25lo]:1720", ProbeTarget(kind: .tcp, host: "fe80::1%lo", port: 1720)),
    ("icmp://[fe80::1%2]", ProbeTarget(kind: .icmp, host: "fe80::1%2", port: 0)),
  ])
  func goodProbesParse(text: String, expected: ProbeTarget) throws {
    #expect(try ProbeTarget.parse(text).get() == expected)
  }

  @Test(arguments: [
    ("10.0.0.5", "'10.0.0.5' has no scheme; write sip://HOST[:PORT]"),
    ("http://10.0.0.5", "'http://10.0.0.5' has an unknown scheme 'http'; use sip://"),
    ("tcp://10.0.0.5", "a tcp:// probe needs a port"),
    ("icmp://10.0.0.5:7", "an icmp:// probe has no port"),
    ("sip://10.0.0.5:70000", "the port must be from 1 to 65535"),
    ("sip://2001:db8::5", "write an IPv6 address in brackets"),
    ("sip://10.0.0.5/path", "no path or parameters"),
    ("tcp://bob@10.0.0.5:1720", "only a sip:// probe may name a user"),
    ("sip://ho st", "bad host"),
    ("sip://\u{1b}[31m:5060", "bad host"),
    ("icmp://10.0.0.5%eth0", "only an IPv6 address in brackets may name an interface"),
    ("icmp://[fe80::1%]", "write a scoped IPv6 address as [fe80::1%eth0]"),
    ("icmp://[10.0.0.5%eth0]", "write a scoped IPv6 address as [fe80::1%eth0]"),
    ("icmp://[fe80::1%eth0%1]", "write a scoped IPv6 address as [fe80::1%eth0]"),
  ])
  func badProbesSayWhy(text: String, message: String) {
    guard case .failure(let error) = ProbeTarget.parse(text) else {
      Issue.record("accepted \(text)")
      return
    }
    #expect(error.description.contains(message), "\(error)")
  }

  @Test func aProbeInYAMLOrCSVIsCheckedAtItsLine() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-probe-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "id,name,group,expected,probe\nX1,Xã 1,P,10,tcp://127.0.0.1:1720\nX2,Xã 2,P,10,\nX3,Xã 3,P,10,ftp://x\n".write(
      toFile: directory + "/sites.csv", atomically: true, encoding: .utf8)
    let yaml = """
      sites:
        - {id: A, name: "A", group: "P", expected: 1, probe: "sip://127.0.0.1:5062"}
        - {id: B, name: "B", group: "P", expected: 1, probe: "icmp://127.0.0.1:9"}
      sites_csv: sites.csv
      """
    do {
      _ = try ConfigLoader.load(yaml: yaml, path: directory + "/c.yaml")
      Issue.record("accepted")
    } catch {
      #expect(error.description.contains("c.yaml:3: probe 'icmp://127.0.0.1:9': an icmp:// probe has no port"), "\(error)")
      #expect(error.description.contains("sites.csv:4: probe 'ftp://x' has an unknown scheme 'ftp'"), "\(error)")
      #expect(!error.description.contains("probe unknown probe"), "\(error)")
    }
    try "id,name,group,expected,probe\nX1,Xã 1,P,10,tcp://localhost:1720\nX2,Xã 2,P,10,\n".write(
      toFile: directory + "/sites.csv", atomically: true, encoding: .utf8)
    let fixed = try ConfigLoader.load(
      yaml: yaml.replacingOccurrences(of: "icmp://127.0.0.1:9", with: "icmp://127.0.0.1"), path: directory + "/c.yaml")
    let probes = fixed.config.sites.map(\.probe)
    #expect(probes[0]?.kind == .sip && probes[0]?.port == 5062 && probes[0]?.address == "127.0.0.1")
    #expect(probes[1]?.kind == .icmp)
    #expect(probes[2]?.kind == .tcp && probes[2]?.host == "localhost" && probes[2]?.address != nil, "a name is resolved once, at load")
    #expect(probes[3] == nil)
  }

  @Test func aNameThatDoesNotResolveIsAnErrorForRunAndCheck() throws {
    let loaded = try ConfigLoader.load(
      yaml: "sites:\n  - {id: A, name: \"A\", group: \"P\", expected: 1, probe: \"sip://no-such-host.invalid\"}\n", path: "/etc/bw/c.yaml")
    #expect(
      loaded.runProblems.map(\.description).contains { $0.contains("c.yaml:2") && $0.contains("'no-such-host.invalid' does not resolve") })
  }

  @Test func aScopedIPv6TargetResolvesWithItsInterfaceOrSaysTheInterfaceIsMissing() throws {
    let site = "sites:\n  - {id: A, name: \"A\", group: \"P\", expected: 1, probe: \"tcp://[fe80::1%lo]:1720\"}\n"
    let loaded = try ConfigLoader.load(yaml: site, path: "/etc/bw/c.yaml")
    #expect(loaded.runProblems.isEmpty, "\(loaded.runProblems)")
    #expect(loaded.config.sites[0].probe?.address == "fe80::1%lo")
    let missing = try ConfigLoader.load(yaml: site.replacingOccurrences(of: "%lo", with: "%nosuch0"), path: "/etc/bw/c.yaml")
    #expect(
      missing.runProblems.map(\.description) == [
        "/etc/bw/c.yaml:2: site 'A': probe host 'fe80::1%nosuch0' names the interface 'nosuch0', which this machine does not have (see `ip link`)"
      ])
    let global = try ConfigLoader.load(yaml: site.replacingOccurrences(of: "fe80::1", with: "2001:db8::5"), path: "/etc/bw/c.yaml")
    #expect(
      global.runProblems.map(\.description) == [
        "/etc/bw/c.yaml:2: site 'A': probe host '2001:db8::5%lo' names an interface, which only a link-local address (fe80::/10) may; write the address without '%lo'"
      ])
  }

  @Test(arguments: [
    ("sip://255.255.255.255", "probe host '255.255.255.255' is the broadcast address, not one host"),
    ("icmp://0.0.0.0", "probe host '0.0.0.0' is in 0.0.0.0/8 (the unspecified address, 'this network'), not a host"),
    ("tcp://0.1.2.3:80", "is in 0.0.0.0/8"),
    ("icmp://224.0.0.1", "probe host '224.0.0.1' is a multicast address (224.0.0.0/4), not one host"),
    ("sip://239.255.255.250:1900", "is a multicast address"),
    ("icmp://[::]", "probe host '::' is the unspecified address (::), not a host"),
    ("icmp://[ff02::1%lo]", "is a multicast address (ff00::/8)"),
    ("sip://[::ffff:255.255.255.255]", "is the broadcast address"),
  ])
  func aTargetThatIsNotOneHostIsRefused(probe: String, message: String) throws {
    let loaded = try ConfigLoader.load(
      yaml: "title: x\nsites:\n  - {id: A, name: \"A\", group: \"P\", expected: 1, probe: \"\(probe)\"}\n", path: "/etc/bw/c.yaml")
    #expect(loaded.runProblems.count == 1, "\(loaded.runProblems)")
    #expect(loaded.runProblems.first?.location.line == 3)
    #expect(loaded.runProblems.first?.message.contains(message) == true, "\(loaded.runProblems)")
    #expect(loaded.config.sites[0].probe?.address == nil, "never probed")
  }

  @Test func hostsThatAreOneHostAreNotRefused() {
    for address in [
      "10.0.0.5", "1.0.0.0", "223.255.255.255", "240.0.0.1", "192.168.1.255", "::1", "fe80::1%lo", "2001:db8::5", "::ffff:10.0.0.1",
    ] {
      #expect(ProbeTarget.unusableAddressReason(address) == nil, "\(address)")
    }
  }

  @Test(arguments: [
    // Nothing written about probing: the defaults follow the timing, whatever interval it gives.
    ("timing: {interval: 1s}", nil),
    ("timing: {interval: 2s}", nil),
    ("timing: {interval: 500ms}", nil),
    ("probing: {period: 1s}", nil),
    (
      "probing: {timeout: 10s}",
      "probing 'timeout' (10s) must be shorter than the probing period (5s, the timing interval, as no probing 'period' is given)"
    ),
    (
      "probing: {period: 12s}",
      "probing 'period' (12s) must be shorter than late_after (12s, the default for interval 5s), or every probed site turns late"
    ),
  ])
  func probingDefaultsNeverContradictTheTiming(line: String, message: String?) throws {
    let yaml = "sites:\n  - {id: A, name: \"A\", group: \"P\", expected: 1, probe: \"tcp://127.0.0.1:1720\"}\n" + line + "\n"
    guard let message else {
      let config = try ConfigLoader.load(yaml: yaml, path: "/etc/bw/c.yaml").config
      let period = config.probing.effectivePeriod(config.timing)
      #expect(config.probing.effectiveTimeout(config.timing) < period)
      #expect(period < config.timing.lateAfter)
      return
    }
    let found = problemsAt(yaml)
    #expect(found.count == 1 && found[0].hasPrefix("/etc/bw/c.yaml:3: " + message), "\(found)")
  }

  @Test func probingWrittenInBlockStyleIsRefusedAtTheKeyWritten() {
    let site = "sites:\n  - {id: A, name: \"A\", group: \"P\", expected: 1, probe: \"tcp://127.0.0.1:1720\"}\n"
    #expect(
      problemsAt(site + "timing:\n  interval: 2s\nprobing:\n  rate: 10\n  timeout: 2s\n") == [
        "/etc/bw/c.yaml:7: probing 'timeout' (2s) must be shorter than the probing period (2s, the timing interval, as no probing 'period' is given)"
      ])
  }

  private func problemsAt(_ yaml: String) -> [String] {
    do {
      _ = try ConfigLoader.load(yaml: yaml, path: "/etc/bw/c.yaml")
      return []
    } catch {
      return error.problems.map(\.description)
    }
  }

  @Test(arguments: [
    ("probing: {timeout: 10s}", "probing 'timeout' (10s) must be shorter than the probing period (5s"),
    ("probing: {timeout: 10ms}", "probing 'timeout' must be from 100ms to 60s"),
    ("probing: {period: 500ms}", "probing 'period' must be at least 1s"),
    ("probing: {rate: 0}", "'rate'"),
    ("probing: {every: 5s}", "every"),
  ])
  func badProbingSaysWhere(line: String, message: String) {
    do {
      _ = try ConfigLoader.load(
        yaml: "sites:\n  - {id: A, name: \"A\", group: \"P\", expected: 1, probe: \"tcp://127.0.0.1:1720\"}\n" + line + "\n",
        path: "/etc/bw/c.yaml")
      Issue.record("accepted \(line)")
    } catch {
      #expect(error.description.contains(message), "\(error)")
      #expect(error.description.contains("/etc/bw/c.yaml:3"), "\(error)")
    }
  }

  @Test func probingOverTheRateCapIsAWarningWithTheActualPeriod() throws {
    var yaml = "probing: {rate: 100}\nsites:\n"
    for index in 0..<1000 { yaml += "  - {id: S\(index), name: \"S\", group: \"P\", expected: 1, probe: \"icmp://127.0.0.1\"}\n" }
    let loaded = try ConfigLoader.load(yaml: yaml, path: "c.yaml")
    #expect(loaded.warnings.first?.location.line == 1)
    #expect(
      loaded.warnings.map(\.description).contains {
        $0.contains("1000 probed sites every 5s need 200 probes/s, more than probing.rate (100)") && $0.contains("every 10.0s instead")
      }, "\(loaded.warnings)")
  }
}

@Suite struct ProbeCodecTests {
  @Test func anOptionsRequestCarriesWhatMatchesItsAnswer() {
    let target = ProbeTarget(kind: .sip, host: "codec.example", port: 5062, user: "1001")
    let request = String(
      decoding: SIPProbeCodec.request(target: target, local: ("10.0.0.1", 40000), tag: "t1", token: 0xabc, site: 3, sequence: 7),
      as: UTF8.self)
    #expect(SIPProbeCodec.callID(token: 0xabc, site: 3) == "abc-3@bridgewatch")
    #expect(request.hasPrefix("OPTIONS sip:1001@codec.example:5062 SIP/2.0\r\n"))
    #expect(request.contains("\r\nVia: SIP/2.0/UDP 10.0.0.1:40000;branch=z9hG4bKabc7;rport\r\n"))
    #expect(request.contains("\r\nFrom: <sip:bridgewatch@10.0.0.1>;tag=t1\r\nTo: <sip:1001@codec.example:5062>\r\n"))
    #expect(request.contains(";rport\r\n"))
    #expect(request.contains("\r\nCall-ID: abc-3@bridgewatch\r\n"))
    #expect(request.contains("\r\nCSeq: 7 OPTIONS\r\n"))
    #expect(request.contains("\r\nMax-Forwards: 70\r\n"))
    #expect(request.hasSuffix("Content-Length: 0\r\n\r\n"))
  }

  func parse(_ text: String) -> Result<SIPProbeCodec.Response, ProbeRejection> {
    Array(text.utf8).withUnsafeBytes { SIPProbeCodec.parseResponse($0) }
  }

  @Test func aTemplateWritesEveryProbeAnew() {
    let template = SIPProbeCodec.Template(target: ProbeTarget(kind: .sip, host: "::1", port: 5060), local: ("::1", 9), tag: "x")
    var bytes: [UInt8] = []
    template.write(into: &bytes, token: 0xffff_ffff_ffff_ffff, site: 7399, sequence: 4_000_000_000)
    template.write(into: &bytes, token: 1, site: 0, sequence: 1)
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.hasPrefix("OPTIONS sip:[::1]:5060 SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:9;branch=z9hG4bK11;rport\r\n"))
    #expect(text.contains("\r\nCall-ID: 1-0@bridgewatch\r\nCSeq: 1 OPTIONS\r\n"))
    #expect(!text.contains("7399"), "nothing of the earlier probe is left")
  }

  @Test func finalAndProvisionalAnswersParse() throws {
    let busy = try parse("SIP/2.0 486 Busy Here\r\nVia: x\r\ni: abc-3@bridgewatch\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n").get()
    #expect(busy.code == 486 && busy.callID == "abc-3@bridgewatch" && busy.sequence == 7)
    let trying = try parse("SIP/2.0 100 Trying\r\nCall-ID: abc-3@bridgewatch\r\nCSeq:  7   OPTIONS\r\n\r\n").get()
    #expect(trying.code == 100)
  }

  @Test(arguments: [
    "OPTIONS sip:x SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 OPTIONS\r\n\r\n",
    "SIP/2.0 2x0 OK\r\nCall-ID: a\r\nCSeq: 1 OPTIONS\r\n\r\n",
    "SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\n\r\n",
    "SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
    "SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: x OPTIONS\r\n\r\n",
    "SIP/2.0 200 OK\r\n\r\nCall-ID: a\r\nCSeq: 1 OPTIONS\r\n",
    "\u{ff}\u{fe}garbage",
  ])
  func anythingElseIsMalformed(text: String) {
    #expect(parse(text) == .failure(.malformed))
  }

  @Test func aHugeAnswerIsTooLarge() {
    let huge = "SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 OPTIONS\r\nX: " + String(repeating: "a", count: 65_000) + "\r\n\r\n"
    #expect(parse(huge) == .failure(.tooLarge))
  }

  @Test func anEchoRequestComesBackAsAReplyWithItsPayload() throws {
    var packet = ICMPEchoCodec.request(ipv6: false, identifier: 0x1234, sequence: 9, token: 0xdead_beef_cafe_f00d, site: 42)
    #expect(ICMPEchoCodec.checksum(packet) == 0, "the checksum makes the packet sum to zero")
    packet[0] = 0  // what the peer sends back: an echo reply
    let reply = try packet.withUnsafeBytes { ICMPEchoCodec.parseReply($0, ipv6: false, includesIPHeader: false) }.get()
    #expect(reply.sequence == 9 && reply.token == 0xdead_beef_cafe_f00d && reply.site == 42)
    // From a raw socket, with the IPv4 header in front.
    let withHeader = [0x45] + [UInt8](repeating: 0, count: 19) + packet
    #expect(try withHeader.withUnsafeBytes { ICMPEchoCodec.parseReply($0, ipv6: false, includesIPHeader: true) }.get() == reply)
    // A request (type 8) or a short packet is not a reply.
    let request = ICMPEchoCodec.request(ipv6: false, identifier: 1, sequence: 1, token: 1, site: 1)
    #expect(request.withUnsafeBytes { ICMPEchoCodec.parseReply($0, ipv6: false, includesIPHeader: false) } == .failure(.malformed))
    #expect(
      [UInt8](repeating: 0, count: 6).withUnsafeBytes { ICMPEchoCodec.parseReply($0, ipv6: false, includesIPHeader: false) }
        == .failure(.malformed))
  }
}

@Suite struct ProbeScheduleTests {
  static let second: Int64 = 1_000_000_000

  @Test func everySiteOncePerPeriodSpreadEvenly() {
    let sites = (0..<1000).map { (index: $0, id: "HB-\($0)") }
    var schedule = ProbeSchedule(sites: sites, periodNanos: 5 * Self.second, ratePerSecond: 10_000, startNanos: 0)
    var counts = [Int](repeating: 0, count: 1000)
    var busiestTenth = 0
    for step in 1...50 {  // 10 ticks of 100 ms per second, 5 s
      let due = schedule.due(at: Int64(step) * Self.second / 10)
      busiestTenth = max(busiestTenth, due.count)
      for site in due { counts[site] += 1 }
    }
    #expect(counts.allSatisfy { $0 == 1 }, "each site once in the period: \(Dictionary(grouping: counts, by: { $0 }).mapValues(\.count))")
    // 1,000 sites over 5 s is 20 per 100 ms; hashing the ids makes it uneven, never a burst.
    #expect(busiestTenth < 45, "busiest 100 ms: \(busiestTenth)")
    // The next period probes each again, at the same phase.
    var again = [Int](repeating: 0, count: 1000)
    for step in 51...100 { for site in schedule.due(at: Int64(step) * Self.second / 10) { again[site] += 1 } }
    #expect(again.allSatisfy { $0 == 1 })
  }

  @Test func theRateCapHolds() {
    let sites = (0..<100).map { (index: $0, id: "S\($0)") }
    var schedule = ProbeSchedule(sites: sites, periodNanos: Self.second, ratePerSecond: 10, startNanos: 0)
    var sent = 0
    for step in 1...100 { sent += schedule.due(at: Int64(step) * Self.second / 100).count }
    #expect(sent <= 11, "at most 10 a second (one more at the boundary): \(sent)")
    #expect(sent >= 9)
  }

  @Test func phasesAreTheSameOnEveryRun() {
    let sites = [(index: 0, id: "HB-TU"), (index: 1, id: "HB-DB-HU"), (index: 2, id: "SL-TU")]
    let first = ProbeSchedule(sites: sites, periodNanos: 5 * Self.second, ratePerSecond: 500, startNanos: 0)
    let second = ProbeSchedule(sites: sites, periodNanos: 5 * Self.second, ratePerSecond: 500, startNanos: 77)
    #expect(first.order == second.order)
  }
}

@Suite struct ProbeEngineTests {
  static func engine() -> (StatusEngine, ManualClock) {
    let sites = [SiteConfig(id: "A", name: "A", group: ["P"], expected: 10, heartbeatFile: "/x/A.hb")]
    var timing = Timing()
    timing.interval = .seconds(1)
    timing.lateAfter = .seconds(3)
    timing.offlineAfter = .seconds(5)
    return (StatusEngine(sites: sites, timing: timing), ManualClock())
  }

  @Test func anAnsweredProbeIsAHeartbeatFromTheProbe() {
    var (engine, clock) = Self.engine()
    engine.probeResult(.sipAnswered(code: 486), rttMilliseconds: 12, site: 0, sentAt: clock.now(), now: clock.now())
    #expect(engine.records[0].status == .online)
    #expect(engine.records[0].lastSource == .probe)
    #expect(engine.records[0].rttMilliseconds == 12)
    #expect(engine.records[0].probeOutcome == .sipAnswered(code: 486))
    clock.advance(by: .seconds(6))
    engine.tick(now: clock.now())
    #expect(engine.records[0].status == .offline, "a missed probe is silence")
  }

  @Test func aProbeWithNoAnswerLeavesNoRoundTripOfItsOwnButKeepsTheAgents() {
    var (engine, clock) = Self.engine()
    engine.probeResult(.sipAnswered(code: 200), rttMilliseconds: 12, site: 0, sentAt: clock.now(), now: clock.now())
    clock.advance(by: .seconds(1))
    engine.probeResult(.timedOut, rttMilliseconds: nil, site: 0, sentAt: clock.now(), now: clock.now())
    #expect(engine.records[0].rttMilliseconds == nil, "the probe's 12 ms is not the round trip of a probe that got no answer")
    // An agent's round trip is its own evidence: a probe that goes unanswered says nothing about it.
    engine.heartbeat(HeartbeatInput(source: .udp, rttMilliseconds: 30), site: 0, heardAt: clock.now(), now: clock.now())
    engine.probeResult(.timedOut, rttMilliseconds: nil, site: 0, sentAt: clock.now(), now: clock.now())
    #expect(engine.records[0].rttMilliseconds == 30)
  }

  @Test func aSiteThatNeverAnswersGoesOfflineAfterOfflineAfter() {
    var (engine, clock) = Self.engine()
    engine.probeResult(.timedOut, rttMilliseconds: nil, site: 0, sentAt: clock.now(), now: clock.now())
    #expect(engine.records[0].status == .unknown)
    clock.advance(by: .seconds(4))
    engine.probeResult(.timedOut, rttMilliseconds: nil, site: 0, sentAt: clock.now(), now: clock.now())
    engine.tick(now: clock.now())
    #expect(engine.records[0].status == .unknown)
    clock.advance(by: .seconds(2))
    engine.tick(now: clock.now())
    #expect(engine.records[0].status == .offline)
    #expect(engine.records[0].probeOutcome == .timedOut)
  }
}
