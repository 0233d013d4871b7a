import Foundation
import TestSupport
import Testing

@testable import BridgeCore

@Suite struct ConfigLoaderTests {
  @Test func loadsTheIssueExampleWithCSVAndKeys() throws {
    let path = Repository.configFixtures + "/full.yaml"
    let loaded = try ConfigLoader.load(path: path)
    let config = loaded.config
    #expect(config.title == "Hội nghị trực tuyến toàn quốc quán triệt Nghị quyết Đại hội XIII")
    #expect(config.timing.interval == .seconds(5))
    #expect(config.timing.lateAfter == .seconds(12))
    #expect(config.timing.offlineAfter == .seconds(30))
    #expect(config.timing.recoverAfter == 2)
    #expect(config.udp.host == "0.0.0.0" && config.udp.port == 7400 && !config.udp.requireAuth)
    #expect(config.heartbeatDirectory == Repository.configFixtures + "/heartbeats")
    #expect(config.journalPath == Repository.configFixtures + "/bridgewatch.journal")
    #expect(config.statusFilePath == Repository.configFixtures + "/status.json")
    #expect(config.keys["HB-TU"] == Array("a-long-secret-for-the-province-hall".utf8))
    #expect(config.keys.count == 2)
    #expect(config.sites.map(\.id) == ["HB-TU", "HB-DB-TULY", "HB-DB-HU", "HB-DB-CAOSON", "HB-MC-HU"])
    #expect(config.sites[0].heartbeatFile == Repository.configFixtures + "/heartbeats/HB-TU.hb")
    #expect(config.sites[1].heartbeatFile == Repository.configFixtures + "/custom/tuly.hb")
    #expect(config.sites[1].heartbeatFileIsExplicit)
    #expect(config.sites[1].group == ["Hòa Bình", "Đà Bắc"])
    // A quoted CSV field keeps its comma; a three-level group parses.
    #expect(config.sites[3].name == "Xã Cao Sơn, huyện Đà Bắc")
    #expect(config.sites[3].group == ["Hòa Bình", "Đà Bắc", "Cao Sơn"])
    #expect(config.sites[3].location.line == 3)
    // A decomposed (NFD) name is kept byte for byte, not normalised.
    let nfd = "Huye\u{323}\u{302}n u\u{309}y Mai Cha\u{302}u"
    #expect(Array(config.sites[4].name.utf8) == Array(nfd.utf8))
    #expect(config.totalExpected == 150 + 45 + 100 + 40 + 90)
    #expect(config.schedule.sessions.map(\.name) == ["Ngày 1 - sáng", "Ngày 1 - chiều"])
    #expect(config.schedule.sessions[0].start == 1_795_393_800)  // 2026-11-23 07:30 +07:00
    #expect(config.schedule.sessions[1].end - config.schedule.sessions[1].start == 3.5 * 3600)
    #expect(config.schedule.session(at: 1_795_393_800 + 3600)?.name == "Ngày 1 - sáng")
    #expect(config.schedule.session(at: 1_795_393_800 + 4.5 * 3600) == nil)
  }

  @Test func loadsTheHoaBinhExample() throws {
    let loaded = try ConfigLoader.load(path: Repository.path("examples/hoa-binh.yaml"))
    let config = loaded.config
    #expect(config.sites.count == 61)
    let tree = GroupTree(sites: config.sites)
    let province = try #require(tree.node(path: ["Hòa Bình"]))
    #expect(tree.nodes[province].children.count == 10)
    let districts = tree.nodes[province].children.map { tree.nodes[$0].name }
    #expect(districts.contains("Đà Bắc") && districts.contains("Lạc Thủy") && districts.contains("Thành phố Hòa Bình"))
    #expect((3600...3800).contains(config.totalExpected))
    #expect(loaded.warnings.isEmpty)
  }

