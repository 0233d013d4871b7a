import BridgeCore
import Testing

/// A scripted journal whose figures are worked out by hand below.
@Suite struct ReportTests {
  static let config: ConferenceConfig = {
    var config = ConferenceConfig(sites: [
      SiteConfig(id: "A", name: "Xã A", group: ["P", "D1"], expected: 100, heartbeatFile: "/tmp/A.hb"),
      SiteConfig(id: "B", name: "Xã B", group: ["P", "D1"], expected: 50, heartbeatFile: "/tmp/B.hb"),
      SiteConfig(id: "C", name: "Xã C", group: ["P", "D2"], expected: 40, heartbeatFile: "/tmp/C.hb"),
    ])
    config.title = "Thử"
    config.schedule.sessions = [
      ScheduleSession(name: "morning", start: 10_000, end: 13_600), ScheduleSession(name: "day 2", start: 20_000, end: 21_000),
    ]
    return config
  }()

  static let records: [JournalRecord] = {
    func at(_ time: Double, _ site: String?, _ kind: JournalRecord.Kind) -> JournalRecord {
      JournalRecord(unixSeconds: time, site: site, kind: kind)
    }
    return [
      at(9_000, nil, .start(sites: 3)),
      at(9_500, "A", .status(from: .unknown, to: .online, cause: "heartbeat", source: .udp)),
      at(9_500, "A", .headcount(count: 80, source: .udp, operatorName: nil)),
      at(10_600, "A", .status(from: .online, to: .late, cause: "silence")),
      at(10_612, "A", .status(from: .late, to: .offline, cause: "silence")),
      at(10_900, "B", .status(from: .unknown, to: .online, cause: "heartbeat", source: .probe)),
      at(10_900, "B", .headcount(count: 45, source: .udp, operatorName: nil)),
      at(11_200, "A", .status(from: .offline, to: .online, cause: "heartbeat")),
      at(11_300, "A", .headcount(count: 95, source: .udp, operatorName: nil)),
      at(12_000, "A", .mark(operatorName: "Lan", reason: "line down")),
      at(12_000, "A", .status(from: .online, to: .marked, cause: "mark")),
      at(12_300, "A", .clear(operatorName: "Lan")),
      at(12_300, "A", .status(from: .marked, to: .online, cause: "clear")),
      at(12_600, "B", .headcount(count: 50, source: .manual, operatorName: "Lan")),
      at(12_700, "C", .claim(operatorName: "minh (ops)")),
      at(12_800, "C", .acknowledge(operatorName: "minh (ops)")),
      at(12_900, "C", .release(operatorName: nil)),
      at(14_000, nil, .stop),
      at(19_000, nil, .start(sites: 3)),
      at(19_100, "A", .status(from: .unknown, to: .online, cause: "heartbeat")),
      at(19_100, "A", .headcount(count: 70, source: .udp, operatorName: nil)),
      at(20_500, nil, .stop),
    ]
  }()

