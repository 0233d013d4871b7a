import BridgeCore
import BridgeField
import BridgeMonitor
import Foundation
import TestSupport
import Testing

/// The real binary in a real terminal: tmux on its own socket, keys by send-keys, the screen by capture-pane.
final class TmuxSession {
  let socket = "bw-test-\(UUID().uuidString.prefix(8))"
  let name = "bw"
  /// tmux's folder for its sockets (TMUX_TMPDIR): the test's own, removed with the session, not the shared
  /// /tmp/tmux-UID that tmux would otherwise create and leave.
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-tmux-\(UUID().uuidString.prefix(8))").path

  init(width: Int, height: Int, command: String) throws {
    try RequiredTool.require("tmux")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", "-e", "LANG=C.UTF-8", "bash --norc --noprofile"])
    try tmux(["send-keys", "-t", name, command, "Enter"])
  }

  deinit {
    _ = try? tmux(["kill-server"])
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// Runs tmux through the shell with popen: Foundation's Process never sees the `new-session` client exit,
  /// because the daemonized server inherits the descriptor it watches.
  @discardableResult
  func tmux(_ arguments: [String]) throws -> String {
    let quoted = (["env", "TMUX_TMPDIR=" + directory, "tmux", "-L", socket] + arguments).map {
      "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
    // The server must not inherit the pipe either, or reading would never end.
    let redirect = arguments.first == "new-session" ? " >/dev/null 2>&1 </dev/null" : " 2>/dev/null"
    guard let stream = popen(quoted.joined(separator: " ") + redirect, "r") else { throw TmuxFailure() }
    var output = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = fread(&buffer, 1, buffer.count, stream)
      if count <= 0 { break }
      output += buffer[0..<count]
    }
    guard pclose(stream) == 0 else { throw TmuxFailure() }
    return String(decoding: output, as: UTF8.self)
  }

  struct TmuxFailure: Error {}

  func screen() -> String { (try? tmux(["capture-pane", "-p", "-t", name])) ?? "" }

  func send(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }

  /// The process the pane's shell is running in the foreground: the direct child of the pane's shell.
  /// Matching command lines instead can hit the matcher's own shell, whose command line holds the pattern too.
  func foregroundProcessID() throws -> pid_t? {
    let shellText = try tmux(["display-message", "-p", "-t", name, "#{pane_pid}"])
    guard let shell = pid_t(shellText.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
      guard let pid = pid_t(entry), let fields = ProcStat.fields("/proc/\(entry)/stat") else { continue }
      if fields.count > 1, pid_t(fields[1]) == shell { return pid }
    }
    return nil
  }

  /// Waits until the screen satisfies `condition`; returns the last screen either way.
  @discardableResult
  func waitFor(seconds: Double = 15, _ condition: (String) -> Bool) -> (ok: Bool, screen: String) {
    let met: String? = eventually(timeout: .seconds(seconds), every: .milliseconds(100)) {
      let text = screen()
      return condition(text) ? text : nil
    }
    return met.map { (true, $0) } ?? (false, screen())
  }
}

/// A UDP port that was free a moment ago.
func freeUDPPort() -> Int { freeLoopbackPort(Int32(SOCK_DGRAM.rawValue)) }

/// A free loopback TCP port (bound and released: the tool that gets it binds it a moment later).
func freeTCPPort() -> Int { freeLoopbackPort(Int32(SOCK_STREAM.rawValue)) }

/// A loopback port of `type` (datagram or stream) that was free a moment ago.
func freeLoopbackPort(_ type: Int32) -> Int {
  let fd = socket(AF_INET, type, 0)
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  _ = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
      _ = bind(fd, pointer, length)
      return getsockname(fd, pointer, &length)
    }
  }
  return Int(UInt16(bigEndian: address.sin_port))
}

