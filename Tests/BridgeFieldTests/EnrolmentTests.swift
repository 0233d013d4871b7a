import BridgeCore
import Foundation
import TestSupport
import Testing

@testable import BridgeField

/// `bridgewatch keys`' rules as values (which site gets what), the files it writes as the monitor and the agent
/// read them, and the agent's count-file reason codes.
@Suite struct EnrolmentTests {
  static let sites = (1...4).map {
    SiteConfig(id: "S-\($0)", name: "Xã \($0)", group: ["Hòa Bình", "Đà Bắc"], expected: 40, heartbeatFile: "/x")
  }
  static let now = 1_764_900_000.0

  static func plan(_ existing: [String: SiteKeyEntry], selected: Set<String>? = nil, rotate: Bool = false, now: Double = now) -> SiteKeyPlan
  {
    var random = SeededGenerator(state: 42)
    return SiteKeyPlan(sites: sites, existing: existing, selected: selected, rotate: rotate, graceSeconds: 3600, now: now, random: &random)
  }

  @Test func everySiteWithoutASecretGetsOneAndATokenAndTheOthersKeepTheirs() {
    let first = Self.plan([:])
    #expect(first.created == ["S-1", "S-2", "S-3", "S-4"] && first.kept == 0)
    let secrets = first.entries.map(\.entry.secret)
    #expect(Set(secrets).count == 4 && secrets.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) })
    let tokens = first.entries.compactMap(\.entry.checkinToken)
    #expect(Set(tokens).count == 4 && tokens.allSatisfy { $0.count == 32 && SiteKeyEntry.isValidToken($0) })

    // Again: nothing changes. With --site, only the site named gets a secret.
    let existing = Dictionary(uniqueKeysWithValues: first.entries.map { ($0.site.id, $0.entry) })
    let again = Self.plan(existing)
    #expect(again.created.isEmpty && again.kept == 4 && again.entries.map(\.entry) == first.entries.map(\.entry))
    let one = Self.plan(existing.filter { $0.key != "S-3" && $0.key != "S-4" }, selected: ["S-3"])
    #expect(one.created == ["S-3"] && one.entries.map(\.site.id) == ["S-1", "S-2", "S-3"])
  }

  @Test func aRotationKeepsTheOldSecretForTheGraceAndTheToken() {
    let existing = Dictionary(uniqueKeysWithValues: Self.plan([:]).entries.map { ($0.site.id, $0.entry) })
    let rotated = Self.plan(existing, selected: ["S-2"], rotate: true)
    #expect(rotated.rotated == ["S-2"] && rotated.graceEnds == Self.now + 3600 && rotated.kept == 3)
    let entry = rotated.entries[1].entry
    #expect(entry.previousSecret == existing["S-2"]!.secret && entry.previousUntil == Self.now + 3600)
    #expect(entry.secret != existing["S-2"]!.secret && entry.checkinToken == existing["S-2"]!.checkinToken)
    #expect(rotated.entries[0].entry == existing["S-1"]!)
    // Once the grace is over, the next run drops the old secret.
    let later = Self.plan(
      Dictionary(uniqueKeysWithValues: rotated.entries.map { ($0.site.id, $0.entry) }), now: Self.now + 3601)
    #expect(later.entries[1].entry.previousSecret == nil && later.entries[1].entry.secret == entry.secret)
  }

