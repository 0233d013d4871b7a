import Foundation
import Testing

@testable import BridgeCore

/// The pure parts of the hostile review's fixes: the journal backlog and its records, replays after a restart,
/// sites that died with the previous run, YAML aliases, control characters.
@Suite struct JournalBacklogTests {
  func sample(_ index: Int) -> JournalRecord {
    JournalRecord(unixSeconds: 1000 + Double(index), site: "A", kind: .headcount(count: index, source: .udp, operatorName: nil))
  }
  func mark(_ index: Int) -> JournalRecord {
    JournalRecord(unixSeconds: 1000 + Double(index), site: "B", kind: .mark(operatorName: "Lan", reason: "line down \(index)"))
  }

  @Test func staysBoundedAndNeverDropsAnOperatorAction() {
    var backlog = JournalBacklog(capacity: 100)
    var marks: [JournalRecord] = []
    for index in 0..<1000 {
      if index % 50 == 7 {
        marks.append(mark(index))
        backlog.append(contentsOf: [mark(index)])
      } else {
        backlog.append(contentsOf: [sample(index)])
      }
    }
    #expect(backlog.records.count <= 100)
    #expect(backlog.records.filter(\.isOperatorAction) == marks)
    #expect(backlog.operatorActionCount == marks.count)
    #expect(backlog.droppedCount == 1000 - backlog.records.count)
    // What is kept is in the order it happened, and the newest samples are among it.
    #expect(backlog.records.map(\.unixSeconds) == backlog.records.map(\.unixSeconds).sorted())
    #expect(backlog.records.last == sample(999))
    // Written back, a gap record says how many were dropped and since when.
    let written = backlog.recordsToWrite(now: 5000)
    #expect(written.first == JournalRecord(unixSeconds: 1000, site: nil, kind: .gap(dropped: backlog.droppedCount, until: 5000)))
    #expect(Array(written.dropFirst()) == backlog.records)
    backlog.removeAll()
    #expect(backlog.isEmpty && backlog.recordsToWrite(now: 1).isEmpty)
  }
}

@Suite struct JournalFormatTests {
  @Test func gapAndPeakRoundTripAndOlderReadersSkipUnknownTypes() throws {
    let records = [
      JournalRecord(unixSeconds: 1_763_800_000, site: nil, kind: .gap(dropped: 42, until: 1_763_800_300.5)),
      JournalRecord(unixSeconds: 1_763_800_001, site: "A", kind: .headcount(count: 80, source: .udp, operatorName: nil, peak: 97)),
    ]
    for record in records {
      #expect(try JournalCodec.decode(Substring(JournalCodec.encode(record))).get() == record)
    }
    let text =
      JournalCodec.encode(records[1]) + "\n" + #"{"t":1763800002,"type":"probe","site":"A","method":"sip"}"# + "\n"
      + JournalCodec.encode(records[0]) + "\n"
    let content = JournalContent.parse(Array(text.utf8))
    #expect(content.badLines.isEmpty)
    #expect(content.records == [records[1], records[0]])
    #expect(content.unknownTypeLines.map(\.line) == [2])
  }

  @Test func theReportTakesTheWindowPeakNotOnlyTheSample() throws {
    var config = ConferenceConfig(sites: [SiteConfig(id: "A", name: "A", group: ["P"], expected: 100, heartbeatFile: "/x")])
    config.schedule.sessions = [ScheduleSession(name: "S", start: 1000, end: 2000)]
    let records = [
      JournalRecord(unixSeconds: 1000, site: nil, kind: .start(sites: 1)),
      JournalRecord(unixSeconds: 1001, site: "A", kind: .status(from: .unknown, to: .online, cause: "heartbeat")),
      JournalRecord(unixSeconds: 1001, site: "A", kind: .headcount(count: 80, source: .udp, operatorName: nil)),
      JournalRecord(unixSeconds: 1011, site: "A", kind: .headcount(count: 85, source: .udp, operatorName: nil, peak: 99)),
    ]
    let report = try ConferenceReport.build(config: config, records: records, session: nil)
    #expect(report.sessions[0].sites[0].peakHeadcount == 99)
  }

  @Test func aCheckpointAloneRestoresTheState() {
    var harness = EngineHarness(groups: ["P", "P", "P"])
    harness.beat(0, count: 40)
    harness.beat(1)
    try? harness.engine.mark(site: 1, operatorName: "Lan", reason: "line down", now: harness.now)
    harness.beat(2)
    harness.waitTicking(40)
    try? harness.engine.acknowledge(site: 2, operatorName: "Minh", now: harness.now)
    let checkpoint = JournalRecord.checkpoint(harness.engine.records.all, sites: harness.engine.sites, unixSeconds: 5000)
    #expect(checkpoint.first?.kind == .start(sites: 3))
    let restored = RestoredSite.replay(checkpoint, siteIndex: { ["S0", "S1", "S2"].firstIndex(of: $0) }, siteCount: 3)
    #expect(restored[1].mark?.operatorName == "Lan" && restored[1].mark?.reason == "line down")
    #expect(restored[2].acknowledgedBy == "Minh")
    #expect(restored.allSatisfy { $0.wasHeard })
  }
}