@Suite(.serialized) struct DashboardTmuxTests {
  @Test func heartbeatsShowUpMarkingWorksAndQuitRestoresTheTerminal() throws {
    let directory = try makeScratchDirectory("bw-tmux")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try """
    title: "Hội nghị trực tuyến toàn quốc"
    timing: {interval: 1s, late_after: 5s, offline_after: 10s}
    status_file: status.json
    sites:
    \(TestRoster.yaml())
    """.write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
    let port = freeUDPPort()
    let session = try TmuxSession(
      width: 120, height: 40,
      command: "'\(Binary.path)' run '\(directory)/conference.yaml' --listen 127.0.0.1:\(port) --operator tester --no-bell; echo EXITED=$?")
    let started = session.waitFor { $0.contains("udp 127.0.0.1:\(port)") }
    #expect(started.ok, "\(started.screen)")

    let sender = UDPTestSocket()
    sender.send(Array("BW1 site=HB-TU seq=1 count=148".utf8), port: port)
    #expect(sender.receive(timeoutMilliseconds: 2000) == "BW1 ack site=HB-TU seq=1")
    sender.send(Array("BW1 site=HB-DB-TULY seq=1 count=44".utf8), port: port)
    #expect(sender.receive(timeoutMilliseconds: 2000) == "BW1 ack site=HB-DB-TULY seq=1")
    let online = session.waitFor { screen in
      screen.split(separator: "\n").contains { $0.contains("● online") && $0.contains("HB-TU") && $0.contains("148/150") }
        && screen.split(separator: "\n").contains { $0.contains("● online") && $0.contains("Xã Tú Lý") && $0.contains("44/45") }
    }
    #expect(online.ok, "\(online.screen)")
    #expect(online.screen.contains("Online 2/3"))
    #expect(online.screen.contains("Attendance 192 / 293 (65.5%)"))

    // Mark the selected (first) site offline with preset 3.
    try session.send("o")
    #expect(session.waitFor { $0.contains("Reason: 1 no signal") }.ok)
    try session.send("3", "Enter")
    let marked = session.waitFor { screen in
      screen.split(separator: "\n").contains { $0.contains("⊘ marked") && $0.contains("HB-TU") && $0.contains("by tester: line down") }
    }
    #expect(marked.ok, "\(marked.screen)")
    #expect(marked.screen.contains("marked by tester: line down"))  // the event log
    var statusFileShowsMark = false
    for _ in 0..<50 {
      if let data = FileManager.default.contents(atPath: directory + "/status.json"),
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let first = (json["sites"] as? [[String: Any]])?.first, first["status"] as? String == "marked",
        (first["mark"] as? [String: Any])?["reason"] as? String == "line down"
      {
        statusFileShowsMark = true
        break
      }
      Thread.sleep(forTimeInterval: 0.1)
    }
    #expect(statusFileShowsMark)

    // Quit asks first; then the shell is back on the normal screen.
    try session.send("q")
    #expect(session.waitFor { $0.contains("Quit BridgeWatch?") }.ok)
    try session.send("y")
    let exited = session.waitFor { $0.contains("EXITED=0") }
    #expect(exited.ok, "\(exited.screen)")
    #expect(
      try session.tmux(["display", "-p", "-t", session.name, "#{alternate_on}"]).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    #expect(!exited.screen.contains("Events (newest first)"))
  }

  @Test func theDemoShowsSitesComingOnlineWithinTenSeconds() throws {
    let session = try TmuxSession(width: 120, height: 40, command: "'\(Binary.path)' demo --no-bell; echo EXITED=$?")
    let started = session.waitFor(seconds: 10) { $0.contains(" DEMO · simulated  Hội nghị trực tuyến toàn quốc") }
    #expect(started.ok, "\(started.screen)")
    let live = session.waitFor(seconds: 10) { screen in
      screen.split(separator: "\n").filter { $0.contains("● online") && $0.contains("HB-") }.count >= 3
    }
    #expect(live.ok, "\(live.screen)")
    #expect(live.screen.contains("unknown -> online (heartbeat)"))
    try session.send("q")
    #expect(session.waitFor { $0.contains("Quit BridgeWatch?") }.ok)
    try session.send("y")
    let exited = session.waitFor { $0.contains("EXITED=0") }
    #expect(exited.ok, "\(exited.screen)")
  }

