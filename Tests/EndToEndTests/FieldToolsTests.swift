import BridgePlatform
import Foundation
import TestSupport
import Testing

let fieldConfig = """
  title: "Hội nghị thử"
  timing:
    interval: 1s
    late_after: 3s
    offline_after: 6s
  status_file: status.json
  keys: keys.yaml
  sites:
  \(TestRoster.yaml())
  """
let fieldKeys = ["keys.yaml": "HB-TU: \"hall-secret\"\n"]

@Suite(.serialized) struct FieldToolsTests {
  /// A scratch folder for an agent's own files (key file, count file).
  func scratch() throws -> String { try makeScratchDirectory("bw-agent") }

  @Test func agentsKeepSitesOnlineReportRTTFollowTheCountFileAndSurviveAMonitorRestart() throws {
    let port = freeUDPPort()
    var monitor = try HeadlessMonitor(config: fieldConfig, files: fieldKeys, listen: "127.0.0.1:\(port)")
    let folder = try scratch()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try "hall-secret\n".write(toFile: folder + "/hall.key", atomically: true, encoding: .utf8)
    chmod(folder + "/hall.key", 0o600)
    try "120\n".write(toFile: folder + "/count.txt", atomically: true, encoding: .utf8)
    let signed = try BackgroundProcess([
      "agent", "--site", "HB-TU", "--monitor", "127.0.0.1:\(port)", "--key-file", folder + "/hall.key", "--interval", "300ms",
      "--count-file", folder + "/count.txt",
    ])
    let unsigned = try BackgroundProcess([
      "agent", "--site", "HB-DB-TULY", "--monitor", "127.0.0.1:\(port)", "--interval", "300ms", "--count", "44",
    ])
    defer {
      _ = signed.stop()
      _ = unsigned.stop()
      _ = monitor.stop()
    }

    let hall = monitor.waitOnline("HB-TU", headcount: 120)
    #expect(hall != nil, "\(monitor.log)\n\(signed.output)")
    #expect(monitor.waitOnline("HB-DB-TULY", headcount: 44) != nil, "\(unsigned.output)")
    // The second heartbeat carries the round trip of the first ack.
    let withRTT = monitor.waitForStatus { json in (monitor.site("HB-TU", in: json)?["rtt_ms"] as? Int).map { $0 >= 1 } ?? false }
    #expect(withRTT != nil)
    #expect(signed.waitFor(seconds: 5) { $0.contains("connected: the monitor acknowledged seq") ? true : nil } == true)
    // Nothing was rejected: the signed agent's MACs and timestamps pass.
    let counters = monitor.statusFile()?["counters"] as? [String: Any]
    #expect(((counters?["rejected"] as? [String: Any])?.values.compactMap { $0 as? Int }.reduce(0, +)) == 0)

    // Site staff change the number; the next heartbeat carries it. Bad content keeps the last good number.
    try "1.234\n".write(toFile: folder + "/count.txt", atomically: true, encoding: .utf8)
    #expect(monitor.waitOnline("HB-TU", headcount: 1234) != nil, "\(signed.output)")
    try "many\n".write(toFile: folder + "/count.txt", atomically: true, encoding: .utf8)
    #expect(
      signed.waitFor(seconds: 5) {
        $0.contains(
          "count.txt:1: expected a whole number from 0 to 1,000,000 (thousands written 1.234, 1,234 or 1 234), got 'many'; "
            + "still reporting 1,234") ? true : nil
      }
        == true, "\(signed.output)")
    try "130".write(toFile: folder + "/count.txt", atomically: true, encoding: .utf8)
    #expect(monitor.waitOnline("HB-TU", headcount: 130) != nil)

    // The monitor goes away; the agents keep trying without crashing; a new monitor on the same port hears them.
    #expect(monitor.stop() == 0)
    #expect(signed.waitFor(seconds: 5) { $0.contains("no ack for") ? true : nil } == true, "\(signed.output)")
    #expect(signed.process.isRunning && unsigned.process.isRunning)
    let sentBefore = signed.output.count
    monitor = try HeadlessMonitor(config: fieldConfig, files: fieldKeys, listen: "127.0.0.1:\(port)")
    #expect(monitor.waitOnline("HB-TU", headcount: 130) != nil, "\(monitor.log)")
    #expect(monitor.waitOnline("HB-DB-TULY", headcount: 44) != nil)
    #expect(signed.waitFor(seconds: 5) { $0.contains("acks are back after") ? true : nil } == true)
    // No flood while the monitor was away: the agent printed a handful of lines, not one per retry.
    #expect(signed.output.dropFirst(sentBefore).split(separator: "\n").count <= 3, "\(signed.output)")

