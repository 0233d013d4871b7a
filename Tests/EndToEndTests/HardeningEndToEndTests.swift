import BridgeCore
import CLinux
import Foundation
import TestSupport
import Testing

/// The hostile review's cases against the real binary: full disk, deleted journal, stolen port, planted symlinks,
/// YAML bombs, escape sequences in names, SIGHUP, a terminal that goes away.
@Suite(.serialized) struct HardeningEndToEndTests {
  static func config(journal: String? = nil) -> String {
    """
    title: "Hội nghị thử"
    timing: {interval: 1s, late_after: 3s, offline_after: 6s}
    status_file: status.json
    \(journal.map { "journal: \($0)" } ?? "")
    sites:
    \(TestRoster.yaml("HB-TU", "HB-DB-TULY"))
    """
  }

  func statusOf(_ monitor: HeadlessMonitor, _ site: String, is status: String) -> Bool {
    monitor.waitForStatus { json in monitor.site(site, in: json)?["status"] as? String == status } != nil
  }

  @Test func sighupStopsTheHeadlessMonitorCleanly() throws {
    let monitor = try HeadlessMonitor(config: Self.config())
    defer { _ = monitor.stop() }
    #expect(monitor.finish(signal: SIGHUP) == 0, "\(monitor.log)")
    #expect(monitor.log.contains("received SIGHUP, stopping"))
    #expect(try monitor.journal().records.last?.kind == .stop)
  }

