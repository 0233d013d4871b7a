import Foundation
import TestSupport
import Testing

@testable import BridgeCore

/// The common lines' own reader against the general one: every line it takes is read to the record the general
/// reader makes of it, and the lines the monitor writes most are taken.
@Suite struct JournalCommonLinesTests {
  func common(_ line: String) -> JournalRecord? {
    var bytes = Array(line.utf8)
    return bytes.withUnsafeMutableBufferPointer { JournalCommonLines.decode(UnsafeBufferPointer($0))?.record }
  }

  func general(_ line: String) -> Result<JournalRecord, JournalLineError> {
    var bytes = Array(line.utf8)
    return bytes.withUnsafeMutableBufferPointer { JournalCodec.decodeInGeneral(UnsafeBufferPointer($0)) }
  }

  static let statuses: [SiteStatus] = [.unknown, .online, .late, .offline, .marked]

  func randomCommonRecord(_ random: inout SeededGenerator) -> JournalRecord {
    let idCharacters = Array("ABCDEFGHIKLMNOPQRSTUVXY0123456789-_.")
    let site = String((0..<Int.random(in: 1...24, using: &random)).map { _ in idCharacters.randomElement(using: &random)! })
    // Times as the monitor's clock gives them, to the microsecond: the writer keeps milliseconds.
    let time = Double.random(in: 1_700_000_000...1_900_000_000, using: &random)
    if Bool.random(using: &random) {
      let count = Int.random(in: 0...HeartbeatCodec.maximumCount, using: &random)
      let peak = Bool.random(using: &random) ? Int.random(in: 0...HeartbeatCodec.maximumCount, using: &random) : nil
      let source: HeartbeatSource = Bool.random(using: &random) ? .udp : .file
      return JournalRecord(unixSeconds: time, site: site, kind: .headcount(count: count, source: source, operatorName: nil, peak: peak))
    }
    let cause = ["heartbeat", "silence", "mark", "clear", "checkpoint"].randomElement(using: &random)!
    let source = [nil, HeartbeatSource.udp, .file, .probe].randomElement(using: &random)!
    return JournalRecord(
      unixSeconds: time, site: site,
      kind: .status(
        from: Self.statuses.randomElement(using: &random)!, to: Self.statuses.randomElement(using: &random)!, cause: cause,
        source: source))
  }

  @Test func theLinesTheMonitorWritesMostAreTakenAndReadAsTheGeneralReaderReadsThem() throws {
    var random = SeededGenerator(state: 30)
    for _ in 0..<20_000 {
      let line = JournalCodec.encode(randomCommonRecord(&random))
      let taken = try #require(common(line), "not taken: \(line)")
      #expect(taken == (try general(line).get()), "\(line)")
    }
  }

