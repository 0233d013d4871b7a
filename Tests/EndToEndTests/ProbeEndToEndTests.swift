import BridgeCore
import Foundation
import TestSupport
import Testing

/// SIPp (Debian's sip-tester) as a SIP endpoint answering every OPTIONS on 127.0.0.1:`port` with a scenario of
/// Tests/Fixtures/sipp.
final class SIPpEndpoint {
  let process = Process()
  let port: Int

  init(scenario: String, port: Int) throws {
    self.port = port
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "sipp", "-sf", Repository.path("Tests/Fixtures/sipp/\(scenario)"), "-i", "127.0.0.1", "-p", String(port), "-nostdin",
      "-trace_err", "-error_file", "/dev/null",
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
  }

  deinit {
    // SIPp's interactive mode does not stop on SIGTERM.
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
  }
}

@Suite(.serialized) struct ProbeEndToEndTests {
  /// SIPp answers OPTIONS with 200 on one port and 486 on another; a third port has nothing behind it. Two sites
  /// online with their codes and round trips, one offline after offline_after; the journal and the report say they
  /// were heard by probes.
  @Test func sipProbesAgainstSIPp() throws {
    try RequiredTool.require("sipp")
    let ready = try SIPpEndpoint(scenario: "options-200.xml", port: freeUDPPort())
    let busy = try SIPpEndpoint(scenario: "options-486.xml", port: freeUDPPort())
    let nobody = freeUDPPort()
    Thread.sleep(forTimeInterval: 0.5)
    let monitor = try HeadlessMonitor(
      config: """
        title: Probes
        timing: { interval: 1s, late_after: 3s, offline_after: 5s }
        probing: { timeout: 500ms }
        status_file: status.json
        sites:
          - { id: HB-READY, name: "Xã Sẵn Sàng", group: "Hòa Bình", expected: 40, probe: "sip://127.0.0.1:\(ready.port)" }
          - { id: HB-BUSY, name: "Xã Bận", group: "Hòa Bình", expected: 40, probe: "sip://127.0.0.1:\(busy.port)" }
          - { id: HB-DARK, name: "Xã Tối", group: "Hòa Bình", expected: 40, probe: "sip://127.0.0.1:\(nobody)" }
        """)
    defer { _ = monitor.stop() }
    let status = try #require(
      monitor.waitForStatus(seconds: 20) { json in
        let probes = (json["sites"] as? [[String: Any]] ?? []).map { $0["probe"] as? [String: Any] ?? [:] }
        return probes.count == 3 && probes[0]["code"] as? Int == 200 && probes[1]["code"] as? Int == 486
          && (json["sites"] as? [[String: Any]])?[2]["status"] as? String == "offline"
      }, "status file: \(String(describing: monitor.statusFile()))\nlog: \(monitor.log)")
    let sites = try #require(status["sites"] as? [[String: Any]])
    for site in sites.prefix(2) {
      #expect(site["status"] as? String == "online")
      #expect(site["source"] as? String == "probe")
      #expect(site["rtt_ms"] as? Int != nil, "a round trip: \(site)")
      #expect((site["probe"] as? [String: Any])?["result"] as? String == "answered")
    }
    #expect((sites[0]["probe"] as? [String: Any])?["target"] as? String == "sip://127.0.0.1:\(ready.port)")
    #expect((sites[2]["probe"] as? [String: Any])?["result"] as? String == "no_answer")
    let counters = try #require(status["counters"] as? [String: Any])
    #expect(counters["probes_sent"] as? Int ?? 0 >= 6)
    #expect(counters["probe_answers"] as? Int ?? 0 >= 2)
    #expect((counters["probe_rejected"] as? [String: Int])?.values.reduce(0, +) == 0, "SIPp's answers all match: \(counters)")

