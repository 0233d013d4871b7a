import BridgeCore
import Foundation
import Testing

/// The report's conference-bridge figures (docs/REPORT.md, "The conference bridge"): time in the bridge per site
/// and session, dropped calls, the group sums, restarts, and what each format shows, from hand-written journals.
@Suite struct ReportBridgeTests {
  /// Three points, one bridge, two sessions: 08:00-10:00 and 14:00-16:00.
  static func config(bridges: Int = 1) -> ConferenceConfig {
    var config = ConferenceConfig(sites: [
      SiteConfig(id: "TT", name: "Phường Tân Thịnh", group: ["Hòa Bình", "TP Hòa Bình"], expected: 56, heartbeatFile: "/tmp/TT.hb"),
      SiteConfig(id: "DB", name: "Xã Đà Bắc", group: ["Hòa Bình", "Đà Bắc"], expected: 40, heartbeatFile: "/tmp/DB.hb"),
      SiteConfig(id: "LS", name: "Xã Lương Sơn", group: ["Hòa Bình", "Lương Sơn"], expected: 30, heartbeatFile: "/tmp/LS.hb"),
    ])
    config.title = "Hội nghị"
    config.schedule.sessions = [
      ScheduleSession(name: "Sáng", start: start, end: start + 2 * 3600),
      ScheduleSession(name: "Chiều", start: start + 6 * 3600, end: start + 8 * 3600),
    ]
    config.bridges = (0..<bridges).map { index in
      BridgeSettings(url: "http://127.0.0.1:8088/janus", host: "127.0.0.1", port: 8088, path: "/janus", room: UInt64(1234 + index))
    }
    return config
  }
  static let start = 1_770_426_000.0  // 2026-02-07 08:00 +07:00

  /// `minutes` (and `seconds`) after 08:00.
  static func at(_ minutes: Double, _ site: String?, _ kind: JournalRecord.Kind, seconds: Double = 0) -> JournalRecord {
    JournalRecord(unixSeconds: start + minutes * 60 + seconds, site: site, kind: kind)
  }
  static func join(_ minutes: Double, _ site: String, seconds: Double = 0) -> JournalRecord {
    at(minutes, site, .bridge(inBridge: true), seconds: seconds)
  }
  static func leave(_ minutes: Double, _ site: String, seconds: Double = 0) -> JournalRecord {
    at(minutes, site, .bridge(inBridge: false), seconds: seconds)
  }

  /// `records` cut in two at every record, each half read into its own builder (blocks of two steps, the first
  /// half's sites in `siteParts` parts) and joined: the report read in one go.
  static func expectTheSameInStretches(_ records: [JournalRecord], siteParts: Int? = nil) throws {
    let config = config()
    let whole = try ConferenceReport.build(config: config, records: records)
    for cut in 1..<records.count {
      var first = ConferenceReport.Builder(config: config, stepBlockShift: 1, siteParts: siteParts)
      var later = ConferenceReport.Builder(config: config, stepBlockShift: 1)
      for record in records[..<cut] { first.take(record) }
      for record in records[cut...] { later.take(record) }
      first.append(later)
      #expect(try first.build() == whole, "cut after record \(cut)")
    }
  }

  /// AttendanceTests' check on `report` in each format: no English word is left in the Vietnamese.
  static func expectNoEnglishInVietnamese(_ report: ConferenceReport) {
    let vietnameseWords = Set(ReportText.allCases.flatMap { AttendanceTests.words($0.template(.vi)) })
    let englishOnly = Set(ReportText.allCases.flatMap { AttendanceTests.words($0.template(.en)) }).subtracting(vietnameseWords)
      .subtracting(["docs", "REPORT"])
    for format in [ReportFormat.md, .csv, .html] {
      var text = ReportRenderer.render(report, config: config(), format: format, language: .vi)
      if format == .html { text = AttendanceTests.pageText(text) }
      let left = Set(AttendanceTests.words(text)).intersection(englishOnly)
      #expect(left.isEmpty, "English in the Vietnamese \(format): \(left.sorted())")
    }
  }