@Suite struct RestartTests {
  @Test func aSiteHeardBeforeTheRestartAndNotSinceGoesOfflineAfterOfflineAfter() {
    var harness = EngineHarness(groups: ["P", "P"])
    harness.engine.restore(RestoredSite(wasHeard: true), site: 0, now: harness.now)
    harness.waitTicking(Int(Timing().offlineAfter.nanoseconds / 1_000_000_000) - 1)
    #expect(harness.status(0) == .unknown)
    harness.waitTicking(1)
    #expect(harness.status(0) == .offline)
    #expect(harness.statusChanges().map { "\($0.0)->\($0.1) \($0.2)" } == ["unknown->offline silence"])
    #expect(harness.engine.total.statusCounts[.offline] == 1)
    // A site never heard in any run stays unknown: it is not an outage.
    #expect(harness.status(1) == .unknown)
    // Heard again, it recovers like any offline site.
    harness.beat(0)
    #expect(harness.engine.records[0].awaitedSince != nil || harness.engine.records[0].lastHeard != nil)
  }

  @Test func aSignedHeartbeatFromBeforeTheStartIsARefusedReplay() {
    var config = ConferenceConfig(sites: [SiteConfig(id: "HB-TU", name: "T", group: ["P"], expected: 1, heartbeatFile: "/x")])
    let secret = Array("hoa-binh-province-hall-secret".utf8)
    config.keys = ["HB-TU": secret]
    let clock = ManualClock(unixSeconds: 1_763_800_000)
    var state = MonitorState(config: config, refuseSignedBefore: 1_763_800_000)
    func send(ts: Int, seq: Int) -> DatagramOutcome {
      let line = HeartbeatAuthenticator.sign("BW1 site=HB-TU seq=\(seq) ts=\(ts) count=5", secret: secret)
      return Array(line.utf8).withUnsafeBytes { state.receiveDatagram($0, now: clock.now()) }
    }
    // Captured during the previous run, 30 s before this start: well inside the 120 s skew window.
    #expect(send(ts: 1_763_799_970, seq: 900) == .rejected(.replayed, nil, site: 0))
    #expect(send(ts: 1_763_800_001, seq: 1) == .accepted(site: 0, sequence: 1))
  }
}

@Suite struct UntrustedTextTests {
  @Test func yamlAliasesAreRefusedAtTheirLineBeforeComposing() {
    // Nine levels of nine aliases used as a mapping key: 9^9 nodes if expanded.
    var yaml = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for level in 1..<9 {
      let previous = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level - 1)))
      let name = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level)))
      yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
    }
    yaml += "? *i\n: boom\n"
    let started = ContinuousClock.now
    do {
      _ = try ConfigLoader.load(yaml: yaml, path: "bomb.yaml")
      Issue.record("a config with aliases was accepted")
    } catch {
      #expect(error.problems.first?.location == FileLine(file: "bomb.yaml", line: 2))
      #expect(error.problems.first?.message.contains("aliases (*name) are not allowed") == true)
    }
    #expect(ContinuousClock.now - started < .seconds(5))
    #expect(YAMLAliasGuard.firstAlias(in: "title: \"*not an alias\"\nnote: a*b\n") == nil)
  }

  @Test func c1ControlsAreRefusedByTheDecoderAndDroppedFromPrintedText() {
    // U+009B is CSI: ESC [ in one character.
    let csi = "BW1 site=HB-TU seq=1 state=ok note=x\u{9B}31m"
    #expect(throws: DecodeFailure.malformed(.controlCharacter)) { try HeartbeatCodec.decode(Array(csi.utf8)).get() }
    #expect(HeartbeatCodec.decode(Array("BW1 site=HB-TU seq=1 note=Tú\u{A0}Lý".utf8)).isSuccess)
    #expect(TextSanitizer.printableLines("a\u{1B}]0;pwned\u{07}b\nc\u{9B}2Jd\te") == "a]0;pwnedb\nc2Jd\te")
  }
}

extension Result {
  var isSuccess: Bool {
    if case .success = self { true } else { false }
  }
}

@Suite struct ReportOrderTests {
  @Test func districtsAreListedUnderTheirProvinceWhateverTheRosterOrder() throws {
    let sites = [("A", "Hòa Bình / Đà Bắc"), ("B", "Bắc Kạn / Ba Bể"), ("C", "Hòa Bình / Mai Châu"), ("D", "Bắc Kạn")].map {
      SiteConfig(id: $0.0, name: $0.0, group: GroupPath.parse($0.1)!, expected: 10, heartbeatFile: "/x")
    }
    var config = ConferenceConfig(sites: sites)
    config.schedule.sessions = [ScheduleSession(name: "S", start: 1000, end: 2000)]
    let report = try ConferenceReport.build(
      config: config, records: [JournalRecord(unixSeconds: 1000, site: nil, kind: .start(sites: 4))], session: nil)
    #expect(
      report.sessions[0].groups.map { $0.path.joined(separator: " / ") } == [
        "Hòa Bình", "Hòa Bình / Đà Bắc", "Hòa Bình / Mai Châu", "Bắc Kạn", "Bắc Kạn / Ba Bể",
      ])
  }
}
