import BridgeCore
import Foundation
import Testing

/// The report's attendance rules (docs/REPORT.md): the roll call, one moment for a group, corrections, planned
/// absences, counts above expected, and the words in Vietnamese.
@Suite struct AttendanceTests {
  /// Phường Tân Thịnh (expected 56) and a neighbour (expected 40), one session 08:00-11:30, roll call 08:15.
  static let config: ConferenceConfig = {
    var config = ConferenceConfig(sites: [
      SiteConfig(id: "TT", name: "Phường Tân Thịnh", group: ["Hòa Bình", "TP Hòa Bình"], expected: 56, heartbeatFile: "/tmp/TT.hb"),
      SiteConfig(id: "DB", name: "Xã Đà Bắc", group: ["Hòa Bình", "Đà Bắc"], expected: 40, heartbeatFile: "/tmp/DB.hb"),
      SiteConfig(id: "LS", name: "Xã Lương Sơn", group: ["Hòa Bình", "Lương Sơn"], expected: 30, heartbeatFile: "/tmp/LS.hb"),
    ])
    config.title = "Hội nghị"
    config.schedule.sessions = [ScheduleSession(name: "Phiên sáng", start: start, end: start + 3.5 * 3600)]
    return config
  }()
  static let start = 1_770_426_000.0  // 2026-02-07 08:00 +07:00

  static func at(_ minutes: Double, _ site: String?, _ kind: JournalRecord.Kind) -> JournalRecord {
    JournalRecord(unixSeconds: start + minutes * 60, site: site, kind: kind)
  }

  /// Both sites connect before the session with their agents' counts.
  static let opening: [JournalRecord] = [
    at(-30, nil, .start(sites: 3)),
    at(-20, "TT", .status(from: .unknown, to: .online, cause: "heartbeat", source: .udp)),
    at(-20, "TT", .headcount(count: 50, source: .udp, operatorName: nil)),
    at(-15, "DB", .status(from: .unknown, to: .online, cause: "heartbeat", source: .udp)),
    at(-15, "DB", .headcount(count: 38, source: .udp, operatorName: nil)),
  ]

  @Test func theTypoOfTheIssueNeverReachesAttendanceAndIsFlaggedWhereItShows() throws {
    // 1.234 typed by hand at 08:30 (after the roll call), the agent's 52 five seconds later.
    let records =
      Self.opening + [
        Self.at(14, "TT", .headcount(count: 52, source: .udp, operatorName: nil)),
        Self.at(30, "TT", .headcount(count: 1234, source: .manual, operatorName: "Lan")),
        Self.at(30 + 5.0 / 60, "TT", .headcount(count: 52, source: .udp, operatorName: nil)),
      ]
    let report = try ConferenceReport.build(config: Self.config, records: records)
    let session = report.sessions[0]
    let site = session.sites[0]
    #expect(site.rollCall?.count == 52 && site.attendancePercent! < 100)
    #expect(session.total.rollCallHeadcount == 52 + 38)
    #expect(session.total.attendancePercent! < 100, "the conference's attendance is not inflated")
    // The five seconds of 1.234 are a peak, which the report does not publish silently.
    #expect(site.peak?.count == 1234 && site.countAboveExpected)
    #expect(session.total.countsAboveExpected == 1)
    let markdown = ReportRenderer.render(report, config: Self.config, format: .md)
    #expect(markdown.contains("- Counts above expected: 1 (listed below: check them before publishing)"))
    #expect(markdown.contains("| TT | Phường Tân Thịnh | peak | 1,234 | 56 | 2026-02-07 08:30:00 | by hand: Lan |"), "\(markdown)")
  }