    // The log names the transitions like any site's, and the report knows how each was heard.
    #expect(monitor.log.contains("HB-DARK Xã Tối: unknown -> offline (silence)"), "\(monitor.log)")
    #expect(monitor.finish() == 0)
    let report = try Binary.run(["report", monitor.directory + "/conference.yaml"])
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stdout.contains("| HB-READY | Xã Sẵn Sàng | Hòa Bình | probe |"), "\(report.stdout)")
    #expect(report.stdout.contains("| HB-BUSY | Xã Bận | Hòa Bình | probe |"))
    let journal = try String(contentsOfFile: monitor.directory + "/bridgewatch.journal", encoding: .utf8)
    #expect(journal.contains(#""site":"HB-READY","from":"unknown","to":"online","cause":"heartbeat","source":"probe"}"#), "\(journal)")
    try? FileManager.default.removeItem(atPath: monitor.directory)
  }

  /// `sim` plays the endpoints of a config's loopback probes: the monitor probes them and finds them up, by probe.
  @Test func theSimulatorAnswersTheMonitorsProbes() throws {
    let sipPort = freeUDPPort()
    let tcpPort = freeTCPPort()
    let monitor = try HeadlessMonitor(
      config: """
        title: Sim
        timing: { interval: 1s, late_after: 3s, offline_after: 5s }
        probing: { timeout: 500ms }
        status_file: status.json
        sites:
          - { id: AGENT, name: "Có agent", group: "P", expected: 10 }
          - { id: CODEC, name: "Codec SIP", group: "P", expected: 10, probe: "sip://127.0.0.1:\(sipPort)" }
          - { id: H323, name: "Codec H.323", group: "P", expected: 10, probe: "tcp://127.0.0.1:\(tcpPort)" }
        \(Self.hasIPv6Loopback ? "  - { id: CODEC6, name: \"Codec SIP IPv6\", group: \"P\", expected: 10, probe: \"sip://[::1]:\(sipPort)\" }" : "")
        """)
    defer { _ = monitor.stop() }
    let sim = try BackgroundProcess([
      "sim", monitor.directory + "/conference.yaml", "--monitor", "127.0.0.1:\(monitor.port)", "--scenario", "quick", "--speed", "4",
    ])
    defer { _ = sim.stop() }
    let status = monitor.waitForStatus(seconds: 20) { json in
      let sites = json["sites"] as? [[String: Any]] ?? []
      return sites.count == (Self.hasIPv6Loopback ? 4 : 3) && sites.allSatisfy { $0["status"] as? String == "online" }
    }
    let sites = try #require(status?["sites"] as? [[String: Any]], "sim: \(sim.output)\nmonitor: \(monitor.log)")
    #expect(sites[0]["source"] as? String == "udp")
    #expect(sites[1]["source"] as? String == "probe")
    #expect((sites[1]["probe"] as? [String: Any])?["result"] as? String == "answered")
    #expect((sites[2]["probe"] as? [String: Any])?["result"] as? String == "connected")
    if Self.hasIPv6Loopback {
      #expect((sites[3]["probe"] as? [String: Any])?["target"] as? String == "sip://[::1]:\(sipPort)")
      #expect((sites[3]["probe"] as? [String: Any])?["result"] as? String == "answered", "SIP over IPv6")
      #expect(sim.output.contains("plays the endpoints of 3 probed sites on this machine"), "\(sim.output)")
    } else {
      print("theSimulatorAnswersTheMonitorsProbes: the IPv6 site is skipped: this machine has no ::1")
    }
  }

  /// ICMP echo against 127.0.0.1 in a network namespace of the test's own, where ping sockets are allowed for
  /// every group: the unprivileged path, touching nothing on the host.
  @Test func icmpProbesInANetworkNamespace() throws {
    guard let reason = Self.namespaceProblem() else {
      let directory = try makeScratchDirectory("bw-icmp")
      defer { try? FileManager.default.removeItem(atPath: directory) }
      try """
      title: ICMP
      timing: { interval: 1s, late_after: 3s, offline_after: 5s }
      probing: { timeout: 500ms }
      status_file: status.json
      sites:
        - { id: LO, name: "Loopback", group: "P", expected: 1, probe: "icmp://127.0.0.1" }
      \(Self.hasIPv6Loopback ? "  - { id: LO6, name: \"Loopback IPv6\", group: \"P\", expected: 1, probe: \"icmp://[::1]\" }" : "")
      """.write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
      let monitor = try BackgroundProcess(
        executable: "/usr/bin/unshare",
        [
          "--net", "sh", "-c",
          "ip link set lo up && sysctl -qw net.ipv4.ping_group_range='0 2147483647' && exec '\(Binary.path)' run '\(directory)/conference.yaml' --headless --listen 127.0.0.1:0",
        ])
      defer { _ = monitor.stop() }
      let deadline = Date().addingTimeInterval(15)
      var sites: [[String: Any]] = []
      while Date() < deadline {
        if let data = FileManager.default.contents(atPath: directory + "/status.json"),
          let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let entries = json["sites"] as? [[String: Any]], entries.allSatisfy({ $0["status"] as? String == "online" })
        {
          sites = entries
          break
        }
        Thread.sleep(forTimeInterval: 0.1)
      }
      #expect(sites.count == (Self.hasIPv6Loopback ? 2 : 1), "all online, IPv4 and IPv6; log: \(monitor.output)")
      for online in sites {
        #expect((online["probe"] as? [String: Any])?["result"] as? String == "reply")
        #expect(online["source"] as? String == "probe")
      }
      return
    }
    print("icmpProbesInANetworkNamespace: skipped: \(reason)")
  }

  /// Where neither ping sockets (ping_group_range "1 0") nor raw sockets (no CAP_NET_RAW) are allowed, `check` and
  /// `run` refuse at start with one message that says how to allow them.
  @Test func forbiddenICMPIsOneClearMessageAtStart() throws {
    guard let reason = Self.namespaceProblem() ?? (RequiredTool.isInstalled("setpriv") ? nil : "setpriv is not installed") else {
      let directory = try makeScratchDirectory("bw-icmp-forbidden")
      defer { try? FileManager.default.removeItem(atPath: directory) }
      chmod(directory, 0o777)
      try """
      sites:
        - { id: LO, name: "Loopback", group: "P", expected: 1 }
        - { id: GW, name: "Router", group: "P", expected: 1, probe: "icmp://127.0.0.1" }
      """.write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
      chmod(directory + "/conference.yaml", 0o644)
      for command in [
        ["check", "\(directory)/conference.yaml"], ["run", "\(directory)/conference.yaml", "--headless", "--listen", "127.0.0.1:0"],
      ] {
        let result = try runShell(
          "unshare --net sh -c \"sysctl -qw net.ipv4.ping_group_range='1 0' && exec setpriv --reuid=65534 --regid=65534 --clear-groups "
            + "--inh-caps=-all --bounding-set=-all '\(Binary.path)' \(command.map { "'\($0)'" }.joined(separator: " "))\" 2>&1",
          environment: [:])
        #expect(result.status == 1, "\(command[0]): \(result.output)")
        #expect(result.output.contains(#"sysctl -w net.ipv4.ping_group_range="0 2147483647""#), "\(command[0]): \(result.output)")
        #expect(result.output.contains("setcap cap_net_raw+ep"), "\(command[0]): \(result.output)")
        #expect(result.output.contains("\"1 0\""), "the current setting is named: \(result.output)")
        if command[0] == "check" { #expect(result.output.contains("conference.yaml:3: error:"), "at the site's line: \(result.output)") }
        #expect(!result.output.contains("Fatal error"), "\(result.output)")
      }
      return
    }
    print("forbiddenICMPIsOneClearMessageAtStart: skipped: \(reason)")
  }

  /// Whether ::1 can be bound here (IPv6 is on); the IPv6 parts are skipped, and say so, where it is not.
  static let hasIPv6Loopback: Bool = {
    let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
    }
  }()

  /// Why this machine cannot give a test a network namespace of its own (not root, no unshare, no ip), or nil.
  static func namespaceProblem() -> String? {
    guard getuid() == 0 else { return "needs root to make a network namespace" }
    guard RequiredTool.isInstalled("unshare"), RequiredTool.isInstalled("ip") else { return "unshare or ip (iproute2) is not installed" }
    guard let result = try? runShell("unshare --net ip link set lo up", environment: [:]), result.status == 0 else {
      return "network namespaces are not allowed here"
    }
    return nil
  }
}