  /// Every broken fixture starts with `# expect: [FILE:]LINE: MESSAGE-PREFIX`.
  static let brokenFixtures: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: Repository.configFixtures)) ?? []
    return names.filter { name in
      name.hasSuffix(".yaml")
        && (try? String(contentsOfFile: Repository.configFixtures + "/" + name, encoding: .utf8))?.hasPrefix("# expect:") == true
    }.sorted()
  }()

  @Test func thereAreBrokenFixtures() {
    #expect(Self.brokenFixtures.count >= 11)
  }

  @Test(arguments: brokenFixtures)
  func brokenConfigNamesFileAndLine(_ name: String) throws {
    let path = Repository.configFixtures + "/" + name
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let header = String(text.prefix(while: { $0 != "\n" }).dropFirst("# expect: ".count))
    var expectation = header[...]
    var expectedFile = path
    if let colon = expectation.firstIndex(of: ":"), !expectation[..<colon].allSatisfy(\.isNumber) {
      expectedFile = Repository.configFixtures + "/" + expectation[..<colon]
      expectation = expectation[expectation.index(after: colon)...].drop(while: { $0 == " " })
    }
    let colon = try #require(expectation.firstIndex(of: ":"))
    let expectedLine = try #require(Int(expectation[..<colon]))
    let expectedMessage = expectation[expectation.index(after: colon)...].trimmingCharacters(in: .whitespaces)

    let error = #expect(throws: ConfigErrors.self) { try ConfigLoader.load(path: path) }
    let problems = try #require(error?.problems)
    #expect(problems.count == 1, "\(problems)")
    let problem = try #require(problems.first)
    #expect(problem.location.file == expectedFile)
    #expect(problem.location.line == expectedLine, "\(problem)")
    #expect(problem.message.hasPrefix(expectedMessage), "\(problem.message)")
  }

  private func problems(_ yaml: String) -> [ConfigProblem] {
    do {
      _ = try ConfigLoader.load(yaml: yaml, path: "test.yaml")
      return []
    } catch {
      return error.problems
    }
  }

  private let oneSite = "sites:\n  - {id: A, name: \"Điểm A\", group: \"Hòa Bình\", expected: 10}\n"

  @Test func defaultsForEverythingButSites() throws {
    let config = try ConfigLoader.load(yaml: oneSite, path: "dir/test.yaml").config
    #expect(config.title == "BridgeWatch")
    #expect(config.timing == Timing())
    #expect(config.udp.port == 7400 && config.udp.host == "0.0.0.0")
    #expect(config.heartbeatDirectory == "dir/heartbeats")
    #expect(config.journalPath == "dir/bridgewatch.journal")
    #expect(config.statusFilePath == nil && config.keysPath == nil)
    #expect(config.theme == "default")
  }

  @Test func collectsEveryProblemNotJustTheFirst() {
    let found = problems(
      """
      titel: x
      timing:
        recover_after: 0
      sites:
        - {id: "bad id", name: N, group: G, expected: 1}
        - {id: B, name: N, group: "G / ", expected: 1}
      """)
    #expect(found.map(\.location.line) == [1, 3, 5, 6])
    #expect(found[0].message.contains("did you mean 'title'"))
  }

  @Test func rejectsDuplicateKeys() {
    let found = problems("title: a\ntitle: b\n" + oneSite)
    #expect(found.count == 1)
    #expect(found.first?.location.line == 1)
    #expect(found.first?.message.hasPrefix("duplicate key 'title'") == true)
  }

  @Test func rejectsMissingFields() {
    let found = problems("sites:\n  - {id: A, name: N, expected: 1}\n")
    #expect(found.count == 1)
    #expect(found.first?.location.line == 2 && found.first?.message.contains("missing 'group'") == true)
  }

  @Test func rejectsLateAfterNotLongerThanInterval() {
    let found = problems("timing:\n  interval: 10s\n  late_after: 10s\n" + oneSite)
    #expect(found.count == 1 && found[0].location.line == 3 && found[0].message.contains("longer than interval"))
  }

  @Test func theTimingDefaultsFollowTheIntervalWritten() throws {
    #expect(Timing.defaultLateAfter(interval: Timing().interval) == Timing().lateAfter, "the stored defaults are the derived ones")
    #expect(Timing.defaultOfflineAfter(lateAfter: Timing().lateAfter) == Timing().offlineAfter)
    for (interval, late, offline) in [("1s", 3, 8), ("2s", 5, 13), ("20s", 48, 120), ("5m", 720, 1800)] {
      let config = try ConfigLoader.load(yaml: "timing: {interval: \(interval)}\n" + oneSite, path: "t.yaml").config
      #expect(config.timing.lateAfter == .seconds(late), "\(interval)")
      #expect(config.timing.offlineAfter == .seconds(offline), "\(interval)")
    }
    let subSecond = try ConfigLoader.load(yaml: "timing: {interval: 500ms}\n" + oneSite, path: "t.yaml").config
    #expect(subSecond.timing.lateAfter == .seconds(2) && subSecond.timing.offlineAfter == .seconds(5))
    let tiny = try ConfigLoader.load(yaml: "timing: {interval: 100ms}\n" + oneSite, path: "t.yaml").config
    #expect(tiny.timing.lateAfter == .milliseconds(240) && tiny.timing.offlineAfter == .milliseconds(600))
    let lateOnly = try ConfigLoader.load(yaml: "timing: {late_after: 40s}\n" + oneSite, path: "t.yaml").config
    #expect(lateOnly.timing.offlineAfter == .seconds(100), "offline_after follows a written late_after")
  }

  @Test(arguments: [
    (
      "timing:\n  offline_after: 10s\n", 2,
      "offline_after (10s) must be longer than late_after (12s, the default for interval 5s; set late_after too)"
    ),
    ("timing:\n  late_after: 3s\n", 2, "late_after (3s) must be longer than interval (5s, the default)"),
    ("timing:\n  interval: 20s\n  offline_after: 30s\n", 3, "late_after (48s, the default for interval 20s"),
  ])
  func aContradictionIsSaidAtAKeyWrittenAndNamesTheDefault(yaml: String, line: Int, message: String) {
    let found = problems(yaml + oneSite)
    #expect(found.count == 1, "\(found)")
    #expect(found.first?.location.line == line, "\(found)")
    #expect(found.first?.message.contains(message) == true, "\(found)")
  }

  @Test func aControlCharacterInANameIsRefusedAtItsLine() {
    let found = problems(
      """
      title: "Hội nghị\\tthứ hai"
      schedule:
        sessions:
          - {name: "Sáng\\nconfig: other.yaml: OK", start: "2026-11-23 07:30", end: "2026-11-23 11:30"}
      sites:
        - {id: A, name: "Điểm A", group: "Hòa Bình\\nconfig: other.yaml: OK", expected: 10}
        - id: B
          name: "Điểm\\u001b[2J B"
          group: "Hòa Bình"
          expected: 10
        - {id: C, name: "Điểm C \\u202e", group: "Hòa Bình", expected: 10}
      """)
    #expect(found.map(\.location.line) == [1, 4, 6, 8, 11], "\(found)")
    #expect(found.allSatisfy { $0.message.contains("control character") && TextSanitizer.firstUnsafe(in: $0.message) == nil }, "\(found)")
    #expect(
      found.dropFirst(2).first?.message.contains(
        "the group of site 'A' ('Hòa Bìnhconfig: other.yaml: OK') holds a control character (U+000A)") == true)
  }

  @Test func aControlCharacterInACSVNameIsRefusedAtItsLine() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-csv-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "id,name,group,expected\nA,\"Điểm\nA\",P,1\nB,Điểm B,\"P\tQ\",1\n".write(
      toFile: directory + "/sites.csv", atomically: true, encoding: .utf8)
    let error = #expect(throws: ConfigErrors.self) { try ConfigLoader.load(yaml: "sites_csv: sites.csv\n", path: directory + "/c.yaml") }
    #expect(
      error?.problems.map(\.location) == [
        FileLine(file: directory + "/sites.csv", line: 2), FileLine(file: directory + "/sites.csv", line: 4),
      ])
    #expect(error?.problems.last?.message.contains("the group of site 'B'") == true, "\(String(describing: error))")
  }

  /// One validator checks a site row whichever roster wrote it: the same rows say the same messages, each at the
  /// line of the YAML key or the CSV record.
  @Test func aSiteRowIsCheckedByOneRuleInYAMLAndCSV() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-row-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "id,name,group,expected,probe,contact\nbad id,Điểm A,P,1,,\nB, ,P /  / Q,lots,,\nC,Điểm C,P,1,nope://x,\"Anh\tBa\"\n".write(
      toFile: directory + "/sites.csv", atomically: true, encoding: .utf8)
    let fromCSV = try #require(
      #expect(throws: ConfigErrors.self) { try ConfigLoader.load(yaml: "sites_csv: sites.csv\n", path: directory + "/c.yaml") })
    let fromYAML = problems(
      """
      sites:
        - {id: "bad id", name: "Điểm A", group: P, expected: 1}
        - {id: B, name: " ", group: "P /  / Q", expected: lots}
        - {id: C, name: "Điểm C", group: P, expected: 1, probe: "nope://x", contact: "Anh\\tBa"}
      """)
    #expect(fromCSV.problems.map(\.message) == fromYAML.map(\.message), "\(fromCSV.problems) against \(fromYAML)")
    #expect(fromCSV.problems.map(\.location.line) == [2, 3, 3, 3, 4, 4])
    #expect(fromYAML.map(\.location.line) == [2, 3, 3, 3, 4, 4])
    #expect(fromCSV.problems.count == 6 && fromCSV.problems[0].message.hasPrefix("bad site id 'bad id'"))

    let validator = SiteRowValidator(heartbeatDirectory: "hb", baseDirectory: "conf")
    let here = FileLine(file: "roster", line: 7)
    func field(_ text: String) -> SiteRow.Field { SiteRow.Field(text: text, location: here) }
    var none: [ConfigProblem] = []
    let site = validator.site(
      from: SiteRow(location: here, id: field("A"), name: field("Điểm A"), group: field("P / Q"), expected: field("1.234")),
      problems: &none)
    #expect(none.isEmpty && site?.group == ["P", "Q"] && site?.expected == 1234 && site?.heartbeatFile == "hb/A.hb")
    #expect(site?.location == here && site?.heartbeatFileIsExplicit == false)
  }

  @Test func aSiteMayNameAContactCheckedLikeItsOtherFieldsInYAMLAndCSV() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-contact-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let long = String(repeating: "9", count: ConfigLoader.maximumContactLength + 1)
    try "id,name,group,expected,contact\nC,Điểm C,P,1,Chị Lan 0987 654 321\nD,Điểm D,P,1,\nE,Điểm E,P,1,\(long)\nF,Điểm F,P,1,\"Anh\tBa\"\n"
      .write(
        toFile: directory + "/sites.csv", atomically: true, encoding: .utf8)
    try "id,name,group,expected,contact\nC,Điểm C,P,1,Chị Lan 0987 654 321\nD,Điểm D,P,1,\n".write(
      toFile: directory + "/good.csv", atomically: true, encoding: .utf8)
    let good = try ConfigLoader.load(
      yaml: """
        sites:
          - {id: A, name: "Điểm A", group: P, expected: 1, contact: "Anh Tuấn 0912 345 678"}
          - {id: B, name: "Điểm B", group: P, expected: 1}
        sites_csv: good.csv
        """,
      path: directory + "/c.yaml")
    #expect(good.config.sites.map(\.contact) == ["Anh Tuấn 0912 345 678", nil, "Chị Lan 0987 654 321", nil])

    let found = problems(
      """
      sites:
        - {id: A, name: "Điểm A", group: P, expected: 1, contact: "   "}
        - {id: B, name: "Điểm B", group: P, expected: 1, contact: "Anh\\nBa"}
        - {id: C, name: "Điểm C", group: P, expected: 1,
           contact: "\(long)"}
        - {id: D, name: "Điểm D", group: P, expected: 1, contact: [a, b]}
      """)
    #expect(found.map(\.location.line) == [2, 3, 5, 6], "\(found)")
    #expect(found[0].message == "the contact of site 'A' is empty; leave 'contact' out instead", "\(found)")
    #expect(found[1].message.contains("the contact of site 'B'") && found[1].message.contains("control character"), "\(found)")
    #expect(found[2].message == "the contact of site 'C' has 121 characters; at most 120 (a name and a phone number)", "\(found)")
    #expect(found[3].message == "'contact' must be a single value, not a list or mapping", "\(found)")

    let error = #expect(throws: ConfigErrors.self) { try ConfigLoader.load(yaml: "sites_csv: sites.csv\n", path: directory + "/c.yaml") }
    #expect(error?.problems.map(\.location.line) == [4, 5], "\(String(describing: error))")
    #expect(error?.problems.first?.message.contains("the contact of site 'E' has 121 characters") == true)
    #expect(error?.problems.last?.message.contains("the contact of site 'F'") == true)
  }

  @Test func aRawControlCharacterInTheFileIsSaidAtItsLine() {
    let found = problems("title: x\ntiming:\n  interval: 5s\u{07}\n" + oneSite)
    #expect(found.count == 1)
    #expect(found.first?.location.line == 3, "\(found)")
    #expect(found.first?.message == "YAML: control characters are not allowed (U+0007)", "\(found)")
  }

  @Test func anUnquotedIPv6ListenAddressIsToldToBeQuoted() {
    for section in ["udp:\n  listen: [::1]:0\n", "metrics:\n  listen: [::1]:9740\n", "udp: {listen: [::]:7400}\n"] {
      let found = problems(section + oneSite)
      #expect(found.count == 1, "\(found)")
      #expect(found.first?.location.line == (section.hasPrefix("udp: {") ? 1 : 2), "\(found)")
      #expect(found.first?.message.contains("write it in quotes: listen: \"[") == true, "\(found)")
    }
    // The hint for a bad address shows the IPv6 form quoted, as it must be written.
    let hint = problems("udp:\n  listen: 7400\n" + oneSite)
    #expect(hint.first?.message.contains("\"[::]:7400\"") == true, "\(hint)")
  }

  @Test func rejectsBadListenAddressAndBoolean() {
    let found = problems("udp:\n  listen: 7400\n  require_auth: maybe\n" + oneSite)
    #expect(found.map(\.location.line) == [2, 3])
  }

  @Test func acceptsIPv6ListenAddress() throws {
    let config = try ConfigLoader.load(yaml: "udp:\n  listen: \"[::1]:0\"\n" + oneSite, path: "t.yaml").config
    #expect(config.udp.host == "::1" && config.udp.port == 0)
  }

  @Test func rejectsKeysForUnknownSites() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-keys-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "A: \"0123456789abcdef0\"\nZZ: \"0123456789abcdef0\"\n".write(toFile: directory + "/keys.yaml", atomically: true, encoding: .utf8)
    chmod(directory + "/keys.yaml", 0o644)
    try ("keys: keys.yaml\n" + oneSite).write(toFile: directory + "/c.yaml", atomically: true, encoding: .utf8)
    let error = #expect(throws: ConfigErrors.self) { try ConfigLoader.load(path: directory + "/c.yaml") }
    #expect(error?.problems.count == 1)
    #expect(error?.problems.first?.description == directory + "/keys.yaml:2: key for unknown site 'ZZ' (not in the config)")
  }

  /// The keys file is text only: a site written twice is refused, even when one is quoted and the other looks like a
  /// number (`01` and `"01"`, which Yams' default typing tells apart and the second would silently replace).
  @Test func aSiteGivenTwiceInTheKeysFileIsRefusedWhateverItsQuoting() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-keys-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let keys = "01: \"0123456789abcdef0\"\n\"01\": \"fedcba98765432100\"\n"
    try keys.write(toFile: directory + "/keys.yaml", atomically: true, encoding: .utf8)
    chmod(directory + "/keys.yaml", 0o600)
    let site = "sites:\n  - {id: \"01\", name: \"Điểm 01\", group: \"Hòa Bình\", expected: 10}\n"
    try ("keys: keys.yaml\n" + site).write(toFile: directory + "/c.yaml", atomically: true, encoding: .utf8)
    let error = #expect(throws: ConfigErrors.self) { try ConfigLoader.load(path: directory + "/c.yaml") }
    #expect(error?.problems.first?.description.hasPrefix(directory + "/keys.yaml:") == true, "\(String(describing: error))")
    #expect(error?.problems.first?.description.contains("duplicate key '01'") == true, "\(String(describing: error))")
  }

  @Test func warnsAboutReadableKeysFile() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-keys-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "A: \"0123456789abcdef0\"\n".write(toFile: directory + "/keys.yaml", atomically: true, encoding: .utf8)
    chmod(directory + "/keys.yaml", 0o644)
    try ("keys: keys.yaml\n" + oneSite).write(toFile: directory + "/c.yaml", atomically: true, encoding: .utf8)
    let loaded = try ConfigLoader.load(path: directory + "/c.yaml")
    #expect(loaded.warnings.count == 1 && loaded.warnings[0].message.contains("chmod 600"))
    chmod(directory + "/keys.yaml", 0o600)
    #expect(try ConfigLoader.load(path: directory + "/c.yaml").warnings.isEmpty)
  }

  /// A group path deeper than `GroupPath.maximumDepth` is refused where it is written, in YAML and in a CSV roster;
  /// the limit itself is accepted.
  @Test func groupsDeeperThanTheLimitAreRefusedWithTheirLine() throws {
    let deepest = (1...GroupPath.maximumDepth).map { "Cấp \($0)" }.joined(separator: " / ")
    let tooDeep = deepest + " / Cấp \(GroupPath.maximumDepth + 1)"
    let accepted = try ConfigLoader.load(yaml: "sites:\n  - {id: A, name: N, group: \"\(deepest)\", expected: 1}\n", path: "t.yaml")
    #expect(accepted.config.sites[0].group.count == GroupPath.maximumDepth)
    let found = problems(oneSite + "  - {id: B, name: N, group: \"\(tooDeep)\", expected: 1}\n")
    #expect(found.map(\.location.line) == [3], "\(found)")
    #expect(found.first?.message.contains("has \(GroupPath.maximumDepth + 1) levels; at most \(GroupPath.maximumDepth)") == true)

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-deep-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "id,name,group,expected\nA,N,\(deepest),1\nB,N,\(tooDeep),1\n".write(
      toFile: directory + "/roster.csv", atomically: true, encoding: .utf8)
    try "sites_csv: roster.csv\n".write(toFile: directory + "/c.yaml", atomically: true, encoding: .utf8)
    let error = #expect(throws: ConfigErrors.self) { try ConfigLoader.load(path: directory + "/c.yaml") }
    let csvProblems = error?.problems ?? []
    #expect(csvProblems.map(\.location.line) == [3], "\(csvProblems)")
    #expect(csvProblems.first?.location.file == directory + "/roster.csv")
    #expect(csvProblems.first?.message.contains("at most \(GroupPath.maximumDepth)") == true)
  }
}

