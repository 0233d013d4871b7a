import Foundation
import TestSupport
import Testing

/// The demo plays a conference bridge (issue 32, item 4): the real `bridgewatch demo` serves a Janus-shaped
/// AudioBridge on loopback, its monitor polls it and the simulated Janus pushes its joins and leaves to the
/// monitor's events_listen, so without Janus installed the status file shows sites in the bridge, both
/// disagreements, the guests no site claims and the events applied.
@Suite struct BridgeDemoTests {
  /// The site ids of a role line of the demo's opening ("demo: agent stops, codec stays in the bridge: HB-X (...), ...").
  static func ids(_ output: String, role: String) -> [String]? {
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("demo: \(role): ") }) else { return nil }
    let list = line.dropFirst("demo: \(role): ".count)
    return list.split(separator: ", ").map { String($0.split(separator: " ").first ?? "") }
  }

  static func site(_ id: String, in json: [String: Any]) -> [String: Any]? {
    (json["sites"] as? [[String: Any]])?.first { $0["id"] as? String == id }
  }

  @Test func theDemosBridgeShowsSitesInAndBothDisagreements() throws {
    let demo = try BackgroundProcess(["demo", "--headless", "--speed", "4"])
    defer { _ = demo.stop() }
    let path = try #require(demo.waitFor(seconds: 30) { $0.firstMatch(of: /status file: (\S+)/).map { String($0.output.1) } })
    let url = try #require(demo.waitFor(seconds: 10) { $0.firstMatch(of: /conference bridge \(a simulated Janus AudioBridge\): (\S+)/) })
    #expect(url.output.1.hasPrefix("http://127.0.0.1:"))
    let silent = try #require(demo.waitFor(seconds: 10) { Self.ids($0, role: "agent stops, codec stays in the bridge") })
    let absent = try #require(demo.waitFor(seconds: 10) { Self.ids($0, role: "agent runs, never joins the bridge") })
    #expect(silent.count == 2 && absent.count == 2, "\(demo.output.prefix(3000))")
    var last: [String: Any]?
    var verdicts: [Int: String] = [:]
    var janusFigures: [String: [String: Any]] = [:]
    var audio: [Bool] = []
    var seen = false
    let deadline = Date().addingTimeInterval(180)
    while Date() < deadline && !seen {
      Thread.sleep(forTimeInterval: 1)
      guard let data = FileManager.default.contents(atPath: path),
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let bridges = json["bridges"] as? [String: Any]
      else { continue }
      last = bridges
      let disagreement = { (id: String) in (Self.site(id, in: json)?["bridge"] as? [String: Any])?["disagreement"] as? String }
      // The second bridge's verdicts, by the site's place in the roster (the status file keeps the config's order).
      verdicts = [:]
      janusFigures = [:]
      audio = []
      for (index, site) in ((json["sites"] as? [[String: Any]]) ?? []).enumerated() {
        let bridge = site["bridge"] as? [String: Any]
        let quality = bridge?["quality"] as? [String: Any]
        if let word = quality?["bridge_verdict"] as? String { verdicts[index] = word }
        // Janus's figures, read through its played Admin API: a loss, no verdict word of the bridge's own.
        if let quality, quality["loss_percent"] is Double, quality["bridge_verdict"] is NSNull {
          janusFigures[site["id"] as? String ?? ""] = quality
        }
        if let arriving = bridge?["audio_arriving"] as? Bool { audio.append(arriving) }
      }
      seen =
        (bridges["in_bridge"] as? Int ?? 0) >= 40 && (bridges["unmatched"] as? Int) == 2 && verdicts.count >= 3
        && janusFigures.count >= 10 && audio.contains(true) && audio.contains(false)
        && silent.allSatisfy { disagreement($0) == "in_bridge_agent_silent" }
        && absent.allSatisfy { disagreement($0) == "agent_alive_not_in_bridge" }
        && (bridges["in_bridge_agent_silent"] as? Int ?? 0) >= 2 && (bridges["agent_alive_not_in_bridge"] as? Int ?? 0) >= 2
    }
    #expect(seen, "\(String(describing: last))\n\(demo.output.suffix(2000))")
    let polls = try #require((last?["polls"] as? [[String: Any]])?.first)
    #expect(polls["problem"] is NSNull, "\(polls)")
    // The Janus room's Admin API is read: no problem, a third of its sites with Janus's figures, the site whose plan
    // loses heartbeats a bad call.
    #expect(polls["audio_problem"] is NSNull, "\(polls)")
    #expect(janusFigures.values.contains { $0["verdict"] as? String == "bad" }, "\(janusFigures)")
    #expect(janusFigures.values.allSatisfy { $0["jitter_ms"] is Double && $0["rtt_ms"] is Double }, "\(janusFigures)")
    // The second bridge, a Pexip conference: read with its account, one site in ten in it, each with Pexip's verdict.
    let second = try #require((last?["polls"] as? [[String: Any]])?.last)
    #expect(demo.output.contains("demo: a second bridge (a simulated Pexip conference, with its verdict on each call)"))
    #expect((second["bridge"] as? String)?.hasPrefix("pexip conference") == true && second["problem"] is NSNull, "\(second)")
    #expect(verdicts.keys.allSatisfy { $0 % 10 == 4 }, "\(verdicts)")
    #expect(Set(verdicts.values).isSubset(of: ["0_unknown", "1_good", "2_ok", "3_bad", "4_terrible"]), "\(verdicts)")
    #expect(polls["unmatched_names"] as? [String] == ["Khách mời 1", "Khách mời 2"])
    // The simulated Janus pushes its joins and leaves to the demo's events_listen, applied between polls.
    // Each receiver takes the port the kernel gives it (events_listen port 0), and the demo posts to that port.
    func port(after prefix: String) -> Int? {
      demo.output.split(separator: "\n").lazy.compactMap { line in
        line.range(of: prefix).flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
      }.first
    }
    let janusPort = port(after: "demo: the Janus bridge's joins and leaves posted to the monitor's events_listen 127.0.0.1:")
    let pexipPort = port(after: "demo: the Pexip bridge's connects, verdicts and disconnects posted as its event sink to 127.0.0.1:")
    #expect(janusPort != nil && janusPort != 0 && janusPort != pexipPort, "\(demo.output)")
    for posted in [janusPort, pexipPort] {
      #expect(demo.output.contains("events received on 127.0.0.1:\(posted ?? 0)"), "\(demo.output)")
    }
    #expect(polls["events_applied"] as? Int ?? 0 > 0, "\(polls)")
    // The simulated Pexip pushes as its event sink does, one message a POST, applied between its polls too.
    #expect(second["events_applied"] as? Int ?? 0 > 0, "\(second)")
    #expect(demo.stop() == 0)
  }

  /// `sim --play-bridge` beside a real monitor, for a config watching an AudioBridge and one watching a VideoRoom.
  @Test(arguments: ["audiobridge", "videoroom"])
  func simPlaysTheConfigsBridgeBesideARealMonitor(plugin: String) throws {
    let bridgePort = freeTCPPort()
    let eventsPort = freeTCPPort()
    let sites = (1...12).map { "  - {id: S\($0 < 10 ? "0" : "")\($0), name: \"Xã \($0)\", group: \"Thử\", expected: 10}" }
    let config = """
      title: "Hội nghị thử"
      timing:
        interval: 1s
        late_after: 3s
        offline_after: 6s
      status_file: status.json
      bridges:
        - kind: janus
          url: http://127.0.0.1:\(bridgePort)/janus
          room: 1234
          plugin: \(plugin)
          poll: 5s
          events_listen: 127.0.0.1:\(eventsPort)
          admin_url: http://127.0.0.1:\(bridgePort)/admin
      sites:
      \(sites.joined(separator: "\n"))
      """
    let monitor = try HeadlessMonitor(config: config)
    defer { _ = monitor.stop() }
    let sim = try BackgroundProcess([
      "sim", monitor.directory + "/conference.yaml", "--monitor", "127.0.0.1:\(monitor.port)", "--scenario", "quick", "--play-bridge",
      "--duration", "150s",
    ])
    defer { _ = sim.stop() }
    let roles = { (role: String) in sim.playedBridgeSites(role) }
    let silent = try #require(roles("agent stops, codec stays in the bridge"), "\(sim.output)")
    let absent = try #require(roles("agent runs, never joins the bridge"), "\(sim.output)")
    let kind = plugin == "audiobridge" ? "AudioBridge" : "VideoRoom"
    #expect(sim.output.contains("plays the conference bridge: a Janus \(kind) at http://127.0.0.1:\(bridgePort)/janus, room 1234"))
    let seen = monitor.waitForStatus(seconds: 120) { json in
      guard let bridges = json["bridges"] as? [String: Any] else { return false }
      let disagreement = { (id: String) in (Self.site(id, in: json)?["bridge"] as? [String: Any])?["disagreement"] as? String }
      return (bridges["in_bridge"] as? Int ?? 0) >= 6 && (bridges["unmatched"] as? Int) == 2
        && silent.allSatisfy { disagreement($0) == "in_bridge_agent_silent" }
        && absent.allSatisfy { disagreement($0) == "agent_alive_not_in_bridge" }
    }
    #expect(seen != nil, "\(String(describing: monitor.statusFile()?["bridges"]))\n\(sim.output.suffix(2000))\n\(monitor.log.suffix(2000))")
    // Pushed to the config's events_listen as Janus's sample event handler, and applied between the polls.
    #expect(
      sim.output.contains(
        "posts the bridge's joins and leaves as Janus's sample event handler to http://127.0.0.1:\(eventsPort)/janus-events"))
    let pushed = monitor.waitForStatus(seconds: 30) { json in
      let polls = (json["bridges"] as? [String: Any])?["polls"] as? [[String: Any]]
      return polls?.first?["events_applied"] as? Int ?? 0 > 0
    }
    #expect(pushed != nil, "\(String(describing: monitor.statusFile()?["bridges"]))")
    // Its Admin API is played on the same port: an AudioBridge's sites in the room all have their audio read; a
    // VideoRoom's, those publishing over WebRTC (the simulated others have no media Janus counts: unknown).
    let audio = monitor.waitForStatus(seconds: 30) { json in
      let inRoom = ((json["sites"] as? [[String: Any]]) ?? []).compactMap { $0["bridge"] as? [String: Any] }.filter {
        $0["state"] as? String == "in"
      }
      let read = inRoom.filter { $0["audio_arriving"] is Bool }
      return !read.isEmpty && (plugin == "videoroom" || read.count == inRoom.count)
    }
    #expect(audio != nil, "\(String(describing: monitor.statusFile()?["sites"]))\n\(monitor.log.suffix(2000))")
  }
}
