import BridgeCore
import BridgeMonitor
import Foundation
import Synchronization

/// `bench scale`: the national conference's figures (issue 30) at growing rosters in one run, each set against the
/// first roster's measured in the same run. Per roster: the in-process figures of `bench micro` (engine tick, the
/// faces' copy of the records, status-file encoding, frames, a filter keystroke), then the real binary, headless,
/// with metrics per site, fed signed heartbeats over loopback at one per site per second and then at the default
/// 5 s interval: its CPU, a scrape of `/metrics`, consoles attaching (time to their first full snapshot, CPU and
/// memory each), heartbeats lost, peak RSS; then the real dashboard on a pseudo-terminal under the same load, keys
/// typed into it (key to screen). Restart and report on a two-day journal are `bench journal --sites N`.
public struct ScaleBenchmark {
  let binary: String
  let sizes: [Int]
  let seconds: Int
  let consoles: Int
  let directory: String

  public init(binary: String, sizes: [Int], seconds: Int, consoles: Int, directory: String) {
    self.binary = binary
    self.sizes = sizes
    self.seconds = seconds
    self.consoles = consoles
    self.directory = directory
  }

  /// One printed figure: how it is shown and, where issue 30 sets one, its target at a roster size.
  struct Figure: Sendable {
    enum Unit { case milliseconds, percent, mebibytes, kibibytes, count }
    var name: String
    var unit: Unit
    var target: @Sendable (Int) -> Double? = { _ in nil }

    func format(_ value: Double) -> String {
      switch unit {
      case .milliseconds: String(format: value < 10 ? "%.2f ms" : "%.0f ms", value)
      case .percent: String(format: "%.2f%%", value)
      case .mebibytes: String(format: "%.1f MiB", value)
      case .kibibytes: String(format: "%.0f KiB", value)
      case .count: NumberText.grouped(Int(value))
      }
    }
  }

  /// Issue 30's targets: the 31,097-site one up to that size, the 100,000-site one above it.
  static func national(_ small: Double, _ large: Double) -> @Sendable (Int) -> Double? { { $0 <= 31_097 ? small : large } }

  static let figures: [Figure] = [
    Figure(name: "engine tick", unit: .milliseconds),
    Figure(name: "copy of the site records for the faces", unit: .milliseconds),
    Figure(name: "status file: encode", unit: .milliseconds),
    Figure(name: "status file: size", unit: .kibibytes),
    Figure(name: "frame: table 250x70", unit: .milliseconds, target: { _ in 2 }),
    Figure(name: "frame: wall or overview 250x70", unit: .milliseconds, target: { _ in 2 }),
    Figure(name: "filter keystroke", unit: .milliseconds, target: national(10, 20)),
    Figure(name: "monitor CPU, 1 heartbeat/site/s", unit: .percent),
    Figure(name: "monitor CPU, default 5 s interval", unit: .percent, target: national(10, 25)),
    Figure(name: "scrape /metrics (per-site series)", unit: .milliseconds),
    Figure(name: "scrape /metrics, size", unit: .kibibytes),
    Figure(name: "console attach to first snapshot", unit: .milliseconds, target: national(300, 1000)),
    Figure(name: "per console: monitor CPU", unit: .percent),
    Figure(name: "per console: monitor memory", unit: .mebibytes),
    Figure(name: "heartbeats lost", unit: .count, target: { _ in 0 }),
    Figure(name: "heartbeats rejected", unit: .count, target: { _ in 0 }),
    Figure(name: "kernel drops", unit: .count, target: { _ in 0 }),
    Figure(name: "  of them while consoles attach", unit: .count),
    Figure(name: "peak RSS", unit: .mebibytes, target: national(192, 512)),
    Figure(name: "key to screen under load, median", unit: .milliseconds, target: national(50, 100)),
    Figure(name: "key to screen under load, worst", unit: .milliseconds),
  ]

  /// Keys typed into the dashboard at each size.
  static let keyPresses = 20