@Suite struct SmallParserTests {
  @Test func durations() {
    #expect(DurationText.parse("500ms") == .milliseconds(500))
    #expect(DurationText.parse("5s") == .seconds(5))
    #expect(DurationText.parse("2m") == .seconds(120))
    #expect(DurationText.parse("1h") == .seconds(3600))
    for bad in ["", "5", "s", "-5s", "5 s", "1.5s", "5sec", "ms", "99999999999999h"] {
      #expect(DurationText.parse(bad) == nil, "\(bad)")
    }
    #expect(DurationText.format(.milliseconds(1500)) == "1500ms")
    #expect(DurationText.format(.seconds(120)) == "2m")
  }

  @Test func csvQuotingLinesAndBOM() throws {
    let text = "\u{FEFF}id,name\r\n\"A\",\"Xã \"\"Tú\"\" Lý\"\r\n\r\nB,\"two\nlines\"\nC,plain\n"
    let records = try CSVReader.records(from: text)
    #expect(records.map(\.line) == [1, 2, 4, 6])
    #expect(records[1].fields == ["A", "Xã \"Tú\" Lý"])
    #expect(records[2].fields == ["B", "two\nlines"])
    #expect(records[3].fields == ["C", "plain"])
  }

  @Test func csvErrorsNameTheLine() {
    #expect(throws: CSVReader.Failure(line: 2, message: "a quoted field is not closed before the end of the file")) {
      try CSVReader.records(from: "id\n\"open\nstill open")
    }
    #expect(throws: CSVReader.Failure.self) { try CSVReader.records(from: "a,b\"c\n") }
    #expect(throws: CSVReader.Failure.self) { try CSVReader.records(from: "\"a\"b,c\n") }
  }

  @Test func hostPort() {
    #expect(HostPort.parse("0.0.0.0:7400")! == ("0.0.0.0", 7400))
    #expect(HostPort.parse("[::]:7400")! == ("::", 7400))
    #expect(HostPort.parse("localhost:0")! == ("localhost", 0))
    for bad in ["7400", ":7400", "host:", "host:70000", "::1:7400", "[::1]7400", "host:-1"] {
      #expect(HostPort.parse(bad) == nil, "\(bad)")
    }
  }

  @Test func siteIDs() {
    #expect(SiteID.isValid("HB-DB.tu_ly-01"))
    #expect(!SiteID.isValid(""))
    #expect(!SiteID.isValid("Tú-Lý"))
    #expect(!SiteID.isValid("a b"))
    #expect(SiteID.isValid(String(repeating: "a", count: 64)))
    #expect(!SiteID.isValid(String(repeating: "a", count: 65)))
  }

  @Test func groupedNumbers() {
    #expect(NumberText.grouped(11631) == "11,631")
    #expect(NumberText.grouped(11631, separator: ".") == "11.631")
    #expect(NumberText.grouped(999) == "999")
    #expect(NumberText.grouped(1_000_000) == "1,000,000")
  }

  static let consoleSites = """
    sites:
      - {id: HB-TU, name: "Tỉnh ủy", group: "Hòa Bình", expected: 150}
    """

  @Test func theConsoleSectionSaysWhereAndWhoMayAct() throws {
    let plain = try ConfigLoader.load(
      yaml: Self.consoleSites + "\njournal: /var/lib/bw/conference.journal\n", path: "/etc/bw/conference.yaml")
    #expect(plain.config.consoleSocketPath == "/var/lib/bw/conference.sock", "next to the journal, named after the config")
    #expect(plain.config.console.maximumConsoles == 64)
    #expect(plain.config.console.readOnlyUsers.isEmpty)

    let yaml =
      Self.consoleSites + """

        console:
          socket: run/bw.sock
          max_consoles: 8
          read_only_users: [wall, "tuong-trinh"]
        """
    let loaded = try ConfigLoader.load(yaml: yaml, path: "/etc/bw/conference.yaml")
    #expect(loaded.config.consoleSocketPath == "/etc/bw/run/bw.sock", "relative to the config")
    #expect(loaded.config.console.maximumConsoles == 8)
    #expect(loaded.config.console.readOnlyUsers == ["wall", "tuong-trinh"])
  }

  @Test(arguments: [
    ("console: {max_consoles: 0}", "'max_consoles' must be a whole number from 1 to 1000, got '0'"),
    ("console: {read_only_users: wall}", "'read_only_users' must be a list of Unix user names"),
    ("console: {read_only_users: [\"two words\"]}", "'read_only_users' holds Unix user names, got 'two words'"),
    ("console: {sockets: x}", "sockets"),
    ("console: [socket]", "'console' must be a mapping"),
  ])
  func aBadConsoleSectionSaysWhereAndWhy(line: String, message: String) {
    expectRefusedAtItsLine(line, message)
  }

  /// `line`, added after one site (so at line 3), is refused with `message` at its line.
  private func expectRefusedAtItsLine(_ line: String, _ message: String) {
    do {
      _ = try ConfigLoader.load(yaml: Self.consoleSites + "\n" + line + "\n", path: "/etc/bw/conference.yaml")
      Issue.record("accepted: \(line)")
    } catch {
      #expect(error.description.contains(message), "\(error)")
      #expect(error.description.contains("/etc/bw/conference.yaml:3"), "names the line: \(error)")
    }
  }

  @Test func theMetricsSectionIsOffUnlessItSaysWhere() throws {
    let plain = try ConfigLoader.load(yaml: Self.consoleSites, path: "/etc/bw/conference.yaml")
    #expect(plain.config.metrics.listen == nil)
    #expect(!plain.config.metrics.perSite)
    let loaded = try ConfigLoader.load(
      yaml: Self.consoleSites + "\nmetrics:\n  listen: \"[::1]:9740\"\n  per_site: yes\n", path: "/etc/bw/conference.yaml")
    #expect(loaded.config.metrics.listen?.host == "::1")
    #expect(loaded.config.metrics.listen?.port == 9740)
    #expect(loaded.config.metrics.perSite)
    #expect(ConfigSummary.render(loaded).contains("metrics: http://[::1]:9740/metrics, with per-site series"))
  }

  @Test(arguments: [
    ("metrics: {listen: 9740}", "metrics 'listen' must be HOST:PORT (for example 127.0.0.1:9740), got '9740'"),
    ("metrics: {listen: \"127.0.0.1:99999\"}", "got '127.0.0.1:99999'"),
    ("metrics: {per_site: maybe}", "'per_site' must be true or false, got 'maybe'"),
    ("metrics: {port: 9740}", "port"),
    ("metrics: 127.0.0.1:9740", "'metrics' must be a mapping"),
  ])
  func aBadMetricsSectionSaysWhereAndWhy(line: String, message: String) {
    expectRefusedAtItsLine(line, message)
  }
}
