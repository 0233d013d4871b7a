import BridgeCore
import BridgeField
import Foundation

/// The start-up benchmark: the real binary started on national rosters of growing size, from spawning it until it
/// listens (its UDP socket bound and, with metrics, `/metrics` accepting connections), with metrics off, on, and
/// on with per-site series. Each figure is set against the smallest roster's, measured in the same run: with a
/// start-up linear in sites and groups, the cost per site stays the same as the roster grows.
///
/// The roster has three levels, a group per commune (province / district / commune), so that groups grow with
/// sites as in the roster that took 21 s to start (7,400 sites in 6,363 groups).
public struct StartupBenchmark {
  var binary: String
  var sizes: [Int]
  var runs: Int
  var directory: String

  public init(binary: String, sizes: [Int], runs: Int, directory: String) {
    self.binary = binary
    self.sizes = sizes
    self.runs = runs
    self.directory = directory
  }

  enum Metrics: CaseIterable {
    case off, groups, perSite

    var label: String {
      switch self {
      case .off: "metrics off"
      case .groups: "metrics on"
      case .perSite: "metrics per site"
      }
    }
  }

  struct Figures {
    var seconds: Double
    var peakRSSKiB: Int
  }

  public func run(report: (String) -> Void) throws {
    report(
      "start until listening (UDP bound, and /metrics accepting when on), median of \(runs) runs; "
        + "per-site cost against the \(NumberText.grouped(sizes[0]))-site roster's (1.0 = linear)")
    report(
      "sites".leftPadded(9) + "groups".leftPadded(9) + "   " + "metrics".padding(toLength: 18, withPad: " ", startingAt: 0)
        + "start".leftPadded(9) + "µs/site".leftPadded(10) + "vs first".leftPadded(10) + "peak RSS".leftPadded(11))
    var firstPerSite: [Metrics: Double] = [:]
    for size in sizes {
      let (config, groups) = try writeConference(sites: size)
      for metrics in Metrics.allCases {
        var runsMeasured: [Figures] = []
        for _ in 0..<runs { runsMeasured.append(try timeToListen(config: config, metrics: metrics)) }
        let median = runsMeasured.sorted { $0.seconds < $1.seconds }[runs / 2]
        let perSite = median.seconds / Double(size)
        let first = firstPerSite[metrics] ?? perSite
        firstPerSite[metrics] = first
        report(
          NumberText.grouped(size).leftPadded(9) + NumberText.grouped(groups).leftPadded(9) + "   "
            + metrics.label.padding(toLength: 18, withPad: " ", startingAt: 0)
            + JournalBenchmark.format(median.seconds).leftPadded(9) + String(format: "%.1f", perSite * 1e6).leftPadded(10)
            + String(format: "%.2f", perSite / first).leftPadded(10)
            + String(format: "%.0f MiB", Double(runsMeasured.map(\.peakRSSKiB).max() ?? 0) / 1024).leftPadded(11))
      }
    }
  }

  /// A national roster of `sites` with a group per commune; returns the config's path and the number of groups.
  private func writeConference(sites count: Int) throws -> (config: String, groups: Int) {
    let name = "startup-\(count)"
    let roster = DemoRoster.national(sites: count, heartbeatDirectory: directory + "/heartbeats").map { site in
      var site = site
      // The province and district halls stay where they are; every commune becomes a group of its own.
      if site.group.count == 2 && !site.id.hasSuffix("-HU") { site.group.append(site.name) }
      return site
    }
    var csv = "id,name,group,expected\n"
    csv.reserveCapacity(count * 80)
    for site in roster { csv += "\(site.id),\"\(site.name)\",\"\(site.groupLabel)\",\(site.expected)\n" }
    try csv.write(toFile: "\(directory)/\(name).csv", atomically: true, encoding: .utf8)
    let yaml = """
      title: "Benchmark: start-up with \(count) sites"
      udp: {require_auth: false}
      sites_csv: \(name).csv
      status_file: \(name)-status.json
      journal: \(name).journal
      heartbeat_dir: heartbeats

      """
    let path = "\(directory)/\(name).yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return (path, GroupTree(sites: roster).nodes.count - 1)
  }

  /// The monitor started afresh: from spawning it until it listens; its peak RSS once stopped.
  private func timeToListen(config: String, metrics: Metrics) throws -> Figures {
    let udpPort = LoadBenchmark.freePort()
    let metricsPort = LoadBenchmark.freePort(type: SOCK_STREAM)
    var arguments = ["run", config, "--headless", "--listen", "127.0.0.1:\(udpPort)"]
    if metrics != .off { arguments += ["--metrics-listen", "127.0.0.1:\(metricsPort)"] }
    if metrics == .perSite { arguments.append("--metrics-per-site") }
    let begin = LoadBenchmark.now()
    let pid = try ChildProcess.spawn(binary, arguments)
    var listening = false
    while !listening {
      guard LoadBenchmark.now() - begin < 300 else {
        _ = ChildProcess.stop(pid)
        throw BenchFailure("the monitor did not listen within 300 s")
      }
      if ChildProcess.hasExited(pid) {
        _ = ChildProcess.wait(pid)
        throw BenchFailure("the monitor exited before listening (run it by hand to see why): \(arguments.joined(separator: " "))")
      }
      listening = LoadBenchmark.socketState(port: udpPort) != nil && (metrics == .off || Self.accepts(port: metricsPort))
      if !listening { usleep(1_000) }
    }
    let seconds = LoadBenchmark.now() - begin
    let (status, peak) = ChildProcess.stop(pid)
    guard status == 0 else { throw BenchFailure("the monitor did not stop cleanly (exit \(status))") }
    return Figures(seconds: seconds, peakRSSKiB: peak)
  }

  /// Whether something accepts TCP connections on the loopback `port`.
  static func accepts(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
  }
}

extension String {
  /// Right-aligned in `width` columns, for the benchmarks' tables.
  func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
