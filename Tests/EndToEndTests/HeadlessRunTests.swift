import Foundation
import TestSupport
import Testing

let twoSiteConfig = """
  title: "Hội nghị thử"
  timing:
    interval: 1s
    late_after: 3s
    offline_after: 6s
  status_file: status.json
  keys: keys.yaml
  sites:
  \(TestRoster.yaml("HB-TU", "HB-DB-TULY"))
  """

@Suite(.serialized) struct HeadlessRunTests {
  @Test func theDocumentedShellExampleIsAccepted() throws {
    try RequiredTool.require("socat", "openssl")
    let monitor = try HeadlessMonitor(config: twoSiteConfig, files: ["keys.yaml": "HB-TU: \"hoa-binh-province-hall-secret\"\n"])
    defer { _ = monitor.stop() }
    let doc = try String(contentsOfFile: Repository.path("docs/PROTOCOL.md"), encoding: .utf8)
    let begin = try #require(doc.range(of: "<!-- shell-example:begin -->\n```sh\n"))
    let end = try #require(doc.range(of: "```\n<!-- shell-example:end -->"))
    let script = String(doc[begin.upperBound..<end.lowerBound])
    let result = try runShell(script, environment: ["MONITOR": "127.0.0.1:\(monitor.port)", "SITE": "HB-TU", "SEQ": "1"])
    // HB-TU has a key: the unsigned heartbeat is refused silently, the signed one is acknowledged.
    #expect(result.output == "BW1 ack site=HB-TU seq=2", "\(monitor.log)")
    let json = monitor.waitForStatus { json in
      ((json["sites"] as? [[String: Any]])?.first?["status"] as? String) == "online"
    }
    let site = try #require((json?["sites"] as? [[String: Any]])?.first)
    #expect(site["headcount"] as? Int == 148)
    let rejected = try #require((json?["counters"] as? [String: Any])?["rejected"] as? [String: Any])
    #expect(rejected["unauthenticated"] as? Int == 1)
    #expect(monitor.waitFor(seconds: 5) { $0.contains("HB-TU Tỉnh ủy Hòa Bình: unknown -> online (heartbeat)") ? true : nil } == true)
    #expect(monitor.log.contains("rejected datagram from 127.0.0.1:"))
    #expect(monitor.stop() == 0)
  }

  @Test func aFloodOfUnknownSiteIDsLeavesMemoryFlat() throws {
    let monitor = try HeadlessMonitor(config: twoSiteConfig, files: ["keys.yaml": "{}\n"])
    defer { _ = monitor.stop() }
    let sender = UDPTestSocket()
    var generator = SystemRandomNumberGenerator()
    func flood(_ count: Int) {
      for index in 0..<count {
        let id = String((0..<16).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-".randomElement(using: &generator)! })
        sender.send(Array("BW1 site=\(id) seq=\(index) count=10".utf8), port: monitor.port)
        // Let the monitor keep up so the kernel does not drop (drops would hide the work from this test).
        if index % 500 == 499 { Thread.sleep(forTimeInterval: 0.002) }
      }
    }
    flood(10_000)  // warm up allocator pools and buffers
    _ = monitor.waitForStatus { (($0["counters"] as? [String: Any])?["rejected"] as? [String: Any])?["unknown_site"] as? Int ?? 0 > 0 }
    let before = monitor.residentKiB
    flood(100_000)
    let json = monitor.waitForStatus(seconds: 20) { json in
      let rejected = (json["counters"] as? [String: Any])?["rejected"] as? [String: Any]
      return (rejected?["unknown_site"] as? Int ?? 0) >= 100_000
    }
    let after = monitor.residentKiB
    #expect(json != nil, "the monitor did not count the flood: \(monitor.statusFile()?["counters"] ?? "none")")
    #expect(after - before < 4096, "RSS grew from \(before) KiB to \(after) KiB")
    // Still answering.
    sender.send(Array("BW1 site=HB-DB-TULY seq=1".utf8), port: monitor.port)
    #expect(sender.receive(timeoutMilliseconds: 2000) == "BW1 ack site=HB-DB-TULY seq=1")
    // The log is rate-limited, not one line per datagram.
    #expect(monitor.log.split(separator: "\n").count < 100)
  }

  @Test func sitesGoLateThenOfflineInRealTime() throws {
    let monitor = try HeadlessMonitor(config: twoSiteConfig, files: ["keys.yaml": "{}\n"])
    defer { _ = monitor.stop() }
    let sender = UDPTestSocket()
    sender.send(Array("BW1 site=HB-DB-TULY seq=1 count=40".utf8), port: monitor.port)
    #expect(sender.receive(timeoutMilliseconds: 2000) == "BW1 ack site=HB-DB-TULY seq=1")
    let offline = monitor.waitFor(seconds: 15) { $0.contains("HB-DB-TULY Xã Tú Lý: late -> offline (silence)") ? true : nil }
    #expect(offline == true, "\(monitor.log)")
    #expect(monitor.log.contains("HB-DB-TULY Xã Tú Lý: online -> late (silence)"))
  }

  @Test func aMissingHeartbeatDirectoryIsOneWarningNotAFailure() throws {
    let config = twoSiteConfig.replacingOccurrences(
      of: "status_file: status.json", with: "status_file: status.json\nheartbeat_dir: nowhere")
    let monitor = try HeadlessMonitor(config: config, files: ["keys.yaml": "{}\n"])
    defer { _ = monitor.stop() }
    let sender = UDPTestSocket()
    sender.send(Array("BW1 site=HB-TU seq=1".utf8), port: monitor.port)
    #expect(sender.receive(timeoutMilliseconds: 2000) == "BW1 ack site=HB-TU seq=1")
    Thread.sleep(forTimeInterval: 1.5)  // several poll periods (interval 1s)
    let warnings = monitor.log.split(separator: "\n").filter { $0.contains("heartbeat_dir") }
    #expect(warnings.count == 1, "\(monitor.log)")
    #expect(warnings.first?.contains("/nowhere does not exist") == true)
  }

  @Test func runWithoutATerminalAndWithoutHeadlessRefuses() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-e2e-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "sites:\n  - {id: A, name: A, group: G, expected: 1}\n".write(toFile: directory + "/c.yaml", atomically: true, encoding: .utf8)
    let result = try Binary.run(["run", directory + "/c.yaml"])
    #expect(result.status != 0)
    #expect(result.stderr.contains("not a terminal; use --headless"))
  }

  @Test func aBadConfigStopsTheRunWithFileAndLine() throws {
    let result = try Binary.run(["run", Repository.path("Tests/Fixtures/configs/unknown-key.yaml"), "--headless"])
    #expect(result.status == 1)
    #expect(result.stderr.contains("unknown-key.yaml:4: error: unknown key 'late_aftr'"))
  }
}