  /// A 7,400-site demo shares two cores with the rest of the suite (Janus, GStreamer, other monitors): it has been
  /// seen to take over 20 s to draw its first screen and seconds to answer a key, so each wait here is long.
  static let demoPatience = 60.0

  @Test func aNationalControlRoomFiltersToADistrictOpensASiteAndMarksItOffline() throws {
    // The demo's national roster is deterministic: pick a district of Hòa Bình and type it without accents.
    let roster = DemoRoster.national(sites: 7400, heartbeatDirectory: "/unused")
    let hall = try #require(roster.first { $0.group.first == "Hòa Bình" && $0.id.hasSuffix("-D03-HU") })
    let district = roster.filter { $0.group == hall.group }
    let typed = plainLowercase("hoa binh \(hall.group[1])")
    #expect(typed.allSatisfy { $0.isASCII }, "\(typed)")

    let session = try TmuxSession(
      width: 160, height: 50,
      command: "'\(Binary.path)' demo --sites 7400 --shape 2021 --operator tester --no-bell --lang en; echo EXITED=$?")
    let started = session.waitFor(seconds: Self.demoPatience) { $0.contains("Online") && $0.contains("/7,400") }
    #expect(started.ok, "\(started.screen)")

    try session.send("/")
    #expect(session.waitFor(seconds: Self.demoPatience) { $0.contains("Filter (id, name or group; no accents needed):") }.ok)
    try session.send("-l", typed)
    try session.send("Enter")
    let filtered = session.waitFor(seconds: Self.demoPatience) { screen in
      screen.contains("filtered: \(district.count) of 7,400")
        && screen.contains(" \(hall.id)  \(hall.name)  ·  Hòa Bình / \(hall.group[1])")
    }
    #expect(filtered.ok, "\(filtered.screen)")
    // Only that district's sites are listed.
    let listedIDs = filtered.screen.split(separator: "\n").filter { $0.contains(" \(hall.id.dropLast(2))") }
    #expect(listedIDs.count >= min(district.count, 20), "\(filtered.screen)")

    try session.send("Enter")
    let detail = session.waitFor(seconds: Self.demoPatience) {
      $0.contains("Site \(hall.id)  ·  \(hall.name)") && $0.contains("Heartbeats, last 60 min")
    }
    #expect(detail.ok, "\(detail.screen)")
    #expect(detail.screen.contains("Group: Hòa Bình / \(hall.group[1])  ·  expected \(hall.expected)"))

    try session.send("o")
    #expect(session.waitFor(seconds: Self.demoPatience) { $0.contains("Mark \(hall.id) offline. Reason: 1 no signal") }.ok)
    try session.send("1", "Enter")
    let marked = session.waitFor(seconds: Self.demoPatience) { screen in
      screen.contains("(marked by tester: no signal)") && screen.contains("Marked offline by tester at")
        && screen.split(separator: "\n").contains { $0.contains("⊘ marked") && $0.contains(hall.id) }
    }
    #expect(marked.ok, "\(marked.screen)")

    try session.send("q")
    #expect(session.waitFor(seconds: Self.demoPatience) { $0.contains("Quit BridgeWatch?") }.ok)
    try session.send("y")
    let exited = session.waitFor(seconds: Self.demoPatience) { $0.contains("EXITED=0") }
    #expect(exited.ok, "\(exited.screen)")
  }
}

