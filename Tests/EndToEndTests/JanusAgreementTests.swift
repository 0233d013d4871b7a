import Foundation
import Glibc
import TestSupport
import Testing

/// Issue 32's first "done when", against a real Janus (Debian's 1.1.2): three sites joined over RTP and one not, a
/// real monitor with its own dashboard in tmux: the dashboard, the status file, the metrics and the report agree on
/// who is in the bridge, and on a kick.
@Suite(.serialized) struct JanusAgreementTests {
  @Test func theDashboardStatusFileMetricsAndReportAgreeOnWhoIsInTheBridge() throws {
    try RequiredTool.require("janus", "gst-launch-1.0", "tmux")
    let janus = try JanusUnderTest()
    defer { janus.stop() }
    let joined = try ["HB-S1", "HB-S2", "HB-S3"].map { try janus.join(display: $0) }
    defer { for site in joined { site.stopMedia() } }

    let directory = try makeScratchDirectory("bw-janus-agree")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let port = freeUDPPort()
    let metricsPort = freeTCPPort()
    try """
    title: Bridge
    timing: {interval: 1s, late_after: 3s, offline_after: 6s}
    status_file: status.json
    metrics: {listen: "127.0.0.1:\(metricsPort)"}
    sites:
      - {id: HB-S1, name: S1, group: Hòa Bình, expected: 10}
      - {id: HB-S2, name: S2, group: Hòa Bình, expected: 10}
      - {id: HB-S3, name: S3, group: Hòa Bình, expected: 10}
      - {id: HB-S4, name: S4, group: Hòa Bình, expected: 10}
    bridges:
      - {kind: janus, url: "http://127.0.0.1:\(janus.port)/janus", room: 1234, poll: 2s}
    """.write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
    // Every site's agent runs: S1 to S3 are in the bridge and alive, S4 alive and not in it.
    var agents: [BackgroundProcess] = []
    defer { for agent in agents { _ = agent.stop() } }
    for id in ["HB-S1", "HB-S2", "HB-S3", "HB-S4"] {
      agents.append(try BackgroundProcess(["agent", "--site", id, "--monitor", "127.0.0.1:\(port)", "--interval", "500ms"]))
    }
    let session = try TmuxSession(
      width: 140, height: 30,
      command:
        "cd '\(directory)' && '\(Binary.path)' run conference.yaml --listen 127.0.0.1:\(port) --operator tester --no-bell --lang en; echo EXITED=$?"
    )
    func row(_ screen: String, _ id: String) -> String { ConsoleBridgeEndToEndTests.row(screen, site: id) ?? "" }
    func statusFile() -> [String: Any]? {
      (try? Data(contentsOf: URL(fileURLWithPath: directory + "/status.json"))).flatMap {
        try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
      }
    }
    func inBridge(_ json: [String: Any]) -> [String] {
      ((json["sites"] as? [[String: Any]]) ?? []).compactMap { site in
        (site["bridge"] as? [String: Any])?["state"] as? String == "in" ? site["id"] as? String : nil
      }.sorted()
    }
    func metricsIn() -> Double? {
      HTTPTestResponse.fetch(port: metricsPort).flatMap { metricValue($0.body, "bridgewatch_bridge_sites_in") }
    }

    /// The dashboard, the status file and the metrics all say `expected` are in, and the others alive and not in.
    func expectAgreement(_ expected: [String], _ moment: String) {
      let out = ["HB-S1", "HB-S2", "HB-S3", "HB-S4"].filter { !expected.contains($0) }
      let screen = session.waitFor(seconds: 30) { screen in
        screen.contains("In bridge \(expected.count) ") && screen.contains("Agent alive, not in bridge \(out.count)")
          && expected.allSatisfy { row(screen, $0).contains("in bridge") && !row(screen, $0).uppercased().contains("NOT IN BRIDGE") }
          && out.allSatisfy { row(screen, $0).contains("AGENT ALIVE, NOT IN BRIDGE") }
      }
      #expect(screen.ok, "\(moment): \(screen.screen)")
      let file = eventually(timeout: .seconds(15), every: .milliseconds(200)) {
        statusFile().flatMap { inBridge($0) == expected ? $0 : nil }
      }
      #expect(file != nil, "\(moment): \(statusFile().map(inBridge) ?? [])")
      let metrics = eventually(timeout: .seconds(15), every: .milliseconds(200)) { metricsIn() == Double(expected.count) ? true : nil }
      #expect(metrics != nil, "\(moment): \(String(describing: metricsIn()))")
    }

    expectAgreement(["HB-S1", "HB-S2", "HB-S3"], "three joined")
    // S2 kicked: out at the next poll, on every face.
    try janus.kick(joined[1])
    expectAgreement(["HB-S1", "HB-S3"], "S2 kicked")

    try session.send("q")
    #expect(session.waitFor { $0.contains("Quit BridgeWatch?") }.ok)
    try session.send("y")
    #expect(session.waitFor { $0.contains("EXITED=0") }.ok)

    // The report, from the journal alone: the same three were in the bridge, S2's kick a dropped call.
    let report = try Binary.run(["report", directory + "/conference.yaml", "--format", "json"])
    #expect(report.status == 0, "\(report.stderr)")
    let parsed = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any], "\(report.stdout)")
    let sites = try #require(((parsed["sessions"] as? [[String: Any]])?.first?["sites"] as? [[String: Any]]), "\(report.stdout)")
    func site(_ id: String) -> [String: Any] { sites.first { $0["id"] as? String == id } ?? [:] }
    for id in ["HB-S1", "HB-S2", "HB-S3"] {
      #expect(site(id)["in_bridge"] as? Bool == true, "\(id): \(site(id))")
      #expect((site(id)["bridge_seconds"] as? Double ?? 0) > 0, "\(id): \(site(id))")
    }
    #expect(site("HB-S4")["in_bridge"] as? Bool == false, "\(site("HB-S4"))")
    #expect(site("HB-S2")["bridge_drops"] as? Int == 1, "\(site("HB-S2"))")
    #expect(site("HB-S1")["bridge_drops"] as? Int == 0, "\(site("HB-S1"))")
  }
}
