import BridgeCore
import Logging
import NIOCore

/// The journal as one of the hub's outputs: each tick's update is journaled as it comes (its status changes, the
/// clock's and the bridges' records, the headcount samples that are due, fsynced), and the final one with the last
/// samples, the stop and the checkpoint, before the file is closed. `JournalLog` keeps the state between them.
///
/// Not a pure `MonitorOutput`, by one hook: an operator action must be on disk before it is answered, and the hub
/// answers before any update carries the action, so the hub writes an action's records (and the start, a role's
/// change) through `write(_:sync:now:)`, synchronously on its loop, and shows `problem` on each snapshot it
/// publishes. An update says how many of its events were so written (`eventsJournaled`): they are not written
/// twice. A tick's own records that wait show on the faces from the next publish. Runs on the hub's loop only:
/// the state is in a loop-bound box, which traps elsewhere.
public final class JournalRecorder: MonitorOutput {
  private let log: NIOLoopBoundBox<JournalLog>
  /// The state to write first into a journal created again under the running monitor.
  private let checkpoint: @Sendable (ClockReading) -> [JournalRecord]

  /// `restored` is what an earlier run left in `file`; `checkpoint` reads the hub's state (under its lock).
  init(
    file: sending JournalFile?, sites: [SiteConfig], restored: [RestoredSite], logger: Logger,
    healthObserver: (any MonitorHealthObserver)?, loop: any EventLoop,
    checkpoint: @escaping @Sendable (ClockReading) -> [JournalRecord]
  ) {
    log = .makeBoxSendingValue(
      JournalLog(file: file, sites: sites, restored: restored, logger: logger, healthObserver: healthObserver), eventLoop: loop)
    self.checkpoint = checkpoint
  }

  /// The journal is open since it was replayed; the hub writes its start through `write` before its first tick.
  public func start(facts: ConsoleFacts) async throws {}

  /// A tick's update: its batch. The final one: its batch, then the stop and the checkpoint, and the file is
  /// closed. Any other update (an action's, a face's request) brings nothing the journal lacks.
  public func receive(_ update: MonitorUpdate) {
    log.value.noteChanges(update.snapshot)
    guard update.isTick || update.isFinal else { return }
    let now = update.snapshot.takenAt
    let state = { [checkpoint] in checkpoint(now) }
    log.value.recordTick(
      clock: update.journalRecords, events: Array(update.events.dropFirst(update.eventsJournaled)), snapshot: update.snapshot,
      now: now, checkpoint: state)
    if update.isFinal { log.value.recordStop(update.snapshot.records, now: now, checkpoint: state) }
  }

  /// Nothing is left: the final update wrote the stop and closed the file.
  public func stop() async {}

  // MARK: The hook the synchronous path needs

  /// Writes `records` now (fsynced with `sync`), or leaves them waiting: the problem the faces show when they wait.
  func write(_ records: [JournalRecord], sync: Bool, now: ClockReading) -> String? {
    log.value.write(records, sync: sync, now: now, checkpoint: { [checkpoint] in checkpoint(now) })
  }

  /// What the faces show while records wait (nil: nothing waits).
  var problem: String? { log.value.problem }
}
