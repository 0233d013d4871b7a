import BridgeCore
import BridgeField
import Foundation
import TestSupport
import Testing

/// `bridgewatch keys` and the agent as a service, as a province's IT staff use them: the real binary writes the keys
/// file, the bundles and the sheet; a real monitor loads the keys; agents run from their bundles' settings.
@Suite(.serialized) struct EnrolmentEndToEndTests {
  /// `count` sites in provinces of 12 districts, plus the roster's HB-DB-TULY, signed and required to sign.
  static func config(sites count: Int) -> String {
    var lines = [
      "title: \"Hội nghị trực tuyến toàn quốc\"", "keys: keys.yaml", "status_file: status.json", "udp:",
      "  listen: 127.0.0.1:0", "  require_auth: true", "sites:", TestRoster.yaml("HB-DB-TULY"),
    ]
    for index in 1..<count {
      lines.append(
        "  - {id: P\(index / 60)-S\(index), name: \"Xã số \(index)\", group: \"Tỉnh \(index / 60) / Huyện \(index % 12)\", expected: 40}")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func keys(_ arguments: [String], in folder: String) throws -> Binary.Result {
    try Binary.run(["keys", folder + "/conference.yaml"] + arguments, environment: ["LANG": "C.UTF-8"])
  }

  /// A bundle installed under `root` the way the README's commands do, its paths moved under `root` (a test
  /// cannot write /etc), and its agent started from the installed settings file.
  static func installAndStart(bundle: String, root: String, count: String) throws -> BackgroundProcess {
    for folder in ["/etc/bridgewatch", "/var/lib/bridgewatch"] {
      try FileManager.default.createDirectory(atPath: root + folder, withIntermediateDirectories: true)
    }
    let settings = try String(contentsOfFile: bundle + "/agent.yaml", encoding: .utf8)
      .replacingOccurrences(of: "/etc/bridgewatch/", with: root + "/etc/bridgewatch/")
      .replacingOccurrences(of: "/var/lib/bridgewatch/", with: root + "/var/lib/bridgewatch/")
    try settings.write(toFile: root + "/etc/bridgewatch/agent.yaml", atomically: true, encoding: .utf8)
    try FileManager.default.copyItem(atPath: bundle + "/agent.key", toPath: root + "/etc/bridgewatch/agent.key")
    chmod(root + "/etc/bridgewatch/agent.key", 0o640)
    try count.write(toFile: root + "/var/lib/bridgewatch/count.txt", atomically: true, encoding: .utf8)
    return try BackgroundProcess(["agent", "--config", root + "/etc/bridgewatch/agent.yaml"])
  }

  /// One heartbeat signed with a bundle's key through the agent's own code (its settings reader, key file reader
  /// and session), sent to the monitor its settings name.
  static func sendAsBundle(_ bundle: String, count: Int, sequence: UInt64 = 1, socket: UDPTestSocket) throws {
    let settings = try AgentSettingsFile.load(path: bundle + "/agent.yaml", strings: .english)
    let secret = try KeyFile.read(bundle + "/agent.key").secret
    var session = AgentSession(site: settings.site!, secret: secret, firstSequence: sequence)
    let line = session.nextHeartbeat(count: count, now: SystemClock().now())
    socket.send(line, port: HostPort.parse(settings.monitors[0])!.port)
  }

  static func mode(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
  }

  @Test func twoHundredFourBundlesAreAcceptedByAMonitorUsingTheWrittenKeys() throws {
    let folder = try makeScratchDirectory("bw-enrol")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.config(sites: 204).write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let port = freeUDPPort()
    let made = try Self.keys(
      ["--monitor", "127.0.0.1:\(port)", "--bundles", folder + "/bundles", "--checkin-base", "https://hoinghi.example.vn/checkin"],
      in: folder)
    #expect(made.status == 0, "\(made.stderr)")
    #expect(made.stdout.contains("204 sites, 204 new secrets, 0 kept; mode 600"), "\(made.stdout)")
    #expect(made.stdout.contains("agent bundles for 204 sites in \(folder)/bundles"), "\(made.stdout)")
    let written = try ConfigLoader.loadSiteKeys(
      path: folder + "/keys.yaml", sites: try ConfigLoader.load(path: folder + "/conference.yaml").config.sites, mayBeMissing: false)
    #expect(written.count == 204)
    for entry in written.values { #expect(!made.stdout.contains(entry.secret) && !made.stderr.contains(entry.secret), "a secret printed") }
    #expect(Self.mode(folder + "/keys.yaml") == 0o600 && Self.mode(folder + "/bundles") == 0o700)
    // The sheet lists every site's check-in token: only its owner reads it.
    #expect(Self.mode(folder + "/bundles/sheet.html") == 0o600)
    let bundles = try FileManager.default.contentsOfDirectory(atPath: folder + "/bundles").filter { $0 != "sheet.html" }.sorted()
    #expect(bundles.count == 204)
    for id in bundles {
      let names = try FileManager.default.contentsOfDirectory(atPath: folder + "/bundles/" + id).sorted()
      #expect(names == ["README-en.txt", "README-vi.txt", "agent.key", "agent.yaml", "bridgewatch-agent.service"], "\(id)")
      #expect(Self.mode(folder + "/bundles/\(id)/agent.key") == 0o600)
      let key = try String(contentsOfFile: folder + "/bundles/\(id)/agent.key", encoding: .utf8)
      #expect(key == (written[id]?.secret ?? "?") + "\n", "\(id)'s bundle holds its own secret")
    }

    let monitor = try HeadlessMonitor(config: Self.config(sites: 204), listen: "127.0.0.1:\(port)", directory: folder)
    defer { _ = monitor.stop() }
    // Four real agents from their bundles (one with a count it must refuse); the other 200 sign one heartbeat
    // each with their bundle's key through the agent's code.
    let real = Array(bundles.prefix(4))
    var agents: [BackgroundProcess] = []
    defer { for agent in agents { _ = agent.stop() } }
    for (position, id) in real.enumerated() {
      agents.append(
        try Self.installAndStart(
          bundle: folder + "/bundles/" + id, root: folder + "/site-" + id, count: position == 0 ? "148 người\n" : "45\n"))
    }
    let socket = UDPTestSocket()
    for id in bundles.dropFirst(4) { try Self.sendAsBundle(folder + "/bundles/" + id, count: 40, socket: socket) }

    let all = monitor.waitForStatus(seconds: 60) { json in
      ((json["sites"] as? [[String: Any]]) ?? []).filter { $0["status"] as? String == "online" }.count == 204
    }
    #expect(all != nil, "not every site online: \(monitor.log.suffix(3000))")
    let counters = (all?["counters"] as? [String: Any])?["rejected"] as? [String: Any]
    #expect(counters?["bad_mac"] as? Int == 0 && counters?["unauthenticated"] as? Int == 0, "\(counters ?? [:])")

    // The refused count reaches the control room as "count file unreadable", with its reason code and no text.
    let refused = monitor.waitForStatus(seconds: 30) { json in
      (monitor.site(real[0], in: json)?["flags"] as? [String])?.contains("count_file_unreadable") == true
    }.flatMap { monitor.site(real[0], in: $0) }
    #expect(refused?["count_problem"] as? String == "not_a_number", "\(refused ?? [:])")
    #expect(agents[0].waitFor(seconds: 10) { $0.contains("một số nguyên từ 0 đến 1.000.000") ? true : nil } == true, "\(agents[0].output)")
    // Fixed at the site: the flag clears and the count arrives.
    try "148\n".write(toFile: folder + "/site-\(real[0])/var/lib/bridgewatch/count.txt", atomically: true, encoding: .utf8)
    let fixed = monitor.waitHeadcount(real[0], 148, seconds: 30)
    #expect((fixed?["flags"] as? [String])?.contains("count_file_unreadable") == false, "\(fixed ?? [:])")
  }

  @Test func aRotatedKeyIsAcceptedDuringItsGraceAndRefusedAfter() throws {
    let folder = try makeScratchDirectory("bw-rotate")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.config(sites: 3).write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let port = freeUDPPort()
    #expect(try Self.keys(["--monitor", "127.0.0.1:\(port)", "--bundles", folder + "/bundles"], in: folder).status == 0)
    let site = "P0-S1"
    try FileManager.default.copyItem(atPath: folder + "/bundles/\(site)", toPath: folder + "/old-bundle")

    let rotated = try Self.keys(
      ["--rotate", "--site", site, "--grace", "25s", "--monitor", "127.0.0.1:\(port)", "--bundles", folder + "/bundles"], in: folder)
    #expect(rotated.status == 0, "\(rotated.stderr)")
    #expect(rotated.stdout.contains("rotated 1 secrets: the old ones stay valid until"), "\(rotated.stdout)")
    #expect(rotated.stdout.contains("agent bundles for 1 sites"), "\(rotated.stdout)")
    let sites = try ConfigLoader.load(path: folder + "/conference.yaml").config.sites
    let entry = try #require(try ConfigLoader.loadSiteKeys(path: folder + "/keys.yaml", sites: sites, mayBeMissing: false)[site])
    let oldKey = try String(contentsOfFile: folder + "/old-bundle/agent.key", encoding: .utf8)
    #expect(entry.previousSecret.map { $0 + "\n" } == oldKey && entry.secret + "\n" != oldKey)
    let graceEnds = try #require(entry.previousUntil)

    let monitor = try HeadlessMonitor(config: Self.config(sites: 3), listen: "127.0.0.1:\(port)", directory: folder)
    defer { _ = monitor.stop() }
    let socket = UDPTestSocket()
    // During the grace: the old bundle and the new one are both heard.
    try Self.sendAsBundle(folder + "/old-bundle", count: 11, sequence: 1, socket: socket)
    #expect(Date().timeIntervalSince1970 < graceEnds, "the machine was too slow to test inside the grace")
    #expect(monitor.waitHeadcount(site, 11) != nil, "old key refused during its grace: \(monitor.log.suffix(2000))")
    try Self.sendAsBundle(folder + "/bundles/\(site)", count: 12, sequence: 2, socket: socket)
    #expect(monitor.waitHeadcount(site, 12) != nil, "new key refused: \(monitor.log.suffix(2000))")

    // After it: the old key is refused as a wrong key, the new one still heard.
    Thread.sleep(forTimeInterval: max(0, graceEnds - Date().timeIntervalSince1970) + 1)
    try Self.sendAsBundle(folder + "/old-bundle", count: 13, sequence: 3, socket: socket)
    let refused = monitor.waitForStatus(seconds: 15) { json in
      (monitor.site(site, in: json)?["rejected"] as? [String: Any])?["reason"] as? String == "bad_mac"
    }
    #expect(refused != nil, "old key not refused after its grace: \(monitor.log.suffix(2000))")
    #expect(monitor.site(site, in: refused ?? [:])?["headcount"] as? Int == 12)
    try Self.sendAsBundle(folder + "/bundles/\(site)", count: 14, sequence: 4, socket: socket)
    #expect(monitor.waitHeadcount(site, 14) != nil)
  }

  /// One heartbeat through the real `send` with a key file: true when the monitor acknowledged it (it acknowledges
  /// only what it accepts, so false is a refusal once the monitor is known to listen).
  static func sendAcked(_ site: String, keyFile: String, port: Int, sequence: inout UInt64) throws -> Bool {
    sequence += 1
    let sent = try Binary.run(
      [
        "send", "--site", site, "--monitor", "127.0.0.1:\(port)", "--key-file", keyFile, "--seq", "\(sequence)", "--count", "20",
        "--timeout", "1s",
      ], environment: ["LANG": "C.UTF-8"])
    return sent.status == 0
  }

  /// Writes `text` as the keys file the way `keys` does: a whole new file renamed over the old one.
  static func replaceKeysFile(_ folder: String, with text: String, mode: mode_t = 0o600) throws {
    try text.write(toFile: folder + "/keys.yaml.new", atomically: false, encoding: .utf8)
    chmod(folder + "/keys.yaml.new", mode)
    #expect(rename(folder + "/keys.yaml.new", folder + "/keys.yaml") == 0)
  }

  @Test func theRunningMonitorLoadsAChangedKeysFileWithoutARestart() throws {
    let folder = try makeScratchDirectory("bw-reload")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let config = Self.config(sites: 3) + "metrics:\n  listen: 127.0.0.1:0\ncheckin:\n  enabled: true\n"
    try config.write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let port = freeUDPPort()
    let bundles = ["--monitor", "127.0.0.1:\(port)", "--bundles", folder + "/bundles"]
    // P0-S2 is not enrolled yet when the monitor starts.
    #expect(try Self.keys(["--site", "HB-DB-TULY", "--site", "P0-S1"] + bundles, in: folder).status == 0)
    try FileManager.default.copyItem(atPath: folder + "/bundles/P0-S1", toPath: folder + "/old-bundle")
    let monitor = try HeadlessMonitor(config: config, listen: "127.0.0.1:\(port)", directory: folder)
    defer { _ = monitor.stop() }
    let base = try #require(monitor.waitFor(seconds: 20) { CheckinEndToEndTests.checkinBase(in: $0) }, "\(monitor.log)")
    var sequence: UInt64 = 0
    #expect(try Self.sendAcked("P0-S1", keyFile: folder + "/old-bundle/agent.key", port: port, sequence: &sequence))

    // A site enrolled while the monitor runs: its key and its check-in link work without a restart.
    #expect(try Self.keys(["--site", "P0-S2"] + bundles, in: folder).status == 0)
    let newSite = eventually(timeout: .seconds(20), every: .milliseconds(200)) {
      try? Self.sendAcked("P0-S2", keyFile: folder + "/bundles/P0-S2/agent.key", port: port, sequence: &sequence) == true ? true : nil
    }
    #expect(newSite == true, "the new site's key was not loaded: \(monitor.log.suffix(2000))")
    #expect(monitor.log.contains("keys file \(folder)/keys.yaml loaded again and in force now: 3 of 3 sites have a key"), "\(monitor.log)")
    let token = try #require(try CheckinEndToEndTests.tokens(folder)["P0-S2"])
    let page = try CheckinEndToEndTests.curl(base + "/c/" + token)
    #expect(page.status == 200 && page.body.contains("Xã số 2"), "\(page.status) \(page.body.prefix(300))")

    // A rotation: the new key is heard as soon as the file is loaded, the old one until its grace ends, not after.
    let rotated = try Self.keys(["--rotate", "--site", "P0-S1", "--grace", "6s"] + bundles, in: folder)
    #expect(rotated.status == 0 && rotated.stdout.contains("a running monitor loads them"), "\(rotated.stdout) \(rotated.stderr)")
    let sites = try ConfigLoader.load(path: folder + "/conference.yaml").config.sites
    let graceEnds = try #require(
      try ConfigLoader.loadSiteKeys(path: folder + "/keys.yaml", sites: sites, mayBeMissing: false)["P0-S1"]?.previousUntil)
    let newKey = eventually(timeout: .seconds(20), every: .milliseconds(100)) {
      try? Self.sendAcked("P0-S1", keyFile: folder + "/bundles/P0-S1/agent.key", port: port, sequence: &sequence) == true ? true : nil
    }
    #expect(newKey == true, "the rotated key was not loaded: \(monitor.log.suffix(2000))")
    #expect(Date().timeIntervalSince1970 < graceEnds - 1, "the machine was too slow to test inside the grace")
    #expect(
      try Self.sendAcked("P0-S1", keyFile: folder + "/old-bundle/agent.key", port: port, sequence: &sequence),
      "the old key refused during its grace: \(monitor.log.suffix(2000))")
    Thread.sleep(forTimeInterval: max(0, graceEnds - Date().timeIntervalSince1970) + 1)
    #expect(try !Self.sendAcked("P0-S1", keyFile: folder + "/old-bundle/agent.key", port: port, sequence: &sequence))
    let refused = monitor.waitForStatus(seconds: 15) { json in
      (monitor.site("P0-S1", in: json)?["rejected"] as? [String: Any])?["reason"] as? String == "bad_mac"
    }
    #expect(refused != nil, "the old key was not refused after its grace: \(monitor.log.suffix(2000))")
    #expect(try Self.sendAcked("P0-S1", keyFile: folder + "/bundles/P0-S1/agent.key", port: port, sequence: &sequence))

    // A keys file that is now wrong is refused with its line and rule; the keys in force stay.
    let good = try String(contentsOfFile: folder + "/keys.yaml", encoding: .utf8)
    try Self.replaceKeysFile(folder, with: good + "\"NO-SUCH-SITE\": \"0123456789abcdef0123456789abcdef\"\n")
    let badLine = good.split(separator: "\n", omittingEmptySubsequences: false).count
    let problem = eventually(timeout: .seconds(20), every: .milliseconds(100)) { monitor.statusFile()?["keys_file_problem"] as? String }
    #expect(
      problem?.contains("\(folder)/keys.yaml:\(badLine): ") == true && problem?.contains("NO-SUCH-SITE") == true, "\(problem ?? "none")")
    #expect(
      monitor.waitFor(seconds: 10) { $0.contains("changed but is REFUSED; the keys loaded at") ? true : nil } == true, "\(monitor.log)")
    #expect(try Self.sendAcked("P0-S1", keyFile: folder + "/bundles/P0-S1/agent.key", port: port, sequence: &sequence))
    // Readable by others: refused too, whatever it holds; fixed, it is loaded and the problem is gone.
    try Self.replaceKeysFile(folder, with: good, mode: 0o644)
    let open = eventually(timeout: .seconds(20), every: .milliseconds(100)) {
      (monitor.statusFile()?["keys_file_problem"] as? String).flatMap { $0.contains("readable by other users (mode 644)") ? $0 : nil }
    }
    #expect(open != nil, "\(monitor.statusFile()?["keys_file_problem"] ?? "none")")
    chmod(folder + "/keys.yaml", 0o600)
    #expect(monitor.waitForStatus(seconds: 20) { $0["keys_file_problem"] is NSNull } != nil, "\(monitor.log.suffix(2000))")
    #expect(try Self.sendAcked("P0-S2", keyFile: folder + "/bundles/P0-S2/agent.key", port: port, sequence: &sequence))
  }

  @Test func keysRefusesWhatItCannotDoAndWritesNothing() throws {
    let folder = try makeScratchDirectory("bw-keys-refusals")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.config(sites: 3).replacingOccurrences(of: "127.0.0.1:0", with: "0.0.0.0:7400").write(
      toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let cases: [([String], String)] = [
      (["--site", "NOPE"], "bridgewatch keys: --site NOPE: no such site in \(folder)/conference.yaml"),
      (["--checkin-base", "javascript:alert(1)"], "--checkin-base must be an http:// or https:// address"),
      (
        ["--checkin-base", "https://" + String(repeating: "a", count: 139)],
        "--checkin-base must be an http:// or https:// address of at most 146 bytes"
      ),
      (
        ["--bundles", folder + "/bundles"],
        "bundles need the monitor's address as the sites reach it: give --monitor HOST:PORT (udp.listen is 0.0.0.0:7400)"
      ),
      (["--monitor", "nowhere"], "--monitor must be HOST:PORT, got 'nowhere'"),
      (["--grace", "40d"], "--grace must be a duration from 1s to 30 days"),
    ]
    for (arguments, message) in cases {
      let refused = try Self.keys(arguments, in: folder)
      #expect(refused.status != 0 && refused.stderr.contains(message), "\(arguments): \(refused.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: folder + "/keys.yaml") && !FileManager.default.fileExists(atPath: folder + "/bundles"))
    let vietnamese = try Binary.run(["keys", folder + "/conference.yaml", "--site", "NOPE"], environment: ["LANG": "vi_VN.UTF-8"])
    #expect(vietnamese.stderr.contains("--site NOPE: không có điểm cầu này trong"), "\(vietnamese.stderr)")
  }

  @Test func theAgentsSettingsFileErrorsNameFileAndLineInTheOperatorsLanguage() throws {
    let folder = try makeScratchDirectory("bw-agent-settings")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try """
    site: HB-DB-TULY
    monitr: 127.0.0.1:7400
    interval: 5 giây
    """.write(toFile: folder + "/agent.yaml", atomically: true, encoding: .utf8)
    let english = try Binary.run(["agent", "--config", folder + "/agent.yaml"], environment: ["LANG": "C.UTF-8"])
    #expect(english.status == 2)
    #expect(
      english.stderr.contains("bridgewatch agent: \(folder)/agent.yaml:2: unknown key 'monitr' (did you mean 'monitor'?)"),
      "\(english.stderr)")
    #expect(english.stderr.contains("\(folder)/agent.yaml:3: interval must be a duration of at least 100ms (e.g. 5s), got '5 giây'"))
    let vietnamese = try Binary.run(["agent", "--config", folder + "/agent.yaml"], environment: ["LANG": "vi_VN.UTF-8"])
    #expect(vietnamese.status == 2)
    #expect(vietnamese.stderr.contains("\(folder)/agent.yaml:2: khóa lạ 'monitr' (có phải ý bạn là 'monitor'?)"), "\(vietnamese.stderr)")
    #expect(vietnamese.stderr.contains("\(folder)/agent.yaml:3: interval phải là khoảng thời gian ít nhất 100ms"))

    // A good file with a flag over it: --heartbeat-file replaces the file's monitor.
    try "site: HB-DB-TULY\nmonitor: 127.0.0.1:9\ninterval: 200ms\ncount: 7\n".write(
      toFile: folder + "/agent.yaml", atomically: true, encoding: .utf8)
    let agent = try BackgroundProcess(["agent", "--config", folder + "/agent.yaml", "--heartbeat-file", folder + "/tuly.hb"])
    defer { _ = agent.stop() }
    let line = eventually(timeout: .seconds(20)) { try? String(contentsOfFile: folder + "/tuly.hb", encoding: .utf8) }
    #expect(line?.hasPrefix("BW1 site=HB-DB-TULY seq=") == true && line?.contains(" count=7") == true, "\(agent.output)")
  }

  @Test func theSheetRendersInChromiumOnA4() throws {
    try RequiredTool.require("chromium")
    let folder = try makeScratchDirectory("bw-sheet")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.config(sites: 204).write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let made = try Self.keys(
      ["--monitor", "127.0.0.1:7400", "--bundles", folder + "/bundles", "--checkin-base", "https://hoinghi.example.vn/checkin"], in: folder)
    #expect(made.status == 0, "\(made.stderr)")
    let page = try ReportBrowserTests.chromium(["--dump-dom", "file://\(folder)/bundles/sheet.html"], profile: folder + "/profile")
    #expect(page.status == 0, "\(page.errors)")
    #expect(ReportBrowserTests.count("<span>https://hoinghi.example.vn/checkin/c/", in: page.output) == 204)
    #expect(ReportBrowserTests.count("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\"", in: page.output) == 204, "a QR code each")
    #expect(page.output.contains("<td>Xã Tú Lý</td><td>Hòa Bình / Đà Bắc</td>"), "\(page.output.prefix(3000))")
    let pdf = try ReportBrowserTests.chromium(
      ["--no-pdf-header-footer", "--print-to-pdf=\(folder)/sheet.pdf", "file://\(folder)/bundles/sheet.html"], profile: folder + "/profile")
    #expect(pdf.status == 0, "\(pdf.errors)")
    let pdfText = String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/sheet.pdf")), as: UTF8.self)
    // A4 is 595 × 842 points; 204 rows take several pages.
    #expect(pdfText.contains("/MediaBox [0 0 595") || pdfText.contains("/MediaBox [0 0 594"), "not A4")
    let pages =
      ReportBrowserTests.count("/Type /Page\n", in: pdfText) + ReportBrowserTests.count("/Type /Page/", in: pdfText)
      + ReportBrowserTests.count("/Type /Page>>", in: pdfText)
    #expect(pages >= 4, "\(pages) pages")
    let png = try ReportBrowserTests.chromium(
      ["--hide-scrollbars", "--window-size=794,1123", "--screenshot=\(folder)/sheet.png", "file://\(folder)/bundles/sheet.html"],
      profile: folder + "/profile")
    #expect(png.status == 0, "\(png.errors)")
    let pngBytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/sheet.png"))
    #expect(pngBytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && pngBytes.count > 20_000)
    if let keep = ProcessInfo.processInfo.environment["BW_KEEP_SHEET_PNG"] { try? pngBytes.write(to: URL(fileURLWithPath: keep)) }
  }

  /// README "Enrol the sites": both blocks, as written, in a temporary root. Only what a test cannot do is stood
  /// in for: root's paths move under the root, `install` drops owner and group, `systemctl enable --now` starts the
  /// unit's own ExecStart, `usermod` and `sudo` do nothing more.
  @Test func theReadmesEnrolmentCommandsWork() throws {
    let folder = try makeScratchDirectory("bw-readme-enrol")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let readme = try String(contentsOfFile: Repository.path("README.md"), encoding: .utf8)
    let section = try #require(
      readme.components(separatedBy: "## Enrol the sites").dropFirst().first?.components(separatedBy: "\n## ").first)
    let blocks = section.components(separatedBy: "```sh\n").dropFirst().map { $0.components(separatedBy: "```").first! }
    #expect(blocks.count == 2)
    let port = freeUDPPort()
    let root = folder + "/root"
    let site = folder + "/site"
    for path in [root + "/etc/systemd/system", site] {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    try Self.config(sites: 3).write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let prelude = """
      set -euo pipefail
      bridgewatch() { "$BRIDGEWATCH" "$@"; }
      sudo() { "$@"; }
      usermod() { :; }
      install() {
        local args=()
        while [ $# -gt 0 ]; do
          case "$1" in -o|-g) shift 2;; *) args+=("$1"); shift;; esac
        done
        command install "${args[@]}"
      }
      systemctl() {
        if [ "$1" = enable ]; then
          sed -i "s#/etc/bridgewatch/#$ROOT/etc/bridgewatch/#; s#/var/lib/bridgewatch/#$ROOT/var/lib/bridgewatch/#" "$ROOT/etc/bridgewatch/agent.yaml"
          set -- $(sed -n 's/^ExecStart=//p' "$ROOT/etc/systemd/system/bridgewatch-agent.service")
          [ "$1" = /usr/bin/bridgewatch ] && [ "$3" = --config ]
          # As systemd does, the service gets no other descriptor: one of the test's (Foundation watches its
          # child's end of a socket pair) would keep this shell "running" for as long as the agent runs.
          (
            for fd in /proc/self/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-" 2>/dev/null || true; fi; done
            exec "$BRIDGEWATCH" "$2" "$3" "$ROOT$4"
          ) > "$ROOT/agent.log" 2>&1 &
          echo $! > "$ROOT/agent.pid"
        fi
      }

      """
    func run(_ block: String, in directory: String) throws -> (status: Int32, output: String) {
      let script =
        prelude + "cd \"\(directory)\"\n"
        + block.replacingOccurrences(of: "203.0.113.10:7400", with: "127.0.0.1:\(port)")
        .replacingOccurrences(of: " /etc/", with: " $ROOT/etc/").replacingOccurrences(of: " /var/lib/", with: " $ROOT/var/lib/")
      return try runShell(script + "\n", environment: ["BRIDGEWATCH": Binary.path, "ROOT": root, "LANG": "C.UTF-8"])
    }
    let host = try run(blocks[0], in: folder)
    #expect(host.status == 0, "\(host.output)")
    try FileManager.default.copyItem(atPath: folder + "/HB-DB-TULY.tar.gz", toPath: site + "/HB-DB-TULY.tar.gz")
    let monitor = try HeadlessMonitor(config: Self.config(sites: 3), listen: "127.0.0.1:\(port)", directory: folder)
    defer { _ = monitor.stop() }
    let installed = try run(blocks[1], in: site)
    let agentPID = (try? String(contentsOfFile: root + "/agent.pid", encoding: .utf8)).flatMap {
      Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    defer { if let agentPID { kill(agentPID, SIGTERM) } }
    #expect(installed.status == 0 && agentPID != nil, "\(installed.output)")
    #expect(Self.mode(root + "/etc/bridgewatch/agent.key") == 0o640)
    #expect(Self.mode(root + "/var/lib/bridgewatch") == 0o2775 && Self.mode(root + "/var/lib/bridgewatch/count.txt") == 0o664)
    let heard = monitor.waitOnline("HB-DB-TULY", headcount: 45, seconds: 30)
    #expect(heard != nil, "\((try? String(contentsOfFile: root + "/agent.log", encoding: .utf8)) ?? "") \(monitor.log.suffix(2000))")
  }
}