  @Test func aLineChangedAnywhereIsEitherReadAsTheGeneralReaderReadsItOrLeftToIt() {
    var random = SeededGenerator(state: 31)
    // Bytes that change what a line means: digits, signs, quotes, escapes, spaces, letters, non-ASCII.
    let replacements = Array("0123456789.-+eE\"\\ ,:{}xanu\u{00e2}\t".utf8)
    var takenAfterChange = 0
    for _ in 0..<30_000 {
      var bytes = Array(JournalCodec.encode(randomCommonRecord(&random)).utf8)
      for _ in 0..<Int.random(in: 1...2, using: &random) {
        let at = Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<4, using: &random) {
        case 0: bytes[at] = replacements.randomElement(using: &random)!
        case 1: bytes.remove(at: at)
        case 2: bytes.insert(replacements.randomElement(using: &random)!, at: at)
        default: bytes.removeSubrange(at...)
        }
        if bytes.isEmpty { bytes = [UInt8(ascii: "{")] }
      }
      let line = String(decoding: bytes, as: UTF8.self)
      guard String(validating: bytes, as: UTF8.self) != nil else { continue }
      let whole = JournalCodec.decode(Substring(line))
      #expect(whole == general(line), "\(line)")
      if let taken = common(line) {
        takenAfterChange += 1
        #expect(Result.success(taken) == general(line), "\(line)")
      }
    }
    // Many changes leave a line of the same form (another digit, another id): those are still taken.
    #expect(takenAfterChange > 1_000)
  }

  @Test func formsOutsideTheExactOneAreLeftToTheGeneralReader() throws {
    let left = [
      // Spaces, another key order, an escape in the id, an operator.
      #"{"t": 1796267403.001,"type":"headcount","site":"QNX-011-DU","count":170,"source":"udp"}"#,
      #"{"type":"headcount","t":1796267403.001,"site":"QNX-011-DU","count":170,"source":"udp"}"#,
      #"{"t":1796267403.001,"type":"headcount","site":"QNX\u002D011","count":170,"source":"udp"}"#,
      #"{"t":1796267403.001,"type":"headcount","site":"QNX-011-DU","count":170,"source":"manual","operator":"lan"}"#,
      // Numbers: an integral time, a leading zero, an exponent, a count or peak out of range, a count as a float.
      #"{"t":1796267403,"type":"headcount","site":"QNX-011-DU","count":170,"source":"udp"}"#,
      #"{"t":01796267403.001,"type":"headcount","site":"QNX-011-DU","count":170,"source":"udp"}"#,
      #"{"t":1.796267403001e9,"type":"headcount","site":"QNX-011-DU","count":170,"source":"udp"}"#,
      #"{"t":1796267403.001,"type":"headcount","site":"QNX-011-DU","count":1000001,"source":"udp"}"#,
      #"{"t":1796267403.001,"type":"headcount","site":"QNX-011-DU","count":17,"source":"udp","peak":12345678}"#,
      #"{"t":1796267403.001,"type":"headcount","site":"QNX-011-DU","count":170.0,"source":"udp"}"#,
      #"{"t":5102444800.001,"type":"headcount","site":"QNX-011-DU","count":170,"source":"udp"}"#,
      // A cause or source this reader does not know, a key given twice, something after the object.
      #"{"t":1796267403.001,"type":"status","site":"A","from":"online","to":"late","cause":"marked"}"#,
      #"{"t":1796267403.001,"type":"status","site":"A","from":"online","to":"late","cause":"heartbeat","source":"manual"}"#,
      #"{"t":1796267403.001,"type":"status","site":"A","from":"online","to":"late","cause":"heartbeat","cause":"silence"}"#,
      #"{"t":1796267403.001,"type":"status","site":"A","from":"online","to":"late","cause":"heartbeat"} "#,
    ]
    for line in left {
      #expect(common(line) == nil, "\(line)")
      #expect(JournalCodec.decode(Substring(line)) == general(line), "\(line)")
    }
    // The general reader's verdicts stand: a count out of range is a bad line, a peak out of range is dropped.
    #expect((try? general(left[7]).get()) == nil)
    let peakDropped = try general(left[8]).get()
    #expect(peakDropped.kind == .headcount(count: 17, source: .udp, operatorName: nil, peak: nil))
  }

  @Test func aReportReadThroughTheCommonLinesIsTheReportOfTheRecords() throws {
    let ids = (0..<40).map { "S-\($0)-" + String(repeating: "x", count: $0 % 20) }
    var config = ConferenceConfig(
      sites: ids.enumerated().map { index, id in
        SiteConfig(id: id, name: id, group: ["P\(index % 3)", "C\(index % 7)"], expected: 50, heartbeatFile: "/tmp/\(id).hb")
      })
    let start = 1_770_426_000.0
    config.schedule.sessions = [ScheduleSession(name: "one", start: start + 60, end: start + 3_000)]
    var random = SeededGenerator(state: 32)
    var records = [JournalRecord(unixSeconds: start, site: nil, kind: .start(sites: ids.count))]
    var time = start
    for step in 0..<4_000 {
      time += Double.random(in: 0...1.5, using: &random)
      let site = ids.randomElement(using: &random)!
      let statuses: [SiteStatus] = [.online, .late, .offline]
      let kind: JournalRecord.Kind =
        switch Int.random(in: 0..<20, using: &random) {
        case 0: .headcount(count: Int.random(in: 0...90, using: &random), source: .manual, operatorName: "Lan")
        case 1: .mark(operatorName: "Minh", reason: "line down")
        case 2: .clear(operatorName: "Minh")
        case 3..<9:
          .status(
            from: statuses.randomElement(using: &random)!, to: statuses.randomElement(using: &random)!, cause: "heartbeat",
            source: [nil, .udp, .file].randomElement(using: &random)!)
        default:
          .headcount(
            count: Int.random(in: 0...90, using: &random), source: Bool.random(using: &random) ? .udp : .file, operatorName: nil,
            peak: Bool.random(using: &random) ? Int.random(in: 0...120, using: &random) : nil)
        }
      records.append(JournalRecord(unixSeconds: time, site: site, kind: kind))
      if step == 2_000 {
        records.append(JournalRecord(unixSeconds: time, site: nil, kind: .stop))
        records.append(JournalRecord(unixSeconds: time + 5, site: nil, kind: .start(sites: ids.count)))
        time += 5
      }
      if step == 3_000 { records.append(JournalRecord(unixSeconds: time, site: nil, kind: .clock(step: 2.5))) }
    }
    let text = records.map(JournalCodec.encode).joined(separator: "\n") + "\n"
    let read = JournalContent.parse(Array(text.utf8)).records
    #expect(read.count == records.count)
    let whole = try ConferenceReport.build(config: config, records: read)
    var builder = ConferenceReport.Builder(config: config)
    var scanner = JournalScanner()
    Array(text.utf8).withUnsafeBufferPointer { scanner.feed($0, into: &builder) }
    scanner.finish(into: &builder)
    #expect(builder.recordCount == records.count)
    #expect(try builder.build() == whole)
  }
}
