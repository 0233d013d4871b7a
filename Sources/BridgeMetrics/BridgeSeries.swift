import BridgeCore
import Prometheus

// MARK: Bridge (issue 32)

/// The conference bridges' series (docs/METRICS.md, "Conference bridge"): made at start only when the config has
/// `bridges:`, a fixed few per bridge whatever the roster. Gauges come from the snapshot's `BridgeView`; counters
/// advance by what the view's poll counts gained since the last rendering.
struct BridgeSeries: Sendable {
  let inBridge: Gauge
  let agentSilent: Gauge
  let notInBridge: Gauge
  /// Per bridge, in config order.
  let up: [Gauge]
  let lastSuccess: [Gauge]
  let participants: [Gauge]
  let unmatched: [Gauge]
  let polls: [Counter]
  let failures: [Counter]
  let sessionsRenewed: [Counter]
  let eventsApplied: [Counter]
  let bodiesRefused: [Counter]
  /// Bridge points in a bridge by call-quality verdict, indexed like `BridgeVerdict.allCases`.
  let verdicts: [Gauge]
  /// Bridge points in a bridge whose audio Janus's Admin API says is arriving, and is not (`admin_url`).
  let audioArriving: Gauge
  let audioNotArriving: Gauge

  init?(config: ConferenceConfig, registry: CountingRegistry) {
    guard !config.bridges.isEmpty else { return nil }
    inBridge = registry.gauge("bridgewatch_bridge_sites_in", help: "Bridge points in a conference bridge's roster (any bridge)")
    let disagreement =
      "Bridge points whose bridge roster and heartbeats disagree (README \"Status rules\"): in_bridge_agent_silent, agent_alive_not_in_bridge"
    agentSilent = registry.gauge("bridgewatch_bridge_disagreements", labels: [("kind", "in_bridge_agent_silent")], help: disagreement)
    notInBridge = registry.gauge("bridgewatch_bridge_disagreements", labels: [("kind", "agent_alive_not_in_bridge")], help: disagreement)
    verdicts = BridgeVerdict.allCases.map {
      registry.gauge(
        "bridgewatch_bridge_quality_sites", labels: [("verdict", $0.rawValue)],
        help: "Bridge points in a conference bridge by the call quality it gives (docs/BRIDGES.md \"Call quality\"): good, degraded, bad")
    }
    let audioHelp =
      "Bridge points in a Janus room whose audio is arriving or not, by its Admin API (docs/BRIDGES.md \"Media through the Admin API\"); sites not read are in neither"
    audioArriving = registry.gauge("bridgewatch_bridge_audio_sites", labels: [("audio", "arriving")], help: audioHelp)
    audioNotArriving = registry.gauge("bridgewatch_bridge_audio_sites", labels: [("audio", "not_arriving")], help: audioHelp)
    let labels = config.bridges.map { [("bridge", $0.label)] }
    up = labels.map {
      registry.gauge("bridgewatch_bridge_up", labels: $0, help: "1 while the bridge's last roster poll succeeded, else 0")
    }
    lastSuccess = labels.map {
      registry.gauge(
        "bridgewatch_bridge_last_poll_timestamp_seconds", labels: $0,
        help: "When the bridge's roster was last read, as a Unix time; 0 if not yet")
    }
    participants = labels.map {
      registry.gauge("bridgewatch_bridge_participants", labels: $0, help: "Participants in the bridge's room at the last poll")
    }
    unmatched = labels.map {
      registry.gauge(
        "bridgewatch_bridge_unmatched_participants", labels: $0,
        help: "Participants of the bridge's room matched to no bridge point at the last poll")
    }
    polls = labels.map {
      registry.counter("bridgewatch_bridge_polls_total", labels: $0, help: "Roster polls of the bridge, answered or not")
    }
    failures = labels.map {
      registry.counter("bridgewatch_bridge_poll_failures_total", labels: $0, help: "Roster polls of the bridge that brought no roster")
    }
    sessionsRenewed = labels.map {
      registry.counter(
        "bridgewatch_bridge_sessions_renewed_total", labels: $0,
        help: "Times the bridge had lost the monitor's API session (a Janus restart) and a new one was made")
    }
    eventsApplied = labels.map {
      registry.counter(
        "bridgewatch_bridge_events_applied_total", labels: $0,
        help: "Joins and leaves the bridge pushed to its events_listen receiver that changed the roster")
    }
    bodiesRefused = labels.map {
      registry.counter(
        "bridgewatch_bridge_event_bodies_refused_total", labels: $0,
        help: "Bodies the bridge pushed that its receiver answered other than 200 (the bridge is polled instead)")
    }
  }

