import Foundation
import TestSupport
import Testing

@testable import BridgeCore

/// Issue 33 in the core: the heartbeat's `count_problem=`, the keys file's mapping form with a check-in token and a
/// rotated secret's grace, and the agent's settings file.
@Suite struct SiteKeysTests {
  static let site = SiteConfig(id: "HB-TU", name: "Tỉnh ủy", group: ["Hòa Bình"], expected: 150, heartbeatFile: "/x")
  static let start = ClockReading(monotonicNanos: 1_000_000_000, unixSeconds: 1_763_800_000)

  // MARK: count_problem on the wire and in the control room

  @Test func aCountProblemTravelsAsAReasonCodeAndIsSigned() throws {
    let line = HeartbeatCodec.encode(site: "HB-TU", sequence: 7, count: 40, timestamp: 1_763_800_000, countProblem: .notANumber)
    #expect(line == "BW1 site=HB-TU seq=7 count=40 ts=1763800000 count_problem=not_a_number")
    let signed = HeartbeatAuthenticator.sign(line, secret: Array("0123456789abcdef".utf8))
    let decoded = try HeartbeatCodec.decode(Array(signed.utf8)).get()
    #expect(decoded.countProblem == .notANumber && decoded.count == 40)
    // Every code reads back; a newer agent's unknown word is `other`; text that is not a code is malformed.
    for problem in CountFileProblem.allCases {
      let text = HeartbeatCodec.encode(site: "HB-TU", sequence: 1, countProblem: problem)
      #expect(try HeartbeatCodec.decode(Array(text.utf8)).get().countProblem == problem)
    }
    #expect(try HeartbeatCodec.decode(Array("BW1 site=HB-TU seq=1 count_problem=disk_on_fire".utf8)).get().countProblem == .other)
    for bad in ["148_NGUOI", "a-b", String(repeating: "x", count: 25)] {
      #expect(
        HeartbeatCodec.decode(Array("BW1 site=HB-TU seq=1 count_problem=\(bad)".utf8)) == .failure(.malformed(.badCountProblem)), "\(bad)")
    }
    #expect(
      HeartbeatCodec.decode(Array("BW1 site=HB-TU seq=1 count_problem=empty count_problem=empty".utf8))
        == .failure(.malformed(.duplicateKey)))
  }

  @Test func theMonitorShowsTheCountFileUnreadableUntilAHeartbeatSaysItReadsAgain() {
    var state = MonitorState(config: ConferenceConfig(sites: [Self.site]))
    func receive(_ line: String, after seconds: Int64) {
      let bytes = Array(line.utf8)
      _ = bytes.withUnsafeBytes { state.receiveDatagram($0, now: Self.start.advanced(by: .seconds(seconds))) }
    }
    /// What the journal keeps of the engine's events since the last call, read back through the journal's reader.
    func journaled() -> [JournalRecord.Kind] {
      state.withEngine { $0.drainEvents() }.flatMap { JournalRecord.records(for: $0, sites: [Self.site]) }
        .compactMap { try? JournalCodec.decode(Substring(JournalCodec.encode($0))).get().kind }
    }
    receive("BW1 site=HB-TU seq=1 count=45", after: 0)
    #expect(state.engine.records[0].countProblem == nil)
    #expect(!journaled().contains { if case .countFile = $0 { true } else { false } })
    receive("BW1 site=HB-TU seq=2 count=45 count_problem=not_a_number", after: 5)
    #expect(state.engine.records[0].countProblem == .notANumber)
    #expect(state.engine.records[0].headcount == 45, "the last good count stands")
    // Journaled once when it starts (its reason code, never the site's text), not again while it stands.
    #expect(journaled() == [.countFile(problem: "not_a_number")])
    receive("BW1 site=HB-TU seq=3 count=45 count_problem=not_a_number", after: 6)
    #expect(journaled().isEmpty)

    let snapshot = state.snapshot(now: Self.start.advanced(by: .seconds(6)), title: "T")
    let json = StatusFileEncoder.encode(snapshot)
    #expect(json.contains("\"count_file_unreadable\"") && json.contains("\"count_problem\": \"not_a_number\""), "\(json)")
    // Counted in every group the site is in, as the metrics' bridgewatch_count_file_problems are.
    #expect(snapshot.rollups.allSatisfy { $0.countFileProblems == 1 })
    #expect(json.contains("\"count_file_problems\": 1"))
    // What a console gets carries it, and reads back the same.
    let console = ConsoleSite(snapshot.records[0], index: 0)
    let decoded = try? JSONDecoder().decode(ConsoleSite.self, from: JSONEncoder().encode(console))
    #expect(decoded?.record.countProblem == .notANumber)
    #expect(ConsoleSite.change(from: SiteRecord(), to: snapshot.records[0]) == .whole)
    // The words, in both languages, with the rule.
    #expect(Strings(.vi).countFileProblem(.notANumber).hasPrefix("không đọc được (không phải số nguyên); điểm cầu cần gõ một số nguyên"))
    #expect(Strings(.en)(.flagCountFileUnreadable) == "count file unreadable")
    #expect(Strings(.vi)(.flagCountFileUnreadable) == "không đọc được tệp quân số")

    receive("BW1 site=HB-TU seq=4 count=148", after: 10)
    #expect(state.engine.records[0].countProblem == nil && state.engine.records[0].headcount == 148)
    #expect(journaled().contains(.countFile(problem: nil)))
    let cleared = state.snapshot(now: Self.start.advanced(by: .seconds(11)), title: "T")
    #expect(cleared.rollups.allSatisfy { $0.countFileProblems == 0 })
    let clearedJSON = StatusFileEncoder.encode(cleared)
    #expect(!clearedJSON.contains("count_file_unreadable") && clearedJSON.contains("\"count_file_problems\": 0"))
    #expect(
      EventText.describe(
        EngineEvent(time: Self.start, siteIndex: 0, kind: .countProblemChanged(.empty)), sites: [Self.site], strings: Strings(.vi)
      )
      .hasSuffix("không đọc được tệp quân số (tệp trống); quân số không được cập nhật"))
  }

  // MARK: the keys file

  static func loadKeys(_ yaml: String) throws -> (config: ConferenceConfig, path: String) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bw-keys-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/keys.yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o600)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let config = """
      keys: keys.yaml
      sites:
        - {id: HB-TU, name: "Tỉnh ủy", group: "Hòa Bình", expected: 150}
        - {id: HB-DB, name: "Đà Bắc", group: "Hòa Bình", expected: 50}
      """
    return (try ConfigLoader.load(yaml: config, path: folder + "/conference.yaml").config, path)
  }

  @Test func theKeysFileReadsBothFormsWithTokenAndPreviousSecret() throws {
    let (config, _) = try Self.loadKeys(
      """
      HB-TU: "an old hand-written secret"
      "HB-DB":
        secret: "0000000000000000000000000000000000000000000000000000000000000001"
        token: "abcdefghijklmnopqrstuvwxyz234567"
        previous: "0000000000000000000000000000000000000000000000000000000000000000"
        previous_until: "2026-12-05T23:00:00Z"
      """)
    #expect(config.keys["HB-TU"] == Array("an old hand-written secret".utf8))
    #expect(config.keys["HB-DB"] == Array("0000000000000000000000000000000000000000000000000000000000000001".utf8))
    let entry = try #require(config.siteKeys["HB-DB"])
    #expect(entry.checkinToken == "abcdefghijklmnopqrstuvwxyz234567")
    #expect(entry.previousUntil == 1_796_511_600)
    #expect(SiteKeyEntry.utcText(1_796_511_600) == "2026-12-05T23:00:00Z")

    // The secrets as bytes are a view of the same entries: a secret set there keeps the site's token and
    // previous secret, one removed there is gone from the entries.
    var changed = config
    changed.keys["HB-DB"] = Array("a-new-secret-for-the-district".utf8)
    #expect(
      changed.siteKeys["HB-DB"]
        == SiteKeyEntry(
          secret: "a-new-secret-for-the-district", checkinToken: entry.checkinToken, previousSecret: entry.previousSecret,
          previousUntil: entry.previousUntil))
    changed.keys["HB-TU"] = nil
    #expect(changed.siteKeys["HB-TU"] == nil && changed.keys.count == 1)
    #expect(config.keys["HB-TU"] != nil && config.siteKeys["HB-DB"] == entry, "a copy changed, not the config it came from")
    #expect(HeartbeatAuthenticator(config: changed).hasKey(site: 1) && !HeartbeatAuthenticator(config: changed).hasKey(site: 0))
  }

  @Test func aBadKeysEntryIsRefusedAtItsLine() throws {
    do {
      _ = try Self.loadKeys(
        """
        HB-TU:
          secret: "0123456789abcdef0123456789abcdef"
          token: "NOT A TOKEN"
          previous: ""
          previous_until: "tomorrow"
        HB-DB:
          secrt: "0123456789abcdef0123456789abcdef"
        """)
      Issue.record("accepted")
    } catch {
      let text = "\(error)"
      #expect(text.contains("keys.yaml:3: 'token' must be 16 to 64 characters"), "\(text)")
      #expect(text.contains("keys.yaml:5: 'previous_until' must be a UTC time like 2026-12-05T23:00:00Z, got 'tomorrow'"), "\(text)")
      #expect(text.contains("keys.yaml:4: 'previous' must not be empty"), "\(text)")
      #expect(text.contains("keys.yaml:7: unknown key 'secrt' in 'HB-DB' (did you mean 'secret'?)"), "\(text)")
    }
  }

  @Test func aRotatedSecretIsAcceptedDuringItsGraceAndRefusedAfter() {
    let old = Array("old secret 0123456789".utf8)
    let new = Array("new secret 0123456789".utf8)
    let until = Self.start.unixSeconds + 3600
    let authenticator = HeartbeatAuthenticator(
      sites: [Self.site], keys: ["HB-TU": new], requireAuth: true, previousKeys: ["HB-TU": (old, until)])
    func verdict(_ secret: [UInt8], sequence: UInt64, at unixSeconds: Double) -> RejectionReason? {
      let line = HeartbeatAuthenticator.sign(
        HeartbeatCodec.encode(site: "HB-TU", sequence: sequence, timestamp: UInt64(unixSeconds)), secret: secret)
      let bytes = Array(line.utf8)
      let heartbeat = try! HeartbeatCodec.decode(bytes).get()
      return bytes.withUnsafeBytes { authenticator.check(heartbeat, bytes: $0, site: 0, last: nil, nowUnixSeconds: unixSeconds) }
    }
    #expect(verdict(new, sequence: 1, at: Self.start.unixSeconds) == nil)
    #expect(verdict(old, sequence: 2, at: Self.start.unixSeconds) == nil, "during the grace")
    #expect(verdict(old, sequence: 3, at: until - 1) == nil, "a second before its end")
    #expect(verdict(old, sequence: 4, at: until) == .badMAC, "at its end")
    #expect(verdict(new, sequence: 5, at: until + 86_400) == nil)
    #expect(verdict(Array("another site's secret".utf8), sequence: 6, at: Self.start.unixSeconds) == .badMAC)
  }

  // MARK: the agent's settings file

  @Test func theAgentSettingsFileReadsEveryKeyRelativeToItself() throws {
    let settings = try AgentSettingsFile.parse(
      """
      site: "HB-TU"
      monitor: ["203.0.113.10:7400", "[2001:db8::5]:7400"]
      key_file: agent.key
      count_file: /var/lib/bridgewatch/count.txt
      interval: 2s
      lang: vi
      """, path: "/etc/bridgewatch/agent.yaml", strings: .english)
    #expect(settings.site == "HB-TU" && settings.monitors == ["203.0.113.10:7400", "[2001:db8::5]:7400"])
    #expect(settings.keyFile == "/etc/bridgewatch/agent.key" && settings.countFile == "/var/lib/bridgewatch/count.txt")
    #expect(settings.interval == "2s" && settings.language == .vi)
    // A flag overrides its key; a headcount or destination given replaces the file's other one.
    var flags = AgentSettings()
    flags.count = 12
    flags.interval = "1s"
    let merged = settings.overridden(by: flags)
    #expect(merged.count == 12 && merged.countFile == nil && merged.interval == "1s" && merged.site == "HB-TU")
  }

  @Test func aBadSettingsFileIsRefusedAtEachLineInTheOperatorsLanguage() {
    let text = """
      site: "HB TU"
      monitr: "203.0.113.10:7400"
      interval: 5 giây
      count: 148 người
      count_file: /tmp/count.txt
      lang: fr
      """
    for (strings, words) in [
      (Strings.english, ["unknown key 'monitr' (did you mean 'monitor'?)", "must be"]),
      (Strings(.vi), ["khóa lạ 'monitr' (có phải ý bạn là 'monitor'?)", "phải là"]),
    ] {
      do {
        _ = try AgentSettingsFile.parse(text, path: "/etc/bridgewatch/agent.yaml", strings: strings)
        Issue.record("accepted")
      } catch {
        let lines = error.lines
        #expect(lines.contains { $0.hasPrefix("/etc/bridgewatch/agent.yaml:1: site \(words[1])") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("/etc/bridgewatch/agent.yaml:2: \(words[0])") }, "\(lines)")
        #expect(
          lines.contains { $0.hasPrefix("/etc/bridgewatch/agent.yaml:3: interval \(words[1])") && $0.hasSuffix("'5 giây'") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("/etc/bridgewatch/agent.yaml:4: count \(words[1])") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("/etc/bridgewatch/agent.yaml:6: lang \(words[1])") }, "\(lines)")
      }
    }
  }
}
