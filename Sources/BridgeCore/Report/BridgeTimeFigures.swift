/// Time in the conference bridge and dropped calls, per site and session, from the journal's `bridge` records.
/// The rules are in docs/REPORT.md ("The conference bridge").
extension Timeline {
  /// A site coming into or going out of the bridge as the report counts it: 16 bytes a step.
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
    }
    var time: Double
    var site: Int32
    var state: State
  }

  /// The site's time in the bridge between `start` and `end` (the session's observed end), clipped to it the way
  /// `report(site:...)` clips its time online, and its leaves at a moment of the session before `sessionEnd`.
  func bridgeFigures(of report: inout SiteReport, from start: Double, to end: Double, sessionEnd: Double) {
    let changes = bridgeChanges(of: report.site)
    for position in changes.indices {
      let change = changes[position]
      let stepEnd = position + 1 < changes.endIndex ? changes[position + 1].time : Double.infinity
      switch change.state {
      case .joined, .carried:
        let clippedStart = max(change.time, start)
        let clippedEnd = min(stepEnd, end)
        if clippedEnd > clippedStart {
          report.bridgeSeconds += clippedEnd - clippedStart
          report.wasInBridge = true
        } else if change.time >= start && change.time <= end && change.time < sessionEnd {
          // In for no measurable time (the journal ends right after the join): still in the bridge in the session.
          report.wasInBridge = true
        }
      case .left:
        // Leaving as the session ends, or after, is hanging up; leaving while it runs is a dropped call.
        if change.time >= start && change.time <= end && change.time < sessionEnd { report.bridgeDrops += 1 }
      case .notWatched: break
      }
      if stepEnd > end { break }
    }
  }
}
