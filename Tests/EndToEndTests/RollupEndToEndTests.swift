import BridgeCore
import BridgeMonitor
import Foundation
import TestSupport
import Testing

/// Lương Sơn with a site in every status, on the real monitor: its group row and header on a console, the status
/// file, `status` and the metrics all give the same figures, and they count only the sites that are up.
@Suite(.serialized) struct RollupEndToEndTests {
  static let config = """
    title: "Roll-ups"
    timing: {interval: 1s, late_after: 4s, offline_after: 12s}
    status_file: status.json
    sites:
      - {id: LS-ON, name: "Xã Hòa Sơn", group: "Hòa Bình / Lương Sơn", expected: 50}
      - {id: LS-LATE, name: "Xã Lâm Sơn", group: "Hòa Bình / Lương Sơn", expected: 40}
      - {id: LS-OFF, name: "Xã Cao Dương", group: "Hòa Bình / Lương Sơn", expected: 45}
      - {id: LS-MARK, name: "Xã Liên Sơn", group: "Hòa Bình / Lương Sơn", expected: 45}
      - {id: LS-NEVER, name: "Xã Nhuận Trạch", group: "Hòa Bình / Lương Sơn", expected: 30}
      - {id: KB-ON, name: "Huyện ủy Kim Bôi", group: "Hòa Bình / Kim Bôi", expected: 60}
    """

  /// Two sites heard every half second from a thread of their own while the test waits for the others' silence.
  final class SteadyHeartbeats: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var finished = false
    private let port: Int
    private let sites: [(id: String, count: Int)]

    init(port: Int, sites: [(id: String, count: Int)]) {
      self.port = port
      self.sites = sites
      Thread.detachNewThread { self.run() }
    }

    private func run() {
      let socket = UDPTestSocket()
      var sequence: UInt64 = 0
      while lock.withLock({ running }) {
        sequence += 1
        for site in sites { socket.send("BW1 site=\(site.id) seq=\(sequence) count=\(site.count)", port: port) }
        Thread.sleep(forTimeInterval: 0.5)
      }
      lock.withLock { finished = true }
    }