  @Test func aCorrectionWithinFiveMinutesReplacesTheCountItCorrects() throws {
    // Lan types 1.234 at 08:10, sees it and types 56 at 08:12: the 1.234 was never in force.
    let records =
      Self.opening + [
        Self.at(10, "TT", .headcount(count: 1234, source: .manual, operatorName: "Lan")),
        Self.at(12, "TT", .headcount(count: 56, source: .manual, operatorName: "Lan")),
        Self.at(20, "DB", .headcount(count: 38, source: .udp, operatorName: nil)),
      ]
    let report = try ConferenceReport.build(config: Self.config, records: records)
    let session = report.sessions[0]
    #expect(session.sites[0].peak?.count == 56 && !session.sites[0].countAboveExpected)
    #expect(session.sites[0].rollCall?.count == 56)
    #expect(session.sites[0].rollCall?.provenance.operatorName == "Lan")
    #expect(session.total.peakHeadcount == 56 + 38)
    #expect(session.actions.map(\.correctedCount) == [nil, 1234])
    let markdown = ReportRenderer.render(report, config: Self.config, format: .md)
    #expect(markdown.contains("| set the headcount | Lan | 56 (corrects 1,234) |"), "\(markdown)")
    // Ten minutes later is no correction: a new count.
    let later =
      Self.opening + [
        Self.at(10, "TT", .headcount(count: 1234, source: .manual, operatorName: "Lan")),
        Self.at(20, "TT", .headcount(count: 56, source: .manual, operatorName: "Lan")),
      ]
    #expect(try ConferenceReport.build(config: Self.config, records: later).sessions[0].sites[0].peak?.count == 1234)
  }

  @Test func aGroupsPeakIsTheHighestSumAtOneMomentNotTheSumOfPeaks() throws {
    // TT peaks at 56 at 09:00, DB at 40 at 10:00; never both at once.
    let records =
      Self.opening + [
        Self.at(60, "TT", .headcount(count: 56, source: .udp, operatorName: nil)),
        Self.at(61, "TT", .headcount(count: 50, source: .udp, operatorName: nil)),
        Self.at(120, "DB", .headcount(count: 40, source: .udp, operatorName: nil)),
      ]
    let session = try ConferenceReport.build(config: Self.config, records: records).sessions[0]
    #expect(session.sites[0].peak?.count == 56 && session.sites[1].peak?.count == 40)
    #expect(session.total.peakHeadcount == 94, "56 + 38 at 09:00, not the sites' own peaks 56 + 40")
    #expect(session.total.peakAt == Self.start + 60 * 60)
  }

  @Test func plannedAbsencesLeaveTheDenominatorAndMarksDuringTheSessionDoNot() throws {
    let records =
      Self.opening + [
        Self.at(-10, "LS", .mark(operatorName: "Minh", reason: "hoãn: mất điện")),
        Self.at(-10, "LS", .status(from: .unknown, to: .marked, cause: "mark")),
        Self.at(40, "DB", .mark(operatorName: "Minh", reason: "line down")),
        Self.at(40, "DB", .status(from: .online, to: .marked, cause: "mark")),
      ]
    let report = try ConferenceReport.build(config: Self.config, records: records)
    let session = report.sessions[0]
    let absent = session.sites[2]
    #expect(absent.plannedAbsence == PlannedAbsence(operatorName: "Minh", reason: "hoãn: mất điện", unixSeconds: Self.start - 600))
    #expect(session.sites[1].plannedAbsence == nil)
    #expect(session.total.points == 2 && session.total.plannedAbsences == 1 && session.total.expected == 56 + 40)
    #expect(session.total.rollCallHeadcount == 50 + 38)
    let markdown = ReportRenderer.render(report, config: Self.config, format: .md)
    #expect(markdown.contains("| LS | Xã Lương Sơn | Hòa Bình / Lương Sơn | 30 | Minh | hoãn: mất điện | 2026-02-07 07:50:00 |"))
    #expect(!markdown.contains("| LS | Xã Lương Sơn | Hòa Bình / Lương Sơn | –"), "an absence is not a row of the points")
  }

