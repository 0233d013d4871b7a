import BridgeCore
import Foundation
import Testing

/// The report's call quality (docs/REPORT.md, "The conference bridge"): of each point's time in the bridge, how long
/// the bridge said its call was degraded, and bad, from the journal's `bridge_quality` records; the group sums; a
/// leave, stop or restart ending a verdict; every format in both languages; a journal without them as before.
@Suite struct ReportCallQualityTests {
  typealias Day = ReportBridgeTests

  static func quality(_ minutes: Double, _ site: String, _ verdict: String?, seconds: Double = 0) -> JournalRecord {
    Day.at(minutes, site, .bridgeQuality(verdict: verdict), seconds: seconds)
  }

  /// The bridge day of ReportBridgeTests (TT drops at 09:00 and rejoins at 09:05; DB in from 08:30 to 09:30), with
  /// verdicts: TT degraded 08:20-08:40, then bad from 08:50 until its drop at 09:00 (the drop ends the verdict; its
  /// new call is good from 09:05); DB bad from 09:00 to 09:10, then no verdict. LS never joins.
  static let day: [JournalRecord] = {
    var records = Day.day
    let verdicts = [
      quality(20, "TT", "degraded"), quality(40, "TT", "good"), quality(50, "TT", "bad"), quality(65, "TT", "good"),
      quality(60, "DB", "bad"), quality(70, "DB", nil),
    ]
    records.insert(contentsOf: verdicts, at: 7)  // before the afternoon join and the stop
    return records.sorted { $0.unixSeconds < $1.unixSeconds }
  }()

  @Test func degradedAndBadTimeIsTimeInTheBridgeWithThatVerdict() throws {
    let report = try ConferenceReport.build(config: Day.config(), records: Self.day)
    let morning = report.sessions[0]
    #expect(morning.hasCallQuality && morning.hasBridge)
    #expect(morning.sites[0].callDegradedSeconds == 20 * 60)
    #expect(morning.sites[0].callBadSeconds == 10 * 60, "from 08:50 to the drop at 09:00, not after the rejoin")
    #expect(morning.sites[1].callDegradedSeconds == 0 && morning.sites[1].callBadSeconds == 10 * 60)
    #expect(morning.sites[2].callDegradedSeconds == 0 && morning.sites[2].callBadSeconds == 0)
    // The time in the bridge is what it was without the verdicts.
    let without = try ConferenceReport.build(config: Day.config(), records: Day.day).sessions[0]
    #expect(morning.sites.map(\.bridgeSeconds) == without.sites.map(\.bridgeSeconds))
    #expect(morning.sites.map(\.bridgeDrops) == without.sites.map(\.bridgeDrops))
    #expect(morning.total.callProblemPoints == 2 && morning.total.callDegradedSeconds == 20 * 60 && morning.total.callBadSeconds == 20 * 60)
    #expect(morning.groups.map(\.callProblemPoints) == [2, 1, 1, 0], "Hòa Bình, then each district")
    // The afternoon: TT in again with no verdict since its drop.
    #expect(report.sessions[1].total.callProblemPoints == 0 && report.sessions[1].sites[0].bridgeSeconds == 110 * 60)
  }

  @Test func aVerdictIsClippedToTheSessionAndEndedByAStopOrRestart() throws {
    // TT degraded from 07:50 (before the session) until the monitor restarts at 08:30; the restarted monitor takes
    // TT back into the bridge (one bridge) but its verdict only from the first poll's record, bad at 08:45.
    let records: [JournalRecord] = [
      Day.at(-30, nil, .start(sites: 3)), Day.join(-20, "TT"), Self.quality(-10, "TT", "degraded"),
      Day.at(30, nil, .start(sites: 3)), Self.quality(45, "TT", "bad"), Day.at(130, nil, .stop),
    ]
    let session = try ConferenceReport.build(config: Day.config(), records: records).sessions[0]
    #expect(session.sites[0].bridgeSeconds == 120 * 60)
    #expect(session.sites[0].callDegradedSeconds == 30 * 60 && session.sites[0].callBadSeconds == 75 * 60)
    // A verdict journaled while the site is out of the bridge counts no time.
    let out: [JournalRecord] = [Day.at(-30, nil, .start(sites: 3)), Self.quality(10, "DB", "bad"), Day.at(130, nil, .stop)]
    let none = try ConferenceReport.build(config: Day.config(), records: out).sessions[0]
    #expect(none.sites[1].callBadSeconds == 0 && none.total.callProblemPoints == 0 && none.hasCallQuality)
  }

