import BridgeCore
import BridgeField
import CLinux
import Foundation

/// The load test: a headless monitor (this binary) takes a blast of signed heartbeats over loopback, then the same
/// blast goes to the C ceiling program, which only counts datagrams. Figures come from the kernel (/proc) and the
/// monitor's own status file, not from the sender. Over 400 lines because the other benchmarks that start this binary
/// share its helpers (the generated conference, the headless monitor's start, /proc figures, free ports); they are
/// marked by section below.
public struct LoadBenchmark {
  var binary: String
  var sites: Int
  var rounds: Int
  var ceilingSource: String
  var dashboard: Bool
  var directory: String

  public init(binary: String, sites: Int, rounds: Int, ceilingSource: String, dashboard: Bool, directory: String) {
    self.binary = binary
    self.sites = sites
    self.rounds = rounds
    self.ceilingSource = ceilingSource
    self.dashboard = dashboard
    self.directory = directory
  }

  struct ProcessFigures {
    var cpuSeconds: Double
    var peakRSSKiB: Int
  }

  // MARK: - /proc readers

  /// rx_queue bytes and drops of the UDP socket bound to 127.0.0.1:`port`.
  static func socketState(port: Int) -> (queued: Int, drops: Int)? {
    guard let table = try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8) else { return nil }
    let wanted = String(format: "0100007F:%04X", port)
    for line in table.split(separator: "\n").dropFirst() {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 13, fields[1] == wanted else { continue }
      let queues = fields[4].split(separator: ":")
      guard queues.count == 2, let queued = Int(queues[1], radix: 16), let drops = Int(fields[12]) else { return nil }
      return (queued, drops)
    }
    return nil
  }

  static func figures(pid: Int32) -> ProcessFigures? {
    guard let cpu = ProcFiles.cpuSeconds(stat: "/proc/\(pid)/stat") else { return nil }
    return ProcessFigures(cpuSeconds: cpu, peakRSSKiB: ProcFiles.value("VmHWM", in: "/proc/\(pid)/status") ?? 0)
  }

  static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

  /// Waits until the socket's receive queue has stayed empty for a few polls; returns when it first emptied.
  static func waitForDrain(port: Int, timeout: Double = 60) -> Double {
    let deadline = now() + timeout
    var emptySince: Double?
    while now() < deadline {
      let queued = socketState(port: port)?.queued ?? 0
      if queued == 0 {
        if emptySince == nil { emptySince = now() }
        if now() - emptySince! >= 0.05 { return emptySince! }
      } else {
        emptySince = nil
      }
      usleep(1000)
    }
    return now()
  }

  // MARK: - Sending

  /// A connected UDP socket that sends prepared datagrams with sendmmsg, in batches of 64.
  final class Blaster {
    let fd: Int32

    init(port: Int) throws {
      fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
      guard fd >= 0 else { throw BenchFailure("socket: \(String(cString: strerror(errno)))") }
      var small: Int32 = 4096  // acks come back here and are not read; keep the pile small
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = in_port_t(UInt16(port).bigEndian)
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
      }
      guard connected == 0 else { throw BenchFailure("connect: \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// Sends `datagrams[range]`; returns how many the kernel took.
    func send(_ datagrams: Datagrams, _ range: Range<Int>) -> Int {
      datagrams.bytes.withUnsafeBytes { storage in
        var sent = 0
        var start = range.lowerBound
        var pointers = [UnsafeRawPointer?](repeating: nil, count: 64)
        var lengths = [Int](repeating: 0, count: 64)
        while start < range.upperBound {
          let count = min(range.upperBound, start + 64) - start
          for offset in 0..<count {
            let lower = datagrams.offsets[start + offset]
            pointers[offset] = storage.baseAddress! + lower
            lengths[offset] = datagrams.offsets[start + offset + 1] - lower
          }
          let taken = bw_send_batch(fd, &pointers, &lengths, UInt32(count))
          if taken <= 0 {
            if errno == ENOBUFS || errno == EAGAIN || errno == EINTR { continue }
            break
          }
          sent += Int(taken)
          start += Int(taken)
        }
        return sent
      }
    }

    /// Spreads the datagrams evenly over `seconds`, a slice every millisecond: sites send independently, so the
    /// monitor must be measured waking for one or two datagrams at a time, not for bursts.
    func pace(_ datagrams: Datagrams, seconds: Double) -> Int {
      let slices = max(1, Int(seconds * 1000))
      let begin = LoadBenchmark.now()
      var sent = 0
      for slice in 0..<slices {
        let due = begin + Double(slice) / 1000
        let wait = due - LoadBenchmark.now()
        if wait > 0 { usleep(UInt32(wait * 1e6)) }
        let lower = datagrams.count * slice / slices
        let upper = datagrams.count * (slice + 1) / slices
        sent += send(datagrams, lower..<upper)
      }
      return sent
    }
  }

  // MARK: - The conference

  func writeConference(sites count: Int, interval: String, name: String) throws -> (config: String, roster: [SiteConfig]) {
    try Self.writeConference(sites: count, interval: interval, name: name, directory: directory)
  }

  /// A site's key in the benchmarks: as long as `bridgewatch keys` makes them (a shorter one is warned about at
  /// start, and 31,097 warnings would be timed as the start's).
  static func secret(_ site: String) -> String { "bench-secret-0123456789abcdef-\(site)" }

  /// A national roster of `count` signed sites, as a config, CSV and keys file in `directory`: shaped like 2021's
  /// (63 provinces with districts) unless `shape2026`, the demo's roster of February 2026 (34 provinces, communes).
  static func writeConference(sites count: Int, interval: String, name: String, directory: String, shape2026: Bool = false) throws
    -> (config: String, roster: [SiteConfig])
  {
    let heartbeats = directory + "/heartbeats"
    let roster =
      shape2026
      ? DemoRoster.conference2026(sites: count, heartbeatDirectory: heartbeats)
      : DemoRoster.national(sites: count, heartbeatDirectory: heartbeats)
    var csv = "id,name,group,expected\n"
    var keys = ""
    for site in roster {
      csv += "\(site.id),\"\(site.name)\",\"\(site.groupLabel)\",\(site.expected)\n"
      keys += "\(site.id): \"\(secret(site.id))\"\n"
    }
    try csv.write(toFile: "\(directory)/\(name).csv", atomically: true, encoding: .utf8)
    try keys.write(toFile: "\(directory)/\(name)-keys.yaml", atomically: true, encoding: .utf8)
    chmod("\(directory)/\(name)-keys.yaml", 0o600)
    let yaml = """
      title: "Benchmark: \(count) sites"
      timing: {interval: \(interval), late_after: 15s, offline_after: 60s}
      udp: {require_auth: true}
      keys: \(name)-keys.yaml
      sites_csv: \(name).csv
      status_file: \(name)-status.json
      journal: \(name).journal
      heartbeat_dir: heartbeats

      """
    let path = "\(directory)/\(name).yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return (path, roster)
  }

  /// Datagrams back to back in one buffer, so a batch send points into it without copying.
  struct Datagrams {
    var bytes: [UInt8] = []
    /// Start of each datagram, and the end of the last.
    var offsets: [Int] = [0]
    var count: Int { offsets.count - 1 }

    mutating func append(_ line: String) {
      bytes += line.utf8
      offsets.append(bytes.count)
    }
  }

  /// Rounds of signed heartbeats for every site in `roster`, round-robin; the round is the sequence number.
  static func heartbeats(_ roster: [SiteConfig], rounds: Range<Int>) -> Datagrams {
    let unixSeconds = UInt64(Date().timeIntervalSince1970)
    var out = Datagrams()
    out.offsets.reserveCapacity(rounds.count * roster.count + 1)
    for round in rounds {
      for site in roster {
        let line = HeartbeatCodec.encode(
          site: site.id, sequence: UInt64(round), count: site.expected, timestamp: unixSeconds, state: nil, rttMilliseconds: 30)
        out.append(HeartbeatAuthenticator.sign(line, secret: Array(secret(site.id).utf8)))
      }
    }
    return out
  }

  /// Datagrams the monitor accepted, from a status file that shows the monitor's state after `unixTime`: one
  /// written after it, or one touched more than a second after it (a touch means nothing changed since the file
  /// was written; the second lets a batch being applied at `unixTime` count as a change). Counts alone are
  /// refreshed every few seconds, so this can wait that long; a monitor that writes nothing is an error, never 0.
  static func accepted(statusFile: String, writtenAfter unixTime: Double, timeout: Double = 15) throws -> Int {
    try counters(statusFile: statusFile, writtenAfter: unixTime, timeout: timeout).accepted
  }

  /// The datagram counters of a status file that shows the monitor after `unixTime`, as `accepted` reads them.
  static func counters(statusFile: String, writtenAfter unixTime: Double, timeout: Double = 15) throws -> (
    received: Int, accepted: Int, rejected: [String: Int]
  ) {
    let deadline = now() + timeout
    while now() < deadline {
      var info = stat()
      let touched = stat(statusFile, &info) == 0 ? Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 : 0
      if let data = FileManager.default.contents(atPath: statusFile),
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let generated = json["generated_at"] as? Double, generated > unixTime || touched > unixTime + 1,
        let counters = json["counters"] as? [String: Any], let accepted = counters["datagrams_accepted"] as? Int,
        let received = counters["datagrams_received"] as? Int
      {
        return (received, accepted, (counters["rejected"] as? [String: Int]) ?? [:])
      }
      usleep(50_000)
    }
    throw BenchFailure("no status file at \(statusFile) shows the monitor after \(unixTime) within \(Int(timeout)) s")
  }

  static func unixNow() -> Double { Date().timeIntervalSince1970 }

  /// A loopback port free for a UDP socket (or `type`'s) now.
  static func freePort(type: __socket_type = SOCK_DGRAM) -> Int {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        _ = bind(fd, $0, length)
        return getsockname(fd, $0, &length)
      }
    }
    return Int(UInt16(bigEndian: address.sin_port))
  }

  /// `run --headless` on a free loopback port, listening when this returns; its log is discarded. The port is
  /// free when picked but may be taken before the monitor binds it (tests run in parallel): a monitor that exits
  /// at once is started again on another port.
  static func startHeadlessMonitor(binary: String, config: String) throws -> (process: Process, port: Int) {
    var lastFailure: (any Error)?
    for _ in 0..<3 {
      let port = freePort()
      let monitor = Process()
      monitor.executableURL = URL(fileURLWithPath: binary)
      monitor.arguments = ["run", config, "--headless", "--listen", "127.0.0.1:\(port)"]
      // For profiling: `BRIDGEWATCH_BENCH_WRAPPER=/usr/bin/heaptrack` runs the monitor under that program.
      if let wrapper = ProcessInfo.processInfo.environment["BRIDGEWATCH_BENCH_WRAPPER"] {
        monitor.executableURL = URL(fileURLWithPath: wrapper)
        monitor.arguments = [binary] + (monitor.arguments ?? [])
      }
      monitor.standardError = FileHandle(forWritingAtPath: "/dev/null")
      try monitor.run()
      do {
        try waitForSocket(port: port, while: monitor)
        return (monitor, port)
      } catch {
        if monitor.isRunning { monitor.terminate() }
        monitor.waitUntilExit()
        lastFailure = error
      }
    }
    throw lastFailure ?? BenchFailure("the monitor did not start")
  }

  /// Waits until something listens on `port`; gives up early when `process` exits.
  static func waitForSocket(port: Int, while process: Process, seconds: Double = 30) throws {
    let deadline = now() + seconds
    while socketState(port: port) == nil {
      guard process.isRunning else {
        throw BenchFailure("the monitor exited (status \(process.terminationStatus)) before listening on 127.0.0.1:\(port)")
      }
      guard now() < deadline else { throw BenchFailure("nothing listens on 127.0.0.1:\(port) after \(Int(seconds)) s") }
      usleep(20_000)
    }
  }

  static func waitForSocket(port: Int, seconds: Double = 30) throws {
    let deadline = now() + seconds
    while socketState(port: port) == nil {
      guard now() < deadline else { throw BenchFailure("nothing listens on 127.0.0.1:\(port) after \(Int(seconds)) s") }
      usleep(20_000)
    }
  }

  // MARK: - Running

  public func run(report: (String) -> Void) throws {
    report("load: \(NumberText.grouped(sites)) sites, signed heartbeats, \(rounds) per site in the blast")
    let (configPath, roster) = try writeConference(sites: sites, interval: "1s", name: "load")
    let statusFile = directory + "/load-status.json"
    let (monitor, port) = try Self.startHeadlessMonitor(binary: binary, config: configPath)
    defer { if monitor.isRunning { monitor.terminate() } }
    let blaster = try Blaster(port: port)

    // Every site heard once, paced, so the blast measures steady-state heartbeats rather than first contacts.
    let warmUp = Self.heartbeats(roster, rounds: 1..<2)
    _ = blaster.pace(warmUp, seconds: 2)
    let warmedUp = Self.unixNow()
    usleep(2_500_000)
    let blast = Self.heartbeats(roster, rounds: 2..<(2 + rounds))
    let dropsBefore = Self.socketState(port: port)?.drops ?? 0
    // A file made after the last heartbeat has them all (one comes within 5 s of a change; a quiet monitor writes
    // only every minute, so "a file newer than now" would wait for nothing).
    let acceptedBefore = try Self.accepted(statusFile: statusFile, writtenAfter: warmedUp)
    let cpuBefore = Self.figures(pid: monitor.processIdentifier)?.cpuSeconds ?? 0
    let begin = Self.now()
    let sent = blaster.send(blast, 0..<blast.count)
    let sendEnd = Self.now()
    let drained = Self.waitForDrain(port: port)
    let drainedAt = Self.unixNow()
    let cpuAfter = Self.figures(pid: monitor.processIdentifier)?.cpuSeconds ?? 0
    let acceptedAfterBlast = try Self.accepted(statusFile: statusFile, writtenAfter: drainedAt)
    let accepted = acceptedAfterBlast - acceptedBefore
    let drops = (Self.socketState(port: port)?.drops ?? 0) - dropsBefore
    let monitorRate = Double(accepted) / (drained - begin)
    report(
      "monitor: sent \(NumberText.grouped(sent)) in \(String(format: "%.2f", sendEnd - begin)) s; accepted \(NumberText.grouped(accepted)), "
        + "kernel drops \(NumberText.grouped(drops)); \(NumberText.grouped(Int(monitorRate))) accepted/s; "
        + "CPU \(String(format: "%.2f", cpuAfter - cpuBefore)) s")

    // National load: 7,400 sites once a second for 10 s, paced; nothing may be lost.
    let national = Array(roster.prefix(7400))
    let paced = Self.heartbeats(national, rounds: (2 + rounds)..<(12 + rounds))
    let pacedDropsBefore = Self.socketState(port: port)?.drops ?? 0
    let pacedSent = blaster.pace(paced, seconds: 10)
    _ = Self.waitForDrain(port: port)
    let pacedAccepted = try Self.accepted(statusFile: statusFile, writtenAfter: Self.unixNow()) - acceptedAfterBlast
    let pacedDrops = (Self.socketState(port: port)?.drops ?? 0) - pacedDropsBefore
    report(
      "national pace (\(NumberText.grouped(national.count)) sites x 1/s, 10 s): sent \(NumberText.grouped(pacedSent)), "
        + "accepted \(NumberText.grouped(pacedAccepted)), kernel drops \(pacedDrops)")
    let figures = Self.figures(pid: monitor.processIdentifier)
    report("monitor peak RSS: \(String(format: "%.1f", Double(figures?.peakRSSKiB ?? 0) / 1024)) MiB")
    monitor.terminate()
    monitor.waitUntilExit()

    // The same blast into the ceiling program.
    let ceilingBinary = try compiledCeiling()
    let ceilingPort = Self.freePort()
    let ceiling = Process()
    ceiling.executableURL = URL(fileURLWithPath: ceilingBinary)
    ceiling.arguments = ["\(ceilingPort)", "1500"]
    let output = Pipe()
    ceiling.standardOutput = output
    try ceiling.run()
    try Self.waitForSocket(port: ceilingPort)
    let ceilingBlaster = try Blaster(port: ceilingPort)
    let ceilingDropsBefore = Self.socketState(port: ceilingPort)?.drops ?? 0
    let ceilingBegin = Self.now()
    let ceilingSent = ceilingBlaster.send(blast, 0..<blast.count)
    let ceilingDrained = Self.waitForDrain(port: ceilingPort)
    let ceilingDrops = (Self.socketState(port: ceilingPort)?.drops ?? 0) - ceilingDropsBefore
    ceiling.waitUntilExit()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let received = text.split(separator: "\n").last { $0.hasPrefix("received ") }.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
    let ceilingRate = Double(received) / (ceilingDrained - ceilingBegin)
    report(
      "ceiling: sent \(NumberText.grouped(ceilingSent)); received \(NumberText.grouped(received)), kernel drops "
        + "\(NumberText.grouped(ceilingDrops)); \(NumberText.grouped(Int(ceilingRate))) received/s")
    let ratio = monitorRate / max(1, ceilingRate)
    report(
      "ratio monitor/ceiling: \(String(format: "%.0f", ratio * 100))% (target at least 50%)  "
        + "\(ratio >= 0.5 ? "MET" : "MISSED")")
    report(
      "no loss at national pace: \(pacedDrops == 0 && pacedAccepted == pacedSent ? "MET" : "MISSED")  "
        + "peak RSS under 64 MiB: \((figures?.peakRSSKiB ?? Int.max) < 64 * 1024 ? "MET" : "MISSED")")

    if dashboard { try runDashboardLoad(report: report) }
  }

  /// The monitor with its dashboard open in tmux, at national load (7,400 sites, one heartbeat each per 5 s), then idle.
  func runDashboardLoad(report: (String) -> Void) throws {
    let (configPath, roster) = try writeConference(sites: 7400, interval: "5s", name: "national")
    let port = Self.freePort()
    let session = "bw-bench-\(getpid())"
    // Through the shell with popen: Foundation's Process never sees `new-session` exit, because the daemonized
    // server inherits the descriptor it watches.
    func tmux(_ arguments: [String]) -> String {
      let quoted = (["tmux", "-L", session] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
      let redirect = arguments.first == "new-session" ? " >/dev/null 2>&1 </dev/null" : " 2>/dev/null"
      guard let stream = popen(quoted.joined(separator: " ") + redirect, "r") else { return "" }
      var output = [UInt8]()
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        let count = fread(&buffer, 1, buffer.count, stream)
        if count <= 0 { break }
        output += buffer[0..<count]
      }
      pclose(stream)
      return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    _ = tmux([
      "new-session", "-d", "-x", "200", "-y", "60", "-e", "LANG=C.UTF-8",
      "exec '\(binary)' run '\(configPath)' --listen 127.0.0.1:\(port) --no-bell",
    ])
    let socketPath = tmux(["display-message", "-p", "#{socket_path}"])
    defer {
      _ = tmux(["kill-server"])
      // tmux leaves its socket file behind.
      if !socketPath.isEmpty { unlink(socketPath) }
    }
    try Self.waitForSocket(port: port)
    guard let pid = Int32(tmux(["display-message", "-p", "#{pane_pid}"])) else { throw BenchFailure("cannot find the dashboard's process") }
    let blaster = try Blaster(port: port)
    _ = blaster.pace(Self.heartbeats(roster, rounds: 1..<2), seconds: 5)  // everyone connects
    usleep(3_000_000)
    // 30 s at one heartbeat per site per 5 s: 1,480 a second.
    let beats = Self.heartbeats(roster, rounds: 2..<8)
    let before = Self.figures(pid: pid)?.cpuSeconds ?? 0
    let sent = blaster.pace(beats, seconds: 30)
    let after = Self.figures(pid: pid)?.cpuSeconds ?? 0
    report(
      "dashboard at national load: \(NumberText.grouped(sent)) heartbeats in 30 s; monitor CPU \(String(format: "%.2f", (after - before) / 30 * 100))% "
        + "of one core (target under 3%)  \((after - before) / 30 < 0.03 ? "MET" : "MISSED")")
    if let floor = try? answeringCeilingCPU(beats) {
      report(
        "reference: the C ceiling program answering the same heartbeats at the same pace (recvmmsg + sendmmsg, nothing "
          + "else): CPU \(String(format: "%.2f", floor * 100))% of one core; the monitor takes \(String(format: "%.1f", (after - before) / 30 / floor))x that"
      )
    }
    // Idle: wait until every site has gone offline and nothing changes any more, then measure a whole minute (the
    // status file is rewritten once a minute while nothing changes).
    _ = blaster.pace(Self.heartbeats(roster, rounds: 8..<9), seconds: 0.1)
    usleep(65_000_000)
    let idleBefore = Self.figures(pid: pid)?.cpuSeconds ?? 0
    usleep(60_000_000)
    let idleAfter = Self.figures(pid: pid)
    report(
      "dashboard idle (no heartbeats, nothing changing), 60 s: CPU \(String(format: "%.3f", ((idleAfter?.cpuSeconds ?? 0) - idleBefore) / 60 * 100))% "
        + "of one core; peak RSS \(String(format: "%.1f", Double(idleAfter?.peakRSSKiB ?? 0) / 1024)) MiB")
  }
}

