import Foundation
import TestSupport
import Testing

/// The bridge on consoles (issue 32): a real monitor with its own dashboard in tmux, the simulator playing its Janus
/// AudioBridge (`sim --play-bridge`), and a real console in tmux: the console shows the same bridge counts in its
/// header and the same disagreements on the same rows as the monitor's own dashboard.
@Suite(.serialized) struct ConsoleBridgeEndToEndTests {
  /// The header's bridge figures on a screen: in the bridge, the two disagreements, the guests.
  static func bridgeCounts(_ screen: String) -> [String: Int]? {
    let patterns: [(String, Regex<(Substring, Substring)>)] = [
      ("silent", /In bridge, agent silent ([0-9]+)/), ("absent", /Agent alive, not in bridge ([0-9]+)/),
      ("guests", /In the bridge, not in the roster: ([0-9]+)/), ("in", /In bridge ([0-9]+)/),
    ]
    var counts: [String: Int] = [:]
    for (name, pattern) in patterns {
      guard let match = screen.firstMatch(of: pattern) else { return nil }
      counts[name] = Int(match.output.1)
    }
    return counts
  }

  /// The flag a site's row shows for the bridge, on a screen.
  static func row(_ screen: String, site: String) -> String? {
    screen.split(separator: "\n").first { $0.contains(" \(site) ") }.map(String.init)
  }

  @Test func aConsoleShowsTheSameBridgeColumnAndHeaderCountsAsTheMonitorsDashboard() throws {
    let directory = try makeScratchDirectory("bw-console-bridge")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let bridgePort = freeTCPPort()
    let port = freeUDPPort()
    let sites = (1...12).map { "  - {id: S\($0 < 10 ? "0" : "")\($0), name: \"Xã \($0)\", group: \"Thử\", expected: 10}" }
    try """
    title: "Hội nghị thử"
    timing: {interval: 1s, late_after: 3s, offline_after: 6s}
    status_file: status.json
    bridges:
      - kind: janus
        url: http://127.0.0.1:\(bridgePort)/janus
        room: 1234
        poll: 1s
    sites:
    \(sites.joined(separator: "\n"))
    """.write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
    let monitor = try TmuxSession(
      width: 220, height: 30,
      command: "'\(Binary.path)' run '\(directory)/conference.yaml' --listen 127.0.0.1:\(port) --no-bell; echo EXITED=$?")
    let started = monitor.waitFor(seconds: 30) { $0.contains("udp 127.0.0.1:\(port)") }
    #expect(started.ok, "\(started.screen)")
    let sim = try BackgroundProcess([
      "sim", directory + "/conference.yaml", "--monitor", "127.0.0.1:\(port)", "--scenario", "quick", "--play-bridge", "--duration",
      "300s",
    ])
    defer { _ = sim.stop() }
    let roles = { (role: String) in sim.playedBridgeSites(role) }
    let silent = try #require(roles("agent stops, codec stays in the bridge"), "\(sim.output)")
    let absent = try #require(roles("agent runs, never joins the bridge"), "\(sim.output)")
    let console = try TmuxSession(
      width: 220, height: 30, command: "'\(Binary.path)' console '\(directory)/conference.yaml' --no-bell; echo EXITED=$?")

    // Both screens, read one right after the other, agree on the header's bridge figures and on each role's row,
    // once the sim's roles are in their disagreements (the room plays out over a minute or two).
    var last = ("", "")
    let agreed: Bool? = eventually(timeout: .seconds(180), every: .milliseconds(500)) {
      let own = monitor.screen()
      let remote = console.screen()
      last = (own, remote)
      guard let ownCounts = Self.bridgeCounts(own), let remoteCounts = Self.bridgeCounts(remote), ownCounts == remoteCounts,
        (ownCounts["in"] ?? 0) >= 6, ownCounts["guests"] == 2, (ownCounts["silent"] ?? 0) >= silent.count,
        (ownCounts["absent"] ?? 0) >= absent.count
      else { return nil }
      for site in silent {
        guard Self.row(own, site: site)?.contains("IN BRIDGE, AGENT SILENT") == true,
          Self.row(remote, site: site)?.contains("IN BRIDGE, AGENT SILENT") == true
        else { return nil }
      }
      for site in absent {
        guard Self.row(own, site: site)?.contains("AGENT ALIVE, NOT IN BRIDGE") == true,
          Self.row(remote, site: site)?.contains("AGENT ALIVE, NOT IN BRIDGE") == true
        else { return nil }
      }
      return true
    }
    #expect(agreed == true, "monitor:\n\(last.0)\nconsole:\n\(last.1)\nsim:\n\(sim.output.suffix(1500))")
    // A site in the bridge shows "in bridge" on both, as the monitor's own row does.
    let inRow = last.0.split(separator: "\n").first { $0.contains("in bridge") && !$0.contains("not in bridge") }
    #expect(inRow != nil, "\(last.0)")
    if let inRow, let site = inRow.split(separator: " ").first(where: { $0.hasPrefix("S") && $0.count == 3 }) {
      let remote = console.waitFor(seconds: 10) { Self.row($0, site: String(site))?.contains("in bridge") == true }
      #expect(remote.ok, "\(site): \(remote.screen)")
    }

    // `bridgewatch status` says the same figures as the header (the monitor's own counts over the protocol).
    let counts = try #require(Self.bridgeCounts(last.0))
    let status = try #require(
      eventually(timeout: .seconds(30), every: .milliseconds(500)) { () -> String? in
        guard let run = try? Binary.run(["status", directory + "/conference.yaml"]), run.status == 0 else { return nil }
        let own = Self.bridgeCounts(monitor.screen())
        return own == Self.bridgeCounts(run.stdout) && own != nil ? run.stdout : nil
      }, "\(counts)")
    #expect(status.contains("In bridge "), "\(status)")

    // Each asks before it quits (the console, then the monitor, which stops monitoring).
    try console.send("q")
    #expect(console.waitFor { $0.contains("Quit BridgeWatch?") }.ok)
    try console.send("y")
    #expect(console.waitFor(seconds: 10) { $0.contains("EXITED=0") }.ok)
    try monitor.send("q")
    #expect(monitor.waitFor { $0.contains("Quit BridgeWatch?") }.ok)
    try monitor.send("y")
    #expect(monitor.waitFor(seconds: 15) { $0.contains("EXITED=0") }.ok)
  }
}