/// The header and the problems list in a real terminal, at the smallest size and a wall's, in both languages: the
/// counts an operator acts on (Offline, Help, Alerts, Marked) are always in the header, and `!` lists the sites
/// never heard and the site signing with a wrong key beside the offline ones (issue 29 §4, §5).
@Suite(.serialized) struct DashboardHeaderTmuxTests {
  static let config = """
    title: "Hội nghị trực tuyến toàn quốc quán triệt Nghị quyết Đại hội XIII của Đảng"
    timing: {interval: 1s, late_after: 3s, offline_after: 6s}
    keys: keys.yaml
    sites:
      - {id: HB-TU, name: "Tỉnh ủy Hòa Bình", group: "Hòa Bình", expected: 150}
      - {id: HB-DB-TULY, name: "Xã Tú Lý", group: "Hòa Bình / Đà Bắc", expected: 45}
      - {id: HB-DB-CAOSON, name: "Xã Cao Sơn", group: "Hòa Bình / Đà Bắc", expected: 54}
      - {id: HB-MC-HU, name: "Huyện ủy Mai Châu", group: "Hòa Bình / Mai Châu", expected: 98}
      - {id: HB-MC-PACO, name: "Xã Pà Cò", group: "Hòa Bình / Mai Châu", expected: 46}
      - {id: HB-MC-VANMAI, name: "Xã Vạn Mai", group: "Hòa Bình / Mai Châu", expected: 43}
    """

  @Test func theHeaderKeepsOfflineHelpAlertsAndMarkedAndProblemsListNeverHeardAndRefusedSites() throws {
    let directory = try makeScratchDirectory("bw-header")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try Self.config.write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
    try "HB-MC-PACO: \"paco-secret\"\n".write(toFile: directory + "/keys.yaml", atomically: true, encoding: .utf8)
    chmod(directory + "/keys.yaml", 0o600)
    try "not-the-paco-secret\n".write(toFile: directory + "/wrong.key", atomically: true, encoding: .utf8)
    let port = freeUDPPort()
    // The monitor's own dashboard in English; a console on it in Vietnamese.
    let english = try TmuxSession(
      width: 80, height: 24,
      command:
        "'\(Binary.path)' run '\(directory)/conference.yaml' --listen 127.0.0.1:\(port) --operator tester --no-bell --lang en; echo EXITED=$?"
    )
    #expect(english.waitFor { $0.contains("Online") }.ok, "\(english.screen())")

    // HB-TU stays online; HB-DB-TULY is heard once and goes offline; HB-DB-CAOSON asks for help; HB-MC-PACO signs
    // with a wrong key; HB-MC-HU is marked; HB-MC-VANMAI is never heard.
    let agent = try BackgroundProcess([
      "agent", "--site", "HB-TU", "--monitor", "127.0.0.1:\(port)", "--interval", "300ms", "--count", "148",
    ])
    defer { _ = agent.stop() }
    let sender = UDPTestSocket()
    sender.send(Array("BW1 site=HB-DB-TULY seq=1 count=44".utf8), port: port)
    sender.send(Array("BW1 site=HB-DB-CAOSON seq=1 count=51 state=help".utf8), port: port)
    let refused = try Binary.run([
      "send", "--site", "HB-MC-PACO", "--monitor", "127.0.0.1:\(port)", "--key-file", directory + "/wrong.key", "--timeout", "1s",
    ])
    #expect(refused.status == 1, "\(refused.stderr)")
    let desk = try ConsoleClient(
      path: directory + "/conference.sock", hello: ConsoleHello(operatorName: "lan", readOnly: false, group: nil, purpose: .console))
    desk.attach { _ in }
    #expect(desk.answer(to: OperatorRequest(site: "HB-MC-HU", action: .mark(reason: "mất điện")), operatorName: "lan").isApplied)
    desk.detach()

    let vietnamese = try TmuxSession(
      width: 80, height: 24,
      command: "'\(Binary.path)' console '\(directory)/conference.yaml' --operator minh --no-bell --lang vi; echo EXITED=$?")
    for (session, language) in [(english, Language.en), (vietnamese, .vi)] {
      let strings = Strings(language)
      let labels = [
        strings(.headerOffline) + " ", strings(.headerHelp) + " 1", strings(.headerAlerts) + " ", strings(.headerMarked) + " 1",
      ]
      for (width, height) in [(80, 24), (200, 60)] {
        try session.tmux(["resize-window", "-t", session.name, "-x", "\(width)", "-y", "\(height)"])
        // The counts line is the header's second.
        let header = session.waitFor { screen in
          let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
          return lines.count > 1 && lines[0].count >= width - 2 && labels.allSatisfy { lines[1].contains($0) }
        }
        #expect(header.ok, "\(language) \(width)x\(height): the header lacks one of \(labels):\n\(header.screen)")
      }
      // Problems only: the offline, late and marked sites, and the one never heard and the one refused; not HB-TU.
      for (width, height) in [(200, 60), (80, 24)] {
        try session.tmux(["resize-window", "-t", session.name, "-x", "\(width)", "-y", "\(height)"])
        if width == 200 { try session.send("!") }
        let problems = session.waitFor { screen in
          let rows = screen.split(separator: "\n").dropFirst(3)
          func listed(_ id: String) -> Bool { rows.contains { $0.contains(" \(id) ") && !$0.contains("->") } }
          return ["HB-DB-TULY", "HB-DB-CAOSON", "HB-MC-HU", "HB-MC-PACO", "HB-MC-VANMAI"].allSatisfy(listed)
            && !rows.contains { $0.hasPrefix(" ●") && $0.contains(" HB-TU ") }
            && (width < 200
              || rows.contains { $0.contains(" HB-MC-PACO ") && $0.contains(strings(.flagRefused, strings.rejection(.badMAC))) })
        }
        #expect(problems.ok, "\(language) \(width)x\(height): `!` misses a problem:\n\(problems.screen)")
      }
    }
    for session in [vietnamese, english] {
      try session.send("q")
      try session.send("y")
      #expect(session.waitFor { $0.contains("EXITED=0") }.ok, "\(session.screen())")
    }
  }
}