  /// Random journals: a group's roll-call figure is the sum of its sites' at that moment; its highest sum at one
  /// moment is at least that and never more than the sum of its sites' own peaks.
  @Test func groupFiguresNeverExceedTheirSitesAtOneMoment() throws {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<40 {
      var records = [Self.at(-30, nil, .start(sites: 3))]
      var status = ["TT": SiteStatus.unknown, "DB": .unknown, "LS": .unknown]
      var minute = -25.0
      for _ in 0..<60 {
        minute += Double.random(in: 0...8, using: &generator)
        let site = ["TT", "DB", "LS"].randomElement(using: &generator)!
        switch Int.random(in: 0..<4, using: &generator) {
        case 0:
          let to: SiteStatus = [.online, .late, .offline].randomElement(using: &generator)!
          records.append(Self.at(minute, site, .status(from: status[site]!, to: to, cause: "heartbeat")))
          status[site] = to
        case 1:
          records.append(
            Self.at(minute, site, .headcount(count: Int.random(in: 0...90, using: &generator), source: .manual, operatorName: "Lan")))
        default:
          records.append(
            Self.at(
              minute, site,
              .headcount(
                count: Int.random(in: 0...90, using: &generator), source: .udp, operatorName: nil,
                peak: Int.random(in: 0...100, using: &generator))))
        }
      }
      let session = try ConferenceReport.build(config: Self.config, records: records).sessions[0]
      let counted = session.sites.filter { $0.plannedAbsence == nil }
      #expect(session.total.rollCallHeadcount == counted.map { $0.rollCall?.count ?? 0 }.reduce(0, +))
      #expect((session.total.peakHeadcount ?? 0) <= counted.map { $0.peak?.count ?? 0 }.reduce(0, +))
      #expect((session.total.peakHeadcount ?? 0) >= session.total.rollCallHeadcount)
      let averages = counted.map { $0.averageHeadcount ?? 0 }.reduce(0, +)
      #expect(abs(session.total.averageHeadcount - averages) < 1e-6)
      for group in session.groups where group.path.count == 2 {
        let sites = counted.filter { Self.config.sites[$0.site].group == group.path }
        #expect(group.rollCallHeadcount == sites.map { $0.rollCall?.count ?? 0 }.reduce(0, +))
        #expect((group.peakHeadcount ?? 0) <= (session.total.peakHeadcount ?? 0))
      }
    }
  }

