/// Time in the conference bridge, dropped calls and time with the call degraded or bad, per site and session, from
/// the journal's `bridge` and `bridge_quality` records. The rules are in docs/REPORT.md ("The conference bridge").
extension Timeline {
  /// A site coming into or going out of the bridge as the report counts it, or its call's verdict changing: 16
  /// bytes a step.
  struct BridgeStep: Sendable, TimedStep {
    enum State: UInt8, Sendable {
      /// A journaled join: in from here.
      case joined
      /// A journaled leave: out from here, and a dropped call when it falls in a session.
      case left
      /// A stop or start: the monitor did not watch the bridge from here; never a leave.
      case notWatched
      /// A start with one bridge: the site the previous run had in the bridge is in again, as the restarted
      /// monitor takes it back (its first poll journals a leave if it is gone).
      case carried
      /// The bridge's verdict on the site's call from here (`bridge_quality`), or none.
      case good, degraded, bad, noVerdict
      /// The site's disagreement between the bridge and its heartbeats from here (`bridge_disagreement`), or none.
      case agentSilent, aliveNotInBridge, agreeing

      init(disagreement word: String?) {
        self =
          switch word.flatMap(BridgeDisagreement.init(journalWord:)) {
          case .inBridgeAgentSilent: .agentSilent
          case .aliveNotInBridge: .aliveNotInBridge
          case nil: .agreeing
          }
      }

      init(verdict: String?) {
        self =
          switch verdict.flatMap(BridgeVerdict.init(rawValue:)) {
          case .good: .good
          case .degraded: .degraded
          case .bad: .bad
          case nil: .noVerdict
          }
      }
    }
    var time: Double
    var site: Int32
    var state: State
  }

  /// The site's time in the bridge between `start` and `end` (the session's observed end), clipped to it the way
  /// `report(site:...)` clips its time online, and its leaves at a moment of the session before `sessionEnd`; of
  /// that time, how long the bridge said its call was degraded, and bad. A leave, a stop or a start ends a verdict:
  /// the next call's, or the restarted monitor's next poll's, comes with its own record. And the time in each
  /// disagreement, as the monitor journaled it (a stop or start ends one: the restarted monitor journals it anew).
  func bridgeFigures(of report: inout SiteReport, from start: Double, to end: Double, sessionEnd: Double) {
    var inBridge = false
    var verdict = BridgeStep.State.noVerdict
    var disagreement = BridgeStep.State.agreeing
    var since = -Double.infinity
    /// Adds the time from `since` to `until`, clipped to the session, to what the state then was.
    func account(until: Double) {
      let seconds = min(until, end) - max(since, start)
      guard seconds > 0 else { return }
      if disagreement == .agentSilent { report.agentSilentSeconds += seconds }
      if disagreement == .aliveNotInBridge { report.aliveNotInBridgeSeconds += seconds }
      guard inBridge else { return }
      report.bridgeSeconds += seconds
      report.wasInBridge = true
      if verdict == .degraded { report.callDegradedSeconds += seconds }
      if verdict == .bad { report.callBadSeconds += seconds }
    }
    for change in bridgeChanges(of: report.site) {
      if change.time > end { break }
      account(until: change.time)
      since = change.time
      switch change.state {
      case .joined, .carried:
        inBridge = true
        if change.time >= start && change.time < sessionEnd {
          // In for no measurable time (the journal ends right after the join): still in the bridge in the session.
          report.wasInBridge = true
        }
      case .left:
        // Leaving as the session ends, or after, is hanging up; leaving while it runs is a dropped call.
        if change.time >= start && change.time < sessionEnd { report.bridgeDrops += 1 }
        inBridge = false
        verdict = .noVerdict
      case .notWatched:
        inBridge = false
        verdict = .noVerdict
        disagreement = .agreeing
      case .good, .degraded, .bad, .noVerdict:
        verdict = change.state
      case .agentSilent, .aliveNotInBridge, .agreeing:
        disagreement = change.state
      }
    }
    account(until: .infinity)
  }
}
