import BridgeCore
import Foundation
import TestSupport
import Testing

/// The check-in page with the real binary: `keys` makes the tokens, `run --headless` serves the page beside
/// /metrics, curl posts forms as a browser does, and the headcount reaches the status file (with who typed it) and
/// the journal; wrong links, oversized bodies and floods are refused and counted in /metrics.
@Suite struct CheckinEndToEndTests {
  static let config = """
    title: "Hội nghị trực tuyến toàn quốc"
    keys: keys.yaml
    status_file: status.json
    metrics:
      listen: 127.0.0.1:0
    checkin:
      enabled: true
    sites:
      - {id: HB-TU, name: "Tỉnh ủy Hòa Bình", group: "Hòa Bình", expected: 150}
      - {id: HB-DB-TULY, name: "Xã Tú Lý", group: "Hòa Bình / Đà Bắc", expected: 49}
      - {id: SL-TU, name: "Tỉnh ủy Sơn La", group: "Sơn La", expected: 200}

    """

  /// Each site's check-in token, as `keys` wrote it.
  static func tokens(_ folder: String) throws -> [String: String] {
    let text = try String(contentsOfFile: folder + "/keys.yaml", encoding: .utf8)
    var tokens: [String: String] = [:]
    var site: String?
    for line in text.split(separator: "\n") {
      if let match = line.firstMatch(of: #/^"?(?<id>[A-Z0-9-]+)"?:\s*$/#) { site = String(match.output.id) }
      if let match = line.firstMatch(of: #/^\s+token:\s*"(?<token>[a-z2-7]+)"/#), let site { tokens[site] = String(match.output.token) }
    }
    return tokens
  }

  /// The base of `check-in page at http://127.0.0.1:PORT/c/<token>` in a monitor's log.
  static func checkinBase(in log: String) -> String? {
    log.firstMatch(of: #/check-in page at (?<base>http://127\.0\.0\.1:[0-9]+)/c//#).map { String($0.output.base) }
  }

  /// curl as a browser sends a form: `fields` url-encoded; the status code and the page.
  static func curl(_ url: String, form fields: [(String, String)]? = nil, extra: [String] = []) throws -> (status: Int, body: String) {
    try RequiredTool.require("curl")
    var arguments = ["-sS", "-o", "-", "-w", "\n%{http_code}", url] + extra
    for (name, value) in fields ?? [] { arguments += ["--data-urlencode", "\(name)=\(value)"] }
    let result = try runTool("curl", arguments)
    let status = Int(result.output.split(separator: "\n").last ?? "") ?? 0
    return (status, String(result.output[..<(result.output.lastIndex(of: "\n") ?? result.output.endIndex)]))
  }

  /// The hidden stamp fields of a served form.
  static func stamp(_ page: String) -> [(String, String)] {
    ["issued", "nonce", "sig"].map { name in
      let marker = "name=\"\(name)\" value=\""
      let start = page.range(of: marker)?.upperBound ?? page.endIndex
      return (name, String(page[start...].prefix { $0 != "\"" }))
    }
  }

  static func site(_ status: [String: Any], _ id: String) -> [String: Any]? {
    (status["sites"] as? [[String: Any]])?.first { $0["id"] as? String == id }
  }

  @Test func aCheckinReachesTheStatusFileAndTheJournalAndEveryDoorIsCounted() throws {
    let folder = try makeScratchDirectory("bw-checkin")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.config.write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let keys = try Binary.run(
      ["keys", folder + "/conference.yaml", "--checkin-base", "https://hoinghi.example.vn"], environment: ["LANG": "C.UTF-8"])
    #expect(keys.status == 0, "\(keys.stderr)")
    let tokens = try Self.tokens(folder)
    let token = try #require(tokens["HB-DB-TULY"])
    #expect(tokens.count == 3)
    let check = try Binary.run(["check", folder + "/conference.yaml"], environment: ["LANG": "C.UTF-8"])
    #expect(check.status == 0, "\(check.stderr)")
    #expect(check.stdout.contains("check-in page: http://127.0.0.1:0/c/<token>, links for 3 of 3 sites"), "\(check.stdout)")

    let monitor = try HeadlessMonitor(config: Self.config, directory: folder)
    defer { _ = monitor.finish() }
    let base = try #require(monitor.waitFor(seconds: 20) { Self.checkinBase(in: $0) }, "\(monitor.log)")
    let link = base + "/c/" + token

    // The organiser opens the link, types the count and who they are, and sends it.
    let page = try Self.curl(link)
    #expect(page.status == 200)
    #expect(page.body.contains("Xã Tú Lý") && page.body.contains("Hòa Bình / Đà Bắc"))
    let who = "Chị Lan 0912 345 678"
    let sent = try Self.curl(link, form: Self.stamp(page.body) + [("who", who), ("count", "45"), ("action", "count")])
    #expect(sent.status == 200, "\(sent.body)")
    #expect(sent.body.contains("Đã ghi nhận lúc") && sent.body.contains("quân số 45"))
    let status = monitor.waitForStatus { status in
      Self.site(status, "HB-DB-TULY").map { $0["headcount"] as? Int == 45 } ?? false
    }
    let site = try #require(status.flatMap { Self.site($0, "HB-DB-TULY") }, "\(monitor.log)")
    #expect(site["headcount_source"] as? String == "checkin")
    #expect(site["headcount_by"] as? String == who)
    #expect(site["source"] as? String == "checkin")
    #expect(site["status"] as? String == "online")

    // "We need help" raises the site's help flag for the control room.
    let helpPage = try Self.curl(link + "?lang=en")
    let help = try Self.curl(link + "?lang=en", form: Self.stamp(helpPage.body) + [("who", who), ("count", ""), ("action", "help")])
    #expect(help.status == 200 && help.body.contains("help requested"))
    #expect(
      monitor.waitForStatus { status in
        (Self.site(status, "HB-DB-TULY")?["flags"] as? [String])?.contains("help") ?? false
      } != nil)

    // The journal has the count with who typed it, how the site came online, and the help request.
    let journal = try monitor.journal()
    #expect(journal.records.contains { $0.site == "HB-DB-TULY" && $0.kind == .headcount(count: 45, source: .checkin, operatorName: who) })
    #expect(journal.records.contains { $0.site == "HB-DB-TULY" && $0.kind == .help(true) })
    #expect(
      journal.records.contains {
        $0.site == "HB-DB-TULY" && $0.kind == .status(from: .unknown, to: .online, cause: "heartbeat", source: .checkin)
      })

    // Wrong links, a body over the cap, and a flood on one link.
    let wrong = try Self.curl(base + "/c/" + String(token.reversed()))
    let unknown = try Self.curl(base + "/c/nothing", form: [("a", "b")])
    #expect(wrong.status == 404 && unknown.status == 404 && wrong.body == unknown.body)
    let huge = try Self.curl(link, form: [("who", String(repeating: "x", count: 5000))])
    #expect(huge.status == 413)
    let flood = try (0..<12).map { _ in try Self.curl(base + "/c/" + tokens["SL-TU"]!).status }
    // Ten at once, then 429s (one more every 6 s: a slow machine may let one through).
    #expect(flood.prefix(10).allSatisfy { $0 == 200 } && flood.last == 429, "\(flood)")
    let limited = Double(flood.count { $0 == 429 })
    let metricsURL = base + "/metrics"
    let counted = eventually(timeout: .seconds(10)) { () -> String? in
      guard let text = try? Self.curl(metricsURL).body else { return nil }
      let ok =
        metricValue(text, #"bridgewatch_checkin_refused_total{reason="unknown_token"}"#) == 2
        && metricValue(text, #"bridgewatch_checkin_refused_total{reason="too_large"}"#) == 1
        && metricValue(text, #"bridgewatch_checkin_refused_total{reason="rate_limited"}"#) == limited
        && metricValue(text, #"bridgewatch_checkin_submissions_total{outcome="accepted"}"#) == 2
        && metricValue(text, #"bridgewatch_heartbeats_accepted_total{source="checkin"}"#) == 2
      return ok ? text : nil
    }
    #expect(counted != nil, "\((try? Self.curl(metricsURL).body) ?? "")")
  }

  /// README "Sites without an agent: the check-in page": its block, as written, against a real monitor that the
  /// stubbed `systemctl restart` starts (`sudo` does nothing more); only the port is the test's own.
  @Test func theReadmesCheckinCommandsWork() throws {
    try RequiredTool.require("curl")
    let folder = try makeScratchDirectory("bw-readme-checkin")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let readme = try String(contentsOfFile: Repository.path("README.md"), encoding: .utf8)
    let section = try #require(
      readme.components(separatedBy: "## Sites without an agent: the check-in page").dropFirst().first?
        .components(separatedBy: "\n## ").first)
    let blocks = section.components(separatedBy: "```sh\n").dropFirst().map { $0.components(separatedBy: "```").first! }
    #expect(blocks.count == 1)
    let port = freeTCPPort()
    try Self.config.replacingOccurrences(of: "127.0.0.1:0", with: "127.0.0.1:\(port)")
      .write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let script = """
      set -euo pipefail
      bridgewatch() { "$BRIDGEWATCH" "$@"; }
      sudo() { "$@"; }
      systemctl() {
        [ "$1" = restart ] && [ "$2" = bridgewatch ]
        (
          for fd in /proc/self/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-" 2>/dev/null || true; fi; done
          exec "$BRIDGEWATCH" run conference.yaml --headless --listen 127.0.0.1:0
        ) > monitor.log 2>&1 &
        echo $! > monitor.pid
        for _ in $(seq 600); do grep -q 'check-in page at' monitor.log && return 0; sleep 0.1; done
        cat monitor.log >&2
        return 1
      }
      cd "\(folder)"

      """ + blocks[0].replacingOccurrences(of: "127.0.0.1:9740", with: "127.0.0.1:\(port)")
    let result = try runShell(script + "\n", environment: ["BRIDGEWATCH": Binary.path, "LANG": "C.UTF-8"])
    let pid = (try? String(contentsOfFile: folder + "/monitor.pid", encoding: .utf8)).flatMap {
      Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    // Stopped, and gone, before the folder is removed: a monitor still stopping would write its status file and
    // journal checkpoint into a folder made again.
    defer {
      if let pid {
        kill(pid, SIGINT)
        _ = eventually(timeout: .seconds(15)) { kill(pid, 0) != 0 ? true : nil }
      }
    }
    #expect(result.status == 0, "\(result.output) \((try? String(contentsOfFile: folder + "/monitor.log", encoding: .utf8)) ?? "")")
    #expect(result.output.contains("<h1>Tỉnh ủy Hòa Bình</h1>"), "\(result.output)")
    #expect(result.output.contains("bridgewatch_checkin_refused_total{reason=\"unknown_token\"} 0"), "\(result.output)")
  }

  /// The page needs the HTTP server: without metrics.listen the monitor does not start, and says why.
  @Test func theCheckinPageWithoutAnHTTPListenStopsTheStartSayingWhy() throws {
    let folder = try makeScratchDirectory("bw-checkin-nolisten")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let config = Self.config.replacingOccurrences(of: "metrics:\n  listen: 127.0.0.1:0\n", with: "")
      .replacingOccurrences(of: "keys: keys.yaml\n", with: "")
    #expect(!config.contains("metrics:"))
    try config.write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let run = try Binary.run(["run", folder + "/conference.yaml", "--headless", "--listen", "127.0.0.1:0"], timeout: 60)
    #expect(run.status == 1)
    #expect(run.stderr.contains("checkin.enabled needs metrics.listen (or --metrics-listen)"), "\(run.stderr)")
  }
}
