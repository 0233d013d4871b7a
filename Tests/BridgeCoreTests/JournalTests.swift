import BridgeCore
import Testing

@Suite struct JournalTests {
  static let everyKind: [JournalRecord] = [
    JournalRecord(unixSeconds: 1_763_800_000, site: nil, kind: .start(sites: 61)),
    JournalRecord(unixSeconds: 1_763_800_001.5, site: "HB-TU", kind: .status(from: .unknown, to: .online, cause: "heartbeat")),
    JournalRecord(unixSeconds: 1_763_800_002, site: "HB-TU", kind: .mark(operatorName: "Lan", reason: "mất tín hiệu \"line\" | 2")),
    JournalRecord(unixSeconds: 1_763_800_003, site: "HB-TU", kind: .clear(operatorName: "Lan")),
    JournalRecord(unixSeconds: 1_763_800_004, site: "HB-TU", kind: .acknowledge(operatorName: "Minh")),
    JournalRecord(unixSeconds: 1_763_800_005, site: "HB-TU", kind: .headcount(count: 148, source: .udp, operatorName: nil)),
    JournalRecord(unixSeconds: 1_763_800_006, site: "HB-TU", kind: .headcount(count: 150, source: .manual, operatorName: "Lan")),
    JournalRecord(unixSeconds: 1_763_800_007, site: "HB-TU", kind: .flapping(true)),
    JournalRecord(unixSeconds: 1_763_800_008, site: "HB-TU", kind: .help(false)),
    JournalRecord(unixSeconds: 1_763_800_009, site: nil, kind: .stop),
  ]

  @Test func everyRecordSurvivesARoundTripOnOneLine() throws {
    for record in Self.everyKind {
      let line = JournalCodec.encode(record)
      #expect(!line.contains("\n"))
      #expect(try JournalCodec.decode(Substring(line)).get() == record, "\(line)")
    }
    #expect(
      JournalCodec.encode(Self.everyKind[1])
        == #"{"t":1763800001.500,"type":"status","site":"HB-TU","from":"unknown","to":"online","cause":"heartbeat"}"#)
  }

  /// A checkpoint is written in pieces (a national one is megabytes): the pieces make the same bytes as the whole
  /// text, each about the size asked for, and a refused piece stops the writing.
  @Test func aCheckpointWrittenInPiecesIsTheSameBytes() {
    let state = (0..<500).map {
      JournalRecord(unixSeconds: 1_763_800_000, site: "S\($0)", kind: .status(from: .unknown, to: .online, cause: "checkpoint"))
    }
    let checkpoint = JournalCheckpoint(offset: 42, lines: 7, records: 7, tailDigest: 9, device: 1, inode: 2, unixSeconds: 1_763_800_000)
    var pieces: [[UInt8]] = []
    checkpoint.write(state: state, chunkBytes: 4096) { piece in
      pieces.append(piece)
      return true
    }
    #expect(pieces.count > 3)
    #expect(pieces.dropLast().allSatisfy { $0.count >= 4096 && $0.count < 4096 + 200 })
    #expect(pieces.flatMap { $0 } == Array(checkpoint.fileText(state: state).utf8))
    #expect(String(decoding: pieces.flatMap { $0 }, as: UTF8.self).hasPrefix("BWCHECKPOINT v=1 offset=42 "))
    var offered = 0
    checkpoint.write(state: state, chunkBytes: 4096) { _ in
      offered += 1
      return false
    }
    #expect(offered == 1)
  }

