import BridgeCore
import BridgeMonitor
import Foundation
import TestSupport
import Testing

/// One monitor, several consoles: the real binary, its Unix socket, consoles in tmux.
@Suite(.serialized) struct ConsoleEndToEndTests {
  static let config = """
    title: "Hội nghị trực tuyến toàn quốc"
    timing: {interval: 1s, late_after: 5s, offline_after: 10s}
    status_file: status.json
    sites:
    \(TestRoster.yaml("HB-TU", "HB-DB-TULY", "BK-TU"))
    """

  static func consoleCommand(_ directory: String, _ arguments: String) -> String {
    "'\(Binary.path)' console '\(directory)/conference.yaml' --no-bell \(arguments); echo EXITED=$?"
  }

  static func line(_ screen: String, containing parts: String...) -> Bool {
    screen.split(separator: "\n").contains { line in parts.allSatisfy { line.contains($0) } }
  }

  @Test func aMarkOnOneConsoleShowsOnTheOthersAndAReadOnlyConsoleRefusesActions() throws {
    let monitor = try HeadlessMonitor(config: Self.config)
    defer { _ = monitor.stop() }
    let sender = UDPTestSocket()
    for site in ["HB-TU", "HB-DB-TULY", "BK-TU"] { sender.send("BW1 site=\(site) seq=1 count=40", port: monitor.port) }

    let desk = try TmuxSession(width: 120, height: 30, command: Self.consoleCommand(monitor.directory, "--operator lan"))
    let wall = try TmuxSession(
      width: 120, height: 30, command: Self.consoleCommand(monitor.directory, "--read-only --group 'Hòa Bình' --operator wall"))
    let deskUp = desk.waitFor { Self.line($0, containing: "● online", "HB-TU") && Self.line($0, containing: "BK-TU") }
    #expect(deskUp.ok, "\(deskUp.screen)")
    // The group console shows its group only, and the header's figures are the group's.
    let wallUp = wall.waitFor { Self.line($0, containing: "● online", "HB-TU") && $0.contains("Online 2/2") }
    #expect(wallUp.ok, "\(wallUp.screen)")
    #expect(!wallUp.screen.contains("BK-TU"))
    #expect(wallUp.screen.contains("Attendance 80 / 195"))

    // The first site is selected: mark it offline on the desk with preset 3.
    try desk.send("o")
    #expect(desk.waitFor { $0.contains("Reason: 1 no signal") }.ok)
    let markedAt = Date()
    try desk.send("3", "Enter")
    let onWall = wall.waitFor(seconds: 5) { Self.line($0, containing: "⊘ marked", "HB-TU", "by lan") }
    #expect(onWall.ok, "\(onWall.screen)")
    #expect(Date().timeIntervalSince(markedAt) < 2, "a mark must reach the other consoles within 2 s")
    #expect(onWall.screen.contains("marked by lan"))  // the event log, with who

    // The wall screen refuses every action key.
    for key in ["o", "u", "a", "c", "i"] {
      try wall.send("Escape")
      try wall.send(key)
      let refused = wall.waitFor(seconds: 3) { $0.contains("read-only console") }
      #expect(refused.ok, "key \(key): \(refused.screen)")
    }

    // The same mark from the desk again: refused with who did it, not overwritten.
    try desk.send("o")
    #expect(desk.waitFor { $0.contains("Reason: 1 no signal") }.ok)
    try desk.send("1", "Enter")
    let conflict = desk.waitFor { $0.contains("already marked by lan") }
    #expect(conflict.ok, "\(conflict.screen)")

    // `status` lists both consoles and the mark's effect.
    let status = try Binary.run(["status", monitor.directory + "/conference.yaml"])
    #expect(status.status == 0, "\(status.stderr)")
    #expect(status.stdout.contains("marked 1"), "\(status.stdout)")
    #expect(status.stdout.contains("consoles attached: 2"), "\(status.stdout)")
    #expect(status.stdout.contains("read-only, group Hòa Bình"), "\(status.stdout)")
    #expect(status.stdout.contains("lan ("), "\(status.stdout)")

    // The journal records the console's Unix user beside the operator's name.
    let journal = try String(contentsOfFile: monitor.directory + "/bridgewatch.journal", encoding: .utf8)
    #expect(journal.contains(#""type":"mark""#) && journal.contains("lan ("), "\(journal)")

    #expect(monitor.finish() == 0)
    let gone = try Binary.run(["status", monitor.directory + "/conference.yaml"])
    #expect(gone.status == 3, "\(gone.stdout)\(gone.stderr)")
    #expect(gone.stderr.contains("no monitor is running"))
  }

