import Foundation
import Yams

/// `probing:`, and the probes the roster names, resolved and checked against the timing.
extension ConfigLoader {
  static let probingKeys = ["period", "timeout", "rate"]

  mutating func parseProbing(_ node: Node) -> ProbingSettings {
    var probing = ProbingSettings()
    guard let mapping = node.mapping else {
      fail(node, "'probing' must be a mapping (period, timeout, rate)")
      return probing
    }
    let entries = checkedEntries(mapping, allowed: Self.probingKeys, context: "'probing'")
    if let periodNode = entries["period"], let period = duration(periodNode, "period") {
      if period < .seconds(1) { fail(periodNode, "probing 'period' must be at least 1s") } else { probing.period = period }
    }
    if let timeoutNode = entries["timeout"], let timeout = duration(timeoutNode, "timeout") {
      if timeout < .milliseconds(100) || timeout > .seconds(60) {
        fail(timeoutNode, "probing 'timeout' must be from 100ms to 60s")
      } else {
        probing.timeout = timeout
      }
    }
    if let rateNode = entries["rate"], let rate = integer(rateNode, "rate", range: 1...100_000) { probing.ratePerSecond = rate }
    return probing
  }

  /// Resolves every probe's host once, now: a name that does not resolve is an error `run` and `check` refuse.
  mutating func resolveProbes(_ sites: inout [SiteConfig]) {
    var resolved: [String: Result<String, HostPort.ResolutionProblem>] = [:]
    for index in sites.indices {
      guard let probe = sites[index].probe else { continue }
      let outcome = resolved[probe.host] ?? HostPort.resolveNumeric(host: probe.host)
      resolved[probe.host] = outcome
      switch outcome {
      case .success(let address):
        if let reason = ProbeTarget.unusableAddressReason(address) {
          let resolved = address == probe.host ? "" : " (resolves to \(address))"
          runProblems.append(
            ConfigProblem(sites[index].location, "site '\(sites[index].id)': probe host '\(probe.host)'\(resolved) \(reason)"))
        } else {
          sites[index].probe?.address = address
        }
      case .failure(let problem):
        runProblems.append(ConfigProblem(sites[index].location, "site '\(sites[index].id)': probe host '\(probe.host)' \(problem)"))
      }
    }
  }

  /// Probing that cannot keep its period or outlives it, said at the probing key written. Defaults cannot clash:
  /// the period follows `interval` and the timeout fits inside the period (see `ProbingSettings`).
  mutating func checkProbing(_ config: ConferenceConfig, section: Node?, timingSection: Node?) {
    let probedSites = config.sites.filter { $0.probe != nil }
    guard let firstProbed = probedSites.first else { return }
    let written = section?.mapping
    let period = config.probing.effectivePeriod(config.timing)
    let periodText =
      DurationText.format(period) + (config.probing.period == nil ? ", the timing interval, as no probing 'period' is given" : "")
    if let timeoutNode = written?["timeout"], let timeout = config.probing.timeout, timeout >= period {
      fail(timeoutNode, "probing 'timeout' (\(DurationText.format(timeout))) must be shorter than the probing period (\(periodText))")
    }
    if let periodNode = written?["period"], config.probing.period != nil, period >= config.timing.lateAfter {
      let late =
        timingSection?.mapping?["late_after"] == nil ? ", the default for interval \(DurationText.format(config.timing.interval))" : ""
      fail(
        periodNode,
        "probing 'period' (\(DurationText.format(period))) must be shorter than late_after (\(DurationText.format(config.timing.lateAfter))\(late)), or every probed site turns late between probes"
      )
    }
    let probed = probedSites.count
    let periodSeconds = Double(period.nanoseconds) / 1e9
    let needed = Double(probed) / periodSeconds
    if needed > Double(config.probing.ratePerSecond) {
      let stretched = Double(probed) / Double(config.probing.ratePerSecond)
      warnings.append(
        ConfigProblem(
          written?["rate"].map { at($0) } ?? section.map { at($0) } ?? firstProbed.location,
          "\(probed) probed sites every \(DurationText.format(period)) need \(Int(needed.rounded(.up))) probes/s, more than probing.rate (\(config.probing.ratePerSecond)); "
            + "each site is probed every \(String(format: "%.1f", stretched))s instead, so set late_after above that or raise the rate"))
    }
  }
}