  @Test func figuresMatchTheHandWorkedJournal() throws {
    let report = try ConferenceReport.build(config: Self.config, records: Self.records)
    #expect(report.sessions.map(\.name) == ["morning", "day 2"])
    let morning = report.sessions[0]
    #expect(morning.observedEnd == 13_600)
    let a = morning.sites[0]
    // Up 10,000-10,612 (late still counts), 11,200-12,000, 12,300-13,600.
    #expect(a.upSeconds == 612 + 800 + 1300)
    #expect(a.outages == 2)
    #expect(a.outageSeconds == 588 + 300)
    #expect(a.longestOutageSeconds == 588)
    #expect(a.firstConnectSeconds == 0)
    // Roll call at 10,900 (15 min in): A is offline then, so it has no roll-call count.
    #expect(!a.connectedAtRollCall && a.rollCall == nil && a.attendancePercent == nil)
    #expect(a.peak == CountReading(count: 95, provenance: CountProvenance(source: .udp, unixSeconds: 11_300)))
    // Counted only while connected: 80 until 10,612, nothing offline, 80 again, 95, nothing while marked, 95.
    #expect(abs(a.averageHeadcount! - (80.0 * 612 + 80 * 100 + 95 * 700 + 95 * 1300) / 3600) < 1e-9)

    let b = morning.sites[1]
    #expect(b.upSeconds == 2700)
    #expect(b.onlinePercent == 75)
    #expect(b.firstConnectSeconds == 900)
    #expect(b.outages == 0)
    #expect(b.connectedAtRollCall)
    #expect(b.rollCall == CountReading(count: 45, provenance: CountProvenance(source: .udp, unixSeconds: 10_900)))
    #expect(b.peak == CountReading(count: 50, provenance: CountProvenance(source: .manual, operatorName: "Lan", unixSeconds: 12_600)))
    #expect(abs(b.averageHeadcount! - (45.0 * 1700 + 50 * 1000) / 3600) < 1e-9)
    #expect(b.attendancePercent == 90)

    let c = morning.sites[2]
    #expect(c.upSeconds == 0 && c.firstConnectSeconds == nil && c.peakHeadcount == nil && c.attendancePercent == nil)
    #expect(c.averageHeadcount == nil)

    let district1 = try #require(morning.groups.first { $0.path == ["P", "D1"] })
    #expect(district1.sites == 2 && district1.connected == 2 && district1.connectedAtRollCall == 1)
    #expect(district1.upSeconds == 5412 && district1.siteSeconds == 7200)
    #expect(district1.outages == 2 && district1.outageSeconds == 888)
    #expect(district1.rollCallHeadcount == 45 && district1.expected == 150 && district1.attendancePercent == 30)
    // The highest sum at one moment: A's 95 and B's 50 together from 12,600.
    #expect(district1.peakHeadcount == 145 && district1.peakAt == 12_600)
    #expect(abs(district1.averageHeadcount - (a.averageHeadcount! + b.averageHeadcount!)) < 1e-9)
    let district2 = try #require(morning.groups.first { $0.path == ["P", "D2"] })
    #expect(district2.connected == 0 && district2.attendancePercent == 0 && district2.peakHeadcount == nil)
    #expect(morning.total.sites == 3 && morning.total.connected == 2)
    #expect(morning.total.rollCallHeadcount == 45 && morning.total.expected == 190)
    #expect(morning.total.peakHeadcount == 145)
    #expect(abs(morning.total.onlinePercent - 5412.0 * 100 / 10_800) < 1e-9)
    #expect(morning.groups.map(\.path) == [["P"], ["P", "D1"], ["P", "D2"]])
    #expect(a.outageSpans == [10_612...11_200, 12_000...12_300])

    // Day 2: the journal ends at 20,500, before the roll call at 20,900. The monitor restarted at 19,000: A came
    // back; B's hand count is shown again, but B is not heard, so it does not count.
    let day2 = report.sessions[1]
    #expect(day2.observedEnd == 20_500 && !day2.rollCallReached && day2.total.attendancePercent == nil)
    #expect(day2.sites[0].upSeconds == 500 && day2.sites[0].onlinePercent == 100 && day2.sites[0].peakHeadcount == 70)
    #expect(day2.sites[0].outages == 0 && day2.sites[0].rollCall == nil)
    #expect(day2.sites[1].upSeconds == 0 && day2.sites[1].peakHeadcount == nil && day2.sites[1].firstConnectSeconds == nil)
  }