  public func run(report: (String) -> Void) throws {
    report(
      "scale: \(sizes.map { NumberText.grouped($0) }.joined(separator: ", ")) sites; \(seconds) s a phase, \(consoles) consoles; "
        + "each figure against the \(NumberText.grouped(sizes[0]))-site one in this run")
    var measured: [[String: Double]] = []
    for size in sizes {
      measured.append(try measure(sites: size, report: report))
    }
    report("")
    var header = "figure".padding(toLength: 38, withPad: " ", startingAt: 0)
    for size in sizes { header += NumberText.grouped(size).leftPadded(12) }
    report(
      header + "   growth (sites: " + sizes.map { String(format: "x%.1f", Double($0) / Double(sizes[0])) }.joined(separator: " ") + ")")
    for figure in Self.figures {
      var line = figure.name.padding(toLength: 38, withPad: " ", startingAt: 0)
      var verdicts: [String] = []
      for (index, size) in sizes.enumerated() {
        let value = measured[index][figure.name]
        line += (value.map(figure.format) ?? "-").leftPadded(12)
        if let value, let target = figure.target(size) {
          let wanted = target == 0 ? "0" : "< \(figure.format(target))"
          verdicts.append("\(NumberText.grouped(size)): \(value <= target ? "met" : "MISSED") (\(wanted))")
        }
      }
      let first = measured[0][figure.name]
      let growth = measured.map { figures -> String in
        guard let value = figures[figure.name], let first, first > 0 else { return "-" }
        return String(format: "x%.1f", value / first)
      }
      line += "   " + growth.joined(separator: " ")
      if !verdicts.isEmpty { line += "   " + verdicts.joined(separator: ", ") }
      report(line)
    }
    report("restart and report on two days: bench journal --sites N")
  }

