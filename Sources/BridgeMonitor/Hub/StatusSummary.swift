import BridgeCore
import Foundation

/// What `bridgewatch status` prints of a running monitor, from its console socket's answer (`ConsoleClient.status`).
public enum StatusSummary {
  /// At most this many sites to call are listed; the dashboard's `!` has them all.
  public static let problemLines = 15

  public static func text(_ status: ConsoleClient.Status, socketPath: String, utcOffsetSeconds: Int, strings: Strings = .english) -> String
  {
    let snapshot = status.mirror.snapshot
    let total = snapshot.rollups[0]
    let counts = total.statusCounts
    func number(_ value: Int) -> String { strings.number(value) }
    var lines = [
      strings(.statusMonitor, snapshot.title, status.welcome.pid, socketPath),
      strings(
        .statusSites, number(total.siteCount), number(counts[.online]), number(counts[.late]), number(counts[.offline]),
        number(counts[.marked]), number(counts[.unknown])),
      strings(.statusAttendance, number(total.reportedHeadcount), number(total.expectedHeadcount))
        + (total.attendancePercent.map { " (\(strings.percent($0)))" } ?? ""),
      strings(.statusAlerts, number(total.unacknowledgedAlerts), number(total.helpRequests), number(total.flapping)),
    ]
    if let role = snapshot.role, role != .primary {
      lines.insert(
        roleLine(
          role, utcOffsetSeconds: utcOffsetSeconds, promoteCommand: status.mirror.facts.promoteCommand ?? "bridgewatch promote CONFIG",
          strings: strings), at: 1)
    }
    if let bridge = snapshot.bridge { lines.append(bridgeLine(bridge, strings: strings)) }
    let claimed = snapshot.records.filter { $0.claim != nil }.count
    if claimed > 0 { lines.append(strings(.statusClaimed, number(claimed))) }
    if let problem = snapshot.journalProblem { lines.append(strings(.journalNotWritten, problem)) }
    if let note = snapshot.clockNote, note.clockLooksOff {
      lines.append(strings(.clockOff, number(note.staleSigned), number(note.staleSigned + note.acceptedSigned)))
    }
    lines += sitesToCall(snapshot, strings: strings)
    lines.append(strings(.statusConsoles, status.consoles.consoles.count))
    for console in status.consoles.consoles {
      let who = OperatorIdentity(name: console.operatorName, unixUser: console.unixUser).displayName
      var line = "  \(who)"
      if console.readOnly { line += strings(.statusConsoleReadOnly) }
      if let group = console.group { line += strings(.statusConsoleGroup, group) }
      line += strings(.statusConsoleSince, LocalTimeText.format(console.since, utcOffsetSeconds: utcOffsetSeconds))
      lines.append(line)
    }
    // Names and notes come from another process: each stays on its own line.
    return TextSanitizer.joinedLines(lines)
  }

  // MARK: Bridge on consoles (issue 32)

  /// The bridges' figures, as the dashboard's header says them (the monitor's own counts, from the console protocol).
  static func bridgeLine(_ bridge: BridgeView, strings: Strings) -> String {
    func number(_ value: Int) -> String { strings.number(value) }
    var parts = [
      strings(.headerBridgeIn, number(bridge.inBridgeCount)), strings(.headerAgentSilent, number(bridge.agentSilentCount)),
      strings(.headerNotInBridge, number(bridge.notInBridgeCount)), strings(.headerUnmatched, number(bridge.unmatchedCount)),
    ]
    if bridge.verdictCount(.degraded) > 0 { parts.append(strings(.headerBridgeDegraded, number(bridge.verdictCount(.degraded)))) }
    if bridge.verdictCount(.bad) > 0 { parts.append(strings(.headerBridgeBad, number(bridge.verdictCount(.bad)))) }
    let failing = bridge.polls.filter { !$0.isKnown }.count
    if failing > 0 { parts.append(strings(.headerBridgeFailing, number(failing))) }
    return parts.joined(separator: "  ·  ")
  }

  /// The sites someone should call now (offline, late, asking for help), worst first, each with its contact: the
  /// number to call is what a control room needs from `status` on a phone's SSH session.
  public static func sitesToCall(_ snapshot: MonitorSnapshot, strings: Strings) -> [String] {
    let problems = snapshot.records.indices.filter { index in
      let record = snapshot.records[index]
      return record.status == .offline || record.status == .late || record.flags.contains(.helpRequested)
    }.sorted { snapshot.records[$0].status.severity > snapshot.records[$1].status.severity }
    guard !problems.isEmpty else { return [] }
    var lines = [strings(.statusProblems)]
    for index in problems.prefix(problemLines) {
      let site = snapshot.sites[index]
      let record = snapshot.records[index]
      var line = "  \(site.id)  \(site.name): \(strings.status(record.status))"
      if record.flags.contains(.helpRequested) { line += ", " + strings(.flagHelp) }
      if record.countProblem != nil { line += ", " + strings(.flagCountFileUnreadable) }
      if let contact = site.contact { line += " · " + strings(.statusContact, contact) }
      lines.append(line)
    }
    if problems.count > problemLines { lines.append(strings(.statusProblemsMore, strings.number(problems.count - problemLines))) }
    return lines
  }
}

extension StatusSummary {
  /// What `status` says of a monitor in a pair: a standby and its primary's last word, a promotion, a replacement.
  public static func roleLine(_ role: MonitorRole, utcOffsetSeconds: Int, promoteCommand: String, strings: Strings = .english) -> String {
    func time(_ unixSeconds: Double) -> String { LocalTimeText.format(unixSeconds, utcOffsetSeconds: utcOffsetSeconds) }
    if let replaced = role.replacedBy { return strings(.statusReplaced, replaced.peer, time(replaced.promotedAt)) }
    if let promotedAt = role.promotedAt { return strings(.statusPromoted, time(promotedAt)) }
    var line = strings(.statusStandbyOf, role.following ?? "?")
    if let since = role.primarySilentSince {
      line += strings(.statusPrimarySilent, time(since), promoteCommand)
    } else {
      line += strings(.statusPrimaryLastHeard, role.lastPrimaryContact.map(time) ?? strings(.never))
    }
    if let problem = role.linkProblem { line += strings(.statusLink, problem) }
    return line
  }
}