  @Test func aReportReadInStretchesHasTheSameCallQuality() throws {
    try Day.expectTheSameInStretches(Self.day)
  }

  @Test func everyFormatCarriesTheCallQualityInBothLanguages() throws {
    let config = Day.config()
    let report = try ConferenceReport.build(config: config, records: Self.day)
    let markdown = ReportRenderer.render(report, config: config, format: .md)
    #expect(
      markdown.contains(
        "- Call quality (the bridge's verdict): 2 points had their call degraded or bad; degraded 20m00s, bad 20m00s in all\n"),
      "\(markdown)")
    #expect(markdown.contains("| Dropped calls | Points with call degraded or bad | Call degraded | Call bad |\n"), "groups")
    #expect(markdown.contains("| Average | Time in bridge | Dropped calls | Call degraded | Call bad |\n"), "points")
    #expect(markdown.contains("| 1h55m | 1 | 20m00s | 10m00s |\n| DB |"), "\(markdown)")
    #expect(markdown.contains("the time counted is time in the bridge with the call degraded, or bad"))
    let vietnamese = ReportRenderer.render(report, config: config, format: .md, language: .vi)
    #expect(
      vietnamese.contains(
        "- Chất lượng cuộc gọi (theo đánh giá của cầu): 2 điểm cầu có lúc cuộc gọi giảm chất lượng hoặc xấu; tổng thời gian giảm chất lượng 20m00s, xấu 20m00s\n"
      ), "\(vietnamese)")
    #expect(vietnamese.contains("| Cuộc gọi giảm chất lượng | Cuộc gọi xấu |"))

    let csv = ReportRenderer.render(report, config: config, format: .csv)
    let rows = csv.dropFirst().components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.components(separatedBy: ",") }
    #expect(rows[0].count == 30, "24 columns, the bridge's three, then the call quality's three")
    #expect(rows[0].suffix(3) == ["Points with call degraded or bad", "Call degraded (s)", "Call bad (s)"])
    #expect(rows.first { $0[0] == "Sáng" && $0[3] == "TT" }!.suffix(3) == ["1", "1200", "600"])
    #expect(rows.first { $0[0] == "Sáng" && $0[3] == "LS" }!.suffix(3) == ["0", "0", "0"])
    #expect(rows.first { $0[0] == "Sáng" && $0[2] == "Hòa Bình" && $0[3].isEmpty }!.suffix(3) == ["2", "1200", "1200"])

    let json = ReportRenderer.render(report, config: config, format: .json)
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
    let morning = (object["sessions"] as! [[String: Any]])[0]
    let total = morning["total"] as! [String: Any]
    #expect(total["call_problem_points"] as? Int == 2 && total["call_bad_seconds"] as? Double == 1200)
    let tt = (morning["sites"] as! [[String: Any]])[0]
    #expect(tt["call_degraded_seconds"] as? Double == 1200 && tt["call_bad_seconds"] as? Double == 600)

    let html = ReportRenderer.render(report, config: config, format: .html)
    #expect(
      html.contains(
        "<li>Call quality (the bridge&#39;s verdict): 2 points had their call degraded or bad; degraded 20m00s, bad 20m00s in all</li>"))
    #expect(html.contains("<th>Call degraded</th><th>Call bad</th></tr>"))

    // The Vietnamese report, with the bridge's and the calls' figures, has no English left.
    Day.expectNoEnglishInVietnamese(report)
  }

  @Test func aJournalWithoutQualityRecordsReadsAsBefore() throws {
    let config = Day.config()
    let report = try ConferenceReport.build(config: config, records: Day.day)
    #expect(report.sessions.allSatisfy { $0.hasBridge && !$0.hasCallQuality })
    for language in [Language.en, .vi] {
      for format in ReportFormat.allCases {
        let text = ReportRenderer.render(report, config: config, format: format, language: language)
        for word in [ReportText.summaryCallQuality, .columnCallProblemPoints, .columnCallDegraded, .columnCallBad, .callQualityRules] {
          let fixed = word.template(language).components(separatedBy: "{0}")[0]
          #expect(!text.contains(fixed), "\(format) \(language) says \(fixed)")
        }
        #expect(!text.contains("call_bad_seconds"))
      }
    }
  }
}
