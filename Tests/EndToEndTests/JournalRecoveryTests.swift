import BridgeCore
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct JournalRecoveryTests {
  @Test func marksAcknowledgementsAndHandCountsSurviveKillDashNine() throws {
    let directory = try makeScratchDirectory("bw-recovery")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try """
    title: "Hội nghị trực tuyến toàn quốc"
    timing: {interval: 1s, late_after: 2s, offline_after: 4s}
    status_file: status.json
    journal: conference.journal
    sites:
    \(TestRoster.yaml())
    """.write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
    let port = freeUDPPort()
    let session = try TmuxSession(
      width: 120, height: 40,
      command: "'\(Binary.path)' run '\(directory)/conference.yaml' --listen 127.0.0.1:\(port) --operator tester --no-bell")
    #expect(session.waitFor { $0.contains("udp 127.0.0.1:\(port)") }.ok)
    let sender = UDPTestSocket()
    for (site, count) in [("HB-TU", 148), ("HB-DB-TULY", 44), ("HB-MC-HU", 98)] {
      sender.send("BW1 site=\(site) seq=1 count=\(count)", port: port)
      #expect(sender.receive() == "BW1 ack site=\(site) seq=1")
    }

    // Mark the hall offline, phone in Tú Lý's headcount, acknowledge Mai Châu once it is offline.
    try session.send("o")
    #expect(session.waitFor { $0.contains("Reason: 1 no signal") }.ok)
    try session.send("3", "Enter")
    // Each answer is said as its event reads (the event log's words).
    #expect(session.waitFor { $0.contains("HB-TU Tỉnh ủy Hòa Bình: online -> marked (marked by tester: line down)") }.ok)
    try session.send("j", "j")  // past the Đà Bắc group row
    #expect(session.waitFor { $0.contains(" HB-DB-TULY  Xã Tú Lý  ·") }.ok)
    try session.send("c")
    try session.send("52", "Enter")
    // More than the 45 expected: the dashboard asks, naming the expected, and sets it only on y.
    let asked = session.waitFor { $0.contains("HB-DB-TULY: 52 people is more than the 45 expected. Set 52? y = yes") }
    #expect(asked.ok, "\(asked.screen)")
    try session.send("y")
    let counted = session.waitFor { $0.contains("HB-DB-TULY Xã Tú Lý: headcount set to 52 by tester") }
    #expect(counted.ok, "\(counted.screen)")
    try session.send("j", "j")  // past the Mai Châu group row
    let offline = session.waitFor { screen in
      screen.contains(" HB-MC-HU  Huyện ủy Mai Châu  ·")
        && screen.split(separator: "\n").contains { $0.contains("offline") && $0.contains("HB-MC-HU") }
    }
    #expect(offline.ok, "\(offline.screen)")
    try session.send("a")
    #expect(session.waitFor { $0.contains("HB-MC-HU Huyện ủy Mai Châu: acknowledged by tester") }.ok)

    // Power cut: no clean shutdown at all.
    let pid = try #require(try session.foregroundProcessID())
    kill(pid, SIGKILL)
    #expect(session.waitFor { $0.contains("Killed") }.ok)
    try FileManager.default.removeItem(atPath: directory + "/status.json")

    let restarted = try BackgroundProcess(["run", directory + "/conference.yaml", "--headless", "--listen", "127.0.0.1:0"])
    defer { _ = restarted.stop() }
    #expect(
      restarted.waitFor(seconds: 15) {
        $0.contains("restored 1 marks, 1 acknowledgements, 1 headcounts set by hand") ? true : nil
      } == true, "\(restarted.output)")
    var sites: [String: [String: Any]] = [:]
    for _ in 0..<100 {
      if let data = FileManager.default.contents(atPath: directory + "/status.json"),
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let list = json["sites"] as? [[String: Any]]
      {
        for site in list { sites[site["id"] as! String] = site }
        break
      }
      Thread.sleep(forTimeInterval: 0.1)
    }
    let hall = try #require(sites["HB-TU"])
    #expect(hall["status"] as? String == "marked")
    #expect((hall["mark"] as? [String: Any])?["reason"] as? String == "line down")
    #expect((hall["mark"] as? [String: Any])?["operator"] as? String == "tester")
    let tuly = try #require(sites["HB-DB-TULY"])
    #expect(tuly["status"] as? String == "unknown")
    #expect(tuly["headcount"] as? Int == 52 && tuly["headcount_source"] as? String == "manual")
    let maiChau = try #require(sites["HB-MC-HU"])
    #expect(maiChau["status"] as? String == "unknown")
    #expect(maiChau["acknowledged_by"] as? String == "tester")

    // A second headless monitor on the same journal is refused, and says why and how to attach instead.
    let second = try Binary.run(["run", directory + "/conference.yaml", "--headless", "--listen", "127.0.0.1:0"])
    #expect(second.status == 1)
    #expect(second.stderr.contains("a monitor already runs for \(directory)/conference.yaml (pid "), "\(second.stderr)")
    #expect(second.stderr.contains("bridgewatch console"), "\(second.stderr)")
    // Without its socket (removed by hand), the journal's lock still refuses a second monitor.
    let socket = directory + "/conference.sock"
    #expect(unlink(socket) == 0)
    let third = try Binary.run(["run", directory + "/conference.yaml", "--headless", "--listen", "127.0.0.1:0"])
    #expect(third.status == 1)
    #expect(third.stderr.contains("conference.journal is locked by another running monitor"), "\(third.stderr)")

    // The journal holds every action with its operator, and the report reads it.
    let journal = try String(contentsOfFile: directory + "/conference.journal", encoding: .utf8)
    #expect(journal.contains(#""type":"mark","site":"HB-TU","operator":"tester","reason":"line down""#))
    #expect(journal.contains(#""type":"headcount","site":"HB-DB-TULY","count":52,"source":"manual","operator":"tester""#))
    #expect(journal.contains(#""type":"ack","site":"HB-MC-HU","operator":"tester""#))
    let report = try Binary.run(["report", directory + "/conference.yaml", "--format", "csv"])
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stdout.contains(",point,Hòa Bình / Đà Bắc,HB-DB-TULY,Xã Tú Lý,1,0,1,"), "\(report.stdout)")
  }

  /// The report never uses the sites' secrets: it is made from a copy of the config and the journal where the keys
  /// file is not (an organiser's laptop), while the monitor and `check` still require it.
  @Test func theReportIsMadeWithoutTheKeysFile() throws {
    let directory = try makeScratchDirectory("bw-report-keys")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try """
    title: Báo cáo không khóa
    journal: conference.journal
    keys: keys.yaml
    sites:
      - {id: HB-TU, name: Xã Tú Sơn, group: Hòa Bình, expected: 40}
    """.write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
    let start = 1_795_000_000.0
    let records = [
      JournalRecord(unixSeconds: start, site: nil, kind: .start(sites: 1)),
      JournalRecord(unixSeconds: start + 1, site: "HB-TU", kind: .status(from: .unknown, to: .online, cause: "heartbeat", source: .udp)),
      JournalRecord(unixSeconds: start + 1, site: "HB-TU", kind: .headcount(count: 37, source: .udp, operatorName: nil)),
      JournalRecord(unixSeconds: start + 600, site: nil, kind: .stop),
    ]
    try (records.map(JournalCodec.encode).joined(separator: "\n") + "\n")
      .write(toFile: directory + "/conference.journal", atomically: true, encoding: .utf8)
    let check = try Binary.run(["check", directory + "/conference.yaml"], environment: ["LANG": "C.UTF-8"])
    #expect(check.status != 0 && check.stderr.contains("keys.yaml"), "check still wants the keys: \(check.stderr)")
    let report = try Binary.run(["report", directory + "/conference.yaml", "--format", "csv", "--lang", "en"])
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stdout.contains(",point,Hòa Bình,HB-TU,Xã Tú Sơn,1,0,1,1,"), "\(report.stdout)")
    #expect(!report.stderr.contains("keys"), "\(report.stderr)")
  }
}