  @Test func badLinesSayWhatIsWrong() {
    let cases: [(String, String)] = [
      ("not json", "not a JSON object"),
      (#"{"type":"stop"}"#, "missing or bad \"t\""),
      (#"{"t":1,"type":"mark","site":"A","operator":"x"}"#, "a \"mark\" record with missing or bad fields"),
      (#"{"t":1,"type":"headcount","site":"A","count":-1,"source":"udp"}"#, "a \"headcount\" record with missing or bad fields"),
      (#"{"t":1,"type":"ack","operator":"x"}"#, "a \"ack\" record without \"site\""),
    ]
    for (line, message) in cases {
      #expect(JournalCodec.decode(Substring(line)) == .failure(JournalLineError(message)), "\(line)")
    }
    // A type from a newer monitor is told apart, so readers skip it instead of refusing the journal.
    #expect(
      JournalCodec.decode(#"{"t":1,"type":"launch"}"#)
        == .failure(JournalLineError("unknown record type \"launch\"", isUnknownType: true)))
  }

  @Test func aTornLastLineIsSetApartFromBadLinesInTheMiddle() {
    let good = Self.everyKind.prefix(3).map(JournalCodec.encode)
    let text = good[0] + "\n" + "{garbage\n" + good[1] + "\n" + good[2] + "\n" + #"{"t":17638"#
    let content = JournalContent.parse(Array(text.utf8))
    #expect(content.records == Array(Self.everyKind.prefix(3)))
    #expect(content.badLines.map(\.line) == [2])
    #expect(content.tornLine == 5)
    #expect(content.validLength == text.utf8.count - #"{"t":17638"#.utf8.count)
    // A whole last record missing only its line break is kept.
    let whole = JournalContent.parse(Array((good[0] + "\n" + good[1]).utf8))
    #expect(whole.records.count == 2 && whole.tornLine == nil && whole.validLength == (good[0] + "\n" + good[1]).utf8.count)
  }

  @Test func replayBringsBackMarksAcknowledgementsAndHandCounts() {
    let ids = ["A", "B", "C", "D"]
    func record(_ site: String, _ kind: JournalRecord.Kind, at time: Double) -> JournalRecord {
      JournalRecord(unixSeconds: time, site: site, kind: kind)
    }
    let records = [
      record("A", .mark(operatorName: "Lan", reason: "line down"), at: 10),
      record("B", .mark(operatorName: "Lan", reason: "x"), at: 11), record("B", .clear(operatorName: "Lan"), at: 12),
      record("C", .acknowledge(operatorName: "Minh"), at: 13),
      record("D", .acknowledge(operatorName: "Minh"), at: 14),
      record("D", .status(from: .offline, to: .online, cause: "heartbeat"), at: 15),
      record("C", .headcount(count: 90, source: .manual, operatorName: "Lan"), at: 16),
      record("D", .headcount(count: 50, source: .manual, operatorName: "Lan"), at: 17),
      record("D", .headcount(count: 52, source: .udp, operatorName: nil), at: 18),
      record("GONE", .mark(operatorName: "Lan", reason: "site removed from config"), at: 19),
    ]
    let restored = RestoredSite.replay(records, siteIndex: { ids.firstIndex(of: $0) }, siteCount: 4)
    #expect(restored[0] == RestoredSite(mark: OperatorMark(operatorName: "Lan", reason: "line down", unixSeconds: 10)))
    #expect(restored[1] == RestoredSite())
    #expect(
      restored[2]
        == RestoredSite(acknowledgedBy: "Minh", manualHeadcount: 90, manualHeadcountBy: OperatorStamp(operatorName: "Lan", unixSeconds: 16))
    )
    // Back online clears the ack; a heartbeat count replaces the hand count; it was heard, so silence counts.
    #expect(restored[3] == RestoredSite(wasHeard: true))
  }

  /// A standby's later copy of an action: journaled at its own time, the original kept in `made_at`, which a
  /// restart takes for the decision's time.
  @Test func anActionJournaledLaterKeepsWhenItWasMadeAndARestartTakesThatTime() throws {
    let copy = JournalRecord(
      unixSeconds: 1_763_800_100.25, site: "HB-TU", kind: .mark(operatorName: "Lan", reason: "mất điện"), madeAt: 1_763_800_042.5)
    let line = JournalCodec.encode(copy)
    #expect(line == #"{"t":1763800100.250,"type":"mark","site":"HB-TU","operator":"Lan","reason":"mất điện","made_at":1763800042.500}"#)
    #expect(try JournalCodec.decode(Substring(line)).get() == copy)
    #expect(copy.asMade == JournalRecord(unixSeconds: 1_763_800_042.5, site: "HB-TU", kind: .mark(operatorName: "Lan", reason: "mất điện")))
    let restored = RestoredSite.replay([copy], siteIndex: { $0 == "HB-TU" ? 0 : nil }, siteCount: 1)
    #expect(restored[0].mark == OperatorMark(operatorName: "Lan", reason: "mất điện", unixSeconds: 1_763_800_042.5))
    for bad in ["-1", "0", "-0.001"] {
      let broken = line.replacingOccurrences(of: "1763800042.500", with: bad)
      let refused = JournalCodec.decode(Substring(broken))
      #expect(refused == .failure(JournalLineError("\"made_at\": \(UnixTime.problem(Double(bad)!) ?? "not after 1970")")), "\(broken)")
    }
  }

  /// The merge decides who spoke from `role` records: a value it does not know is a bad line, named by its number.
  @Test func anUnknownRoleIsABadLineNamedByItsNumber() {
    let lines = [
      #"{"t":1763800000.000,"type":"start","v":1,"sites":3}"#, #"{"t":1763800000.000,"type":"role","role":"standby","reason":"x"}"#,
      #"{"t":1763800001.000,"type":"role","role":"primray","reason":"promoted by lan"}"#,
    ]
    let content = JournalContent.parse(Array((lines.joined(separator: "\n") + "\n").utf8))
    #expect(content.records.count == 2)
    #expect(content.badLines.map(\.line) == [3])
    #expect(content.badLines.first?.error.description == "unknown role \"primray\" (known: primary, standby, replaced)")
  }

  @Test func scheduleTimesAreLocalToTheConference() {
    let start = LocalTimeText.parse("2026-11-23 07:30", utcOffsetSeconds: 7 * 3600)
    #expect(start == 1_795_393_800)  // date -d '2026-11-23 07:30 +0700' +%s
    #expect(LocalTimeText.format(1_795_393_800, utcOffsetSeconds: 7 * 3600) == "2026-11-23 07:30")
    #expect(LocalTimeText.format(1_795_393_845, utcOffsetSeconds: 0) == "2026-11-23 00:30:45")
    for bad in ["2026-11-23", "2026-02-30 07:30", "2026-11-23 24:00", "23/11/2026 07:30", "2026-11-23 7:30:99"] {
      #expect(LocalTimeText.parse(bad, utcOffsetSeconds: 0) == nil, "\(bad)")
    }
    #expect(LocalTimeText.parseOffset("+07:00") == 25200)
    #expect(LocalTimeText.parseOffset("-03:30") == -12600)
    #expect(LocalTimeText.parseOffset("7") == nil)
  }
}
