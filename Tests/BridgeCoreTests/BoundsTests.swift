import Foundation
import TestSupport
import Testing

@testable import BridgeCore

/// Times and operator texts from outside (issue 28 §1): one window for a time, one rule for a text, at every door;
/// formatters that no input can trap; a journal writer whose every line its reader takes back.
@Suite struct BoundsTests {
  func decode(_ line: String) -> Result<JournalRecord, JournalLineError> { JournalCodec.decode(Substring(line)) }

  @Test func journalTimesOutsideTheWindowAreBadLinesThatSayWhy() throws {
    for line in [
      #"{"t":1e308,"type":"mark","site":"A","operator":"lan","reason":"x"}"#,
      #"{"t":-1e308,"type":"stop"}"#,
      #"{"t":4102444800.5,"type":"stop"}"#,
    ] {
      guard case .failure(let error) = decode(line) else {
        Issue.record("taken: \(line)")
        continue
      }
      #expect(error.description.contains("\"t\""), "\(error)")
    }
    #expect(decode(#"{"t":0,"type":"stop"}"#) == .failure(JournalLineError(#""t": not after 1970"#)))
    // A clock step or a gap's end no run can have.
    #expect(throws: JournalLineError.self) { try decode(#"{"t":1763800000,"type":"clock","step":1e308}"#).get() }
    #expect(throws: JournalLineError.self) { try decode(#"{"t":1763800000,"type":"gap","dropped":3,"until":1e300}"#).get() }
    #expect(try decode(#"{"t":1763800000,"type":"clock","step":-3600}"#).get().kind == .clock(step: -3600))
  }