/// Every built-in theme is in the binary: `--theme light` works from a folder with no themes/ beside it, `t` goes
/// through all four, and a name that is none of them stops the dashboard before it starts, naming them.
@Suite(.serialized) struct DashboardThemeTmuxTests {
  @Test func builtInThemesWorkFromAnyFolderAndAnUnknownOneIsAnError() throws {
    let directory = try makeScratchDirectory("bw-theme")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let unknown = try TmuxSession(
      width: 120, height: 40, command: "cd '\(directory)' && '\(Binary.path)' demo --theme lihgt; echo EXITED=$?")
    let refused = unknown.waitFor { $0.range(of: "EXITED=[0-9]", options: .regularExpression) != nil }
    #expect(refused.screen.contains("unknown theme 'lihgt': the themes are default, light, high-contrast, mono"), "\(refused.screen)")
    #expect(refused.screen.contains("EXITED=2"), "\(refused.screen)")

    let session = try TmuxSession(
      width: 200, height: 40,
      // NO_COLOR (which the test runner may set) would make it mono.
      command:
        "cd '\(directory)' && env -u NO_COLOR '\(Binary.path)' demo --theme light --no-bell --operator tester --lang en; echo EXITED=$?"
    )
    #expect(session.waitFor { $0.contains("tester · light") }.ok, "\(session.screen())")
    // light paints its own white background (colour 231) under the table.
    let colours = try session.tmux(["capture-pane", "-p", "-e", "-t", session.name])
    #expect(colours.contains("48;5;231") || colours.contains("107m") || colours.contains("47m"), "\(colours)")
    for next in ["high-contrast", "mono", "default", "light"] {
      try session.send("t")
      #expect(session.waitFor { $0.contains("tester · \(next)") }.ok, "after t, \(next):\n\(session.screen())")
    }
    try session.send("q")
    try session.send("y")
    #expect(session.waitFor { $0.contains("EXITED=0") }.ok, "\(session.screen())")
  }
}

/// Lower case without accents, as an operator types on a keyboard without a Vietnamese input method.
func plainLowercase(_ text: String) -> String {
  String(
    String.UnicodeScalarView(
      text.decomposedStringWithCanonicalMapping.lowercased().unicodeScalars.filter { !(0x0300...0x036F).contains($0.value) }
    )
  ).replacingOccurrences(of: "đ", with: "d")
}