  /// TT drops at 09:00 and rejoins at 09:05, then hangs up as the morning ends; DB leaves at 09:30 for good; LS
  /// never joins. In the afternoon only TT comes back, at 14:10, until the monitor stops at 16:30.
  static let day: [JournalRecord] = [
    at(-30, nil, .start(sites: 3)),
    join(-10, "TT"), join(30, "DB"), leave(60, "TT"), join(65, "TT"), leave(90, "DB"), leave(120, "TT"),
    join(370, "TT"), at(510, nil, .stop),
  ]

  @Test func timeInTheBridgeAndDroppedCallsPerSiteAndSession() throws {
    let report = try ConferenceReport.build(config: Self.config(), records: Self.day)
    let (morning, afternoon) = (report.sessions[0], report.sessions[1])
    // TT: 08:00-09:00 and 09:05-10:00; its leave at 10:00 is the session's end, not a dropped call.
    #expect(morning.sites[0].bridgeSeconds == 115 * 60 && morning.sites[0].bridgeDrops == 1 && morning.sites[0].wasInBridge)
    #expect(morning.sites[1].bridgeSeconds == 60 * 60 && morning.sites[1].bridgeDrops == 1 && morning.sites[1].wasInBridge)
    #expect(morning.sites[2].bridgeSeconds == 0 && morning.sites[2].bridgeDrops == 0 && !morning.sites[2].wasInBridge)
    #expect(morning.total.inBridge == 2 && morning.total.bridgeSeconds == 175 * 60 && morning.total.bridgeDrops == 2)
    #expect(morning.groups.map(\.inBridge) == [2, 1, 1, 0], "Hòa Bình, then each district")
    // The afternoon: TT from 14:10 to the session's end (16:00), though the monitor ran until 16:30.
    #expect(afternoon.sites[0].bridgeSeconds == 110 * 60 && afternoon.sites[0].bridgeDrops == 0)
    #expect(afternoon.sites[1].bridgeSeconds == 0 && !afternoon.sites[1].wasInBridge)
    #expect(afternoon.total.inBridge == 1 && afternoon.total.bridgeSeconds == 110 * 60)
    #expect(report.sessions.allSatisfy { $0.hasBridge })
    // In all: the two sessions added, per site.
    #expect(report.bridgeInAllSessions.map(\.seconds) == [225 * 60, 60 * 60, 0])
    #expect(report.bridgeInAllSessions.map(\.drops) == [1, 1, 0])
    let one = try ConferenceReport.build(config: Self.config(), records: Self.day, session: "Chiều")
    #expect(one.bridgeInAllSessions.isEmpty, "one session's own figures say it all")
  }

  @Test func aLeaveAMinuteBeforeTheEndIsADroppedCallAndOneAfterItIsNot() throws {
    let base: [JournalRecord] = [Self.at(-30, nil, .start(sites: 3)), Self.join(10, "TT")]
    let before = try ConferenceReport.build(config: Self.config(), records: base + [Self.leave(119, "TT"), Self.at(200, nil, .stop)])
    #expect(before.sessions[0].sites[0].bridgeDrops == 1 && before.sessions[0].sites[0].bridgeSeconds == 109 * 60)
    let after = try ConferenceReport.build(config: Self.config(), records: base + [Self.leave(121, "TT"), Self.at(200, nil, .stop)])
    #expect(after.sessions[0].sites[0].bridgeDrops == 0 && after.sessions[0].sites[0].bridgeSeconds == 110 * 60)
    // A journal that ends with the leave, the session still running: the leave is inside what was observed.
    let cut = try ConferenceReport.build(config: Self.config(), records: base + [Self.leave(50, "TT")])
    #expect(cut.sessions[0].observedEnd == Self.start + 50 * 60)
    #expect(cut.sessions[0].sites[0].bridgeDrops == 1 && cut.sessions[0].sites[0].bridgeSeconds == 40 * 60)
  }

