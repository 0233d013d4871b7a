/// The text `bridgewatch check` prints for a valid config.
public enum ConfigSummary {
  public static func render(_ loaded: LoadedConfig) -> String {
    let config = loaded.config
    let tree = GroupTree(sites: config.sites)
    let timing = config.timing
    var lines: [String] = []
    lines.append("\(config.title)")
    lines.append("config: \(config.path): OK")
    lines.append(
      "\(config.sites.count) bridge points in \(tree.nodes.count - 1) groups, expected headcount \(NumberText.grouped(config.totalExpected))"
    )
    lines.append(
      "timing: heartbeat every \(DurationText.format(timing.interval)), late after \(DurationText.format(timing.lateAfter)), offline after \(DurationText.format(timing.offlineAfter)), back online after \(timing.recoverAfter) heartbeat\(timing.recoverAfter == 1 ? "" : "s")"
    )
    let auth = config.udp.requireAuth ? "required" : "optional"
    lines.append(
      "udp: listen \(HostPortText.format(host: config.udp.host, port: config.udp.port)), authentication \(auth), \(config.keys.count) of \(config.sites.count) sites have keys"
    )
    lines.append("heartbeat files: \(config.heartbeatDirectory)")
    lines.append("journal: \(config.journalPath)")
    let readOnly = config.console.readOnlyUsers.isEmpty ? "" : "; read-only for \(config.console.readOnlyUsers.joined(separator: ", "))"
    lines.append("console socket: \(config.consoleSocketPath) (at most \(config.console.maximumConsoles) consoles\(readOnly))")
    let probed = config.sites.compactMap(\.probe)
    if !probed.isEmpty {
      let kinds = ProbeTarget.Kind.allCases.compactMap { kind -> String? in
        let count = probed.filter { $0.kind == kind }.count
        return count > 0 ? "\(count) \(kind.rawValue)" : nil
      }
      lines.append(
        "probes: \(probed.count) sites (\(kinds.joined(separator: ", "))), every \(DurationText.format(config.probing.effectivePeriod(config.timing))), "
          + "timeout \(DurationText.format(config.probing.effectiveTimeout(config.timing))), at most \(config.probing.ratePerSecond)/s")
    }
    if let (host, port) = config.metrics.listen {
      let perSite = config.metrics.perSite ? ", with per-site series" : ""
      lines.append("metrics: http://\(HostPortText.format(host: host, port: port))/metrics\(perSite)")
    } else {
      lines.append("metrics: off (metrics.listen)")
    }
    if let statusFile = config.statusFilePath { lines.append("status file: \(statusFile)") }
    lines.append("groups:")
    let nameWidth = tree.nodes.dropFirst().map { $0.name.count + 2 * $0.depth }.max() ?? 0
    var expectedByNode = [Int](repeating: 0, count: tree.nodes.count)
    var sitesByNode = [Int](repeating: 0, count: tree.nodes.count)
    for (index, site) in config.sites.enumerated() {
      for node in tree.ancestorsOfSite[index] {
        expectedByNode[node] += site.expected
        sitesByNode[node] += 1
      }
    }
    func walk(_ node: Int) {
      let entry = tree.nodes[node]
      if node != 0 {
        let label = String(repeating: "  ", count: entry.depth) + entry.name
        let padding = String(repeating: " ", count: max(0, nameWidth - label.count))
        let sites = String(sitesByNode[node]).leftPadded(to: 5)
        let expected = NumberText.grouped(expectedByNode[node]).leftPadded(to: 8)
        lines.append("\(label)\(padding)  \(sites) sites \(expected) expected")
      }
      for child in entry.children { walk(child) }
    }
    walk(0)
    for warning in loaded.warnings { lines.append("warning: \(warning)") }
    return TextSanitizer.joinedLines(lines)
  }
}

public enum HostPortText {
  public static func format(host: String, port: Int) -> String {
    host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
  }
}

public enum NumberText {
  /// 11631 -> "11,631" (or "11.631" with separator ".").
  public static func grouped(_ value: Int, separator: Character = ",") -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (offset, digit) in digits.enumerated() {
      if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(separator) }
      out.append(digit)
    }
    return value < 0 ? "-" + out : out
  }
}

extension String {
  func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
