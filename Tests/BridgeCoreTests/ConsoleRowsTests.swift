import BridgeCore
import Foundation
import TestSupport
import Testing

/// The roster's rows (`ConsoleRows`): a console that reads them gets the same state as one reading JSON objects,
/// whatever a row cannot hold still travels as an object, a console from before them never gets them, and every
/// malformed row is refused with the row and the reason.
@Suite struct ConsoleRowsTests {
  let protocolTests = ConsoleProtocolTests()

  func object(_ line: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
  }

  func decodedSnapshot(_ line: [UInt8]) throws -> ConsoleSnapshot {
    guard case .snapshot(let snapshot) = try ConsoleProtocol.decode(line.dropLast()) else {
      Issue.record("not a snapshot")
      throw RowsProblemForTest()
    }
    return snapshot
  }

  struct RowsProblemForTest: Error {}

  @Test func aSnapshotInRowsDecodesToTheSameSitesAsInObjects() throws {
    var engine = try protocolTests.busyEngine()
    engine.heartbeat(
      HeartbeatInput(source: .file, sequence: nil, count: nil, state: .degraded), site: 2, heardAt: protocolTests.at(seconds: 4.5),
      now: protocolTests.at(seconds: 4.5))
    let snapshot = protocolTests.snapshot(engine, revision: 9)
    let rowsLine = ConsoleProtocol.encode(.snapshot(snapshot), rows: true)
    let objectsLine = ConsoleProtocol.encode(.snapshot(snapshot))
    #expect(rowsLine.count < objectsLine.count)

    let wire = try object(rowsLine)
    let objects = try #require(wire["sites"] as? [[String: Any]])
    #expect(objects.compactMap { $0["i"] as? Int } == [1, 3], "the marked and the claimed site travel as objects")
    let rows = try #require(wire["rows"] as? String)
    #expect(rows.split(separator: ",").count == 2 * 21, "the two others travel as rows of 21 integers")
    #expect(try object(objectsLine)["rows"] == nil, "a console that does not read rows gets none")

    let fromRows = try decodedSnapshot(rowsLine)
    #expect(fromRows == (try decodedSnapshot(objectsLine)))
    #expect(fromRows.sites.map(\.index) == [0, 1, 2, 3], "in the facts' order")
    protocolTests.expectSame(fromRows.sites.map(\.record), engine.records.all)
    #expect(fromRows.sites[2].flags.contains(.degraded) && fromRows.sites[2].source == .file)
  }

  @Test func aSiteARowCannotHoldTravelsAsAnObject() throws {
    let site = ConsoleSite(try protocolTests.busyEngine().records[0], index: 0)
    #expect(ConsoleRows.fits(site))
    for change: (inout ConsoleSite) -> Void in [
      { $0.probe = "answered" },
      {
        $0.rejected = SiteRejection(reason: .badMAC, count: 2, lastAt: ClockReading(monotonicNanos: 1, unixSeconds: 1), source: "10.0.0.9")
      },
      { $0.countProblem = "unreadable" }, { $0.acknowledgedBy = "lan" }, { $0.sequence = UInt64.max },
      { $0.count = -1 }, { $0.heard = ConsoleClock(ClockReading(monotonicNanos: 2_000_000_000_000_000_000, unixSeconds: 5)) },
    ] {
      var changed = site
      change(&changed)
      #expect(!ConsoleRows.fits(changed))
      let snapshot = ConsoleSnapshot(
        revision: 1, taken: site.heard!, sites: [changed],
        status: ConsoleMonitorStatus(counters: IngestCounters(), journalProblem: nil, clockNote: nil, consoles: 1))
      #expect(try decodedSnapshot(ConsoleProtocol.encode(.snapshot(snapshot), rows: true)).sites == [changed])
    }
  }