  /// Every figure at one roster size.
  func measure(sites: Int, report: (String) -> Void) throws -> [String: Double] {
    var figures: [String: Double] = [:]
    report("\(NumberText.grouped(sites)) sites: in-process figures")
    for result in MicroBenchmarks(sites: sites, samples: 5, only: "engine").run() {
      let milliseconds = result.nanosecondsPerOperation / 1e6
      switch result.name {
      case let name where name.hasPrefix("engine tick"): figures["engine tick"] = milliseconds
      case let name where name.hasPrefix("copy of"): figures["copy of the site records for the faces"] = milliseconds
      case let name where name.hasPrefix("status file: encode"):
        figures["status file: encode"] = milliseconds
        figures["status file: size"] = Double(result.note.split(separator: " ").first.flatMap { Int($0) } ?? 0)
      case "frame: table 250x70, by group": figures["frame: table 250x70"] = milliseconds
      case "frame: wall 250x70": figures["frame: wall or overview 250x70"] = milliseconds
      case let name where name.hasPrefix("filter keystroke"): figures["filter keystroke"] = milliseconds
      default: break
      }
    }

    let name = "scale-\(sites)"
    let (config, roster) = try LoadBenchmark.writeConference(sites: sites, interval: "5s", name: name, directory: directory)
    let statusFile = "\(directory)/\(name)-status.json"
    let udpPort = LoadBenchmark.freePort()
    let metricsPort = LoadBenchmark.freePort(type: SOCK_STREAM)
    let pid = try ChildProcess.spawn(
      binary,
      [
        "run", config, "--headless", "--listen", "127.0.0.1:\(udpPort)", "--metrics-listen", "127.0.0.1:\(metricsPort)",
        "--metrics-per-site",
      ])
    var stopped = false
    defer { if !stopped { _ = ChildProcess.stop(pid) } }
    let begin = LoadBenchmark.now()
    while LoadBenchmark.socketState(port: udpPort) == nil || !StartupBenchmark.accepts(port: metricsPort) {
      guard !ChildProcess.hasExited(pid) else { throw BenchFailure("the monitor exited before listening (\(config))") }
      guard LoadBenchmark.now() - begin < 300 else { throw BenchFailure("the monitor did not listen within 300 s") }
      usleep(20_000)
    }

    let pacer = Pacer(port: udpPort, roster: roster)
    pacer.start()
    defer { pacer.stop() }
    // Every site heard once and the first contact journaled before anything is measured.
    let warmUp = LoadBenchmark.now()
    while (try? LoadBenchmark.accepted(statusFile: statusFile, writtenAfter: LoadBenchmark.unixNow(), timeout: 10)) ?? 0 < sites,
      LoadBenchmark.now() - warmUp < 60
    {
      usleep(500_000)
    }
    // What was sent and what the monitor counted, read with nothing in flight so that the two agree.
    pacer.pause()
    _ = LoadBenchmark.waitForDrain(port: udpPort)
    let dropsAtStart = LoadBenchmark.socketState(port: udpPort)?.drops ?? 0
    let sentAtStart = pacer.sent.load(ordering: .relaxed)
    let countersAtStart = try LoadBenchmark.counters(statusFile: statusFile, writtenAfter: LoadBenchmark.unixNow())
    pacer.resume()

    func cpuPercent(over seconds: Int) -> Double {
      let before = LoadBenchmark.figures(pid: pid)?.cpuSeconds ?? 0
      let start = LoadBenchmark.now()
      usleep(UInt32(seconds) * 1_000_000)
      let after = LoadBenchmark.figures(pid: pid)?.cpuSeconds ?? 0
      return (after - before) / (LoadBenchmark.now() - start) * 100
    }
    func residentMiB() -> Double { Double(ProcFiles.value("VmRSS", in: "/proc/\(pid)/status") ?? 0) / 1024 }

    report("\(NumberText.grouped(sites)) sites: the monitor at one heartbeat per site per second")
    let perSecond = cpuPercent(over: seconds)
    figures["monitor CPU, 1 heartbeat/site/s"] = perSecond
    var scrapes: [(seconds: Double, bytes: Int)] = []
    for _ in 0..<3 { scrapes.append(try Self.scrape(port: metricsPort)) }
    let scrape = scrapes.sorted { $0.seconds < $1.seconds }[1]
    figures["scrape /metrics (per-site series)"] = scrape.seconds * 1000
    figures["scrape /metrics, size"] = Double(scrape.bytes) / 1024

    report("\(NumberText.grouped(sites)) sites: \(consoles) consoles attach")
    let residentBefore = residentMiB()
    let dropsBeforeConsoles = LoadBenchmark.socketState(port: udpPort)?.drops ?? 0
    var links: [ConsoleClient] = []
    defer { for link in links { link.detach() } }
    var attachTimes: [Double] = []
    for number in 0..<consoles {
      let firstSnapshot = Mutex<Double?>(nil)
      let start = LoadBenchmark.now()
      let link = try ConsoleClient(
        path: "\(directory)/\(name).sock",
        hello: ConsoleHello(operatorName: "scale-\(number)", readOnly: true, group: nil, purpose: .console))
      link.attach { update in
        guard update.snapshot != nil else { return }
        firstSnapshot.withLock { if $0 == nil { $0 = LoadBenchmark.now() } }
      }
      links.append(link)
      while firstSnapshot.withLock({ $0 }) == nil {
        guard LoadBenchmark.now() - start < 30 else { throw BenchFailure("console \(number) had no snapshot within 30 s") }
        usleep(1000)
      }
      attachTimes.append((firstSnapshot.withLock { $0 }! - start) * 1000)
    }
    figures["console attach to first snapshot"] = attachTimes.sorted()[attachTimes.count / 2]
    let withConsoles = cpuPercent(over: seconds)
    figures["per console: monitor CPU"] = (withConsoles - perSecond) / Double(max(1, consoles))
    figures["per console: monitor memory"] = (residentMiB() - residentBefore) / Double(max(1, consoles))
    figures["  of them while consoles attach"] = Double((LoadBenchmark.socketState(port: udpPort)?.drops ?? 0) - dropsBeforeConsoles)
    for link in links { link.detach() }
    links = []

    report("\(NumberText.grouped(sites)) sites: the monitor at the default interval (every site every 5 s)")
    pacer.period.store(5000, ordering: .relaxed)
    usleep(6_000_000)  // the round under way at one a second ends
    figures["monitor CPU, default 5 s interval"] = cpuPercent(over: max(seconds, 10))

    pacer.stop()
    _ = LoadBenchmark.waitForDrain(port: udpPort)
    let sent = pacer.sent.load(ordering: .relaxed) - sentAtStart
    let counters = try LoadBenchmark.counters(statusFile: statusFile, writtenAfter: LoadBenchmark.unixNow())
    let received = counters.received - countersAtStart.received
    figures["heartbeats lost"] = Double(max(0, sent - received))
    figures["heartbeats rejected"] = Double(received - (counters.accepted - countersAtStart.accepted))
    let reasons = counters.rejected.compactMap { reason, count in
      count > countersAtStart.rejected[reason, default: 0] ? "\(reason) \(count - countersAtStart.rejected[reason, default: 0])" : nil
    }
    if !reasons.isEmpty { report("\(NumberText.grouped(sites)) sites: rejected: \(reasons.sorted().joined(separator: ", "))") }
    figures["kernel drops"] = Double((LoadBenchmark.socketState(port: udpPort)?.drops ?? 0) - dropsAtStart)
    let (status, peak) = ChildProcess.stop(pid)
    stopped = true
    guard status == 0 else { throw BenchFailure("the monitor did not stop cleanly (exit \(status))") }
    figures["peak RSS"] = Double(peak) / 1024

    report("\(NumberText.grouped(sites)) sites: key to screen, the dashboard open at one heartbeat per site per second")
    let keys = try keyToScreen(config: config, roster: roster, statusFile: statusFile)
    figures["key to screen under load, median"] = keys.sorted()[keys.count / 2]
    figures["key to screen under load, worst"] = keys.max()
    return figures
  }