    #expect(signed.stop() == 0)
    #expect(signed.output.contains("stopped after"))
    #expect(unsigned.stop() == 0)
  }

  @Test func onATerminalTheAgentShowsOneCalmStatusLineWithEachMonitorsState() throws {
    let monitor = try HeadlessMonitor(config: fieldConfig, files: fieldKeys)
    defer { _ = monitor.stop() }
    // A standby that is not there: the site stays connected through the primary, and the line says which is silent.
    let silentPort = freeUDPPort()
    let session = try TmuxSession(
      width: 160, height: 10,
      command:
        "'\(Binary.path)' agent --site HB-DB-TULY --monitor 127.0.0.1:\(monitor.port) --monitor 127.0.0.1:\(silentPort) --interval 300ms --count 44; echo EXITED=$?"
    )
    let connected = session.waitFor { screen in
      screen.contains("HB-DB-TULY → 127.0.0.1:\(monitor.port) connected, last ack 0s ago, rtt ")
        && screen.contains("· 127.0.0.1:\(silentPort) waiting for the first ack") && screen.contains("headcount 44 · seq ")
    }
    #expect(connected.ok, "\(connected.screen)")
    #expect(connected.screen.contains("127.0.0.1:\(monitor.port): connected: the monitor acknowledged seq"), "\(connected.screen)")
    #expect(monitor.waitOnline("HB-DB-TULY", headcount: 44) != nil)
    // Rewritten in place: after several heartbeats there is still exactly one status line.
    Thread.sleep(forTimeInterval: 1.5)
    let screen = session.screen()
    #expect(screen.split(separator: "\n").filter { $0.contains(" connected, last ack") }.count == 1, "\(screen)")
    try session.send("C-c")
    let exited = session.waitFor { $0.contains("EXITED=0") }
    #expect(exited.ok, "\(exited.screen)")
    #expect(exited.screen.contains("stopped after"))
  }

  @Test func anAgentCanKeepAHeartbeatFileFresh() throws {
    let monitor = try HeadlessMonitor(config: fieldConfig, files: fieldKeys)
    defer { _ = monitor.stop() }
    let agent = try BackgroundProcess([
      "agent", "--site", "HB-MC-HU", "--heartbeat-file", monitor.directory + "/heartbeats/HB-MC-HU.hb", "--interval", "500ms",
      "--count", "97",
    ])
    defer { _ = agent.stop() }
    let site = monitor.waitOnline("HB-MC-HU", headcount: 97)
    #expect(site?["source"] as? String == "file", "\(String(describing: site)) \(agent.output)")
  }

  /// SIGINT, SIGTERM and SIGHUP are each a clean stop, at once even in the middle of a minute's wait: the agent's
  /// loops wait on the stop signals' descriptor next to their sockets (`StopSignals`, shared with every command).
  @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
  func everyStopSignalStopsTheAgentAtOnceInBothModes(signal: Int32) throws {
    let folder = try scratch()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    for (mode, started) in [
      (["--monitor", "127.0.0.1:\(freeUDPPort())"], "sending heartbeats"), (["--heartbeat-file", folder + "/HB-TU.hb"], "keeping"),
    ] {
      let agent = try BackgroundProcess(["agent", "--site", "HB-TU", "--interval", "60s", "--count", "3"] + mode)
      defer { _ = agent.stop() }
      #expect(agent.waitFor(seconds: 10) { $0.contains(started) ? true : nil } == true, "\(agent.output)")
      let sent = Date()
      kill(agent.process.processIdentifier, signal)
      agent.process.waitUntilExit()
      // Both loops wait at most a second between looks at the clock: a stop must not wait for that.
      #expect(Date().timeIntervalSince(sent) < 0.9, "\(mode): stopped only after \(Date().timeIntervalSince(sent)) s")
      #expect(agent.process.terminationReason == .exit && agent.process.terminationStatus == 0, "\(agent.output)")
      #expect(agent.waitFor(seconds: 2) { $0.contains("stopped after") ? true : nil } == true, "\(agent.output)")
    }
  }

  @Test func sendPrintsTheAckOrSaysThatNoneCame() throws {
    let monitor = try HeadlessMonitor(config: fieldConfig, files: fieldKeys)
    defer { _ = monitor.stop() }
    let address = "127.0.0.1:\(monitor.port)"
    let plain = try Binary.run(["send", "--site", "HB-DB-TULY", "--monitor", address, "--count", "45"])
    #expect(plain.status == 0)
    #expect(plain.stdout.contains("ack: BW1 ack site=HB-DB-TULY seq=1 (rtt "), "\(plain.stdout)")

    let folder = try scratch()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try "hall-secret".write(toFile: folder + "/hall.key", atomically: true, encoding: .utf8)
    chmod(folder + "/hall.key", 0o600)
    let signed = try Binary.run(["send", "--site", "HB-TU", "--monitor", address, "--count", "150", "--key-file", folder + "/hall.key"])
    #expect(signed.status == 0, "\(signed.stdout)\(signed.stderr)")
    #expect(signed.stdout.contains("ack: BW1 ack site=HB-TU seq=1"))
    #expect(monitor.waitOnline("HB-TU", headcount: 150) != nil)

    // HB-TU has a key: unsigned, it is rejected, and the monitor stays silent.
    let refused = try Binary.run(["send", "--site", "HB-TU", "--monitor", address, "--seq", "2", "--timeout", "500ms"])
    #expect(refused.status == 1)
    #expect(refused.stdout.contains("no ack within 500ms"))
    #expect(monitor.waitFor(seconds: 5) { $0.contains("for site HB-TU: unauthenticated") ? true : nil } == true)

    let usage = try Binary.run(["send", "--site", "HB TU", "--monitor", address])
    #expect(usage.status != 0 && usage.stderr.contains("--site must be a site id"))
  }

  @Test func theSimulatorPlaysAConfigAgainstARealMonitor() throws {
    let monitor = try HeadlessMonitor(config: fieldConfig, files: fieldKeys)
    defer { _ = monitor.stop() }
    let result = try Binary.run([
      "sim", monitor.directory + "/conference.yaml", "--monitor", "127.0.0.1:\(monitor.port)", "--scenario", "load", "--duration", "3s",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("simulating 3 sites of"))
    let done = try #require(result.stdout.split(separator: "\n").last { $0.hasPrefix("done · sent ") })
    // load: 3 sites x 1/s for 3 s, every one acknowledged.
    let sent = try #require(Int(done.firstMatch(of: /sent ([0-9]+)/)!.output.1))
    #expect(sent >= 8 && sent <= 12, "\(done)")
    #expect(done.contains("acked \(sent)"), "\(done)")
    for (id, expected) in [("HB-TU", 150), ("HB-DB-TULY", 45), ("HB-MC-HU", 98)] {
      #expect(monitor.waitOnline(id, headcount: expected) != nil, "\(id)")
    }
  }

  @Test func aNationalDemoOf7400SitesReachesSteadyState() throws {
    let demo = try BackgroundProcess(["demo", "--sites", "7400", "--headless", "--speed", "4"])
    defer { _ = demo.stop() }
    let path = try #require(demo.waitFor(seconds: 20) { $0.firstMatch(of: /status file: (\S+)/).map { String($0.output.1) } })
    // Steady state: every site heard except the one signing with a wrong key, nearly all up, people arriving.
    var last: [String: Any]?
    let deadline = Date().addingTimeInterval(150)
    var steady = false
    while Date() < deadline && !steady {
      Thread.sleep(forTimeInterval: 1)
      guard let data = FileManager.default.contents(atPath: path),
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let totals = json["total"] as? [String: Any]
      else { continue }
      last = totals
      let sites = totals["sites"] as? Int ?? 0
      let up = totals["up"] as? Int ?? 0
      steady = sites == 7400 && totals["unknown"] as? Int ?? 99 <= 1 && up >= 7400 * 97 / 100
    }
    #expect(steady, "\(String(describing: last))\n\(demo.output.suffix(2000))")
    #expect(demo.stop() == 0)
    #expect(!FileManager.default.fileExists(atPath: path), "the demo removes its temporary folder")
  }
}
