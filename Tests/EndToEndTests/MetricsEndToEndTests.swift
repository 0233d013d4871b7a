import BridgeCore
import Foundation
import TestSupport
import Testing

/// The port of `metrics at http://127.0.0.1:PORT/metrics` in a monitor's log.
func metricsPort(in log: String) -> Int? {
  log.firstMatch(of: #/metrics at http://127\.0\.0\.1:(?<port>[0-9]+)/metrics/#).map { Int($0.output.port)! }
}

/// Runs `tool arguments`, with `input` on its standard input; returns its exit status and what it printed.
func runTool(_ tool: String, _ arguments: [String], input: String? = nil, directory: String? = nil) throws -> (
  status: Int32, output: String
) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = [tool] + arguments
  if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
  let output = Pipe()
  process.standardOutput = output
  process.standardError = output
  let stdin = Pipe()
  process.standardInput = stdin
  try process.run()
  if let input {
    let data = Data(input.utf8)
    DispatchQueue.global().async {
      stdin.fileHandleForWriting.write(data)
      try? stdin.fileHandleForWriting.close()
    }
  } else {
    try stdin.fileHandleForWriting.close()
  }
  let data = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite(.serialized) struct MetricsEndToEndTests {
  /// `promtool check metrics` on what the real endpoint serves for the built-in 61-site demo and for a national
  /// 7,400-site one with per-site series; the number of series is docs/METRICS.md's.
  // The demo's figures: the roster's series and its two simulated bridges' 26, and with per-site series the Janus
  // room's figures for each of the 61 sites, its Admin API played (docs/METRICS.md).
  @Test(arguments: [(nil, false, 213), (nil, true, 640), (7400, true, 37_263)] as [(Int?, Bool, Int)])
  func promtoolAcceptsTheEndpoint(sites: Int?, perSite: Bool, documentedSeries: Int) throws {
    try RequiredTool.require("promtool")
    var arguments = ["demo", "--headless", "--speed", "4", "--metrics-listen", "127.0.0.1:0"]
    if let sites { arguments += ["--sites", String(sites), "--shape", "2021"] }
    if perSite { arguments.append("--metrics-per-site") }
    let demo = try BackgroundProcess(arguments)
    defer { _ = demo.stop() }
    let port = try #require(demo.waitFor(seconds: 30) { metricsPort(in: $0) }, "\(demo.output)")
    // Some seconds in, so heartbeats, rejections and the histograms have moved.
    Thread.sleep(forTimeInterval: 4)
    let response = try #require(HTTPTestResponse.fetch(port: port))
    #expect(response.status == 200)
    #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
    let check = try runTool("promtool", ["check", "metrics"], input: response.body)
    #expect(check.status == 0, "\(check.output)")
    #expect(check.output.isEmpty, "promtool's complaints: \(check.output)")
    let siteCount = sites ?? 61
    #expect(response.body.components(separatedBy: "bridgewatch_site_up{").count - 1 == (perSite ? siteCount : 0))
    #expect(seriesCount(response.body) == documentedSeries)
    let documentation = try String(contentsOfFile: Repository.path("docs/METRICS.md"), encoding: .utf8)
    #expect(documentation.contains(NumberText.grouped(documentedSeries)))
    #expect(metricValue(response.body, #"bridgewatch_headcount_expected{group="",province="",depth="0"}"#) ?? 0 > 0)
    #expect((metricValue(response.body, #"bridgewatch_heartbeats_accepted_total{source="udp"}"#) ?? 0) > 0)
  }

  @Test func theShippedRulesAndConfigsPassTheirCheckers() throws {
    try RequiredTool.require("promtool", "amtool")
    let examples = Repository.path("examples/prometheus")
    let rules = try runTool("promtool", ["check", "rules", "alerts.yml"], directory: examples)
    #expect(rules.status == 0 && rules.output.contains("SUCCESS: 5 rules found"), "\(rules.output)")
    let tests = try runTool("promtool", ["test", "rules", "alerts-test.yml"], directory: examples)
    #expect(tests.status == 0 && tests.output.contains("SUCCESS"), "\(tests.output)")
    let config = try runTool("promtool", ["check", "config", "prometheus.yml"], directory: examples)
    #expect(config.status == 0, "\(config.output)")
    let routing = try runTool("amtool", ["check-config", "alertmanager.yml"], directory: examples)
    #expect(routing.status == 0 && routing.output.contains("2 inhibit rules"), "\(routing.output)")
  }

  /// A real Prometheus, started with the shipped prometheus.yml (its target pointed at the monitor, scraping every
  /// second) and the shipped rules, scrapes a monitor fed by real heartbeats: per province, its online count is the
  /// status file's. Every query of the Grafana dashboard runs on it.
  @Test func aRealPrometheusSeesWhatTheStatusFileSays() throws {
    try RequiredTool.require("prometheus")
    let monitor = try HeadlessMonitor(
      config: """
        title: Metrics
        timing: { interval: 1s, late_after: 30s, offline_after: 60s }
        status_file: status.json
        sites:
          - { id: HB-TU, name: "Tỉnh ủy Hòa Bình", group: "Hòa Bình", expected: 150 }
          - { id: HB-DB-HU, name: "Huyện ủy Đà Bắc", group: "Hòa Bình / Đà Bắc", expected: 119 }
          - { id: HB-DB-TULY, name: "Xã Tú Lý", group: "Hòa Bình / Đà Bắc", expected: 49 }
          - { id: SL-TU, name: "Tỉnh ủy Sơn La", group: "Sơn La", expected: 200 }
          - { id: SL-MC-HU, name: "Huyện ủy Mộc Châu", group: "Sơn La / Mộc Châu", expected: 90 }
          - { id: LC-TU, name: "Tỉnh ủy Lai Châu", group: "Lai Châu", expected: 120 }
        """, arguments: ["--metrics-listen", "127.0.0.1:0"])
    defer { _ = monitor.stop() }
    let metrics = try #require(monitor.waitFor(seconds: 10) { metricsPort(in: $0) })
    let heartbeats = UDPTestSocket()
    for (site, count) in [("HB-TU", 140), ("HB-DB-HU", 100), ("SL-TU", 180), ("SL-MC-HU", 80)] {
      heartbeats.send("BW1 site=\(site) seq=1 count=\(count)", port: monitor.port)
      #expect(heartbeats.receive() != nil)
    }
    let directory = try makeScratchDirectory("bw-prometheus")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let shipped = try String(contentsOfFile: Repository.path("examples/prometheus/prometheus.yml"), encoding: .utf8)
    let config =
      shipped
      .replacingOccurrences(of: #"targets: ["127.0.0.1:9740"]"#, with: #"targets: ["127.0.0.1:\#(metrics)"]"#)
      .replacingOccurrences(of: "scrape_interval: 5s", with: "scrape_interval: 1s")
      .replacingOccurrences(of: "scrape_timeout: 4s", with: "scrape_timeout: 1s")
    #expect(config != shipped)
    try config.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
    try FileManager.default.copyItem(atPath: Repository.path("examples/prometheus/alerts.yml"), toPath: directory + "/alerts.yml")
    let webPort = freeTCPPort()
    let prometheus = try BackgroundProcess(
      executable: "/usr/bin/env",
      [
        "prometheus", "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
        "--web.listen-address=127.0.0.1:\(webPort)",
      ])
    defer { _ = prometheus.stop() }

    func query(_ expression: String) -> [[String: Any]]? {
      let encoded = expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
      guard let response = HTTPTestResponse.fetch(port: webPort, path: "/api/v1/query?query=\(encoded)"),
        let json = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
        json["status"] as? String == "success", let data = json["data"] as? [String: Any]
      else { return nil }
      return data["result"] as? [[String: Any]]
    }
    func byProvince(_ results: [[String: Any]]) -> [String: Double] {
      var values: [String: Double] = [:]
      for result in results {
        guard let labels = result["metric"] as? [String: String], let value = result["value"] as? [Any],
          let text = value.last as? String
        else { continue }
        values[labels["group"] ?? "?"] = Double(text)
      }
      return values
    }

    // The status file's figure per province, and Prometheus' once it has scraped that state.
    let status = try #require(
      monitor.waitForStatus { json in
        (json["total"] as? [String: Any])?["online"] as? Int == 4
      })
    var expected: [String: Double] = [:]
    for group in status["groups"] as? [[String: Any]] ?? [] where group["depth"] as? Int == 1 {
      expected[group["path"] as! String] = Double((group["rollup"] as! [String: Any])["online"] as! Int)
    }
    #expect(expected == ["Hòa Bình": 2, "Sơn La": 2, "Lai Châu": 0])
    var seen: [String: Double] = [:]
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
      seen = byProvince(query(#"bridgewatch_sites{status="online",depth="1"}"#) ?? [])
      if seen == expected { break }
      Thread.sleep(forTimeInterval: 0.5)
    }
    #expect(seen == expected, "Prometheus log: \(prometheus.output.suffix(2000))")
    #expect(query(#"up{job="bridgewatch"}"#)?.count == 1)

    // The shipped rules loaded in the real Prometheus.
    let rules = HTTPTestResponse.fetch(port: webPort, path: "/api/v1/rules")?.body ?? ""
    #expect(rules.contains("BridgeWatchProvinceOffline") && rules.contains("BridgeWatchJournalFailing"))

    // Every query of the shipped Grafana dashboard is valid PromQL here, and the main ones have data.
    let dashboard = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Repository.path("examples/grafana/bridgewatch.json"))))
        as? [String: Any])
    let panels = try #require(dashboard["panels"] as? [[String: Any]])
    var expressions = 0
    for panel in panels {
      for target in panel["targets"] as? [[String: Any]] ?? [] {
        let expression = (target["expr"] as! String).replacingOccurrences(of: "$instance", with: ".*")
        let result = query(expression)
        #expect(result != nil, "\(panel["title"] ?? "?"): \(expression)")
        expressions += 1
      }
    }
    #expect(expressions >= 10)
    #expect(
      query(
        #"sum by (province) (bridgewatch_sites{depth="1",status="offline",instance=~".*"}) / sum by (province) (bridgewatch_sites{depth="1",instance=~".*"})"#
      )?
      .count == 3)
  }

  /// Slowloris, a 1 MB request line, random bytes and 1,000 connections at once: the monitor keeps accepting
  /// heartbeats, answering scrapes, and its memory stays bounded.
  @Test func hostileHTTPLeavesTheMonitorWorking() throws {
    var limit = rlimit()
    getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    if limit.rlim_cur < 2048 {
      limit.rlim_cur = min(4096, limit.rlim_max)
      setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }
    try #require(limit.rlim_cur >= 1100, "the test needs 1,100 open files; the hard limit here is \(limit.rlim_max)")
    let monitor = try HeadlessMonitor(
      config: """
        title: Hostile
        timing: { interval: 1s, late_after: 30s, offline_after: 60s }
        status_file: status.json
        sites:
          - { id: HB-TU, name: "Tỉnh ủy Hòa Bình", group: "Hòa Bình", expected: 150 }
          - { id: SL-TU, name: "Tỉnh ủy Sơn La", group: "Sơn La", expected: 200 }
        """, arguments: ["--metrics-listen", "127.0.0.1:0"])
    defer { _ = monitor.stop() }
    let port = try #require(monitor.waitFor(seconds: 10) { metricsPort(in: $0) })
    let memoryBefore = monitor.residentKiB

    var hostile: [TCPTestClient] = []
    // Slowloris: heads that never end, a byte at a time.
    for _ in 0..<50 {
      if let client = TCPTestClient(port: port) {
        client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n")
        hostile.append(client)
      }
    }
    // A 1 MB request line and random bytes.
    let huge = try #require(TCPTestClient(port: port))
    huge.send("GET /" + String(repeating: "A", count: 1_048_576) + " HTTP/1.1\r\n\r\n")
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20 {
      if let client = TCPTestClient(port: port) {
        client.send((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) })
        hostile.append(client)
      }
    }
    // 1,000 connections at once, held open.
    for _ in 0..<1000 {
      if let client = TCPTestClient(port: port) { hostile.append(client) }
    }
    for client in hostile.prefix(50) { client.send("X") }
    #expect(hostile.count >= 1000)

    // Meanwhile: heartbeats are acknowledged and applied, and a scrape is answered.
    let heartbeats = UDPTestSocket()
    heartbeats.send("BW1 site=HB-TU seq=1 count=120", port: monitor.port)
    #expect(heartbeats.receive() != nil)
    #expect(monitor.waitOnline("HB-TU", headcount: 120) != nil)
    let scrape = try #require(HTTPTestResponse.fetch(port: port))
    #expect(scrape.status == 200)
    #expect(metricValue(scrape.body, #"bridgewatch_sites{group="Hòa Bình",province="Hòa Bình",depth="1",status="online"}"#) == 1)
    #expect(HTTPTestResponse.parse(huge.readToEnd())?.status == 400)
    heartbeats.send("BW1 site=SL-TU seq=1 count=190", port: monitor.port)
    #expect(heartbeats.receive() != nil)
    // Memory: the connections were shed, not kept (16 at most at a time, with a few kB each).
    #expect(monitor.residentKiB - memoryBefore < 32 * 1024, "RSS grew from \(memoryBefore) KiB to \(monitor.residentKiB) KiB")
    hostile.removeAll()
    #expect(HTTPTestResponse.fetch(port: port)?.status == 200)
    #expect(monitor.process.isRunning)
  }

  /// The request forms and header rules of RFC 9112 at the real endpoint: absolute-form targets served, `OPTIONS *`
  /// and CONNECT refused with 405 (CONNECT closed), `Expect: 100-continue` answered without waiting for a body,
  /// two Host headers refused with 400.
  @Test func requestFormsAndHostRulesOfRFC9112() throws {
    let monitor = try HeadlessMonitor(
      config: """
        title: Forms
        sites:
          - { id: HB-TU, name: "Tỉnh ủy Hòa Bình", group: "Hòa Bình", expected: 150 }
        """, arguments: ["--metrics-listen", "127.0.0.1:0"])
    defer { _ = monitor.stop() }
    let port = try #require(monitor.waitFor(seconds: 10) { metricsPort(in: $0) })
    let absolute = try #require(HTTPTestResponse.fetch(port: port, path: "http://127.0.0.1:\(port)/metrics"))
    #expect(absolute.status == 200)
    #expect(metricValue(absolute.body, #"bridgewatch_headcount_expected{group="Hòa Bình",province="Hòa Bình",depth="1"}"#) == 150)
    #expect(HTTPTestResponse.fetch(port: port, method: "OPTIONS", path: "*")?.status == 405)
    let connect = try #require(TCPTestClient(port: port))
    connect.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    #expect(HTTPTestResponse.parse(connect.readToEnd(timeout: 10))?.status == 405)
    #expect(connect.isClosedByPeer(within: 1))
    // The monitor's request deadline is 10 s: an answer within 5 s is the server's, not its deadline's.
    let expecting = try #require(TCPTestClient(port: port))
    expecting.send("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    #expect(HTTPTestResponse.parse(expecting.readToEnd(timeout: 5))?.status == 200)
    let twoHosts = try #require(TCPTestClient(port: port))
    twoHosts.send("GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    #expect(HTTPTestResponse.parse(twoHosts.readToEnd(timeout: 10))?.status == 400)
    #expect(HTTPTestResponse.fetch(port: port)?.status == 200)
  }
}