  @Test func aRestartWithOneBridgeKeepsASiteStillInAndIsNoDroppedCall() throws {
    // The monitor dies and starts again at 08:30. Its first poll (five seconds later) finds TT still in, which it
    // does not journal (it took TT back from the journal), and DB gone, which it journals as a leave.
    let records: [JournalRecord] = [
      Self.at(-30, nil, .start(sites: 3)), Self.join(-10, "TT"), Self.join(0, "DB"),
      Self.at(30, nil, .start(sites: 3)), Self.leave(30, "DB", seconds: 5),
      Self.leave(100, "TT"), Self.at(130, nil, .stop),
    ]
    let session = try ConferenceReport.build(config: Self.config(), records: records).sessions[0]
    #expect(session.sites[0].bridgeSeconds == 100 * 60 && session.sites[0].bridgeDrops == 1, "the restart is no drop")
    // DB left while nobody watched: its leave is journaled at the first poll, and it did leave in the session.
    #expect(session.sites[1].bridgeSeconds == 30 * 60 + 5 && session.sites[1].bridgeDrops == 1)
    // A clean stop at 08:20 first: the ten minutes the monitor was stopped are not counted.
    let stopped: [JournalRecord] = [
      Self.at(-30, nil, .start(sites: 3)), Self.join(-10, "TT"), Self.at(20, nil, .stop), Self.at(30, nil, .start(sites: 3)),
      Self.leave(100, "TT"), Self.at(130, nil, .stop),
    ]
    let afterStop = try ConferenceReport.build(config: Self.config(), records: stopped).sessions[0]
    #expect(afterStop.sites[0].bridgeSeconds == 90 * 60 && afterStop.sites[0].bridgeDrops == 1)
  }

  @Test func aRestartWithSeveralBridgesEndsTheStretchAndTheFirstPollsJoinsStartItAgain() throws {
    // With two bridges the restarted monitor takes nobody back: its first poll journals TT's join again, and
    // says nothing of DB, which is gone.
    let records: [JournalRecord] = [
      Self.at(-30, nil, .start(sites: 3)), Self.join(-10, "TT"), Self.join(0, "DB"),
      Self.at(30, nil, .start(sites: 3)), Self.join(30, "TT", seconds: 5),
      Self.leave(100, "TT"), Self.at(130, nil, .stop),
    ]
    let session = try ConferenceReport.build(config: Self.config(bridges: 2), records: records).sessions[0]
    #expect(session.sites[0].bridgeSeconds == 100 * 60 - 5 && session.sites[0].bridgeDrops == 1)
    #expect(session.sites[1].bridgeSeconds == 30 * 60 && session.sites[1].bridgeDrops == 0, "a restart is not a leave")
    // The same journal read with one bridge: TT's second join changes nothing, DB is taken back (nothing says it
    // left) until the session's end.
    let one = try ConferenceReport.build(config: Self.config(), records: records).sessions[0]
    #expect(one.sites[0].bridgeSeconds == 100 * 60 && one.sites[1].bridgeSeconds == 120 * 60)
  }

  @Test func aClockStepReBasesTheBridgeStepsWithTheOthers() throws {
    // The clock was an hour behind until 08:40, when it stepped forward: TT's join, journaled at "07:10" on the wrong
    // clock, happened at 08:10.
    let records: [JournalRecord] = [
      Self.at(-90, nil, .start(sites: 3)), Self.join(-50, "TT"), Self.at(40, nil, .clock(step: 3600)), Self.leave(70, "TT"),
      Self.at(130, nil, .stop),
    ]
    let session = try ConferenceReport.build(config: Self.config(), records: records).sessions[0]
    #expect(session.sites[0].bridgeSeconds == 60 * 60 && session.sites[0].bridgeDrops == 1)
  }

