import BridgeCore
import Foundation
import Testing

/// The journal's own line reader (no Foundation JSON) and the streaming scanner.
@Suite struct JournalReaderTests {
  func decode(_ line: String) -> Result<JournalRecord, JournalLineError> { JournalCodec.decode(Substring(line)) }

  /// Feeds `bytes` to a scanner `pieceSize` bytes at a time, as reads of a file would.
  func scanInPieces(_ bytes: [UInt8], of pieceSize: Int) -> (JournalScanner, [JournalRecord]) {
    var scanner = JournalScanner()
    var seen: [JournalRecord] = []
    var start = 0
    while start < bytes.count {
      let end = min(bytes.count, start + pieceSize)
      bytes[start..<end].withUnsafeBufferPointer { piece in scanner.feed(piece) { seen.append($0) } }
      start = end
    }
    scanner.finish { seen.append($0) }
    return (scanner, seen)
  }

  @Test func escapesSurrogatesAndSpacingAreReadAsJSONHasThem() throws {
    let record = try decode(
      #" { "t" : 1763800002.25 , "type":"mark","site":"HB\u002DTU","operator":"L\u00e2n","reason":"a\"b\\c\/d\n\t\ud83d\ude00 x" } "#
    ).get()
    // The escaped line break and tab are read, then dropped as OperatorText's rule has it for a reason.
    #expect(
      record == JournalRecord(unixSeconds: 1_763_800_002.25, site: "HB-TU", kind: .mark(operatorName: "Lân", reason: "a\"b\\c/d😀 x")))
    // Numbers as JSON writes them: an exponent, an integral float for a count.
    #expect(
      try decode(#"{"t":1.7638e9,"type":"headcount","site":"A","count":148.0,"source":"udp"}"#).get()
        == JournalRecord(unixSeconds: 1_763_800_000, site: "A", kind: .headcount(count: 148, source: .udp, operatorName: nil)))
  }

  @Test func fieldsOfANewerMonitorAreSkippedWhateverTheirShape() throws {
    let line = #"{"t":5,"type":"stop","note":{"a":[1,{"b":null},"}"],"c":{}},"list":[],"flag":false,"n":-0.5e-3}"#
    #expect(try decode(line).get() == JournalRecord(unixSeconds: 5, site: nil, kind: .stop))
  }

  @Test func whatIsNotStrictJSONIsABadLine() throws {
    let notJSON = [
      #"{"t":1,"type":"stop""#,  // unclosed
      #"{"t":1,"type":"stop"} x"#,  // trailing text
      #"{"t":1,"type":"stop",}"#,  // trailing comma
      #"{"t":01,"type":"stop"}"#,  // leading zero
      #"{"t":1.,"type":"stop"}"#,
      #"{"t":1,"type":"st\qop"}"#,  // unknown escape
      #"{"t":1,"type":"stop","x":"\ud83d"}"#,  // lone surrogate
      #"{"t":1,"type":"stop","x":"\udc00\ud83d"}"#,
      "{\"t\":1,\"type\":\"stop\",\"x\":\"a\u{01}b\"}",  // control character in a string
      #"{'t':1}"#,
      #"[1,2]"#,
      #"{"t":1,"type":"stop","x":[1,2}"#,  // mismatched nesting
      #"{"t":1,"type":"stop","x":tru}"#,
      "",
    ]
    for line in notJSON {
      #expect(decode(line) == .failure(JournalLineError("not a JSON object")), "\(line)")
    }
    // Nesting in unknown fields is any depth the line holds (BoundsTests); a mismatch at depth is still bad.
    let deep = #"{"t":1,"type":"stop","x":"# + String(repeating: "[", count: 33) + String(repeating: "}", count: 33) + "}"
    #expect(decode(deep) == .failure(JournalLineError("not a JSON object")))
    // Invalid UTF-8 anywhere in the line.
    var bytes = Array(#"{"t":1,"type":"mark","site":"A","operator":"x","reason":"ab"}"#.utf8)
    bytes[bytes.count - 3] = 0xC3
    let invalid = bytes.withUnsafeBufferPointer { JournalCodec.decode(bytes: $0) }
    #expect(invalid == .failure(JournalLineError("not valid UTF-8")))
  }

  @Test func everyLineDecodesAsFoundationReadsIt() throws {
    // Times to the millisecond come back exactly as Foundation's parser (strtod) rounds them.
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<2000 {
      let millis = UInt64.random(in: 1_700_000_000_000...1_800_000_000_000, using: &generator)
      let text = "\(millis / 1000).\(String(format: "%03d", Int(millis % 1000)))"
      let record = try decode(#"{"t":"# + text + #","type":"stop"}"#).get()
      #expect(record.unixSeconds == Double(text)!, "\(text)")
    }
  }

  @Test func piecesOfAnySizeGiveTheSameRecordsAsTheWholeFile() {
    let records = JournalTests.everyKind
    let text = records.map(JournalCodec.encode).joined(separator: "\n") + "\n{bad}\n" + JournalCodec.encode(records[0])
    let bytes = Array(text.utf8)
    let whole = JournalContent.parse(bytes)
    #expect(whole.records == records + [records[0]])
    #expect(whole.badLines.map(\.line) == [records.count + 1])
    for pieceSize in [1, 2, 3, 7, 64, 1000] {
      let (scanner, seen) = scanInPieces(bytes, of: pieceSize)
      #expect(seen == whole.records, "pieces of \(pieceSize)")
      #expect(scanner.badLines.map(\.line) == [records.count + 1] && scanner.badLineCount == 1)
      #expect(scanner.validLength == bytes.count && scanner.endsWithoutLineBreak && scanner.tornLine == nil)
      #expect(scanner.lineCount == records.count + 2)
    }
  }

  @Test func anOverlongLineIsABadLineAndIsNotKept() {
    let good = JournalCodec.encode(JournalTests.everyKind[0])
    let long = #"{"t":1,"type":"stop","x":""# + String(repeating: "a", count: JournalScanner.maximumLineLength) + #""}"#
    for pieceSize in [4096, 1 << 20] {
      let (scanner, seen) = scanInPieces(Array((good + "\n" + long + "\n" + good + "\n").utf8), of: pieceSize)
      #expect(seen.count == 2)
      #expect(scanner.badLines.map(\.line) == [2] && scanner.badLines.first?.error.description.hasPrefix("longer than") == true)
    }
  }

  @Test func onlyTheFirstBadLinesAreNamedButAllAreCounted() {
    let text = String(repeating: "nonsense\n", count: 50)
    var scanner = JournalScanner()
    Array(text.utf8).withUnsafeBufferPointer { scanner.feed($0) { _ in } }
    scanner.finish { _ in }
    #expect(scanner.badLineCount == 50 && scanner.badLines.count == JournalScanner.namedLineLimit)
  }
}

/// A long journal is read in stretches on all cores; the result must be the one sequential reading gives.
@Suite struct JournalStretchTests {
  struct Collect: JournalFold {
    var records: [JournalRecord] = []
    mutating func take(_ record: JournalRecord) { records.append(record) }
    mutating func append(_ later: Collect) { records += later.records }
  }

  static let ids = ["A", "B", "C"]
  static let sites = ids.map { SiteConfig(id: $0, name: $0, group: GroupPath.parse("X")!, expected: 1, heartbeatFile: "/tmp/\($0).hb") }

  static var records: [JournalRecord] {
    var out: [JournalRecord] = [JournalRecord(unixSeconds: 1, site: nil, kind: .start(sites: 3))]
    var time = 2.0
    func add(_ site: String, _ kind: JournalRecord.Kind) {
      out.append(JournalRecord(unixSeconds: time, site: site, kind: kind))
      time += 1
    }
    for round in 0..<40 {
      add("A", .status(from: .unknown, to: round % 2 == 0 ? .online : .offline, cause: "heartbeat"))
      add("B", .headcount(count: round, source: round % 3 == 0 ? .manual : .udp, operatorName: round % 3 == 0 ? "Lan" : nil))
      if round % 5 == 0 { add("C", .mark(operatorName: "Minh", reason: "line \(round)")) }
      if round % 7 == 0 { add("C", .clear(operatorName: "Minh")) }
      if round % 4 == 0 { add("A", .acknowledge(operatorName: "Hương")) }
      if round % 9 == 0 { add("GONE", round % 2 == 0 ? .mark(operatorName: "Lan", reason: "x") : .clear(operatorName: "Lan")) }
      if round % 11 == 0 { add("GONE-\(round)", .mark(operatorName: "Lan", reason: "y")) }
    }
    return out
  }

  @Test func replaysOfConsecutiveStretchesJoinToTheWholeReplay() {
    let records = Self.records
    var whole = RestoredSite.Replay(sites: Self.sites)
    for record in records { whole.take(record) }
    for split in 0...records.count {
      var first = RestoredSite.Replay(sites: Self.sites)
      var second = RestoredSite.Replay(sites: Self.sites)
      for record in records[..<split] { first.take(record) }
      for record in records[split...] { second.take(record) }
      first.append(second)
      #expect(first.sites == whole.sites, "split at \(split)")
      #expect(first.orphanMarks.map(\.site) == whole.orphanMarks.map(\.site), "split at \(split)")
    }
  }

  @Test func aFileReadInStretchesGivesWhatOneReaderGives() throws {
    var lines = Self.records.map(JournalCodec.encode)
    lines.insert("{not json", at: 17)
    lines.insert(#"{"t":5,"type":"launch"}"#, at: 60)
    let text = lines.joined(separator: "\n") + "\n" + #"{"t":99,"ty"#
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bw-stretch-\(UUID().uuidString)").path
    defer { unlink(path) }
    #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    let sequential = JournalContent.parse(Array(text.utf8))
    for stretches in 1...7 {
      let (scan, collected) = try JournalScanner.read(fd: fd, size: text.utf8.count, stretches: stretches, fold: Collect()).get()
      #expect(collected.records == sequential.records, "\(stretches) stretches")
      #expect(scan.badLines.map(\.line) == [18] && scan.unknownTypeLines.map(\.line) == [61], "\(stretches) stretches")
      #expect(scan.tornLine == lines.count + 1 && scan.validLength == sequential.validLength, "\(stretches) stretches")
      #expect(scan.recordCount == Self.records.count && scan.lineCount == lines.count + 1)
      #expect(scan.bytesRead == text.utf8.count)
    }
  }
}
