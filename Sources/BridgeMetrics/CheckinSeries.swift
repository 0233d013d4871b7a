import BridgeCore
import Prometheus

// MARK: Check-in page (issue 33)

/// The check-in page's series (docs/METRICS.md, "Check-in page"): made at start only when `checkin.enabled`, a fixed
/// few whatever the roster. Each counter advances by what the input's counters gained since the last rendering.
struct CheckinSeries: Sendable {
  let heartbeats: Counter
  let pages: Counter
  let accepted: Counter
  let duplicates: Counter
  let refused: [Counter]  // indexed like CheckinRefusal.allCases

  init(registry: CountingRegistry, heartbeatsHelp: String) {
    heartbeats = registry.counter("bridgewatch_heartbeats_accepted_total", labels: [("source", "checkin")], help: heartbeatsHelp)
    pages = registry.counter("bridgewatch_checkin_pages_served_total", help: "Check-in forms served (a known link opened)")
    let submissions = "Check-in forms sent, by outcome (accepted: applied as a heartbeat; duplicate: the same form again, not applied)"
    accepted = registry.counter("bridgewatch_checkin_submissions_total", labels: [("outcome", "accepted")], help: submissions)
    duplicates = registry.counter("bridgewatch_checkin_submissions_total", labels: [("outcome", "duplicate")], help: submissions)
    refused = CheckinRefusal.allCases.map { reason in
      registry.counter(
        "bridgewatch_checkin_refused_total", labels: [("reason", reason.rawValue)],
        help: "Check-in requests refused, by reason (\(CheckinRefusal.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
  }

  func update(from counters: CheckinCounters, exported: CheckinCounters) {
    heartbeats.increment(by: Self.delta(counters.accepted, exported.accepted))
    pages.increment(by: Self.delta(counters.pagesServed, exported.pagesServed))
    accepted.increment(by: Self.delta(counters.accepted, exported.accepted))
    duplicates.increment(by: Self.delta(counters.duplicates, exported.duplicates))
    for (index, reason) in CheckinRefusal.allCases.enumerated() {
      refused[index].increment(by: Self.delta(counters[reason], exported[reason]))
    }
  }

  private static func delta(_ now: UInt64, _ before: UInt64) -> Int64 { now > before ? Int64(now - before) : 0 }
}
