import BridgeCore

/// The hub's journal glue: what a journal created again under the running monitor starts with, and one write.
extension Monitor {
  /// The state to write first into a journal created again under the running monitor.
  static func checkpoint(_ intake: MonitorIntake, sites: [SiteConfig], now: ClockReading) -> [JournalRecord] {
    let (records, bridgeJoins) = intake.withState { ($0.engine.records.all, $0.bridges.checkpointRecords(unixSeconds: now.unixSeconds)) }
    return JournalRecord.checkpoint(records, sites: sites, unixSeconds: now.unixSeconds) + bridgeJoins
  }

  /// Writes to the journal now, on the loop (or leaves the records waiting): the problem the faces show when they
  /// wait. The synchronous path: the start, a role's change, an operator action before it is answered.
  @discardableResult
  func writeJournal(_ records: [JournalRecord], sync: Bool) -> String? {
    journal.write(records, sync: sync, now: clock.now())
  }
}

/// An operator action that came after the monitor's last tick: refused, for the journal is closed.
public struct MonitorStopped: Error, CustomStringConvertible {
  public var description: String { "the monitor is stopping" }
}
