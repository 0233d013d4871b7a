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
    out.raw(", \"polls\": [")
    for (position, poll) in view.polls.enumerated() {
      out.raw(position == 0 ? "{\"bridge\": " : ", {\"bridge\": ")
      out.string(poll.label)
      out.raw(", \"last_success\": ")
      if let at = poll.lastSuccess { out.number(at, decimals: 3) } else { out.raw("null") }
      out.raw(", \"problem\": ")
      if let problem = poll.problem { out.string(problem) } else { out.raw("null") }
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
      for (key, value) in [("muted", leg.muted), ("talking", leg.talking), ("media_up", leg.mediaUp)] {
        out.raw(", \"\(key)\": ")
        out.raw(value.map { $0 ? "true" : "false" } ?? "null")
      }
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

/// What of the bridges makes the status file be written at once (`StatusFileSchedule`): a site in or out, a
/// disagreement, a bridge failing or back, the unmatched count. Media figures and poll counts wait for the refresh.
struct BridgeTriggers: Equatable {
  /// Per site: its state (0 out, 1 in, 2 unknown) plus 4 × its disagreement (0 none, 1 agent silent, 2 not in).
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
      return stateCode + 4 * disagreementCode
    }
    problems = view.polls.map { $0.isKnown ? nil : ($0.problem ?? "not read yet") }
    unmatched = view.unmatchedCount
  }
}
