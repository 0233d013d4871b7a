import BridgeCore
import Foundation
import Testing

/// The check-in page's pure parts: the form's decoding and checks, the gate (tokens, rates, stamps), the engine's
/// `checkin`, its journal record and restart, the status file's provenance, and the page's HTML.
@Suite struct CheckinTests {
  static let tokens: [String?] = ["aaaabbbbccccdddd2222", nil, "zzzzyyyyxxxxwwww7777"]

  static func body(_ fields: [(String, String)]) -> [UInt8] {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return Array(
      fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&").utf8)
  }

  static func formBody(_ stamp: CheckinStamp, action: String = "count", count: String = "45", who: String = "Anh Tuấn 0912 345 678")
    -> [UInt8]
  {
    body([
      ("issued", String(stamp.issued)), ("nonce", stamp.nonce), ("sig", stamp.signature), ("who", who), ("count", count),
      ("action", action),
    ])
  }

  static let stamp = CheckinStamp(issued: 1_795_000_000, nonce: "0123456789abcdef", signature: String(repeating: "a", count: 64))

  // MARK: Form

  @Test func aFormDecodesPlusAndPercentEscapesAsUTF8() throws {
    let fields = try #require(CheckinForm.fields(Array("who=Anh+Tu%E1%BA%A5n&count=45&x".utf8)))
    #expect(fields["who"] == "Anh Tuấn")
    #expect(fields["count"] == "45")
    #expect(fields["x"] == "")
    #expect(CheckinForm.fields(Array("who=%E1%BA".utf8)) == nil, "a cut escape")
    #expect(CheckinForm.fields(Array("who=%ZZ".utf8)) == nil, "not hex")
    #expect(CheckinForm.fields(Array("who=%FF".utf8)) == nil, "not UTF-8")
    #expect(CheckinForm.fields(Array((0..<17).map { "f\($0)=1" }.joined(separator: "&").utf8)) == nil, "too many fields")
  }

  @Test func aGoodFormParsesWithItsCountAndWho() throws {
    let form = try CheckinForm.parse(Self.formBody(Self.stamp, count: "1.234")).get()
    #expect(form.action == .count)
    #expect(form.count == 1234)
    #expect(form.who == "Anh Tuấn 0912 345 678")
    #expect(form.stamp == Self.stamp)
    #expect(form.reportedState == nil)
    #expect(try CheckinForm.parse(Self.formBody(Self.stamp, action: "help", count: "")).get().reportedState == .help)
    #expect(try CheckinForm.parse(Self.formBody(Self.stamp, action: "connected", count: "")).get().reportedState == .ok)
  }

  @Test func badFieldsAreNamed() {
    #expect(CheckinForm.parse(Self.formBody(Self.stamp, who: "  \u{1B}\u{07}\u{202E} ")) == .failure(.needWho))
    #expect(CheckinForm.parse(Self.formBody(Self.stamp, count: "")) == .failure(.needCount))
    #expect(CheckinForm.parse(Self.formBody(Self.stamp, count: "148 người")) == .failure(.badCount(.notANumber("148 người"))))
    guard case .failure(.badCount) = CheckinForm.parse(Self.formBody(Self.stamp, count: "-3")) else {
      Issue.record("a negative count is refused")
      return
    }
    guard case .failure(.badCount) = CheckinForm.parse(Self.formBody(Self.stamp, count: "2000000")) else {
      Issue.record("a count over the engine's range is refused")
      return
    }
    #expect(CheckinForm.parse(Self.formBody(Self.stamp, action: "delete")) == .failure(.malformed))
    #expect(CheckinForm.parse(Array("who=a&count=1&action=count".utf8)) == .failure(.malformed), "no stamp")
  }

  @Test func whoIsSanitizedSpacedAndCut() {
    #expect(CheckinForm.cleanWho("\u{1B}]0;pwned\u{07}Lan\u{202E}  \n Chi ") == "]0;pwnedLan Chi")
    let long = CheckinForm.cleanWho(String(repeating: "ă", count: 200))
    #expect(long.unicodeScalars.count == CheckinForm.maximumWhoScalars)
    #expect(TextSanitizer.firstUnsafe(in: long) == nil)
  }

  // MARK: Gate

  @Test func tokensFindTheirSiteAndNothingElseDoes() {
    let gate = CheckinGate(tokens: Self.tokens, stampKey: Array(repeating: 7, count: 32))
    #expect(gate.site(forToken: "aaaabbbbccccdddd2222".utf8) == 0)
    #expect(gate.site(forToken: "zzzzyyyyxxxxwwww7777".utf8) == 2)
    for wrong in ["aaaabbbbccccdddd222", "aaaabbbbccccdddd22222", "AAAABBBBCCCCDDDD2222", "", "aaaabbbbccccdddd2223"] {
      #expect(gate.site(forToken: wrong.utf8) == nil, "\(wrong)")
    }
  }

  @Test func wrongTokensAreCountedThenLimitedWithoutTakingTheKnownTokensRoom() {
    var limits = CheckinGate.Limits()
    limits.unknownBurst = 3
    var gate = CheckinGate(tokens: Self.tokens, stampKey: [1], limits: limits)
    let now: Int64 = 5_000_000_000
    for _ in 0..<3 { #expect(gate.admit(token: "nope".utf8, nowNanos: now) == .refused(.unknownToken)) }
    #expect(gate.admit(token: "nope".utf8, nowNanos: now) == .refused(.rateLimited))
    #expect(gate.admit(token: "aaaabbbbccccdddd2222".utf8, nowNanos: now) == .site(0))
    #expect(gate.counters[.unknownToken] == 3)
    #expect(gate.counters[.rateLimited] == 1)
    // One more wrong guess a second.
    #expect(gate.admit(token: "nope".utf8, nowNanos: now + 1_000_000_000) == .refused(.unknownToken))
  }

  @Test func eachTokenHasItsRateAndAllShareOne() {
    var limits = CheckinGate.Limits()
    limits.perTokenBurst = 2
    limits.perTokenRefillSeconds = 10
    limits.overallBurst = 5
    limits.overallPerSecond = 1
    var gate = CheckinGate(tokens: Self.tokens, stampKey: [1], limits: limits)
    let site0 = "aaaabbbbccccdddd2222".utf8
    let site2 = "zzzzyyyyxxxxwwww7777".utf8
    #expect(gate.admit(token: site0, nowNanos: 0) == .site(0))
    #expect(gate.admit(token: site0, nowNanos: 0) == .site(0))
    #expect(gate.admit(token: site0, nowNanos: 0) == .refused(.rateLimited), "the token's burst is spent")
    #expect(gate.admit(token: site2, nowNanos: 0) == .site(2), "another token is not held back")
    #expect(gate.admit(token: site0, nowNanos: 10_000_000_000) == .site(0), "one more after its refill")
    #expect(gate.admit(token: site2, nowNanos: 10_000_000_000) == .site(2))
    // The overall bucket (5, 1 a second) has had 6 taken and 10 s of refill: the 7th and 8th fit, then 429s for all.
    _ = gate.admit(token: site2, nowNanos: 10_000_000_000)
    #expect(gate.admit(token: site2, nowNanos: 10_000_000_000) == .refused(.rateLimited))
  }

  @Test func aStampIsSignedUsedOnceAndRefusedWhenOldOrForged() throws {
    var gate = CheckinGate(tokens: Self.tokens, stampKey: Array(repeating: 9, count: 32))
    let served = 1_795_000_000.0
    let stamp = gate.stamp(site: 0, unixSeconds: served, nonce: 42)
    #expect(stamp.nonce == "000000000000002a")
    let form = try CheckinForm.parse(Self.formBody(stamp)).get()
    #expect(gate.check(form, site: 0, unixSeconds: served + 5) == .fresh)
    guard case .alreadyUsed(let earlier) = gate.check(form, site: 0, unixSeconds: served + 6) else {
      Issue.record("a form sent twice is answered with the first result")
      return
    }
    #expect(earlier.unixSeconds == served + 5 && earlier.form.count == 45)
    #expect(gate.counters.accepted == 1 && gate.counters.duplicates == 1)
    // Another site's stamp, a forged signature, an old page, and a page from another run (another key) are stale.
    let otherSite = try CheckinForm.parse(Self.formBody(gate.stamp(site: 2, unixSeconds: served, nonce: 1))).get()
    #expect(gate.check(otherSite, site: 0, unixSeconds: served) == .stale)
    var forged = try CheckinForm.parse(Self.formBody(gate.stamp(site: 0, unixSeconds: served, nonce: 2))).get()
    forged.stamp.issued += 1
    #expect(gate.check(forged, site: 0, unixSeconds: served + 1) == .stale)
    let old = try CheckinForm.parse(Self.formBody(gate.stamp(site: 0, unixSeconds: served, nonce: 3))).get()
    #expect(gate.check(old, site: 0, unixSeconds: served + gate.limits.formValidSeconds + 1) == .stale)
    let restarted = CheckinGate(tokens: Self.tokens, stampKey: Array(repeating: 8, count: 32))
    let fromBefore = try CheckinForm.parse(Self.formBody(restarted.stamp(site: 0, unixSeconds: served, nonce: 4))).get()
    #expect(gate.check(fromBefore, site: 0, unixSeconds: served + 1) == .stale)
    #expect(gate.counters[.staleForm] == 4)
  }

  // MARK: Engine, journal, status file

  @Test func aCheckinIsAHeartbeatWithItsStateAndATypedCount() throws {
    var h = EngineHarness()
    h.engine.checkin(count: 45, state: .help, typedBy: "Anh Tuấn", site: 1, now: h.now)
    let record = h.engine.records[1]
    #expect(record.status == .online)
    #expect(record.lastSource == .checkin)
    #expect(record.headcount == 45 && record.headcountSource == .checkin)
    #expect(record.headcountSetBy?.operatorName == "Anh Tuấn")
    #expect(record.flags.contains(.helpRequested))
    let events = h.engine.drainEvents()
    #expect(events.contains { $0.kind == .checkinHeadcount(count: 45, typedBy: "Anh Tuấn") })
    #expect(events.contains { $0.kind == .helpRequestChanged(isRequested: true) })
    let sites = (0..<4).map {
      SiteConfig(id: "S\($0)", name: "Site \($0)", group: ["P"], expected: 10, heartbeatFile: "/dev/null/S\($0).hb")
    }
    let records = events.flatMap { JournalRecord.records(for: $0, sites: sites, heardBy: .checkin) }
    let headcount = try #require(records.first { if case .headcount = $0.kind { true } else { false } })
    #expect(headcount.kind == .headcount(count: 45, source: .checkin, operatorName: "Anh Tuấn"))
    #expect(headcount.isNeverDropped && !headcount.isOperatorAction)
    #expect(records.contains { $0.kind == .status(from: .unknown, to: .online, cause: "heartbeat", source: .checkin) })
    #expect(records.contains { $0.kind == .help(true) })
    // "Connected" lowers the help flag; a count alone leaves it; an agent's count without one does not replace it.
    h.wait(.seconds(1))
    h.engine.checkin(count: nil, state: .ok, typedBy: "Anh Tuấn", site: 1, now: h.now)
    #expect(!h.engine.records[1].flags.contains(.helpRequested))
    #expect(h.engine.records[1].headcount == 45)
    h.beat(1)
    #expect(h.engine.records[1].headcountSource == .checkin)
  }

  @Test func aCheckinCountIsJournaledAndStandsAcrossARestart() throws {
    let sites = [SiteConfig(id: "HB-TU", name: "Tỉnh ủy", group: ["Hòa Bình"], expected: 150, heartbeatFile: "/dev/null/x")]
    let line = JournalCodec.encode(
      JournalRecord(unixSeconds: 1_795_000_000, site: "HB-TU", kind: .headcount(count: 45, source: .checkin, operatorName: "Lan")))
    #expect(line.contains("\"source\":\"checkin\""))
    let decoded = try JournalCodec.decode(Substring(line)).get()
    #expect(decoded.kind == .headcount(count: 45, source: .checkin, operatorName: "Lan"))
    var replay = RestoredSite.Replay(sites: sites)
    replay.take(decoded, siteIndex: 0)
    let restored = try #require(replay.sites.first)
    #expect(restored.manualHeadcount == 45 && restored.manualHeadcountSource == .checkin)
    #expect(restored.manualHeadcountBy?.operatorName == "Lan")
    var engine = StatusEngine(sites: sites, timing: Timing())
    engine.restore(restored, site: 0, now: ManualClock().now())
    #expect(engine.records[0].headcountSource == .checkin && engine.records[0].headcount == 45)
  }

  @Test func theReportNamesACheckinCountsPageAndWhoTypedIt() throws {
    var config = ConferenceConfig(sites: [
      SiteConfig(id: "HB-TU", name: "Tỉnh ủy", group: ["Hòa Bình"], expected: 50, heartbeatFile: "/dev/null/x")
    ])
    config.schedule.sessions = [ScheduleSession(name: "sáng", start: 10_000, end: 13_600)]
    let records = [
      JournalRecord(unixSeconds: 9_000, site: nil, kind: .start(sites: 1)),
      JournalRecord(unixSeconds: 10_100, site: "HB-TU", kind: .status(from: .unknown, to: .online, cause: "heartbeat", source: .checkin)),
      JournalRecord(unixSeconds: 10_100, site: "HB-TU", kind: .headcount(count: 45, source: .checkin, operatorName: "Chị Lan")),
      JournalRecord(unixSeconds: 14_000, site: nil, kind: .stop),
    ]
    let report = try ConferenceReport.build(config: config, records: records)
    let english = ReportRenderer.render(report, config: config, format: .md, language: .en)
    let vietnamese = ReportRenderer.render(report, config: config, format: .md, language: .vi)
    #expect(english.contains("check-in page: Chị Lan"), "\(english)")
    #expect(vietnamese.contains("trang điểm danh: Chị Lan"), "\(vietnamese)")
    let json = ReportRenderer.render(report, config: config, format: .json)
    #expect(json.contains("\"source\": \"checkin\", \"operator\": \"Chị Lan\""), "\(json)")
  }

  // MARK: Config

  @Test func theCheckinSectionIsReadAndItsMistakesAreNamedAtTheirLine() throws {
    let site = "sites:\n  - {id: A, name: \"Điểm A\", group: \"Hòa Bình\", expected: 10}\n"
    #expect(try ConfigLoader.load(yaml: site, path: "test.yaml").config.checkin.enabled == false)
    #expect(try ConfigLoader.load(yaml: "checkin:\n  enabled: true\n" + site, path: "test.yaml").config.checkin.enabled)
    func problems(_ yaml: String) -> [String] {
      do {
        _ = try ConfigLoader.load(yaml: yaml + site, path: "test.yaml")
        return []
      } catch {
        return error.problems.map(\.description)
      }
    }
    #expect(problems("checkin: yes\n") == ["test.yaml:1: 'checkin' must be a mapping (enabled: true)"])
    let unknown = problems("checkin:\n  enable: true\n")
    #expect(unknown.count == 1 && unknown[0].hasPrefix("test.yaml:2: "), "\(unknown)")
    let notBoolean = problems("checkin:\n  enabled: maybe\n")
    #expect(notBoolean.count == 1 && notBoolean[0].hasPrefix("test.yaml:2: "), "\(notBoolean)")
  }

  // MARK: Page

  @Test func thePageIsEscapedPhoneSizedScriptlessAndInVietnameseByDefault() {
    let site = SiteConfig(
      id: "HB-TU", name: "Tỉnh ủy <script>alert(1)</script>", group: ["Hòa Bình", "Đà Bắc"], expected: 150,
      heartbeatFile: "/dev/null/x")
    let page = CheckinPage.form(site: site, stamp: Self.stamp, language: .vi, who: "\"><b>x", count: "12")
    #expect(page.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
    #expect(page.contains("<html lang=\"vi\">"))
    #expect(!page.contains("<script"))
    #expect(page.contains("Tỉnh ủy &lt;script&gt;alert(1)&lt;/script&gt;"))
    #expect(page.contains("value=\"&quot;&gt;&lt;b&gt;x\""))
    #expect(page.contains("Hòa Bình / Đà Bắc"))
    for label in ["Đã kết nối", "Quân số", "Cần hỗ trợ", "Gửi quân số", "English"] { #expect(page.contains(label), "\(label)") }
    #expect(page.contains("name=\"sig\" value=\"\(Self.stamp.signature)\""))
    let english = CheckinPage.form(site: site, stamp: Self.stamp, language: .en)
    for label in ["We are connected", "Headcount", "We need help", "Tiếng Việt"] { #expect(english.contains(label), "\(label)") }
    #expect(english.contains("action=\"?lang=en\""))
    let notFound = CheckinPage.plain(.checkinNotFound, language: .vi)
    #expect(notFound.contains("Không tìm thấy") && notFound.contains("Not found") && !notFound.contains("HB-TU"))
  }
}
