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
    // A call the bridge judges degraded or bad is a problem beside the row's others (good says nothing more).
    switch snapshot.bridge?.verdict(site: index) {
    case .degraded?: parts.insert(FlagPart(strings(.bridgeCellDegraded), isProblem: true), at: 0)
    case .bad?: parts.insert(FlagPart(strings(.bridgeCellBad), isProblem: true), at: 0)
    default: break
    }
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
    if bridge.verdictCount(.bad) > 0 { stats.append((3, strings(.headerBridgeBad, strings.number(bridge.verdictCount(.bad))), true)) }
    if bridge.verdictCount(.degraded) > 0 {
      stats.append((4, strings(.headerBridgeDegraded, strings.number(bridge.verdictCount(.degraded))), true))
    }
    // Participants no site claims are never dropped silently: their count goes before the header's plain figures.
    if bridge.unmatchedCount > 0 {
      stats.append((5, strings(.headerUnmatched, strings.number(bridge.unmatchedCount)), true))
    }
    stats.append((8, strings(.headerBridgeIn, strings.number(bridge.inBridgeCount)), false))
    // What the push receivers took: it informs (a refused body only makes the bridge polled at once), so it goes
    // first when the line is short.
    let (applied, refused) = pushedCounts(bridge.polls)
    if refused > 0 {
      stats.append((9, strings(.headerBridgeEventsRefused, strings.number(applied), strings.number(refused)), false))
    } else if applied > 0 {
      stats.append((9, strings(.headerBridgeEvents, strings.number(applied)), false))
    }
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
      if let arriving = leg.audioArriving { media.append(arriving ? strings(.bridgeAudioArriving) : strings(.bridgeAudioNotArriving)) }
      if !media.isEmpty { parts.append(strings(.detailBridgeMedia, media.joined(separator: ", "))) }
      if leg.legs > 1 { parts.append(strings(.detailBridgeLegs, leg.legs)) }
      lines.append([(label, .dim), (parts.joined(separator: "  ·  "), .normal)])
      // Audio asked for (admin_url) but not read: why, so that "nothing said" is not taken for "no problem".
      let unread = bridge.polls.compactMap { poll in poll.audioProblem.map { "\(poll.label): \($0)" } }
      if leg.audioArriving == nil, !unread.isEmpty {
        lines.append([(label, .dim), (strings(.detailBridgeAudioUnread, unread.joined(separator: "; ")), .dim)])
      }
      if let quality = bridgeQualityLine(leg.quality, label: label, strings: strings) { lines.append(quality) }
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
    // Each bridge pushed to (`events_listen`): what its receiver applied and refused, beside what its polls say.
    for poll in bridge.polls where poll.eventsApplied > 0 || poll.bodiesRefused > 0 {
      let (applied, refused) = pushedCounts([poll])
      lines.append([
        (label, .dim), (strings(.detailBridgePushed, poll.label, strings.number(applied), strings.number(refused)), .dim),
      ])
    }
    return lines
  }

  /// The receivers' events applied and bodies refused, summed over `polls`.
  static func pushedCounts(_ polls: [BridgePollState]) -> (applied: Int, refused: Int) {
    polls.reduce((0, 0)) { sum, poll in
      (sum.0 &+ Int(clamping: poll.eventsApplied), sum.1 &+ Int(clamping: poll.bodiesRefused))
    }
  }
}

// MARK: Bridge call quality (issue 32)

extension DashboardView {
  /// The detail pane's quality line: the verdict, the figures it was judged by, the bridge's own word and alarms;
  /// none when the bridge says nothing of the call (Janus).
  static func bridgeQualityLine(_ quality: BridgeQuality?, label: String, strings: Strings) -> [(String, Role)]? {
    guard let quality, let verdict = quality.verdict else { return nil }
    var parts = [strings(.detailBridgeQuality, strings.verdict(verdict))]
    if let loss = quality.lossPercent { parts.append(strings(.detailBridgeLoss, strings.percent(loss))) }
    if let jitter = quality.jitterMilliseconds { parts.append(strings(.detailBridgeJitter, Int(jitter.rounded()))) }
    if let roundTrip = quality.roundTripMilliseconds { parts.append(strings(.detailBridgeRoundTrip, Int(roundTrip.rounded()))) }
    if let word = quality.bridgeWord { parts.append(strings(.detailBridgeSays, word)) }
    if !quality.alarms.isEmpty { parts.append(strings(.detailBridgeAlarms, quality.alarms.joined(separator: ", "))) }
    return [(label, .dim), (parts.joined(separator: "  ·  "), verdict == .good ? .normal : .flag)]
  }
}
