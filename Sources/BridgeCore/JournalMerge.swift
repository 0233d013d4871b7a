/// Merges the journals of a primary and its standby into one conference (`report --journal A --journal B`). Each
/// monitor wrote its own journal; a standby's copies of the primary's operator actions, and its own view of the
/// sites while the primary ran, must not count twice. At any time one journal speaks for the conference: the one
/// whose monitor was the primary then (the most recently promoted, if two say so), or a running standby while no
/// primary ran. Its records are taken; the others' are left out, except operator actions made on another monitor
/// that was primary at the time (an old primary acting before it learned it was replaced): an action is never
/// lost. A standby's actions are copies of its primary's and count only while it speaks. The same action in two
/// journals is one line, written alike by both (the standby keeps the primary's operator and time), counted once.
public enum JournalMerge {
  /// A journal's monitor over time: running or not, primary or standby.
  struct Timeline {
    struct Change {
      var time: Double
      var running: Bool
      var primary: Bool
    }
    var changes: [Change] = []

    init(_ records: [JournalRecord]) {
      var running = false
      var primary = false
      var lastTime = -Double.infinity
      for record in records {
        switch record.kind {
        case .start:
          // Killed (no stop): it ran until just after its last record.
          if running { changes.append(Change(time: lastTime.nextUp, running: false, primary: primary)) }
          running = true
          primary = true
          changes.append(Change(time: record.unixSeconds, running: true, primary: true))
        case .stop:
          running = false
          changes.append(Change(time: record.unixSeconds, running: false, primary: primary))
        case .role(let role, _):
          primary = role == "primary"
          changes.append(Change(time: record.unixSeconds, running: running, primary: primary))
        default: break
        }
        lastTime = max(lastTime, record.unixSeconds)
      }
      if running { changes.append(Change(time: lastTime.nextUp, running: false, primary: primary)) }
    }

    /// (running, primary, since when primary) at `time`.
    func state(at time: Double) -> (running: Bool, primary: Bool, primarySince: Double) {
      var state = (running: false, primary: false, primarySince: -Double.infinity)
      for change in changes {
        if change.time > time { break }
        if change.primary && !(state.primary && state.running) { state.primarySince = change.time }
        state.running = change.running
        state.primary = change.primary
      }
      return state
    }
  }

  /// The merged records, in time order.
  public static func merge(_ journals: [[JournalRecord]]) -> [JournalRecord] {
    guard journals.count > 1 else { return journals.first ?? [] }
    let timelines = journals.map(Timeline.init)
    func speaker(at time: Double) -> Int? {
      let states = timelines.map { $0.state(at: time) }
      let primaries = states.indices.filter { states[$0].running && states[$0].primary }
      if let latest = primaries.max(by: { states[$0].primarySince < states[$1].primarySince }) { return latest }
      return states.indices.first { states[$0].running }
    }
    var seenActions = Set<String>()
    var merged: [(time: Double, order: Int, record: JournalRecord)] = []
    var order = 0
    // Actions of the journal that speaks first, so a copy elsewhere is recognised as one.
    for pass in 0..<2 {
      for (index, records) in journals.enumerated() {
        for record in records {
          let speaks = speaker(at: record.unixSeconds).map { $0 == index } ?? true
          if record.isOperatorAction {
            guard speaks == (pass == 0) else { continue }
            if pass == 1 {
              let state = timelines[index].state(at: record.unixSeconds)
              guard state.running && state.primary else { continue }
            }
            guard seenActions.insert(JournalCodec.encode(record)).inserted else { continue }
          } else {
            guard pass == 0, speaks else { continue }
          }
          merged.append((record.unixSeconds, order, record))
          order += 1
        }
      }
    }
    merged.sort { ($0.time, $0.order) < ($1.time, $1.order) }
    return merged.map(\.record)
  }
}
