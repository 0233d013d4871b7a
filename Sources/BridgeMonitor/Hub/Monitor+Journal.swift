import BridgeCore

/// The hub's journal glue: what a journal created again under the running monitor starts with, and one write.
extension Monitor {
  /// The state to write first into a journal created again under the running monitor.
  func checkpoint(_ now: ClockReading) -> () -> [JournalRecord] {
    { [self] in
      let (records, bridgeJoins) = intake.withState { ($0.engine.records, $0.bridges.checkpointRecords(unixSeconds: now.unixSeconds)) }
      return JournalRecord.checkpoint(records, sites: config.sites, unixSeconds: now.unixSeconds) + bridgeJoins
    }
  }

  /// Writes to the journal (or leaves the records waiting): the problem the faces show when they wait.
  @discardableResult
  func writeJournal(_ records: [JournalRecord], sync: Bool) -> String? {
    let now = clock.now()
    return owned.value.journal.write(records, sync: sync, now: now, checkpoint: checkpoint(now))
  }
}

/// An operator action that came after the monitor's last tick: refused, for the journal is closed.
public struct MonitorStopped: Error, CustomStringConvertible {
  public var description: String { "the monitor is stopping" }
}
