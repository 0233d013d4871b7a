import BridgeCore

// MARK: Bridge (issue 32)

/// The conference bridge on the dashboard: a part in each site row's flags (the two disagreements as problems,
/// in or out of the bridge plain), the header's counts, and the detail pane's lines. Nothing shows without
/// `bridges:`.
extension DashboardView {
  static func bridgeFlag(_ snapshot: MonitorSnapshot, site index: Int, strings: Strings) -> FlagPart? {
    guard let bridge = snapshot.bridge, index < bridge.sites.count else { return nil }
    switch bridge.disagreements[index] {
    case .inBridgeAgentSilent?: return FlagPart(strings(.bridgeCellSilent), isProblem: true)
    case .aliveNotInBridge?: return FlagPart(strings(.bridgeCellAbsent), isProblem: true)
    case nil: break
    }
    switch bridge.sites[index] {
    case .inBridge: return FlagPart(strings(.bridgeCellIn), isProblem: false)
    case .notInBridge: return FlagPart(strings(.bridgeCellOut), isProblem: false)
    case .unknown: return FlagPart(strings(.bridgeCellUnknown), isProblem: false)
    }
  }

  /// A row's flag parts with the bridge's: a disagreement first (it is what to act on), in or out last.
  static func flagPartsWithBridge(
    _ snapshot: MonitorSnapshot, site index: Int, recoverAfter: Int, strings: Strings, probed: Bool
  ) -> [FlagPart] {
    var parts = flagParts(snapshot.records[index], recoverAfter: recoverAfter, strings: strings, probed: probed)
    guard let part = bridgeFlag(snapshot, site: index, strings: strings) else { return parts }
    if part.isProblem { parts.insert(part, at: 0) } else { parts.append(part) }
    return parts
  }

  /// The header's bridge counts: (rank, label, value, alert) in the header's terms.
  static func bridgeStats(_ snapshot: MonitorSnapshot, strings: Strings) -> [(rank: Int, text: String, alert: Bool)] {
    guard let bridge = snapshot.bridge else { return [] }
    var stats: [(rank: Int, text: String, alert: Bool)] = []
    let failing = bridge.polls.filter { !$0.isKnown }.count
    if failing > 0 { stats.append((1, strings(.headerBridgeFailing, strings.number(failing)), true)) }
    if bridge.agentSilentCount > 0 {
      stats.append((2, strings(.headerAgentSilent, strings.number(bridge.agentSilentCount)), true))
    }
    if bridge.notInBridgeCount > 0 {
      stats.append((2, strings(.headerNotInBridge, strings.number(bridge.notInBridgeCount)), true))
    }
    // Participants no site claims are never dropped silently: their count goes before the header's plain figures.
    if bridge.unmatchedCount > 0 {
      stats.append((5, strings(.headerUnmatched, strings.number(bridge.unmatchedCount)), true))
    }
    stats.append((8, strings(.headerBridgeIn, strings.number(bridge.inBridgeCount)), false))
    return stats
  }

  /// The detail pane's bridge lines: in or out and since when, what Janus says of the leg, the disagreement.
  static func bridgeDetailLines(
    _ snapshot: MonitorSnapshot, site index: Int, strings: Strings, time: (Double) -> String
  ) -> [[(String, Role)]] {
    guard let bridge = snapshot.bridge, index < bridge.sites.count else { return [] }
    let label = strings(.detailBridge) + ": "
    var lines: [[(String, Role)]] = []
    switch bridge.sites[index] {
    case .inBridge(let leg):
      let ago = ageText(max(0, snapshot.takenAt.unixSeconds - leg.since))
      var parts = [strings(.detailBridgeIn, time(leg.since), ago)]
      var media: [String] = []
      if let muted = leg.muted { media.append(muted ? strings(.bridgeMuted) : strings(.bridgeUnmuted)) }
      if leg.talking == true { media.append(strings(.bridgeTalking)) }
      if let up = leg.mediaUp { media.append(up ? strings(.bridgeMediaUp) : strings(.bridgeMediaDown)) }
      if !media.isEmpty { parts.append(strings(.detailBridgeMedia, media.joined(separator: ", "))) }
      if leg.legs > 1 { parts.append(strings(.detailBridgeLegs, leg.legs)) }
      lines.append([(label, .dim), (parts.joined(separator: "  ·  "), .normal)])
    case .notInBridge:
      let read = bridge.polls.compactMap(\.lastSuccess).min().map(time) ?? "–"
      lines.append([(label, .dim), (strings(.detailBridgeOut, read), .normal)])
    case .unknown:
      let problems = bridge.polls.filter { !$0.isKnown }.map { "\($0.label): \($0.problem ?? strings(.never))" }
      lines.append([(label, .dim), (strings(.detailBridgeUnknown, problems.joined(separator: "; ")), .dim)])
    }
    let heartbeats = strings.status(snapshot.records[index].heartbeatStatus)
    switch bridge.disagreements[index] {
    case .inBridgeAgentSilent?: lines.append([(label, .dim), (strings(.detailBridgeAgentSilent, heartbeats), .flag)])
    case .aliveNotInBridge?: lines.append([(label, .dim), (strings(.detailBridgeNotIn, heartbeats), .flag)])
    case nil: break
    }
    return lines
  }
}