  /// The real dashboard (`run`, not headless) on a 250x70 pseudo-terminal, every site beating once a second: the
  /// milliseconds from each of `keyPresses` keys to its answer on the terminal (`KeyToScreen`), typed at uneven
  /// moments so that they fall anywhere between the monitor's ticks.
  func keyToScreen(config: String, roster: [SiteConfig], statusFile: String) throws -> [Double] {
    let port = LoadBenchmark.freePort()
    let dashboard = try KeyToScreen(binary: binary, config: config, listen: "127.0.0.1:\(port)")
    defer { dashboard.stop() }
    let begin = LoadBenchmark.now()
    while LoadBenchmark.socketState(port: port) == nil || !dashboard.hasDrawn {
      guard !ChildProcess.hasExited(dashboard.pid) else { throw BenchFailure("the dashboard exited before listening (\(config))") }
      guard LoadBenchmark.now() - begin < 300 else { throw BenchFailure("the dashboard did not listen within 300 s") }
      usleep(20_000)
    }
    let pacer = Pacer(port: port, roster: roster)
    pacer.start()
    defer { pacer.stop() }
    let warmUp = LoadBenchmark.now()
    while (try? LoadBenchmark.accepted(statusFile: statusFile, writtenAfter: LoadBenchmark.unixNow(), timeout: 10)) ?? 0 < roster.count,
      LoadBenchmark.now() - warmUp < 60
    {
      usleep(500_000)
    }
    usleep(2_000_000)
    var milliseconds: [Double] = []
    for press in 0..<Self.keyPresses {
      guard let seconds = dashboard.measureOnce() else {
        throw BenchFailure("the dashboard did not answer a key within 5 s (press \(press + 1))")
      }
      milliseconds.append(seconds * 1000)
      // 250 to 450 ms apart, never in step with the tick.
      usleep(UInt32(250_000 + (press * 37_000) % 200_000))
    }
    return milliseconds
  }

  /// Signed heartbeats for every site from one thread, a round every `period` milliseconds, each round spread over
  /// its period (sites send independently); round r is due r periods after the start, whatever making it took.
  final class Pacer: Sendable {
    let port: Int
    let roster: [SiteConfig]
    let period = Atomic<Int>(1000)
    let sent = Atomic<Int>(0)
    let stopped = Atomic<Bool>(false)
    let finished = Atomic<Bool>(false)
    let pausing = Atomic<Bool>(false)
    let paused = Atomic<Bool>(false)

    init(port: Int, roster: [SiteConfig]) {
      self.port = port
      self.roster = roster
    }

    func start() {
      Thread { [self] in
        defer { finished.store(true, ordering: .releasing) }
        guard let blaster = try? LoadBenchmark.Blaster(port: port) else { return }
        var due = LoadBenchmark.now()
        var round = 1
        while !stopped.load(ordering: .relaxed) {
          if pausing.load(ordering: .acquiring) {
            paused.store(true, ordering: .releasing)
            usleep(10_000)
            due = LoadBenchmark.now()
            continue
          }
          paused.store(false, ordering: .releasing)
          due += Double(period.load(ordering: .relaxed)) / 1000
          let beats = LoadBenchmark.heartbeats(roster, rounds: round..<(round + 1))
          sent.add(blaster.pace(beats, seconds: max(0.2, due - LoadBenchmark.now())), ordering: .relaxed)
          round += 1
        }
      }.start()
    }

    /// Returns once the round under way is sent; nothing more is until `resume`.
    func pause() {
      pausing.store(true, ordering: .releasing)
      while !paused.load(ordering: .acquiring) && !finished.load(ordering: .acquiring) { usleep(10_000) }
    }

    func resume() { pausing.store(false, ordering: .releasing) }

    /// Returns once the round under way is sent.
    func stop() {
      stopped.store(true, ordering: .relaxed)
      while !finished.load(ordering: .acquiring) { usleep(10_000) }
    }
  }

  /// One `GET /metrics` on loopback: the time until the whole answer was read, and its size.
  static func scrape(port: Int) throws -> (seconds: Double, bytes: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BenchFailure("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    let start = LoadBenchmark.now()
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw BenchFailure("connect to /metrics: \(String(cString: strerror(errno)))") }
    let request = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else {
      throw BenchFailure("could not send the scrape")
    }
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var total = 0
    while true {
      let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if got <= 0 { break }
      total += got
    }
    guard total > 0 else { throw BenchFailure("/metrics answered nothing") }
    return (LoadBenchmark.now() - start, total)
  }
}