  @Test func factsInRowsDecodeToTheSameFactsUnlessATextHoldsASeparator() throws {
    var config = ConferenceConfig(sites: ConsoleProtocolTests.sites)
    config.sites[0].probe = try ProbeTarget.parse("sip://10.0.0.5:5060").get()
    config.sites[1].contact = "Anh Tuấn 0912 345 678"
    config.keys = ["BK-TU": Array("a-secret-key-of-the-site".utf8)]
    let facts = ConsoleFacts(config: config, listenAddress: "0.0.0.0:7400")
    let welcome = ConsoleWelcome(pid: 1, unixUser: "ops", facts: facts)
    let line = ConsoleProtocol.encode(.welcome(welcome), rows: true)
    let wire = try #require(try object(line)["facts"] as? [String: Any])
    #expect((wire["sites"] as? [Any])?.isEmpty == true)
    let siteRows = try #require(wire["site_rows"] as? String)
    #expect(siteRows.split(separator: "\u{7F}", omittingEmptySubsequences: false).count == 4 * 8 + 7, "8 fields a site and 7 group parts")
    #expect(!String(decoding: line, as: UTF8.self).contains("\\u"), "DEL travels as it is, not escaped")
    #expect(try ConsoleProtocol.decode(line.dropLast()) == .welcome(welcome))
    #expect(try ConsoleProtocol.decode(ConsoleProtocol.encode(.welcome(welcome)).dropLast()) == .welcome(welcome))

    var tabbed = facts
    tabbed.sites[2].heartbeatFile = "/tmp/a\u{7F}b.hb"
    let fallback = ConsoleProtocol.encode(.welcome(ConsoleWelcome(pid: 1, unixUser: "ops", facts: tabbed)), rows: true)
    #expect((try object(fallback)["facts"] as? [String: Any])?["site_rows"] == nil, "a DEL in a path: objects")
    guard case .welcome(let received) = try ConsoleProtocol.decode(fallback.dropLast()) else {
      Issue.record("not a welcome")
      return
    }
    #expect(received.facts == tabbed)
  }

  @Test func aWelcomeWhoseFactsWereEncodedOnceIsTheSameLine() throws {
    let facts = ConsoleProtocolTests.facts()
    for rows in [false, true] {
      for welcome in [
        ConsoleWelcome(pid: 42, unixUser: "ops", facts: facts),
        ConsoleWelcome(pid: 42, unixUser: "khách \"quote\"", facts: facts, readOnly: true, role: MonitorRole(kind: .primary)),
      ] {
        let once = ConsoleProtocol.encode(facts: facts, rows: rows)
        #expect(ConsoleProtocol.encodeWelcome(welcome, facts: once, rows: rows) == ConsoleProtocol.encode(.welcome(welcome), rows: rows))
      }
    }
  }

  @Test func aHelloFromAConsoleBeforeRowsAsksForObjects() throws {
    let old = #"{"type":"hello","version":1,"operator":"lan","read_only":false,"purpose":"console"}"#
    guard case .hello(let hello) = try ConsoleProtocol.decode(Array(old.utf8)) else {
      Issue.record("not a hello")
      return
    }
    #expect(hello.readsRows == nil)
    let now = ConsoleHello(operatorName: "lan", readOnly: false, group: nil, purpose: .console)
    #expect(String(decoding: ConsoleProtocol.encode(.hello(now)), as: UTF8.self).contains(#""rows":true"#))
  }

  /// A welcome and a snapshot in rows, mangled a byte or a cut at a time: each is read or refused, never a crash,
  /// and what is read has every site's index in the roster's range.
  @Test func mangledRowsAreReadOrRefusedNeverACrash() throws {
    let engine = try protocolTests.busyEngine()
    let lines = [
      ConsoleProtocol.encode(.welcome(ConsoleWelcome(pid: 1, unixUser: "ops", facts: ConsoleProtocolTests.facts())), rows: true),
      ConsoleProtocol.encode(.snapshot(protocolTests.snapshot(engine, revision: 3)), rows: true),
    ]
    var random = SeededGenerator(state: 30)
    let bytes: [UInt8] = Array("0123456789,-\\t\\n\"x".utf8) + [0x09, 0xC3, 0x1F, 0x7F]
    var read = 0
    var refused = 0
    for line in lines {
      for _ in 0..<400 {
        var mangled = Array(line.dropLast())
        for _ in 0..<Int.random(in: 1...3, using: &random) {
          let position = Int.random(in: 0..<mangled.count, using: &random)
          switch Int.random(in: 0..<3, using: &random) {
          case 0: mangled[position] = bytes.randomElement(using: &random)!
          case 1: mangled.remove(at: position)
          default: mangled.insert(bytes.randomElement(using: &random)!, at: position)
          }
        }
        do {
          switch try ConsoleProtocol.decode(mangled) {
          case .snapshot(let snapshot): #expect(snapshot.sites.allSatisfy { (0...Int(Int32.max)).contains($0.index) })
          case .welcome(let welcome): #expect(welcome.facts.sites.allSatisfy { $0.expected >= 0 })
          default: break
          }
          read += 1
        } catch {
          refused += 1
        }
      }
    }
    #expect(read > 0 && refused > 0, "read \(read), refused \(refused)")
  }