extension LoadBenchmark {
  /// The ceiling program, compiled with cc into the bench's folder once.
  func compiledCeiling() throws -> String {
    let binary = directory + "/udp_ceiling"
    guard !FileManager.default.fileExists(atPath: binary) else { return binary }
    let compile = Process()
    compile.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    compile.arguments = ["cc", "-O2", "-o", binary, ceilingSource]
    try compile.run()
    compile.waitUntilExit()
    guard compile.terminationStatus == 0 else { throw BenchFailure("cannot compile \(ceilingSource) with cc") }
    return binary
  }

  /// CPU share of one core the ceiling program (in its "ack" mode) spends answering `beats` paced over 30 s: the
  /// system calls and wake-ups alone, what no monitor can go below on this machine.
  func answeringCeilingCPU(_ beats: Datagrams) throws -> Double {
    let ceilingBinary = try compiledCeiling()
    let port = Self.freePort()
    let ceiling = Process()
    ceiling.executableURL = URL(fileURLWithPath: ceilingBinary)
    ceiling.arguments = ["\(port)", "60000", "ack"]
    ceiling.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    try ceiling.run()
    defer {
      ceiling.terminate()
      ceiling.waitUntilExit()
    }
    try Self.waitForSocket(port: port)
    let blaster = try Blaster(port: port)
    let before = Self.figures(pid: ceiling.processIdentifier)?.cpuSeconds ?? 0
    _ = blaster.pace(beats, seconds: 30)
    let after = Self.figures(pid: ceiling.processIdentifier)?.cpuSeconds ?? 0
    return (after - before) / 30
  }
}

struct BenchFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
