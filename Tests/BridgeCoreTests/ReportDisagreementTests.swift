import BridgeCore
import Foundation
import Testing

/// The report's disagreements between the bridge and the heartbeats (docs/REPORT.md, "The conference bridge"): each
/// point's time in the bridge with its agent silent, and with its agent alive while not in the bridge, from the
/// journal's `bridge_disagreement` records; a stop or restart ending one; every format; a journal without them.
@Suite struct ReportDisagreementTests {
  typealias Day = ReportBridgeTests

  static func disagreement(_ minutes: Double, _ site: String, _ word: String?, seconds: Double = 0) -> JournalRecord {
    Day.at(minutes, site, .bridgeDisagreement(word), seconds: seconds)
  }

  /// The morning of ReportBridgeTests' day (08:00-10:00): TT in the bridge with its agent silent 08:10-08:25; DB's
  /// agent alive while it is out of the bridge 09:40-10:30 (past the session's end); LS never disagrees.
  static let day: [JournalRecord] = {
    var records = Day.day
    records += [
      disagreement(10, "TT", "in_bridge_agent_silent"), disagreement(25, "TT", nil),
      disagreement(100, "DB", "agent_alive_not_in_bridge"), disagreement(150, "DB", nil),
    ]
    return records.sorted { $0.unixSeconds < $1.unixSeconds }
  }()

  @Test func theTimeInEachDisagreementIsClippedToTheSession() throws {
    let report = try ConferenceReport.build(config: Day.config(), records: Self.day)
    let morning = report.sessions[0]
    #expect(morning.hasDisagreements && !morning.hasCallQuality)
    #expect(morning.sites[0].agentSilentSeconds == 15 * 60 && morning.sites[0].aliveNotInBridgeSeconds == 0)
    #expect(morning.sites[1].aliveNotInBridgeSeconds == 20 * 60, "09:40 to the session's end")
    #expect(morning.sites[2].agentSilentSeconds == 0 && morning.sites[2].aliveNotInBridgeSeconds == 0)
    #expect(morning.total.disagreementPoints == 2)
    #expect(morning.total.agentSilentSeconds == 15 * 60 && morning.total.aliveNotInBridgeSeconds == 20 * 60)
    #expect(morning.groups.map(\.disagreementPoints) == [2, 1, 1, 0], "Hòa Bình, then each district")
    // The bridge's own figures are what they were without the disagreements.
    let without = try ConferenceReport.build(config: Day.config(), records: Day.day).sessions[0]
    #expect(morning.sites.map(\.bridgeSeconds) == without.sites.map(\.bridgeSeconds))
    #expect(report.sessions[1].total.disagreementPoints == 0)
  }

  @Test func aStopOrRestartEndsADisagreement() throws {
    // LS's agent alive out of the bridge from 08:10; the monitor restarts at 08:30 and its first tick sees it again
    // at 08:40; it stops at 09:00 with the disagreement open.
    let records: [JournalRecord] = [
      Day.at(-30, nil, .start(sites: 3)), Self.disagreement(10, "LS", "agent_alive_not_in_bridge"),
      Day.at(30, nil, .start(sites: 3)), Self.disagreement(40, "LS", "agent_alive_not_in_bridge"),
      Day.at(60, nil, .stop), Day.at(130, nil, .start(sites: 3)), Day.at(131, nil, .stop),
    ]
    let session = try ConferenceReport.build(config: Day.config(), records: records).sessions[0]
    #expect(session.sites[2].aliveNotInBridgeSeconds == 40 * 60, "08:10-08:30 and 08:40-09:00")
    // In the bridge with its agent silent across a restart with one bridge: the restart ends it too.
    let inBridge: [JournalRecord] = [
      Day.at(-30, nil, .start(sites: 3)), Day.join(0, "TT"), Self.disagreement(5, "TT", "in_bridge_agent_silent"),
      Day.at(30, nil, .start(sites: 3)), Day.at(60, nil, .stop),
    ]
    let restarted = try ConferenceReport.build(config: Day.config(), records: inBridge).sessions[0]
    #expect(restarted.sites[0].agentSilentSeconds == 25 * 60 && restarted.sites[0].bridgeSeconds == 60 * 60)
  }

  @Test func aReportReadInStretchesHasTheSameDisagreements() throws {
    try Day.expectTheSameInStretches(Self.day, siteParts: 2)
  }

  @Test func everyFormatCarriesTheDisagreementsInBothLanguages() throws {
    let config = Day.config()
    let report = try ConferenceReport.build(config: config, records: Self.day)
    let markdown = ReportRenderer.render(report, config: config, format: .md)
    #expect(
      markdown.contains(
        "- Bridge and heartbeats disagreeing: 2 points; in the bridge with the agent silent 15m00s, agent alive and not in the bridge 20m00s in all\n"
      ), "\(markdown)")
    #expect(markdown.contains("| Dropped calls | Points disagreeing | In bridge with agent silent | Agent alive out of bridge |\n"))
    #expect(markdown.contains("| 1h55m | 1 | 15m00s | 0s |\n| DB |"), "\(markdown)")
    let csv = ReportRenderer.render(report, config: config, format: .csv)
    let rows = csv.dropFirst().components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.components(separatedBy: ",") }
    #expect(rows[0].count == 30, "24 columns, the bridge's three, then the disagreements' three")
    #expect(rows[0].suffix(3) == ["Points disagreeing", "In bridge with agent silent (s)", "Agent alive out of bridge (s)"])
    #expect(rows.first { $0[0] == "Sáng" && $0[3] == "TT" }!.suffix(3) == ["1", "900", "0"])
    #expect(rows.first { $0[0] == "Sáng" && $0[3] == "DB" }!.suffix(3) == ["1", "0", "1200"])
    let json = ReportRenderer.render(report, config: config, format: .json)
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
    let morning = (object["sessions"] as! [[String: Any]])[0]
    let total = morning["total"] as! [String: Any]
    #expect(total["disagreement_points"] as? Int == 2 && total["alive_not_in_bridge_seconds"] as? Double == 1200)
    #expect(((morning["sites"] as! [[String: Any]])[0])["agent_silent_seconds"] as? Double == 900)

    // The Vietnamese report has no English left, and a journal without such records shows none of it.
    Day.expectNoEnglishInVietnamese(report)
    let plain = try ConferenceReport.build(config: config, records: Day.day)
    for format in ReportFormat.allCases {
      let text = ReportRenderer.render(plain, config: config, format: format)
      #expect(!text.contains("disagree") && !text.contains("agent silent"), "\(format)")
    }
  }

  @Test func theJournalWritesAndReadsADisagreement() throws {
    for word in ["in_bridge_agent_silent", "agent_alive_not_in_bridge", nil] {
      let record = JournalRecord(unixSeconds: 1_795_000_000.5, site: "HB-TU", kind: .bridgeDisagreement(word))
      let line = JournalCodec.encode(record)
      #expect(line.contains(#""type":"bridge_disagreement""#) && line.contains(#""source":"bridge""#))
      #expect(try JournalCodec.decode(Substring(line)).get() == record)
    }
    let unknown = #"{"t":1795000000.500,"type":"bridge_disagreement","site":"HB-TU","to":"sulking","source":"bridge"}"#
    #expect((try? JournalCodec.decode(Substring(unknown)).get()) == nil, "a disagreement this build does not know is a bad line")
  }
}