  /// Sets the gauges from `view` and advances the counters past `exported` (the polls as last rendered).
  func update(from view: BridgeView, exported: inout [BridgePollState]) {
    inBridge.set(to: Double(view.inBridgeCount))
    agentSilent.set(to: Double(view.agentSilentCount))
    notInBridge.set(to: Double(view.notInBridgeCount))
    for (index, verdict) in BridgeVerdict.allCases.enumerated() { verdicts[index].set(to: Double(view.verdictCount(verdict))) }
    var arriving = 0
    var notArriving = 0
    for case .inBridge(let leg) in view.sites {
      if leg.audioArriving == true { arriving += 1 } else if leg.audioArriving == false { notArriving += 1 }
    }
    audioArriving.set(to: Double(arriving))
    audioNotArriving.set(to: Double(notArriving))
    for (index, poll) in view.polls.enumerated() where index < up.count {
      up[index].set(to: poll.isKnown ? 1 : 0)
      lastSuccess[index].set(to: poll.lastSuccess ?? 0)
      participants[index].set(to: Double(poll.participants))
      unmatched[index].set(to: Double(poll.currentUnmatchedCount))
      let before = index < exported.count ? exported[index] : BridgePollState(label: poll.label)
      polls[index].increment(by: Int64(poll.polls &- min(poll.polls, before.polls)))
      failures[index].increment(by: Int64(poll.failures &- min(poll.failures, before.failures)))
      sessionsRenewed[index].increment(by: Int64(poll.sessionsRenewed &- min(poll.sessionsRenewed, before.sessionsRenewed)))
      eventsApplied[index].increment(by: Int64(poll.eventsApplied &- min(poll.eventsApplied, before.eventsApplied)))
      bodiesRefused[index].increment(by: Int64(poll.bodiesRefused &- min(poll.bodiesRefused, before.bodiesRefused)))
    }
    exported = view.polls
  }
}

// MARK: Bridge call quality (issue 32)

/// A bridge point's call-quality figures as its bridge gives them (docs/METRICS.md "Conference bridge"): loss,
/// jitter and round trip, NaN while the bridge gives none (the site is not in, or not yet asked). Made only with
/// `metrics.per_site` and a bridge that gives figures (`BridgeSettings.givesQualityFigures`: CMS, a Janus room with
/// `admin_url`); else no series at all.
struct BridgeQualityFamilies: Sendable {
  var loss: GaugeFamily
  var jitter: GaugeFamily
  var roundTrip: GaugeFamily
  let enabled: Bool

  init(config: ConferenceConfig) {
    enabled = config.metrics.perSite && config.bridges.contains(where: \.givesQualityFigures)
    let count = enabled ? config.sites.count : 0
    loss = GaugeFamily(
      name: "bridgewatch_site_bridge_packet_loss_percent",
      help: "Packet loss of a bridge point's media as its conference bridge receives it, in percent; NaN when the bridge gives none",
      expectedSeries: count)
    jitter = GaugeFamily(
      name: "bridgewatch_site_bridge_jitter_seconds",
      help: "Jitter of a bridge point's media as its conference bridge receives it; NaN when the bridge gives none", expectedSeries: count)
    roundTrip = GaugeFamily(
      name: "bridgewatch_site_bridge_round_trip_seconds",
      help: "Round trip between the conference bridge and a bridge point; NaN when the bridge gives none", expectedSeries: count)
  }

  var families: [GaugeFamily] { enabled ? [loss, jitter, roundTrip] : [] }

  /// Each site's series, NaN until the bridge gives a figure; the labels are the other per-site gauges'.
  mutating func adopt(_ series: SeriesLabels) {
    guard enabled else { return }
    loss.adopt(series, value: .nan)
    jitter.adopt(series, value: .nan)
    roundTrip.adopt(series, value: .nan)
  }

  mutating func update(from view: BridgeView) {
    guard enabled else { return }
    for index in view.sites.indices where index < loss.count {
      var quality: BridgeQuality?
      if case .inBridge(let leg) = view.sites[index] { quality = leg.quality }
      loss.values[index] = quality?.lossPercent ?? .nan
      // In seconds, Prometheus's base unit (promtool refuses a name in milliseconds).
      jitter.values[index] = quality?.jitterMilliseconds.map { $0 / 1_000 } ?? .nan
      roundTrip.values[index] = quality?.roundTripMilliseconds.map { $0 / 1_000 } ?? .nan
    }
  }
}