  /// Operator A is on a site; operator B, on another console, releases it anyway. B's screen says whose claim it
  /// ended (the answer's event, in the event log's words), A's event log says the same, and the journal keeps it.
  @Test func aForcedReleaseSaysWhoseClaimItEnded() throws {
    let monitor = try HeadlessMonitor(config: Self.config)
    defer { _ = monitor.stop() }
    let sender = UDPTestSocket()
    for site in ["HB-TU", "HB-DB-TULY", "BK-TU"] { sender.send("BW1 site=\(site) seq=1 count=40", port: monitor.port) }
    let user = ConsoleSocket.userName(getuid())
    func display(_ name: String) -> String { name == user ? name : "\(name) (\(user))" }

    let deskA = try TmuxSession(width: 120, height: 30, command: Self.consoleCommand(monitor.directory, "--operator lan"))
    let deskB = try TmuxSession(width: 120, height: 30, command: Self.consoleCommand(monitor.directory, "--operator minh"))
    for desk in [deskA, deskB] {
      let up = desk.waitFor { Self.line($0, containing: "● online", "HB-TU") && Self.line($0, containing: "BK-TU") }
      #expect(up.ok, "\(up.screen)")
    }
    // The first site is selected on both: A takes it.
    try deskA.send("i")
    let claimed = deskB.waitFor { $0.contains("HB-TU Tỉnh ủy Hòa Bình: \(display("lan")) is on it") }
    #expect(claimed.ok, "\(claimed.screen)")

    // B asks to take it over, is asked first, and says yes.
    try deskB.send("i")
    let asked = deskB.waitFor { $0.contains("Release it? y = yes") }
    #expect(asked.ok, "\(asked.screen)")
    try deskB.send("y")
    let ended = "HB-TU Tỉnh ủy Hòa Bình: \(display("minh")) ended the claim of \(display("lan"))"
    let saidToB = deskB.waitFor { screen in
      // Said twice: in the event log and on the status line above the footer, where the answer goes.
      let lines = screen.split(separator: "\n")
      return lines.filter { $0.contains(ended) }.count == 2 && !Self.line(screen, containing: "● online", "HB-TU", "is on it")
    }
    #expect(saidToB.ok, "\(saidToB.screen)")
    let seenByA = deskA.waitFor { $0.contains(ended) }
    #expect(seenByA.ok, "\(seenByA.screen)")

    let journal = try String(contentsOfFile: monitor.directory + "/bridgewatch.journal", encoding: .utf8)
    #expect(
      journal.contains(#""type":"release","site":"HB-TU","operator":"\#(display("minh"))","claimed_by":"\#(display("lan"))""#),
      "\(journal)")
  }

  @Test func consolesReconnectByThemselvesAfterTheMonitorIsKilledAndShowTheRestoredMark() throws {
    let monitor = try HeadlessMonitor(config: Self.config)
    let directory = monitor.directory
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let sender = UDPTestSocket()
    for site in ["HB-TU", "HB-DB-TULY", "BK-TU"] { sender.send("BW1 site=\(site) seq=1 count=40", port: monitor.port) }
    let console = try TmuxSession(width: 120, height: 30, command: Self.consoleCommand(directory, "--operator lan"))
    #expect(console.waitFor { Self.line($0, containing: "● online", "BK-TU") }.ok)
    // A filter the operator set must survive the reconnection.
    try console.send("/")
    try console.send("-l", "Tú Lý")
    try console.send("Enter")
    let filtered = console.waitFor { $0.contains("filtered: 1 of 3") }
    #expect(filtered.ok, "\(filtered.screen)")
    try console.send("End")  // the site, under its two group rows
    try console.send("o")
    #expect(console.waitFor { $0.contains("Reason: 1 no signal") }.ok)
    try console.send("2", "Enter")
    #expect(console.waitFor { Self.line($0, containing: "⊘ marked", "HB-DB-TULY") }.ok)

    monitor.finish(signal: SIGKILL)
    let lost = console.waitFor { $0.contains("monitor gone, reconnecting") }
    #expect(lost.ok, "\(lost.screen)")

    let restarted = try HeadlessMonitor(config: Self.config, directory: directory)
    defer { _ = restarted.finish() }
    let back = console.waitFor(seconds: 10) { screen in
      !screen.contains("monitor gone") && Self.line(screen, containing: "⊘ marked", "HB-DB-TULY")
    }
    #expect(back.ok, "\(back.screen)")
    #expect(back.screen.contains("filtered: 1 of 3"), "the filter is kept: \(back.screen)")
    #expect(restarted.log.contains("console attached: lan"))
  }

