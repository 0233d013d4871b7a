import BridgeCore
import BridgeField
import Testing

/// A long journal's report is read in stretches on all cores, each into its own builder, joined in order. Whatever
/// the cut, the joined report must be the one read in one go: a start in a later stretch meets marks and hand
/// counts from before it, a hand count there corrects a count from before it, a bridge join carries on.
@Suite struct ReportStretchesTests {
  static let firstDay = 1_795_000_000.0

  /// Two generated national days on 40 sites, with what crosses a cut put in on purpose: a hand count set before
  /// a restart and corrected just after it (the carried count), a hand count correcting a heartbeat's count, a site
  /// in the conference bridge across a restart, and a clock step.
  static func journal(sites: [SiteConfig]) -> [JournalRecord] {
    var generated: [JournalRecord] = []
    JournalGenerator(sites: sites, lines: 4_000, firstDay: firstDay).generate { generated.append($0) }
    let (first, second) = (sites[1].id, sites[2].id)
    var records: [JournalRecord] = []
    var starts = 0
    for record in generated {
      if case .stop = record.kind, starts == 2 {
        records.append(
          JournalRecord(
            unixSeconds: record.unixSeconds - 10, site: first, kind: .headcount(count: 55, source: .manual, operatorName: "Lan")))
      }
      records.append(record)
      guard case .start = record.kind else { continue }
      starts += 1
      let time = record.unixSeconds
      switch starts {
      case 1:
        records.append(JournalRecord(unixSeconds: time + 1, site: second, kind: .bridge(inBridge: true)))
        records.append(JournalRecord(unixSeconds: time + 2, site: second, kind: .headcount(count: 70, source: .udp, operatorName: nil)))
        records.append(
          JournalRecord(unixSeconds: time + 60, site: second, kind: .headcount(count: 72, source: .manual, operatorName: "Minh")))
      case 2:
        records.append(JournalRecord(unixSeconds: time + 5, site: nil, kind: .clock(step: 120)))
      case 3:
        records.append(
          JournalRecord(unixSeconds: time + 10, site: first, kind: .headcount(count: 57, source: .manual, operatorName: "Hương")))
        records.append(JournalRecord(unixSeconds: time + 20, site: second, kind: .bridge(inBridge: false)))
      default: break
      }
    }
    return records
  }

  static func config(sites: [SiteConfig]) -> ConferenceConfig {
    var config = ConferenceConfig(sites: sites)
    config.title = "Stretches"
    config.schedule.sessions = [
      ScheduleSession(name: "day 1", start: firstDay, end: firstDay + 9 * 3600),
      ScheduleSession(name: "day 2", start: firstDay + 86_400, end: firstDay + 86_400 + 9 * 3600),
    ]
    return config
  }

  static func report(
    _ config: ConferenceConfig, _ stretches: [ArraySlice<JournalRecord>], stepBlockShift: Int? = nil, siteParts: Int? = nil
  ) throws -> ConferenceReport {
    var builders = stretches.map { stretch in
      var builder =
        stepBlockShift.map { ConferenceReport.Builder(config: config, stepBlockShift: $0, siteParts: siteParts) }
        ?? ConferenceReport.Builder(config: config)
      for record in stretch { builder.take(record) }
      return builder
    }
    var joined = builders.removeFirst()
    for later in builders { joined.append(later) }
    return try joined.build()
  }

  @Test func aReportReadInStretchesIsTheReportReadInOneGo() throws {
    let sites = DemoRoster.conference2026(sites: 40, heartbeatDirectory: "/tmp/hb")
    let config = Self.config(sites: sites)
    let records = Self.journal(sites: sites)
    let whole = try Self.report(config, [records[...]])

    // The journal does cross what a cut must carry: corrections (one of a count carried over a restart), marks,
    // the bridge, a clock step.
    let actions = whole.sessions.flatMap(\.actions)
    #expect(actions.filter { $0.correctedCount != nil }.count >= 2)
    #expect(actions.contains { $0.kind == .headcount && $0.operatorName == "Hương" && $0.correctedCount == 55 })
    #expect(actions.contains { $0.kind == .mark })
    #expect(whole.sessions.contains { $0.hasBridge })
    #expect(whole.clockSteps.count == 1)

    var cuts = Array(stride(from: 1, to: records.count, by: 151))
    for (index, record) in records.enumerated() {
      switch record.kind {
      case .start, .stop, .clock, .bridge: cuts += [index, index + 1]
      case .headcount(_, .manual, _, _): cuts += [index, index + 1]
      default: break
      }
    }
    for cut in Set(cuts).sorted() where cut > 0 && cut < records.count {
      let two = try Self.report(config, [records[..<cut], records[cut...]])
      #expect(two == whole, "cut after record \(cut)")
      let third = min(records.count - 1, cut + 1_019)
      guard third > cut else { continue }
      let three = try Self.report(config, [records[..<cut], records[cut..<third], records[third...]])
      #expect(three == whole, "cuts after records \(cut) and \(third)")
    }
  }

  /// The timeline keeps its steps in blocks (2 million steps each) and groups them by site a run of sites at a
  /// time, and the sites' figures are computed in parts on all cores, their changes swept across the parts: with
  /// blocks of 1 to 64 steps and 1 to 7 parts, this journal's thousands of steps cross every seam, read whole and
  /// in stretches, and the report is the same.
  @Test(arguments: [(0, 1), (3, 2), (6, 7)])
  func aReportIsTheSameWhateverTheStepBlocksAndSiteParts(stepBlockShift: Int, siteParts: Int) throws {
    let sites = DemoRoster.conference2026(sites: 40, heartbeatDirectory: "/tmp/hb")
    let config = Self.config(sites: sites)
    let records = Self.journal(sites: sites)
    let whole = try Self.report(config, [records[...]])
    #expect(try Self.report(config, [records[...]], stepBlockShift: stepBlockShift, siteParts: siteParts) == whole)
    for cut in [1, 999, records.count / 2, records.count - 1] {
      let three = try Self.report(
        config, [records[..<cut], records[cut..<min(records.count, cut + 777)], records[min(records.count, cut + 777)...]],
        stepBlockShift: stepBlockShift, siteParts: siteParts)
      #expect(three == whole, "cut after record \(cut)")
    }
  }
}