  @Test func theRollCallIsSetPerSessionInTheSchedule() throws {
    let yaml = """
      schedule:
        roll_call: 10m
        sessions:
          - {name: "Sáng", start: "2026-02-07 08:00", end: "2026-02-07 11:30"}
          - {name: "Chiều", start: "2026-02-07 14:00", end: "2026-02-07 17:00", roll_call: 0s}
      sites:
        - {id: A, name: "Điểm A", group: "Hòa Bình", expected: 10}
      """
    let config = try ConfigLoader.load(yaml: yaml, path: "test.yaml").config
    #expect(config.schedule.sessions.map(\.rollCallSeconds) == [600, 0])
    let late = yaml.replacingOccurrences(of: "roll_call: 0s", with: "roll_call: 4h")
    #expect {
      try ConfigLoader.load(yaml: late, path: "test.yaml")
    } throws: { error in
      let problem = (error as? ConfigErrors)?.problems.first
      return problem?.location.line == 5 && problem?.message.contains("'roll_call' (4h) must fall before the session ends") == true
    }
  }

  /// "1.234" is read by one rule everywhere a person writes a headcount: the config's `expected` (YAML and CSV),
  /// the dashboard's prompt and the agent's count file (both `CountText`).
  @Test func aHeadcountIsReadByOneRuleInTheConfigToo() throws {
    for (written, value) in [("1.234", 1234), ("\"1,234\"", 1234), ("\"1 234\"", 1234), ("56", 56)] {
      let yaml = "sites:\n  - {id: A, name: \"Điểm A\", group: \"Hòa Bình\", expected: \(written)}\n"
      #expect(try ConfigLoader.load(yaml: yaml, path: "test.yaml").config.sites[0].expected == value, "\(written)")
      #expect(CountText.parse(Array(written.replacingOccurrences(of: "\"", with: "").utf8)) == .success(value))
    }
    for refused in ["12.5", "1.2345", "150 người"] {
      let yaml = "sites:\n  - {id: A, name: \"Điểm A\", group: \"Hòa Bình\", expected: \"\(refused)\"}\n"
      #expect {
        try ConfigLoader.load(yaml: yaml, path: "test.yaml")
      } throws: { error in
        (error as? ConfigErrors)?.problems.first?.message.hasPrefix("'expected' must be a non-negative whole number") == true
      }
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bw-count-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try "id,name,group,expected\nA,Điểm A,Hòa Bình,\"2.203\"\nB,Điểm B,Hòa Bình,45\n".write(
      toFile: folder + "/sites.csv", atomically: true, encoding: .utf8)
    try "sites_csv: sites.csv\n".write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
    #expect(try ConfigLoader.load(path: folder + "/c.yaml").config.sites.map(\.expected) == [2203, 45])
  }

  @Test func csvIsRFC4180WithAByteOrderMarkAndHTMLEscapesEverything() throws {
    var config = Self.config
    config.sites[0].name = "Tân Thịnh, \"phường\" <script>"
    let report = try ConferenceReport.build(config: config, records: Self.opening)
    let csv = ReportRenderer.render(report, config: config, format: .csv, language: .vi)
    #expect(csv.unicodeScalars.first == "\u{FEFF}")
    #expect(csv.contains(",\"Tân Thịnh, \"\"phường\"\" <script>\","), "\(csv)")
    #expect(csv.hasSuffix("\r\n") && !csv.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    let html = ReportRenderer.render(report, config: config, format: .html, language: .vi)
    #expect(html.contains("Tân Thịnh, &quot;phường&quot; &lt;script&gt;"))
    #expect(!html.contains("<script"))
    #expect(html.hasPrefix("<!doctype html>\n<html lang=\"vi\">"))
  }

  /// Every English word of the report's table that its Vietnamese never uses must be absent from the Vietnamese
  /// report, in each format people read.
  @Test func theVietnameseReportHasNoEnglishLeft() throws {
    let records =
      Self.opening + [
        Self.at(-10, "LS", .mark(operatorName: "Minh", reason: "hoãn")),
        Self.at(-10, "LS", .status(from: .unknown, to: .marked, cause: "mark")),
        Self.at(20, "DB", .status(from: .online, to: .offline, cause: "silence")),
        Self.at(25, "DB", .status(from: .offline, to: .online, cause: "heartbeat", source: .probe)),
        Self.at(30, "TT", .headcount(count: 1234, source: .manual, operatorName: "Lan")),
        Self.at(31, "TT", .headcount(count: 56, source: .manual, operatorName: "Lan")),
        Self.at(40, "TT", .claim(operatorName: "Lan")),
        Self.at(41, "TT", .release(operatorName: nil)),
        Self.at(50, "TT", .headcount(count: 80, source: .file, operatorName: nil)),
      ]
    let report = try ConferenceReport.build(config: Self.config, records: records)
    let vietnameseWords = Set(ReportText.allCases.flatMap { Self.words($0.template(.vi)) })
    let englishOnly = Set(ReportText.allCases.flatMap { Self.words($0.template(.en)) }).subtracting(vietnameseWords)
      .subtracting(["docs", "REPORT"])
    #expect(englishOnly.contains("Attendance") && englishOnly.contains("agent"), "the check looks for real words")
    for format in [ReportFormat.md, .csv, .html] {
      let english = ReportRenderer.render(report, config: Self.config, format: format, language: .en)
      #expect(!Set(Self.words(english)).isDisjoint(with: englishOnly), "the English \(format) has English words to find")
      var text = ReportRenderer.render(report, config: Self.config, format: format, language: .vi)
      if format == .html { text = Self.pageText(text) }
      let left = Set(Self.words(text)).intersection(englishOnly)
      #expect(left.isEmpty, "English in the Vietnamese \(format): \(left.sorted())")
    }
  }

  /// What a reader of the page sees: no style sheet, no markup.
  static func pageText(_ html: String) -> String {
    let withoutStyle = html.replacingOccurrences(of: "<style>[^<]*</style>", with: "", options: .regularExpression)
    return withoutStyle.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
  }

  /// Words of four letters or more (shorter ones, like "of", are also Vietnamese syllables or units).
  static func words(_ text: String) -> [String] {
    text.split { !$0.isLetter }.map(String.init).filter { $0.count >= 4 }
  }
}