  @Test func everyFormatCarriesTheBridgeInBothLanguages() throws {
    let config = Self.config()
    let report = try ConferenceReport.build(config: config, records: Self.day)
    let markdown = ReportRenderer.render(report, config: config, format: .md)
    #expect(markdown.contains("- In the bridge: 2 of 3 points; 2h55m in the bridge in all; dropped calls: 2\n"), "\(markdown)")
    #expect(markdown.contains("| Dropped calls |\n"))
    #expect(markdown.contains("| Hòa Bình | 3 | 0 | 0 | 0.0% | 0 | 0s | 0 | 126 | 0.0% | – | 0 | 2 | 2h55m | 2 |"), "\(markdown)")
    #expect(markdown.contains("| 1h55m | 1 |\n| DB |"))
    #expect(markdown.contains("A dropped call is a point leaving the bridge while the session runs"))
    #expect(markdown.contains("## In the bridge, all sessions\n"))
    #expect(markdown.contains("| TT | Phường Tân Thịnh | Hòa Bình / TP Hòa Bình | 3h45m | 1 |\n"), "\(markdown)")
    let vietnamese = ReportRenderer.render(report, config: config, format: .md, language: .vi)
    #expect(vietnamese.contains("- Trong cầu hội nghị: 2/3 điểm cầu; tổng thời gian trong cầu 2h55m; số lần rớt cuộc gọi: 2\n"))
    #expect(vietnamese.contains("| Thời gian trong cầu | Rớt cuộc gọi |"))

    let csv = ReportRenderer.render(report, config: config, format: .csv)
    let rows = csv.dropFirst().components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.components(separatedBy: ",") }
    #expect(rows[0].suffix(3) == ["In bridge", "Time in bridge (s)", "Dropped calls"])
    #expect(rows[0].count == 27, "24 columns as before, the bridge's three after them")
    let ttMorning = rows.first { $0[0] == "Sáng" && $0[3] == "TT" }!
    #expect(ttMorning.suffix(3) == ["1", "6900", "1"])
    let lsAfternoon = rows.first { $0[0] == "Chiều" && $0[3] == "LS" }!
    #expect(lsAfternoon.suffix(3) == ["0", "0", "0"])
    #expect(rows.first { $0[0] == "Sáng" && $0[2] == "Hòa Bình" && $0[3].isEmpty }!.suffix(3) == ["2", "10500", "2"])

    let json = ReportRenderer.render(report, config: config, format: .json)
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
    let morning = (object["sessions"] as! [[String: Any]])[0]
    let total = morning["total"] as! [String: Any]
    #expect(total["in_bridge"] as? Int == 2 && total["bridge_seconds"] as? Double == 10500 && total["bridge_drops"] as? Int == 2)
    let tt = (morning["sites"] as! [[String: Any]])[0]
    #expect(tt["in_bridge"] as? Bool == true && tt["bridge_seconds"] as? Double == 6900 && tt["bridge_drops"] as? Int == 1)
    let inAll = object["bridge_all_sessions"] as! [[String: Any]]
    #expect(inAll.map { $0["id"] as? String } == ["TT", "DB", "LS"])
    #expect(inAll[0]["bridge_seconds"] as? Double == 13500 && inAll[0]["bridge_drops"] as? Int == 1)

    let html = ReportRenderer.render(report, config: config, format: .html)
    #expect(html.contains("<li>In the bridge: 2 of 3 points; 2h55m in the bridge in all; dropped calls: 2</li>"))
    #expect(html.contains("<th>Time in bridge</th><th>Dropped calls</th></tr>"))
    #expect(html.contains("<td class=\"number\">1h55m</td><td class=\"number\">1</td></tr>"))
    #expect(html.contains("<h2>In the bridge, all sessions</h2>"))
  }

  @Test func aJournalWithoutBridgeRecordsReadsAsBefore() throws {
    // The same config (a bridge configured) but nothing journaled by it: no bridge figure anywhere.
    let config = Self.config()
    let records = Self.day.filter { if case .bridge = $0.kind { false } else { true } }
    let report = try ConferenceReport.build(config: config, records: records)
    #expect(!report.sessions.contains { $0.hasBridge })
    for language in [Language.en, .vi] {
      for format in ReportFormat.allCases {
        let text = ReportRenderer.render(report, config: config, format: format, language: language)
        for word in [ReportText.summaryBridge, .columnInBridge, .columnBridgeTime, .columnBridgeDrops, .bridgeAllSessions] {
          let fixed = word.template(language).components(separatedBy: "{0}")[0]
          #expect(!text.contains(fixed), "\(format) \(language) says \(fixed)")
        }
        #expect(!text.contains("bridge_seconds") && !text.contains("in_bridge"))
      }
    }
    let csvHeader = ReportRenderer.render(report, config: config, format: .csv).components(separatedBy: "\r\n")[0]
    #expect(csvHeader.components(separatedBy: ",").count == 24)
  }
}
