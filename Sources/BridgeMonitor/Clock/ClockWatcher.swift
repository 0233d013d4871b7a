import BridgeCore
import Logging

/// Compares the wall clock with the monotonic one at every tick: a step is logged and journaled (the report
/// re-bases the times before it); most signed heartbeats refused as stale is logged when it starts and when it
/// ends. Owned by the hub's loop.
struct ClockWatcher {
  private var watch = ClockWatch()
  /// What was last logged about the clock's looking off, so it is said when it starts and when it ends.
  private var loggedClockOff = false
  private let logger: Logger

  init(logger: Logger) { self.logger = logger }

  /// What the faces show about the clock now, if anything.
  func note(now: ClockReading) -> ClockNote? { watch.note(now: now) }

  /// Watches one tick's reading; the journal record of a step, if the clock stepped.
  mutating func observe(now: ClockReading, counters: IngestCounters) -> [JournalRecord] {
    let step = watch.observe(now, staleRefused: counters[.stale], signedAccepted: counters.signedAccepted)
    let note = watch.note(now: now)
    let looksOff = note?.clockLooksOff ?? false
    if looksOff && !loggedClockOff, let note {
      logger.error("\(ClockNote(staleSigned: note.staleSigned, acceptedSigned: note.acceptedSigned).text)")
    } else if !looksOff && loggedClockOff {
      logger.notice("signed heartbeats are accepted again: the monitor's clock and the sites' agree")
    }
    loggedClockOff = looksOff
    guard let step else { return [] }
    let stepText = ClockNote.signedDuration(step)
    logger.warning(
      "the wall clock stepped \(stepText) (against the monotonic clock); ages and timeouts are not affected, the journal records the step so the report re-bases the times before it"
    )
    return [JournalRecord(unixSeconds: now.unixSeconds, site: nil, kind: .clock(step: step))]
  }
}