  @Test func nobodyElseCanBindTheMonitorsPort() throws {
    let monitor = try HeadlessMonitor(config: Self.config())
    defer { _ = monitor.stop() }
    // What a hostile local process would do: SO_REUSEADDR (and SO_REUSEPORT) on the same address and port.
    let thief = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(thief) }
    var one: Int32 = 1
    setsockopt(thief, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(monitor.port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(thief, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    #expect(bound == -1 && errno == EADDRINUSE, "a second socket could bind the monitor's port")
    // A second monitor with its own journal, by mistake on the same port, is refused with the reason.
    let other = try makeScratchDirectory("bw-second")
    defer { try? FileManager.default.removeItem(atPath: other) }
    try Self.config().write(toFile: other + "/conference.yaml", atomically: true, encoding: .utf8)
    let second = try Binary.run(["run", other + "/conference.yaml", "--headless", "--listen", "127.0.0.1:\(monitor.port)"])
    #expect(second.status == 1)
    #expect(second.stderr.contains("udp port \(monitor.port) is already in use by another process"), "\(second.stderr)")
    // And the first still hears its sites.
    let sender = UDPTestSocket()
    sender.send("BW1 site=HB-TU seq=1", port: monitor.port)
    #expect(sender.receive() == "BW1 ack site=HB-TU seq=1")
  }

  @Test func aSymlinkPlantedAtTheStatusFilesOldTemporaryNameIsNotFollowed() throws {
    let monitor = try HeadlessMonitor(config: Self.config())
    defer { _ = monitor.stop() }
    let victim = monitor.directory + "/victim.txt"
    try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
    // The name the status file used to be written through: predictable from the pid.
    symlink(victim, monitor.directory + "/status.json.tmp.\(monitor.process.processIdentifier)")
    let sender = UDPTestSocket()
    sender.send("BW1 site=HB-TU seq=1 count=140", port: monitor.port)
    #expect(monitor.waitOnline("HB-TU", headcount: 140) != nil)
    #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
    var info = stat()
    #expect(lstat(monitor.directory + "/status.json", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
    // No temporary file is left behind either.
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: monitor.directory).filter { $0.contains(".tmp-") }
    #expect(leftovers.isEmpty, "\(leftovers)")
  }

  @Test func theAgentsHeartbeatFileIsNotWrittenThroughAPlantedSymlink() throws {
    let directory = try makeScratchDirectory("bw-agent-symlink")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let victim = directory + "/victim.txt"
    try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
    let path = directory + "/HB-TU.hb"
    let agent = try BackgroundProcess(["agent", "--site", "HB-TU", "--heartbeat-file", path, "--interval", "300ms"])
    defer { _ = agent.stop() }
    symlink(victim, path + ".tmp.\(agent.process.processIdentifier)")
    Thread.sleep(forTimeInterval: 1.2)
    #expect(agent.stop() == 0)
    #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
    #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("BW1 site=HB-TU"))
  }

  @Test func aJournalDeletedUnderTheMonitorComesBackWithTheCurrentState() throws {
    let monitor = try HeadlessMonitor(config: Self.config())
    defer { _ = monitor.stop() }
    let sender = UDPTestSocket()
    sender.send("BW1 site=HB-TU seq=1 count=140", port: monitor.port)
    #expect(monitor.waitOnline("HB-TU", headcount: 140) != nil)
    let path = monitor.directory + "/bridgewatch.journal"
    unlink(path)
    // Noticed at the next tick, before the hall has been silent long enough to turn late.
    let recreated = monitor.waitFor(seconds: 2) { $0.contains("was deleted under the running monitor") ? true : nil }
    #expect(recreated == true, "\(monitor.log)")
    sender.send("BW1 site=HB-DB-TULY seq=1 count=40", port: monitor.port)
    #expect(monitor.waitOnline("HB-DB-TULY", headcount: 40) != nil)
    #expect(monitor.finish() == 0)
    let content = try monitor.journal()
    #expect(content.badLines.isEmpty)
    #expect(content.records.first?.kind == .start(sites: 2), "\(content.records)")
    #expect(
      content.records.contains { $0.site == "HB-TU" && $0.kind == .status(from: .unknown, to: .online, cause: "checkpoint") },
      "\(content.records.map { JournalCodec.encode($0) })")
    #expect(
      content.records.contains {
        $0.site == "HB-DB-TULY" && $0.kind == .status(from: .unknown, to: .online, cause: "heartbeat", source: .udp)
      })
    #expect(content.records.last?.kind == .stop)
  }

  @Test func aFullDiskLosesNoRecordAndTheJournalStaysReadable() throws {
    let (mounted, skipReason) = SmallFilesystem.mount(kilobytes: 64)
    guard let disk = mounted else {
      print("aFullDiskLosesNoRecordAndTheJournalStaysReadable: \(skipReason ?? "")")
      return
    }
    let journal = disk.path + "/conference.journal"
    // Sixty communes: their status changes overflow the few KiB the journal's last page still holds once the disk
    // is full (tmpfs hands out whole pages).
    let communes = (1...60).map { String(format: "XA-%02d", $0) }
    let config =
      Self.config(journal: journal)
      + communes.map { "\n  - {id: \($0), name: \"Xã \($0)\", group: \"Hòa Bình / Lạc Sơn\", expected: 40}" }.joined()
    let monitor = try HeadlessMonitor(config: config)
    defer { _ = monitor.stop() }
    let sender = UDPTestSocket()
    sender.send("BW1 site=HB-TU seq=1 count=140", port: monitor.port)
    #expect(monitor.waitOnline("HB-TU", headcount: 140) != nil)
    disk.fill()
    for commune in communes { sender.send("BW1 site=\(commune) seq=1 count=38", port: monitor.port) }
    let waiting = monitor.waitForStatus { ($0["journal_problem"] as? String)?.contains("No space left on device") == true }
    #expect(waiting != nil, "the status file never said the journal is waiting: \(monitor.log)")
    #expect(monitor.log.contains("records wait and are written when the journal takes them again"))
    disk.free()
    let resumed = monitor.waitForStatus { $0["journal_problem"] is NSNull }
    #expect(resumed != nil, "the journal did not resume: \(monitor.log)")
    #expect(monitor.finish() == 0)
    let content = try monitor.journal(journal)
    #expect(content.badLines.isEmpty && content.tornLine == nil, "\(content.badLines)")
    let cameOnline = Set(
      content.records.compactMap { $0.kind == .status(from: .unknown, to: .online, cause: "heartbeat", source: .udp) ? $0.site : nil })
    #expect(cameOnline.isSuperset(of: communes), "missing: \(Set(communes).subtracting(cameOnline).sorted())")
    #expect(content.records.last?.kind == .stop)
    // And the report reads it.
    let report = try Binary.run(["report", monitor.directory + "/conference.yaml", "--journal", journal])
    #expect(report.status == 0, "\(report.stderr)")
  }

  @Test func aCleanStopJournalsTheLastCountAndTheWindowsPeak() throws {
    let monitor = try HeadlessMonitor(config: Self.config())
    defer { _ = monitor.stop() }
    let sender = UDPTestSocket()
    sender.send("BW1 site=HB-TU seq=1 count=100", port: monitor.port)
    #expect(monitor.waitOnline("HB-TU", headcount: 100) != nil)
    Thread.sleep(forTimeInterval: 1.2)  // the first count is sampled at its tick
    // Within the next 10-second window: up to 149, back to 120. The screen showed 149 as the peak.
    sender.send("BW1 site=HB-TU seq=2 count=149", port: monitor.port)
    #expect(monitor.waitHeadcount("HB-TU", 149) != nil)
    sender.send("BW1 site=HB-TU seq=3 count=120", port: monitor.port)
    #expect(monitor.waitHeadcount("HB-TU", 120) != nil)
    #expect(monitor.finish() == 0)
    let samples = try monitor.journal().records.compactMap { record -> (Int, Int?)? in
      if case .headcount(let count, _, _, let peak) = record.kind, record.site == "HB-TU" { return (count, peak) }
      return nil
    }
    #expect(samples.first?.0 == 100)
    #expect(samples.last?.0 == 120 && samples.last?.1 == 149, "\(samples)")
  }

  @Test func checkRefusesAliasesQuicklyInTheConfigAndTheKeysFile() throws {
    let directory = try makeScratchDirectory("bw-alias")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for level in 1..<9 {
      let previous = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level - 1)))
      let name = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(level)))
      bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
    }
    bomb += "? *i\n: x\n"
    try bomb.write(toFile: directory + "/bomb.yaml", atomically: true, encoding: .utf8)
    // Not a speed check: expanded, the bomb is 9^9 nodes, hours and gigabytes. The bound is wide enough for a
    // loaded 2-core machine running the whole suite (38 s was seen there), far below any expansion.
    let started = Date()
    let result = try Binary.run(["check", directory + "/bomb.yaml"])
    #expect(Date().timeIntervalSince(started) < 120)
    #expect(result.status == 1)
    #expect(result.stderr.contains("bomb.yaml:2: error: YAML aliases (*name) are not allowed"), "\(result.stderr)")
    try (Self.config() + "\nkeys: keys.yaml\n").write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
    try bomb.write(toFile: directory + "/keys.yaml", atomically: true, encoding: .utf8)
    chmod(directory + "/keys.yaml", 0o600)
    let keys = try Binary.run(["check", directory + "/conference.yaml"])
    #expect(keys.status == 1)
    #expect(keys.stderr.contains("keys.yaml:2: error: YAML aliases"), "\(keys.stderr)")
  }

  @Test func escapeSequencesInNamesNeverReachTheTerminal() throws {
    let directory = try makeScratchDirectory("bw-escapes")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // A group name that retitles the terminal, a name with CSI, and a bad id carrying ESC.
    let hostile = """
      title: "Thử"
      sites:
        - {id: HB-TU, name: "Tỉnh ủy\\e[2J", group: "Hòa Bình\\e]0;pwned\\a", expected: 150}
        - {id: HB-DB-TULY, name: "Xã \\u009b31mTú Lý", group: "Hòa Bình / Đà Bắc", expected: 45}
      """
    try hostile.write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
    // Refused at their lines (names are shown on one line everywhere), and said without the escapes.
    let summary = try Binary.run(["check", directory + "/conference.yaml"])
    #expect(summary.status == 1, "\(summary.stdout)")
    #expect(summary.stderr.contains("conference.yaml:3: error: the name of site 'HB-TU' ('Tỉnh ủy[2J') holds a control character (U+001B)"))
    #expect(
      summary.stderr.contains("conference.yaml:4: error: the name of site 'HB-DB-TULY' ('Xã 31mTú Lý') holds a control character (U+009B)"))
    try (hostile + "\n    - {id: \"BAD\\e[5mID\", name: x, group: \"\\e]0;t\\a\", expected: 1}\n")
      .write(toFile: directory + "/bad.yaml", atomically: true, encoding: .utf8)
    let errors = try Binary.run(["check", directory + "/bad.yaml"])
    #expect(errors.status == 1)
    for output in [summary.stdout, summary.stderr, errors.stdout, errors.stderr] {
      let controls = output.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value) }
      #expect(controls.isEmpty, "control characters reached the terminal: \(output.debugDescription)")
    }
  }

  @Test func theDashboardStopsWhenItsTerminalGoesAwayWithoutASignal() throws {
    let directory = try makeScratchDirectory("bw-hangup")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try Self.config().write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
    // A pseudo-terminal that is not the child's controlling terminal: closing it sends no SIGHUP, as when an SSH
    // link drops in some ways or `timeout` closes the pane.
    var master: Int32 = -1
    var slave: Int32 = -1
    try #require(bw_open_pty(&master, &slave, 30, 100) == 0, "cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
    let drained = OutputDrain(fd: master)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binary.path)
    process.arguments = ["run", directory + "/conference.yaml", "--listen", "127.0.0.1:0", "--no-bell"]
    process.environment = ["TERM": "xterm-256color", "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"]
    let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
    process.standardInput = terminal
    process.standardOutput = terminal
    process.standardError = terminal
    try process.run()
    #expect(drained.waitFor(seconds: 20) { $0.contains("Hội nghị thử") }, "the dashboard never drew")
    try terminal.close()
    drained.close()
    let deadline = Date().addingTimeInterval(15)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
    if process.isRunning {
      Issue.record("the dashboard kept running (spinning) after its terminal went away")
      process.terminate()
    }
    process.waitUntilExit()
    let content = JournalContent.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/bridgewatch.journal"))))
    #expect(content.records.last?.kind == .stop, "no clean stop in the journal")
  }
}

/// Reads a pseudo-terminal's master side on a thread so the child never blocks on a full terminal.
final class OutputDrain: @unchecked Sendable {
  private let fd: Int32
  private let lock = NSLock()
  private var bytes: [UInt8] = []
  private var closed = false

  init(fd: Int32) {
    self.fd = fd
    let thread = Thread { [self] in
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        let count = read(fd, &buffer, buffer.count)
        if count <= 0 { break }
        lock.withLock { bytes += buffer[0..<count] }
      }
    }
    thread.start()
  }

  func waitFor(seconds: Double, _ match: (String) -> Bool) -> Bool {
    eventually(timeout: .seconds(seconds), every: .milliseconds(50)) { match(lock.withLock { String(decoding: bytes, as: UTF8.self) }) }
  }

  func close() {
    lock.withLock {
      if !closed { Foundation.close(fd) }
      closed = true
    }
  }
}