  @Test func withoutAScheduleTheWholeSpanIsOneSession() throws {
    var config = Self.config
    config.schedule.sessions = []
    let report = try ConferenceReport.build(config: config, records: Self.records)
    #expect(report.sessions.count == 1)
    #expect(report.sessions[0].start == 9_000 && report.sessions[0].observedEnd == 20_500)
    // A: up 9,500-10,612, 11,200-12,000, 12,300-14,000, 19,100-20,500.
    #expect(report.sessions[0].sites[0].upSeconds == 1112 + 800 + 1700 + 1400)
    #expect(throws: ConferenceReport.BuildError.noSuchSession("evening", known: [])) {
      try ConferenceReport.build(config: config, records: Self.records, session: "evening")
    }
    #expect(throws: ConferenceReport.BuildError.emptyJournal) { try ConferenceReport.build(config: config, records: []) }
  }

  @Test func theFormatsCarryTheSameFigures() throws {
    let report = try ConferenceReport.build(config: Self.config, records: Self.records, session: "morning")
    let markdown = ReportRenderer.render(report, config: Self.config, format: .md)
    #expect(markdown.contains("## morning: 1970-01-01 09:46:40 – 1970-01-01 10:46:40 (UTC+07:00)"))
    #expect(markdown.contains("Roll call at 1970-01-01 10:01:40 (15m00s after the start)."), "\(markdown)")
    #expect(markdown.contains("- Bridge points: 3 taking part, 2 connected (66.7%), 1 connected at the roll call"))
    #expect(markdown.contains("- Attendance at the roll call: 45 of 190 expected (23.7%)"), "\(markdown)")
    #expect(markdown.contains("- Highest headcount at one moment: 145 at 1970-01-01 10:30; average over the session: 104"), "\(markdown)")
    #expect(
      markdown.contains("| A | Xã A | P / D1 | agent | 75.3% | 2 | 14m48s | 9m48s | 0s | – | – | 100 | – | 95 | 69 |"), "\(markdown)")
    #expect(
      markdown.contains("| B | Xã B | P / D1 | probe | 75.0% | 0 | 0s | 0s | 15m00s | 45 | agent, 10:01:40 | 50 | 90.0% | 50 | 35 |"),
      "\(markdown)")
    #expect(markdown.contains("| C | Xã C | P / D2 | – | 0.0% | 0 | 0s | 0s | never | – | – | 40 | – | – | – |"))
    let csv = ReportRenderer.render(report, config: Self.config, format: .csv)
    #expect(csv.hasPrefix("\u{FEFF}Session,Level,Group,ID,Name,Points,Planned absence,Connected,At roll call,Online (%)"), "\(csv)")
    let rows = csv.dropFirst().split(separator: "\r\n")
    #expect(
      rows.contains("morning,point,P / D1,B,Xã B,1,0,1,1,75.0,0,0,0,900,45,agent,,1970-01-01 10:01:40,50,35.1,50,90.0,0,probe"), "\(csv)")
    #expect(rows.contains("morning,conference,,,,3,0,2,1,50.1,2,888,,,45,,,,145,103.7,190,23.7,0,"), "\(csv)")
    let json = ReportRenderer.render(report, config: Self.config, format: .json)
    #expect(json.contains(#""id": "B", "name": "Xã B", "group": "P / D1", "planned_absence": null, "online_percent": 75.00"#), "\(json)")
    #expect(
      json.contains(
        #""roll_call": {"count": 45, "source": "udp", "operator": null, "at": 10900.000, "at_local": "1970-01-01T10:01:40+07:00"}"#),
      "\(json)")
    #expect(json.contains(#""attendance_percent": 90.00, "above_expected": false, "heard_by": ["probe"]}"#), "\(json)")
  }

  @Test func theLogOfActionsSaysWhoDidWhatAndWhen() throws {
    let report = try ConferenceReport.build(config: Self.config, records: Self.records)
    let morning = report.sessions[0]
    #expect(morning.actions.map(\.kind) == [.mark, .clear, .headcount, .claim, .acknowledge, .release])
    #expect(morning.actions.map(\.operatorName) == ["Lan", "Lan", "Lan", "minh (ops)", "minh (ops)", nil])
    #expect(morning.actions.first?.detail == "line down")
    #expect(morning.actions[2].detail == "50")
    #expect(report.sessions[1].actions.isEmpty, "day 2 had none")

    let markdown = ReportRenderer.render(
      try ConferenceReport.build(config: Self.config, records: Self.records, session: "morning"), config: Self.config, format: .md)
    #expect(markdown.contains("### Operator actions"))
    #expect(markdown.contains("| 1970-01-01 10:20:00 | A | Xã A | marked offline | Lan | line down |"), "\(markdown)")
    #expect(markdown.contains("| 1970-01-01 10:31:40 | C | Xã C | on it | minh (ops) |  |"), "\(markdown)")
    #expect(markdown.contains("| C | Xã C | claim ended (back online) | – |"), "\(markdown)")
    let json = ReportRenderer.render(report, config: Self.config, format: .json)
    #expect(
      json.contains(
        #"{"at": 12700.000, "at_local": "1970-01-01T10:31:40+07:00", "site": "C", "action": "claim", "operator": "minh (ops)", "detail": null}"#
      ),
      "\(json)")
  }

  @Test func actionsBeforeAClockStepAreRebasedWithTheRest() throws {
    let records = [
      JournalRecord(unixSeconds: 10_000, site: nil, kind: .start(sites: 3)),
      JournalRecord(unixSeconds: 10_100, site: "A", kind: .mark(operatorName: "Lan", reason: "line down")),
      // The clock was 1,000 s slow; it stepped forward.
      JournalRecord(unixSeconds: 11_200, site: nil, kind: .clock(step: 1_000)),
      JournalRecord(unixSeconds: 11_300, site: "A", kind: .clear(operatorName: "Lan")),
    ]
    var config = Self.config
    config.schedule.sessions = []
    let actions = try ConferenceReport.build(config: config, records: records).sessions[0].actions
    #expect(actions.map(\.unixSeconds) == [11_100, 11_300])
  }
}