  @Test func malformedRowsAreRefusedWithTheRowAndTheReason() throws {
    let good = Array(repeating: "0", count: 21)
    let empty = ConsoleSnapshot(
      revision: 1, taken: ConsoleClock(ConsoleProtocolTests.start), sites: [],
      status: ConsoleMonitorStatus(counters: IngestCounters(), journalProblem: nil, clockNote: nil, consoles: 0))
    let template = String(decoding: ConsoleProtocol.encode(.snapshot(empty), rows: true).dropLast(), as: UTF8.self)
    #expect(template.contains(#""rows":"""#))
    func refusal(_ rows: String) -> String? {
      do {
        _ = try ConsoleProtocol.decode(Array(template.replacingOccurrences(of: #""rows":"""#, with: #""rows":"\#(rows)""#).utf8))
        return nil
      } catch {
        return error.description
      }
    }
    #expect(refusal(good.joined(separator: ",")) == nil, "a row of zeros is a site never heard")
    var second = good
    second[1] = "9"
    let cases: [(String, String)] = [
      (good.dropLast().joined(separator: ","), "groups of 21"),
      ((good + second).joined(separator: ","), "row 2: status 9 out of range"),
      (good.joined(separator: ",").replacingOccurrences(of: "0,0,0", with: "0,x,0"), "not a digit"),
      ("1234567890123456789" + String(repeating: ",0", count: 20), "18 digits"),
      ("0,," + Array(repeating: "0", count: 19).joined(separator: ","), "empty number"),
      ("-5" + String(repeating: ",0", count: 20), "index -5 out of range"),

      ("0,1,1,5,99999999999999999" + String(repeating: ",0", count: 16), "since"),
    ]
    for (rows, reason) in cases {
      let why = try #require(refusal(rows), "rows \(rows.prefix(60)) were accepted")
      #expect(why.contains(reason), "\(why) should say \(reason)")
    }

    func factsRefusal(_ siteRows: String, sites: String = "[]") -> String? {
      let line =
        #"{"type":"welcome","version":1,"pid":1,"unix_user":"ops","facts":{"title":"T","sites":\#(sites),"site_rows":"\#(siteRows)","sessions":[],"utc_offset":0,"recover_after":3,"listen":"","theme":"dark"}}"#
      do {
        _ = try ConsoleProtocol.decode(Array(line.utf8))
        return nil
      } catch {
        return error.description
      }
    }
    func row(_ fields: String...) -> String { fields.joined(separator: "\\u007f") }
    #expect(factsRefusal(row("A", "Name", "1", "G", "5", "/a.hb", "1", "", "")) == nil)
    #expect(factsRefusal(row("A", "Name", "2", "G", "H", "5", "/a.hb", "1", "", "")) == nil, "two group parts")
    #expect(factsRefusal(row("A", "Name", "1", "G", "5", "/a.hb", "1", ""))?.contains("site row 1 is cut short") == true)
    #expect(factsRefusal(row("A", "Name", "33", "G", "5", "/a.hb", "1", "", ""))?.contains("site row 1") == true, "33 parts")
    let twoSites = row("A", "Name", "1", "G", "5", "/a.hb", "1", "", "", "B", "N", "1", "G", "five", "/b.hb", "0", "", "")
    #expect(factsRefusal(twoSites)?.contains("site row 2") == true)
    #expect(factsRefusal(row("A", "Name", "1", "G", "5", "/a.hb", "2", "", ""))?.contains("signs") == true)
    #expect(factsRefusal(row("A", "Name", "1", "G", "1234567890", "/a.hb", "1", "", "")) != nil, "ten digits")
    let object = #"[{"id":"A","name":"N","group":["G"],"expected":1,"heartbeat_file":"/a","signs":false}]"#
    #expect(factsRefusal(row("A", "Name", "1", "G", "5", "/a.hb", "1", "", ""), sites: object)?.contains("both") == true)
  }
}