  @Test func aKnownKeyGivenTwiceIsABadLineNotASilentWinner() throws {
    #expect(
      decode(#"{"t":1763800000,"type":"mark","site":"A","site":"B","operator":"lan","reason":"x"}"#)
        == .failure(JournalLineError(#"the key "site" appears twice"#)))
    #expect(decode(#"{"t":1,"t":2,"type":"stop"}"#) == .failure(JournalLineError(#"the key "t" appears twice"#)))
    // Unknown keys are a newer monitor's business: given twice, they are skipped twice.
    #expect(try decode(#"{"t":1,"type":"stop","x":1,"x":2}"#).get().kind == .stop)
  }

  @Test func anUnknownFieldNestedDeepIsSkippedAsAnyOther() throws {
    let depth = 30_000
    let line = #"{"t":1763800000,"type":"stop","x":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
    #expect(try decode(line).get() == JournalRecord(unixSeconds: 1_763_800_000, site: nil, kind: .stop))
    let objects =
      #"{"t":1763800000,"type":"stop","x":"# + String(repeating: #"{"a":"#, count: 10_000) + "1"
      + String(repeating: "}", count: 10_000) + "}"
    #expect(try decode(objects).get().kind == .stop)
    // Still checked: one closer short is a bad line.
    let short = #"{"t":1,"type":"stop","x":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth - 1) + "}"
    #expect(throws: JournalLineError.self) { try decode(short).get() }
  }

  @Test func textsAnOlderMonitorJournaledAreReadBackWithinTheRule() throws {
    let long = String(repeating: "đường dây ", count: 100)
    let line = JournalCodec.encode(JournalRecord(unixSeconds: 1_763_800_000, site: "A", kind: .mark(operatorName: "lan", reason: "x")))
      .replacingOccurrences(of: #""reason":"x""#, with: #""reason":""# + long + #"\u001b[31m""#)
    guard case .mark(_, let reason) = try decode(line).get().kind else {
      Issue.record("not a mark")
      return
    }
    #expect(reason.unicodeScalars.count == OperatorText.Field.reason.limit)
    #expect(OperatorText.problem(reason, as: .reason) == nil)
  }

  @Test func operatorTextHasOneRule() {
    #expect(OperatorText.problem("Trần Thị Lan", as: .operatorName) == nil)
    #expect(OperatorText.problem(String(repeating: "a", count: 64), as: .operatorName) == nil)
    #expect(
      OperatorText.problem(String(repeating: "a", count: 65), as: .operatorName)
        == OperatorTextError(field: .operatorName, problem: .tooLong))
    for hostile in ["a\nconfig: OK", "a\u{1B}[2J", "a\u{9B}1m", "a\u{202E}b", "tab\there"] {
      #expect(OperatorText.problem(hostile, as: .reason)?.problem == .controlCharacter, "\(hostile.debugDescription)")
      #expect(OperatorText.problem(OperatorText.clamped(hostile, as: .reason), as: .reason) == nil)
    }
    // Combining marks count: one character of 500 scalars is 500, not 1.
    let stacked = "a" + String(repeating: "\u{0301}", count: 500)
    #expect(OperatorText.problem(stacked, as: .reason)?.problem == .tooLong)
  }

  @Test func theEngineRefusesTextsOutsideTheRuleFromEveryDoor() throws {
    var engine = StatusEngine(
      sites: [SiteConfig(id: "A", name: "Xã A", group: ["Tỉnh"], expected: 50, heartbeatFile: "/dev/null/A.hb")], timing: Timing())
    let now = ClockReading(monotonicNanos: 1_000_000_000, unixSeconds: 1_763_800_000)
    let longReason = String(repeating: "x", count: 65_400)
    #expect(throws: OperatorActionError.invalidText(OperatorTextError(field: .reason, problem: .tooLong))) {
      try engine.apply(OperatorRequest(site: "A", action: .mark(reason: longReason)), by: OperatorIdentity(name: "lan"), now: now)
    }
    #expect(throws: OperatorActionError.invalidText(OperatorTextError(field: .reason, problem: .controlCharacter))) {
      try engine.apply(OperatorRequest(site: "A", action: .mark(reason: "line\ndown")), by: OperatorIdentity(name: "lan"), now: now)
    }
    let longName = OperatorIdentity(name: String(repeating: "n", count: 200))
    #expect(throws: OperatorActionError.invalidText(OperatorTextError(field: .operatorName, problem: .tooLong))) {
      try engine.apply(OperatorRequest(site: "A", action: .claim), by: longName, now: now)
    }
    #expect(engine.records[0].mark == nil && engine.records[0].claim == nil)
    #expect(engine.drainEvents().isEmpty)
    // The refusal travels to a console and back.
    let answer = ConsoleAnswer(id: 7, outcome: .refused(.invalidText(OperatorTextError(field: .reason, problem: .tooLong))))
    let line = ConsoleProtocol.encode(.answer(answer))
    #expect(try ConsoleProtocol.decode(line.dropLast()) == .answer(answer))
  }