  @Test func aSecondRunOnTheSameConfigOpensAConsole() throws {
    let monitor = try HeadlessMonitor(config: Self.config)
    defer { _ = monitor.stop() }
    let second = try TmuxSession(
      width: 120, height: 30,
      command:
        "'\(Binary.path)' run '\(monitor.directory)/conference.yaml' --operator lan --no-bell 2>'\(monitor.directory)/second.err'; echo EXITED=$?"
    )
    let opened = second.waitFor { $0.contains("Hội nghị trực tuyến toàn quốc") && $0.contains("BK-TU") }
    #expect(opened.ok, "\(opened.screen)")
    let attached = monitor.waitFor(seconds: 5) { $0.contains("console attached: lan") ? true : nil }
    #expect(attached == true, "\(monitor.log)")
    let said = (try? String(contentsOfFile: monitor.directory + "/second.err", encoding: .utf8)) ?? ""
    #expect(said.contains("a monitor already runs for"), "\(said)")
    #expect(said.contains("(pid \(monitor.process.processIdentifier))"), "\(said)")
    try second.send("q")
    try second.send("y")
    #expect(second.waitFor { $0.contains("EXITED=0") }.ok)
  }

  @Test func aStoppedConsoleDoesNotHoldUpIngestOrTheOtherConsoleAndCatchesUp() throws {
    let monitor = try HeadlessMonitor(config: Self.config)
    defer { _ = monitor.stop() }
    let live = try TmuxSession(width: 120, height: 30, command: Self.consoleCommand(monitor.directory, "--operator lan"))
    // The console runs under a shell without job control, `sh -c`, exec'd in the pane. Not the pane's own
    // process: tmux continues that as soon as it stops. Not under the pane's interactive shell either: that one
    // would take the terminal back and leave the console a stopped job that may not read it after SIGCONT.
    let stalled = try TmuxSession(
      width: 120, height: 30,
      command: "exec sh -c \"'\(Binary.path)' console '\(monitor.directory)/conference.yaml' --no-bell --operator binh; exit\"")
    #expect(live.waitFor { $0.contains("udp 0 ok") }.ok)
    #expect(stalled.waitFor { $0.contains("udp 0 ok") }.ok)
    let stalledPID = try #require(try stalled.foregroundProcessID())
    #expect(StoppedProcess.stop(stalledPID), "the console \(stalledPID) stops")
    defer { kill(stalledPID, SIGCONT) }

    let sender = UDPTestSocket()
    let sites = ["HB-TU", "HB-DB-TULY", "BK-TU"]
    for sequence in 1...100_000 {
      sender.send("BW1 site=\(sites[sequence % 3]) seq=\(sequence / 3 + 1) count=40", port: monitor.port)
      // Paced a little: loopback drops what the monitor's socket cannot hold, and the test is about consoles.
      if sequence % 200 == 0 { usleep(1000) }
    }
    // Ingest went on: the status file counts the datagrams until they stop coming.
    func received() -> Int { (monitor.statusFile()?["counters"] as? [String: Any])?["datagrams_received"] as? Int ?? 0 }
    // The status file is rewritten at least every 5 s, so the count has settled only once it stayed the same for
    // longer than that: two equal reads 1.5 s apart can both be the file before the last flood's write.
    var settled = received()
    var unchangedReads = 0
    for _ in 0..<40 where unchangedReads < 5 {
      Thread.sleep(forTimeInterval: 1.5)
      let now = received()
      unchangedReads = now == settled && now > 0 ? unchangedReads + 1 : 0
      settled = now
    }
    // Loopback drops what the monitor's socket buffer cannot hold while the machine is busy; enough comes through.
    #expect(settled >= 10_000, "the flood is received: \(settled)")
    let received = settled
    let onLive = live.waitFor { screen in
      screen.firstMatch(of: #/udp ([0-9,]+) ok/#).map { Int($0.output.1.replacing(",", with: ""))! >= received } ?? false
    }
    #expect(onLive.ok, "\(onLive.screen)")

    #expect(StoppedProcess.allThreadsStopped(stalledPID), "the console stayed stopped through the flood")
    kill(stalledPID, SIGCONT)
    let caughtUp = stalled.waitFor { screen in
      screen.firstMatch(of: #/udp ([0-9,]+) ok/#).map { Int($0.output.1.replacing(",", with: ""))! >= received } ?? false
    }
    #expect(caughtUp.ok, "\(caughtUp.screen)")
  }
}
