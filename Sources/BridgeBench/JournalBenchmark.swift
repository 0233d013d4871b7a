import BridgeCore
import BridgeField
import Foundation

/// The journal benchmark: a journal shaped like two national days (`JournalGenerator`) on the demo's national
/// roster (February 2026's shape, or 2021's), then the real binary restarted on it (time until its UDP socket is
/// bound, peak RSS) and `report` run on it (time, peak RSS), next to a reference measured in the same run: reading
/// the same file and finding its line breaks, the least any reader of it must do.
public struct JournalBenchmark {
  var binary: String
  var sites: Int
  var lines: Int
  var shape2021: Bool
  var runs: Int
  var directory: String

  public init(binary: String, sites: Int, lines: Int, shape2021: Bool = false, runs: Int, directory: String) {
    self.binary = binary
    self.sites = sites
    self.lines = lines
    self.shape2021 = shape2021
    self.runs = runs
    self.directory = directory
  }

  /// The targets (issue 30): up to 7,400 sites those of the 2021 conference; up to 31,097 a start from the
  /// checkpoint within 1 s and a report within 3 s in 512 MiB; beyond, 2 s, 8 s and 1 GiB. Nil: no target.
  struct Targets {
    var restart: Double?
    var resumed: Double
    var report: Double
    var reportMiB: Int

    init(sites: Int) {
      switch sites {
      case ...7_400: (restart, resumed, report, reportMiB) = (2, 1, 3, 256)
      case ...31_097: (restart, resumed, report, reportMiB) = (nil, 1, 3, 512)
      default: (restart, resumed, report, reportMiB) = (nil, 2, 8, 1024)
      }
    }
  }

  struct Figures {
    var seconds: Double
    var peakRSSKiB: Int
  }

  public func run(report: (String) -> Void) throws {
    let (config, roster) = try LoadBenchmark.writeConference(
      sites: sites, interval: "5s", name: "journal", directory: directory, shape2026: !shape2021)
    let journal = directory + "/journal.journal"
    let begin = LoadBenchmark.now()
    let size = try write(journal: journal, roster: roster)
    report(
      "journal: \(NumberText.grouped(lines)) lines, \(NumberText.grouped(size / 1_000_000)) MB, \(NumberText.grouped(sites)) sites "
        + "shaped like \(shape2021 ? "2021's" : "2026's") conference (generated in \(Self.format(LoadBenchmark.now() - begin)))")

    var reference: [Double] = []
    var restart: [Figures] = []
    var resumed: [Figures] = []
    var reports: [Figures] = []
    for _ in 0..<runs {
      reference.append(try readLineBreaks(journal))
      // The whole journal (no checkpoint: the first start on a journal, or one whose checkpoint does not match),
      // then from the checkpoint the first start left.
      unlink(journal + ".checkpoint")
      restart.append(try timeToListen(config: config))
      resumed.append(try timeToListen(config: config))
      reports.append(try timeReport(config: config))
    }
    report("reference: read the file and find its line breaks   \(Self.range(reference.map { $0 }))")
    let targets = Targets(sites: sites)
    report(
      "restart: start until the UDP socket is bound          \(Self.range(restart.map(\.seconds)))   "
        + Self.verdict(restart.map(\.seconds), below: targets.restart) + "   peak RSS \(Self.rss(restart))")
    report(
      "restart from the journal's checkpoint                 \(Self.range(resumed.map(\.seconds)))   "
        + Self.verdict(resumed.map(\.seconds), below: targets.resumed) + "   peak RSS \(Self.rss(resumed))")
    report(
      "report: the whole report (csv)                        \(Self.range(reports.map(\.seconds)))   "
        + Self.verdict(reports.map(\.seconds), below: targets.report) + "   peak RSS \(Self.rss(reports))   "
        + "target < \(targets.reportMiB) MiB  "
        + (reports.allSatisfy { $0.peakRSSKiB < targets.reportMiB * 1024 } ? "MET" : "MISSED"))
    let ratio = restart.map(\.seconds).sorted()[runs / 2] / reference.sorted()[runs / 2]
    report("restart / reference (medians): \(String(format: "%.1f", ratio))x")
  }

  /// Writes the generated journal a megabyte at a time; returns its size.
  private func write(journal: String, roster: [SiteConfig]) throws -> Int {
    let fd = open(journal, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw BenchFailure("cannot create \(journal)") }
    defer { close(fd) }
    var buffer: [UInt8] = []
    buffer.reserveCapacity(1 << 20 + 4096)
    var size = 0
    var failed = false
    let firstDay = (Date().timeIntervalSince1970 - 3 * 86_400).rounded(.down)
    JournalGenerator(sites: roster, lines: lines, firstDay: firstDay).generate { record in
      buffer.append(contentsOf: JournalCodec.encode(record).utf8)
      buffer.append(0x0A)
      if buffer.count >= 1 << 20 {
        failed = failed || FileHandleOutput.write(fd: fd, buffer) != 0
        size += buffer.count
        buffer.removeAll(keepingCapacity: true)
      }
    }
    failed = failed || FileHandleOutput.write(fd: fd, buffer) != 0
    size += buffer.count
    if failed { throw BenchFailure("cannot write \(journal)") }
    return size
  }

