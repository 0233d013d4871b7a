/// The text `bridgewatch check` prints for a valid config.
public enum ConfigSummary {
  public static func render(_ loaded: LoadedConfig, strings: Strings = .english) -> String {
    let config = loaded.config
    let tree = GroupTree(sites: config.sites)
    let timing = config.timing
    func number(_ value: Int) -> String { strings.number(value) }
    var lines: [String] = []
    lines.append("\(config.title)")
    lines.append(strings(.checkConfigOK, config.path))
    lines.append(strings(.checkSites, number(config.sites.count), number(tree.nodes.count - 1), number(config.totalExpected)))
    let recover = timing.recoverAfter == 1 ? strings(.heartbeatsOne) : strings(.heartbeatsMany, timing.recoverAfter)
    lines.append(
      strings(
        .checkTiming, DurationText.format(timing.interval), DurationText.format(timing.lateAfter), DurationText.format(timing.offlineAfter),
        recover))
    lines.append(
      strings(
        .checkUDP, HostPortText.format(host: config.udp.host, port: config.udp.port),
        strings(config.udp.requireAuth ? .authRequired : .authOptional), number(config.siteKeys.count), number(config.sites.count)))
    lines.append(strings(.checkHeartbeatFiles, config.heartbeatDirectory))
    lines.append(strings(.checkJournal, config.journalPath))
    let readOnly =
      config.console.readOnlyUsers.isEmpty ? "" : strings(.checkReadOnlyFor, config.console.readOnlyUsers.joined(separator: ", "))
    lines.append(strings(.checkConsoles, config.consoleSocketPath, config.console.maximumConsoles, readOnly))
    let probed = config.sites.compactMap(\.probe)
    if !probed.isEmpty {
      let kinds = ProbeTarget.Kind.allCases.compactMap { kind -> String? in
        let count = probed.filter { $0.kind == kind }.count
        return count > 0 ? "\(count) \(kind.rawValue)" : nil
      }
      lines.append(
        strings(
          .checkProbes, number(probed.count), kinds.joined(separator: ", "),
          DurationText.format(config.probing.effectivePeriod(config.timing)),
          DurationText.format(config.probing.effectiveTimeout(config.timing)), config.probing.ratePerSecond))
    }
    if let (host, port) = config.metrics.listen {
      let perSite = config.metrics.perSite ? strings(.checkMetricsPerSite) : ""
      lines.append(strings(.checkMetrics, HostPortText.format(host: host, port: port), perSite))
    } else {
      lines.append(strings(.checkMetricsOff))
    }
    if config.checkin.enabled {
      // The check-in page (issue 33): served beside /metrics; how many sites the keys file gave a link.
      let linked = config.sites.count { config.siteKeys[$0.id]?.checkinToken != nil }
      if let (host, port) = config.metrics.listen {
        lines.append(
          strings(.checkCheckin, HostPortText.format(host: host, port: port), number(linked), number(config.sites.count)))
      } else {
        lines.append(strings(.checkCheckinNoListen))
      }
    }
    if let statusFile = config.statusFilePath { lines.append(strings(.checkStatusFile, statusFile)) }
    for bridge in config.bridges {
      let trusting = bridge.secure ? strings(.checkBridgeHTTPS, bridge.caFile ?? strings(.checkBridgeSystemTrust)) : ""
      lines.append(strings(.checkBridge, bridge.label, DurationText.format(bridge.poll)) + trusting)
    }
    lines.append(strings(.checkGroups))
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
        let sites = number(sitesByNode[node]).leftPadded(to: 5)
        let expected = number(expectedByNode[node]).leftPadded(to: 8)
        lines.append(strings(.checkGroupLine, label + padding, sites, expected))
      }
      for child in entry.children { walk(child) }
    }
    walk(0)
    for warning in loaded.warnings { lines.append(strings(.checkWarning, warning)) }
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
