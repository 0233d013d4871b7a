// MARK: Bridge (issue 32)

/// The status file's bridge parts (README "The status file"): a `bridges` summary at the top
/// and a `bridge` object in each site, both only when the config has `bridges:`.
extension StatusFileEncoder {
  static func bridgeSummary(_ view: BridgeView, into out: inout JSONWriter) {
    out.raw(",\n  \"bridges\": {\"in_bridge\": ")
    out.int(view.inBridgeCount)
    out.raw(", \"in_bridge_agent_silent\": ")
    out.int(view.agentSilentCount)
    out.raw(", \"agent_alive_not_in_bridge\": ")
    out.int(view.notInBridgeCount)
    out.raw(", \"unmatched\": ")
    out.int(view.unmatchedCount)
    out.raw(", \"quality\": {")
    for (position, verdict) in BridgeVerdict.allCases.enumerated() {
      out.raw(position == 0 ? "\"" : ", \"")
      out.raw(verdict.rawValue + "\": ")
      out.int(view.verdictCount(verdict))
    }
    out.raw("}, \"polls\": [")
    for (position, poll) in view.polls.enumerated() {
      out.raw(position == 0 ? "{\"bridge\": " : ", {\"bridge\": ")
      out.string(poll.label)
      out.raw(", \"last_success\": ")
      if let at = poll.lastSuccess { out.number(at, decimals: 3) } else { out.raw("null") }
      out.raw(", \"problem\": ")
      if let problem = poll.problem { out.string(problem) } else { out.raw("null") }
      out.raw(", \"audio_problem\": ")
      if let problem = poll.audioProblem { out.string(problem) } else { out.raw("null") }
      out.raw(", \"participants\": ")
      out.int(poll.participants)
      out.raw(", \"unmatched\": ")
      out.int(poll.currentUnmatchedCount)
      out.raw(", \"unmatched_names\": [")
      for (index, name) in poll.unmatchedNames.enumerated() {
        if index > 0 { out.raw(", ") }
        out.string(name)
      }
      out.raw("], \"polls\": ")
      out.int(poll.polls)
      out.raw(", \"failures\": ")
      out.int(poll.failures)
      out.raw(", \"sessions_renewed\": ")
      out.int(poll.sessionsRenewed)
      out.raw(", \"events_applied\": ")
      out.int(poll.eventsApplied)
      out.raw(", \"bodies_refused\": ")
      out.int(poll.bodiesRefused)
      out.raw("}")
    }
    out.raw("]}")
  }

  static func bridgeSite(_ index: Int, _ view: BridgeView, into out: inout JSONWriter) {
    out.raw(", \"bridge\": {\"state\": ")
    switch view.sites[index] {
    case .inBridge(let leg):
      out.raw("\"in\", \"since\": ")
      out.number(leg.since, decimals: 3)
      out.raw(", \"legs\": ")
      out.int(leg.legs)
      for (key, value) in [
        ("muted", leg.muted), ("talking", leg.talking), ("media_up", leg.mediaUp), ("audio_arriving", leg.audioArriving),
      ] {
        out.raw(", \"\(key)\": ")
        out.raw(value.map { $0 ? "true" : "false" } ?? "null")
      }
      bridgeQuality(leg.quality, into: &out)
    case .notInBridge: out.raw("\"out\"")
    case .unknown: out.raw("\"unknown\"")
    }
    out.raw(", \"disagreement\": ")
    switch view.disagreements[index] {
    case .inBridgeAgentSilent?: out.raw("\"in_bridge_agent_silent\"")
    case .aliveNotInBridge?: out.raw("\"agent_alive_not_in_bridge\"")
    case nil: out.raw("null")
    }
    out.raw("}")
  }
}

// MARK: Bridge call quality (issue 32)

extension StatusFileEncoder {
  /// A site's `quality` in its `bridge` object (README "The status file"): `verdict` (good, degraded, bad, or null
  /// when the bridge gives nothing to judge by), `loss_percent`, `jitter_ms`, `rtt_ms`, `bridge_verdict` (the
  /// bridge's own word), `alarms`; a figure the bridge does not give is null.
  static func bridgeQuality(_ quality: BridgeQuality?, into out: inout JSONWriter) {
    out.raw(", \"quality\": {\"verdict\": ")
    if let verdict = quality?.verdict { out.string(verdict.rawValue) } else { out.raw("null") }
    for (key, value) in [
      ("loss_percent", quality?.lossPercent), ("jitter_ms", quality?.jitterMilliseconds), ("rtt_ms", quality?.roundTripMilliseconds),
    ] {
      out.raw(", \"\(key)\": ")
      if let value { out.number(value, decimals: 2) } else { out.raw("null") }
    }
    out.raw(", \"bridge_verdict\": ")
    if let word = quality?.bridgeWord { out.string(word) } else { out.raw("null") }
    out.raw(", \"alarms\": [")
    for (index, alarm) in (quality?.alarms ?? []).enumerated() {
      if index > 0 { out.raw(", ") }
      out.string(alarm)
    }
    out.raw("]}")
  }
}

/// What of the bridges makes the status file be written at once (`StatusFileSchedule`): a site in or out, a
/// disagreement, a bridge failing or back, the unmatched count. Media figures and poll counts wait for the refresh.
struct BridgeTriggers: Equatable {
  /// Per site: its state (0 out, 1 in, 2 unknown) plus 4 × its disagreement (0 none, 1 agent silent, 2 not in) plus
  /// 16 × its verdict (0 none, 1 good, 2 degraded, 3 bad).
  var sites: [UInt8]
  var problems: [String?]
  var unmatched: Int

  init(_ view: BridgeView) {
    sites = zip(view.sites, view.disagreements).map { state, disagreement in
      let stateCode: UInt8 =
        switch state {
        case .notInBridge: 0
        case .inBridge: 1
        case .unknown: 2
        }
      let disagreementCode: UInt8 =
        switch disagreement {
        case nil: 0
        case .inBridgeAgentSilent?: 1
        case .aliveNotInBridge?: 2
        }
      // A change of the call-quality verdict is written at once too (its figures wait for the refresh).
      let verdictCode: UInt8 =
        switch state {
        case .inBridge(let leg): leg.quality?.verdict.map { UInt8(BridgeVerdict.allCases.firstIndex(of: $0)! + 1) } ?? 0
        default: 0
        }
      return stateCode + 4 * disagreementCode + 16 * verdictCode
    }
    problems = view.polls.map { $0.isKnown ? nil : ($0.problem ?? "not read yet") }
    unmatched = view.unmatchedCount
  }
}