  @Test func aHandSetCountAboveTheExpectedNeedsTheOperatorsConfirmationAtEveryDoor() throws {
    var engine = StatusEngine(
      sites: [SiteConfig(id: "TT", name: "Phường Tân Thịnh", group: ["Thái Nguyên"], expected: 56, heartbeatFile: "/dev/null/TT.hb")],
      timing: Timing())
    let now = ClockReading(monotonicNanos: 1_000_000_000, unixSeconds: 1_763_800_000)
    let lan = OperatorIdentity(name: "lan")
    #expect(throws: OperatorActionError.headcountAboveExpected(count: 1234, expected: 56)) {
      try engine.apply(OperatorRequest(site: "TT", action: .setHeadcount(1234)), by: lan, now: now)
    }
    #expect(engine.records[0].headcount == nil)
    try engine.apply(OperatorRequest(site: "TT", action: .setHeadcount(56)), by: lan, now: now)
    try engine.apply(OperatorRequest(site: "TT", action: .setHeadcount(60), confirmedAboveExpected: true), by: lan, now: now)
    #expect(engine.records[0].headcount == 60)
    // The confirmation and the refusal travel on the console socket (and so to a standby).
    let request = ConsoleMessage.request(
      ConsoleRequest(id: 3, request: OperatorRequest(site: "TT", action: .setHeadcount(60), confirmedAboveExpected: true)))
    #expect(try ConsoleProtocol.decode(ConsoleProtocol.encode(request).dropLast()) == request)
    #expect(String(decoding: ConsoleProtocol.encode(request), as: UTF8.self).contains(#""above_expected":true"#))
    let refused = ConsoleMessage.answer(ConsoleAnswer(id: 3, outcome: .refused(.headcountAboveExpected(count: 1234, expected: 56))))
    #expect(try ConsoleProtocol.decode(ConsoleProtocol.encode(refused).dropLast()) == refused)
    #expect(
      OperatorActionError.headcountAboveExpected(count: 1234, expected: 56).description
        == "1,234 is more than the 56 expected; confirm it to set it")
  }

  @Test func formattersAreTotal() {
    var writer = JSONWriter()
    for value in [1e300, -1e300, 9.3e15, Double.greatestFiniteMagnitude, .nan, .infinity] {
      writer.bytes = []
      writer.number(value, decimals: 3)
      let text = String(decoding: writer.bytes, as: UTF8.self)
      #expect(value.isFinite ? Double(text) == value || Double(text)! == (value * 1000).rounded() / 1000 : text == "null", "\(text)")
    }
    #expect(LocalTimeText.format(1e308, utcOffsetSeconds: 25_200).hasPrefix("????"))
    #expect(LocalTimeText.format(-.infinity, utcOffsetSeconds: 0).hasPrefix("????"))
    #expect(LocalTimeText.format(1_763_800_000, utcOffsetSeconds: 25_200) == "2025-11-22 15:26:40")
  }

  @Test func consoleAndFollowMessagesRefuseTimesOutsideTheWindowAndIdsNobodyCanHold() {
    let refusals = [
      #"{"type":"request","id":1180591620717411303424,"request":{"site":"A","action":"clear"}}"#,
      #"{"type":"request","id":-1,"request":{"site":"A","action":"clear"}}"#,
      #"{"type":"request","id":1.5,"request":{"site":"A","action":"clear"}}"#,
      #"{"type":"promote","id":1e30}"#,
      #"{"type":"actions","epoch":"e","revision":1,"actions":[{"rev":1,"request":{"site":"A","action":"clear"},"operator":{"name":"lan"},"at":1e300}]}"#,
      #"{"type":"state","epoch":"e","revision":1,"sites":[{"id":"A","mark":{"operator":"lan","reason":"x","at":1e300}}]}"#,
      #"{"type":"state","epoch":"e","revision":1,"sites":[{"id":"A","claim":{"operator":"lan","at":-5}}]}"#,
      #"{"type":"consoles","consoles":[{"unix_user":"u","operator":"o","read_only":false,"since":1e308}]}"#,
    ]
    for line in refusals {
      do {
        let message = try ConsoleProtocol.decode(Array(line.utf8))
        Issue.record("taken: \(message)")
      } catch {
        let text = "\(error)"
        #expect(text.contains("outside 1970-01-01…2100-01-01") || text.contains("id must be a whole number"), "\(text)")
      }
    }
    let fine = #"{"type":"request","id":9007199254740992,"request":{"site":"A","action":"clear"}}"#
    #expect(
      (try? ConsoleProtocol.decode(Array(fine.utf8)))
        == .request(ConsoleRequest(id: 1 << 53, request: OperatorRequest(site: "A", action: .clear))))
  }

  static func text(_ random: inout SeededGenerator) -> String {
    let pieces = [
      "Lan", "Trần Thị Hồng Nhung", "\"", "\\", "/", "\n", "\t", "\u{1B}[31m", "\u{7F}", "\u{9B}", "\u{202E}", "😀", "e\u{0301}", "đ",
      String(repeating: "x", count: 300), String(repeating: "ừ", count: 70), "\u{2028}", "\0", "}", "{\"t\":1}", " ",
    ]
    var out = ""
    for _ in 0..<Int.random(in: 0...6, using: &random) { out += pieces.randomElement(using: &random)! }
    return out
  }

  static func time(_ random: inout SeededGenerator) -> Double {
    switch Int.random(in: 0..<6, using: &random) {
    case 0: [1e300, -1e300, .nan, .infinity, 0, -1, 5e12].randomElement(using: &random)!
    default: Double.random(in: 1_600_000_000...2_000_000_000, using: &random)
    }
  }

  static func record(_ random: inout SeededGenerator) -> JournalRecord {
    let statuses: [SiteStatus] = [.unknown, .online, .late, .offline, .marked]
    let sources: [HeartbeatSource] = [.udp, .file, .manual, .probe]
    let kinds: [JournalRecord.Kind] = [
      .start(sites: Int.random(in: 0...100_000, using: &random)), .stop,
      .status(
        from: statuses.randomElement(using: &random)!, to: statuses.randomElement(using: &random)!,
        cause: ["heartbeat", "silence", "mark", "clear", "checkpoint"].randomElement(using: &random)!,
        source: Bool.random(using: &random) ? sources.randomElement(using: &random)! : nil),
      .mark(operatorName: text(&random), reason: text(&random)), .clear(operatorName: text(&random)),
      .acknowledge(operatorName: text(&random)),
      .headcount(
        count: Int.random(in: 0...HeartbeatCodec.maximumCount, using: &random), source: sources.randomElement(using: &random)!,
        operatorName: Bool.random(using: &random) ? text(&random) : nil,
        peak: Bool.random(using: &random) ? Int.random(in: 0...HeartbeatCodec.maximumCount, using: &random) : nil),
      .claim(operatorName: text(&random)),
      .release(
        operatorName: Bool.random(using: &random) ? text(&random) : nil, claimedBy: Bool.random(using: &random) ? text(&random) : nil),
      .flapping(Bool.random(using: &random)), .help(Bool.random(using: &random)),
      .gap(dropped: Int.random(in: 0...1_000_000, using: &random), until: time(&random)), .clock(step: time(&random) - 1_700_000_000),
      .role(["primary", "standby", "replaced"].randomElement(using: &random)!, note: text(&random)),
    ]
    let kind = kinds.randomElement(using: &random)!
    let needsSite: Bool =
      switch kind {
      case .start, .stop, .gap, .clock, .role: false
      default: true
      }
    let site = needsSite ? ["HB-TU", "Xã-Tú-Lý", "A"].randomElement(using: &random)! : nil
    return JournalRecord(unixSeconds: time(&random), site: site, kind: kind)
  }

  @Test(arguments: [UInt64(1), 2, 3, 4])
  func everyLineTheWriterWritesItsReaderTakesBack(seed: UInt64) throws {
    var random = SeededGenerator(state: seed)
    for _ in 0..<5_000 {
      let record = Self.record(&random)
      let line = JournalCodec.encode(record)
      #expect(line.utf8.count < JournalScanner.maximumLineLength)
      guard case .success(let read) = decode(line) else {
        Issue.record("seed \(seed): the reader refused \(line) (\(decode(line)))")
        return
      }
      // What was written again is the same line: nothing the reader changed is lost twice.
      #expect(JournalCodec.encode(read) == line, "seed \(seed)")
      #expect(read.site == record.site && JournalCodec.typeName(read.kind) == JournalCodec.typeName(record.kind), "seed \(seed)")
      if let time = UnixTime(seconds: record.unixSeconds), time.seconds > 0.001 {
        #expect(abs(read.unixSeconds - record.unixSeconds) <= 0.000501, "seed \(seed): \(line)")
      }
    }
  }
}