  private func readLineBreaks(_ path: String) throws -> Double {
    let begin = LoadBenchmark.now()
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw BenchFailure("cannot read \(path)") }
    defer { close(fd) }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    var breaks = 0
    while true {
      let count = read(fd, buffer.baseAddress, buffer.count)
      if count <= 0 { break }
      var start = buffer.baseAddress!
      let end = buffer.baseAddress! + count
      while start < end, let found = memchr(start, 0x0A, end - start) {
        breaks += 1
        start = UnsafeMutableRawPointer(found) + 1
      }
    }
    guard breaks > 0 else { throw BenchFailure("\(path) has no lines") }
    return LoadBenchmark.now() - begin
  }

  /// The monitor restarted on the journal: from spawning it until its socket shows in /proc/net/udp.
  private func timeToListen(config: String) throws -> Figures {
    let port = LoadBenchmark.freePort()
    let begin = LoadBenchmark.now()
    let pid = try ChildProcess.spawn(binary, ["run", config, "--headless", "--listen", "127.0.0.1:\(port)"])
    defer { _ = ChildProcess.stop(pid) }
    while LoadBenchmark.socketState(port: port) == nil {
      guard LoadBenchmark.now() - begin < 120 else { throw BenchFailure("the monitor did not listen within 120 s") }
      if ChildProcess.hasExited(pid) { throw BenchFailure("the monitor exited before listening (run it by hand to see why)") }
      usleep(2_000)
    }
    let seconds = LoadBenchmark.now() - begin
    let figures = LoadBenchmark.figures(pid: pid)
    return Figures(seconds: seconds, peakRSSKiB: figures?.peakRSSKiB ?? 0)
  }

  private func timeReport(config: String) throws -> Figures {
    let begin = LoadBenchmark.now()
    let pid = try ChildProcess.spawn(binary, ["report", config, "--format", "csv", "--output", directory + "/report.csv"])
    let (status, peak) = ChildProcess.wait(pid)
    guard status == 0 else { throw BenchFailure("report failed (exit \(status))") }
    return Figures(seconds: LoadBenchmark.now() - begin, peakRSSKiB: peak)
  }

  static func format(_ seconds: Double) -> String { String(format: "%.2f s", seconds) }

  /// "target < 3 s  MET" when every run was below the target, "no target" without one.
  static func verdict(_ values: [Double], below target: Double?) -> String {
    guard let target else { return "no target" }
    return "target < \(String(format: "%g", target)) s  \(values.allSatisfy { $0 < target } ? "MET" : "MISSED")"
  }

  static func range(_ values: [Double]) -> String {
    let sorted = values.sorted()
    return sorted.count > 1 ? "\(format(sorted[0]))–\(format(sorted.last!))" : format(sorted[0])
  }

  static func rss(_ figures: [Figures]) -> String {
    let values = figures.map { Double($0.peakRSSKiB) / 1024 }.sorted()
    return String(format: values.count > 1 ? "%.0f–%.0f MiB" : "%.0f MiB", values[0], values.last!)
  }
}

/// A child process started with posix_spawn, so that its peak RSS can be had from wait4.
enum ChildProcess {
  /// Output to /dev/null and this process's environment; or, with `terminal` (a pseudo-terminal's slave, and the
  /// master to close in the child), the terminal as standard input, output and error and `environment` alone.
  static func spawn(_ path: String, _ arguments: [String], terminal: (slave: Int32, master: Int32)? = nil, environment: [String] = [])
    throws -> pid_t
  {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let terminal {
      for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_adddup2(&actions, terminal.slave, fd) }
      posix_spawn_file_actions_addclose(&actions, terminal.master)
    } else {
      posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
      posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup($0) } + [nil]
    defer { for pointer in argv + envp { free(pointer) } }
    var pid: pid_t = 0
    let result =
      terminal == nil ? posix_spawn(&pid, path, &actions, nil, argv, environ) : posix_spawn(&pid, path, &actions, nil, argv, envp)
    guard result == 0 else { throw BenchFailure("cannot start \(path): \(String(cString: strerror(result)))") }
    return pid
  }

  static func hasExited(_ pid: pid_t) -> Bool {
    var info = siginfo_t()
    return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._sigchld.si_pid == pid
  }

  /// Waits for the child; its exit status (or 128 + signal) and peak RSS in KiB.
  static func wait(_ pid: pid_t) -> (status: Int32, peakRSSKiB: Int) {
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let exit = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    return (exit, Int(usage.ru_maxrss))
  }

  static func stop(_ pid: pid_t) -> (status: Int32, peakRSSKiB: Int) {
    kill(pid, SIGTERM)
    return wait(pid)
  }
}