    func stop() {
      lock.withLock { running = false }
      while !lock.withLock({ finished }) { Thread.sleep(forTimeInterval: 0.05) }
    }
  }

  @Test func everyFaceGivesTheSameFiguresAndCountsOnlySitesThatAreUp() throws {
    let monitor = try HeadlessMonitor(config: Self.config, arguments: ["--metrics-listen", "127.0.0.1:0", "--metrics-per-site"])
    defer { _ = monitor.stop() }
    let metricsAt = try #require(monitor.waitFor(seconds: 10) { metricsPort(in: $0) })
    let steady = SteadyHeartbeats(port: monitor.port, sites: [("LS-ON", 40), ("KB-ON", 55)])
    defer { steady.stop() }
    let once = UDPTestSocket()
    let start = Date()
    once.send("BW1 site=LS-OFF seq=1 count=44", port: monitor.port)
    once.send("BW1 site=LS-MARK seq=1 count=45", port: monitor.port)
    #expect(monitor.waitOnline("LS-MARK", headcount: 45) != nil, "\(monitor.log)")
    let desk = try ConsoleClient(
      path: monitor.directory + "/conference.sock",
      hello: ConsoleHello(operatorName: "lan", readOnly: false, group: nil, purpose: .console))
    desk.attach { _ in }
    defer { desk.detach() }
    #expect(desk.answer(to: OperatorRequest(site: "LS-MARK", action: .mark(reason: "mất điện")), operatorName: "lan").isApplied)
    // A count phoned in for a site never heard: shown, not counted.
    #expect(desk.answer(to: OperatorRequest(site: "LS-NEVER", action: .setHeadcount(20)), operatorName: "lan").isApplied)
    let console = try TmuxSession(
      width: 200, height: 40, command: "'\(Binary.path)' console '\(monitor.directory)/conference.yaml' --no-bell --operator minh")

    // LS-LATE heard once, 7 s in: late from 11 s to 19 s, while LS-OFF is offline from 12 s.
    Thread.sleep(forTimeInterval: max(0, 7 - Date().timeIntervalSince(start)))
    once.send("BW1 site=LS-LATE seq=1 count=30", port: monitor.port)
    let wanted = ["LS-ON": "online", "LS-LATE": "late", "LS-OFF": "offline", "LS-MARK": "marked", "LS-NEVER": "unknown"]
    let file = try #require(
      monitor.waitForStatus(seconds: 15) { json in wanted.allSatisfy { monitor.site($0.key, in: json)?["status"] as? String == $0.value } },
      "\(monitor.statusFile() ?? [:])")

    // Counted: LS-ON 40, LS-LATE 30, KB-ON 55 of 270 expected; Lương Sơn 70 of 210. Not counted: LS-OFF's 44,
    // LS-MARK's 45, LS-NEVER's 20.
    let total = try #require(file["total"] as? [String: Any])
    #expect(total["headcount"] as? Int == 125 && total["expected"] as? Int == 270 && total["attendance_percent"] as? Double == 46.3)
    #expect(["online": 2, "late": 1, "offline": 1, "marked": 1, "unknown": 1].allSatisfy { total[$0.key] as? Int == $0.value })
    let groups = try #require(file["groups"] as? [[String: Any]])
    let luongSon = try #require(groups.first { $0["path"] as? String == "Hòa Bình / Lương Sơn" }?["rollup"] as? [String: Any])
    #expect(luongSon["headcount"] as? Int == 70 && luongSon["expected"] as? Int == 210 && luongSon["up"] as? Int == 2)
    #expect(monitor.site("LS-MARK", in: file)?["headcount"] as? Int == 45)
    #expect(monitor.site("LS-MARK", in: file)?["headcount_counted"] as? Bool == false)
    #expect(monitor.site("LS-LATE", in: file)?["headcount_counted"] as? Bool == true)

    let status = try Binary.run(["status", monitor.directory + "/conference.yaml"])
    #expect(status.stdout.contains("sites: 6 · online 2 · late 1 · offline 1 · marked 1 · unknown 1"), "\(status.stdout)")
    #expect(status.stdout.contains("attendance: 125 of 270 (46.3%)"), "\(status.stdout)")

    let metrics = try #require(HTTPTestResponse.fetch(port: metricsAt)).body
    let luongSonLabels = #"group="Hòa Bình / Lương Sơn",province="Hòa Bình",depth="2""#
    #expect(metricValue(metrics, #"bridgewatch_headcount_reported{group="",province="",depth="0"}"#) == 125)
    #expect(metricValue(metrics, "bridgewatch_headcount_reported{\(luongSonLabels)}") == 70)
    #expect(metricValue(metrics, "bridgewatch_headcount_expected{\(luongSonLabels)}") == 210)
    for (state, count) in [("online", 1.0), ("late", 1), ("offline", 1), ("marked", 1), ("unknown", 1)] {
      #expect(metricValue(metrics, "bridgewatch_sites{\(luongSonLabels),status=\"\(state)\"}") == count, "\(state)")
    }
    // A site's series is its share of its groups': Lương Sơn's sites add up to Lương Sơn.
    let perSite = metrics.split(separator: "\n").filter {
      $0.hasPrefix("bridgewatch_site_headcount{") && $0.contains(#"group="Hòa Bình / Lương Sơn""#)
    }
    #expect(perSite.count == 5 && perSite.reduce(0.0) { $0 + (Double($1.split(separator: " ").last ?? "") ?? .nan) } == 70, "\(perSite)")

    // A console recomputes the same roll-ups from the records it mirrors.
    let screen = console.waitFor(seconds: 8) { screen in
      screen.contains("1/5 online  1 offline  1 late  1 marked  1 not connected  33.3%") && screen.contains("125 / 270 (46.3%)")
    }
    #expect(screen.ok, "\(screen.screen)")
    let lines = screen.screen.split(separator: "\n")
    #expect(lines.contains { $0.contains("Hòa Bình / Lương Sơn") && $0.contains("70/210") }, "\(screen.screen)")
    #expect(lines.contains { $0.contains("LS-MARK") && $0.contains("(45)/45") }, "\(screen.screen)")
    #expect(lines.contains { $0.contains("LS-OFF") && $0.contains("(44)/45") }, "\(screen.screen)")
    #expect(lines.contains { $0.contains("LS-NEVER") && $0.contains("(20*)/30") }, "\(screen.screen)")
    #expect(screen.screen.contains("Online 2/6"), "\(screen.screen)")
  }
}