  @Test func theKeysFileReadsBackByTheMonitorsRules() throws {
    var existing = Dictionary(uniqueKeysWithValues: Self.plan([:]).entries.map { ($0.site.id, $0.entry) })
    existing["S-4"] = SiteKeyEntry(secret: #"hand "written" \ secret, 32 bytes long"#)
    let plan = Self.plan(existing, selected: ["S-1"], rotate: true)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bw-enrol-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try plan.keysFileText(writtenAt: Self.now).write(toFile: folder + "/keys.yaml", atomically: true, encoding: .utf8)
    let read = try ConfigLoader.loadSiteKeys(path: folder + "/keys.yaml", sites: Self.sites, mayBeMissing: false)
    #expect(read.count == 4)
    for (site, entry) in plan.entries { #expect(read[site.id] == entry, "\(site.id)") }
    #expect(read["S-4"]?.secret == #"hand "written" \ secret, 32 bytes long"#)
  }

  @Test func aBundleUsesThePackagesPathsAndItsSettingsReadBack() throws {
    let files = AgentBundle.files(
      site: Self.sites[0], secret: "abc123", monitors: ["203.0.113.10:7400"], interval: .seconds(5), conference: "Hội nghị",
      checkinLink: "https://hn.example/checkin/c/abcdefghijklmnopqrstuvwxyz234567")
    #expect(files.map(\.name) == ["agent.yaml", "agent.key", "bridgewatch-agent.service", "README-vi.txt", "README-en.txt"])
    #expect(files[1].text == "abc123\n" && files[1].mode == 0o600)
    let unit = files[2].text
    for line in [
      "ExecStart=/usr/bin/bridgewatch agent --config /etc/bridgewatch/agent.yaml", "User=bridgewatch",
      "SupplementaryGroups=bridgewatch-count",
      "NoNewPrivileges=yes", "ProtectSystem=strict",
    ] {
      #expect(unit.split(separator: "\n").contains(Substring(line)), "\(line)")
    }
    #expect(!unit.contains("DynamicUser"))
    // The bundle's unit is the Debian package's, to the byte: installed over it, it changes nothing.
    let packaged = try String(contentsOfFile: Repository.path("packaging/debian/bridgewatch-agent.service"), encoding: .utf8)
    #expect(unit == packaged)
    let settings = try AgentSettingsFile.parse(files[0].text, path: "/etc/bridgewatch/agent.yaml", strings: .english)
    #expect(settings.site == "S-1" && settings.monitors == ["203.0.113.10:7400"] && settings.interval == "5s")
    #expect(settings.keyFile == "/etc/bridgewatch/agent.key" && settings.countFile == "/var/lib/bridgewatch/count.txt")
    #expect(files[3].text.contains("install -o root -g bridgewatch -m 0640 agent.key /etc/bridgewatch/agent.key"))
    #expect(files[3].text.contains("https://hn.example/checkin/c/abcdefghijklmnopqrstuvwxyz234567"))
    #expect(files[4].text.contains("install -d -o bridgewatch -g bridgewatch-count -m 2775 /var/lib/bridgewatch"))
    #expect(files[3].text.split(separator: "\n").count <= 40 && files[4].text.split(separator: "\n").count <= 40, "one page")
  }

  @Test func theSheetEscapesNamesAndPrintsEachLink() throws {
    var sites = Self.sites
    sites[1].name = "Xã <b>Tú Lý</b> & \"Co\""
    let entries = sites.map { ($0, SiteKeyEntry(secret: "s", checkinToken: "tok\($0.id.lowercased())abcdefghijklmnop")) }
    let page = EnrolmentSheet.html(title: "Hội nghị", entries: entries, checkinBase: "https://hn.example/checkin/", writtenAt: Self.now)
    #expect(page.contains("Xã &lt;b&gt;Tú Lý&lt;/b&gt; &amp; &quot;Co&quot;"))
    #expect(page.contains("https://hn.example/checkin/c/toks-1abcdefghijklmnop"))
    #expect(!page.contains("<script") && !page.contains("src=") && !page.contains(">s<"), "self-contained, no secret")
    #expect(EnrolmentSheet.isValidCheckinBase("https://hn.example/checkin"))
    #expect(!EnrolmentSheet.isValidCheckinBase("javascript:alert(1)") && !EnrolmentSheet.isValidCheckinBase("https://a b"))
    // Each link with its QR code, each site's row kept on one page.
    #expect(page.components(separatedBy: "<svg ").count == 5 && page.contains("aria-label=\"QR: S-3\""))
    let code = try QRCode.encode("https://hn.example/checkin/c/toks-3abcdefghijklmnop")
    #expect(page.contains(code.svg(side: "30mm", label: "QR: S-3")))
    #expect(page.contains("tr { page-break-inside: avoid; break-inside: avoid; }"))
  }

  @Test func everyBaseKeysAcceptsMakesLinksThatFitAQRCodeAndALongerOneIsSaidOnTheSheet() {
    let longest = "https://" + String(repeating: "a", count: EnrolmentSheet.checkinBaseLimit - 8)
    #expect(EnrolmentSheet.isValidCheckinBase(longest) && !EnrolmentSheet.isValidCheckinBase(longest + "a"))
    let link = EnrolmentSheet.checkinLink(base: longest, token: String(repeating: "z", count: 64))
    #expect(link.utf8.count == QRCode.capacity && (try? QRCode.encode(link))?.version == 10)
    // The sheet itself is given a longer one: the link stays, printed, and the missing code is explained.
    let entries = [(Self.sites[0], SiteKeyEntry(secret: "s", checkinToken: String(repeating: "z", count: 64)))]
    let page = EnrolmentSheet.html(title: "T", entries: entries, checkinBase: longest + "/more", writtenAt: Self.now)
    #expect(page.contains(HTMLText.escaped(longest + "/more/c/" + String(repeating: "z", count: 64))))
    #expect(!page.contains("<svg") && page.contains("Không có mã QR / No QR code: 218 bytes do not fit in a QR code"))
  }

  @Test func aRefusedCountFileIsAReasonCodeForTheMonitor() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bw-count-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/count.txt"
    var source = HeadcountSource(fixed: nil, path: path, strings: Strings(.vi))
    _ = source.refresh()
    #expect(source.problem == .unreadable, "no file yet")
    for (text, problem) in [
      ("148", nil), ("148 người", CountFileProblem.notANumber), ("148", nil), ("45,5", .notANumber), ("", .empty), ("2000000", .tooLarge),
      ("1\n2", .severalLines),
    ] as [(String, CountFileProblem?)] {
      try text.write(toFile: path + ".new", atomically: false, encoding: .utf8)
      rename(path + ".new", path)
      let said = source.refresh()
      #expect(source.problem == problem, "'\(text)'")
      if problem != nil { #expect(said?.contains("một số nguyên từ 0 đến 1.000.000") == true, "the rule, in Vietnamese: \(said ?? "")") }
    }
    #expect(source.current == 148, "the last good count stands")
  }
}
