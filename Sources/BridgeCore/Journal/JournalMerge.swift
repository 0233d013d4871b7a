/// Merges the journals of a primary and its standby into one conference (`report --journal A --journal B`). Each
/// monitor wrote its own journal; a standby's copies of the primary's operator actions, and its own view of the
/// sites while the primary ran, must not count twice. At any time one journal speaks for the conference: the one
/// whose monitor was the primary then (the most recently promoted, if two say so), or a running standby while no
/// primary ran. Its records are taken; the others' are left out, except operator actions made on another monitor
/// that was primary at the time (an old primary acting before it learned it was replaced): an action is never
/// lost. A standby's actions are copies of its primary's and count only while it speaks. The same action in two
/// journals is one line, written alike by both (the standby keeps the primary's operator and time; one it journaled
/// later keeps the original time in `made_at`), counted once.
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

  /// A stretch of time when two or more journals' monitors both ran as primary (two writers: a split brain).
  public struct SplitBrain: Sendable, Equatable {
    public var from: Double
    public var to: Double
    /// The journals that were primary then, by their place in the arguments.
    public var journals: [Int]
    /// The one whose records were taken for the stretch's statuses (the most recently promoted).
    public var taken: Int

    public init(from: Double, to: Double, journals: [Int], taken: Int) {
      self.from = from
      self.to = to
      self.journals = journals
      self.taken = taken
    }
  }

  public struct Merged: Sendable {
    /// The merged records, in time order.
    public var records: [JournalRecord]
    public var splitBrains: [SplitBrain]
  }

  /// The merged records, in time order.
  public static func merge(_ journals: [[JournalRecord]]) -> [JournalRecord] { merged(journals).records }

  /// The merged records and where two primaries overlapped. The result does not depend on the order the journals
  /// are given in: they are put in an order of their own content first, so every tie (two journals promoted at
  /// the same moment, records at the same time) is broken the same way whatever the order of the arguments.
  public static func merged(_ given: [[JournalRecord]]) -> Merged {
    guard given.count > 1 else { return Merged(records: given.first ?? [], splitBrains: []) }
    let order = given.indices.sorted { precedes(given[$0], given[$1]) }
    let journals = order.map { given[$0] }
    let timelines = journals.map(Timeline.init)
    func speaker(at time: Double) -> Int? {
      let states = timelines.map { $0.state(at: time) }
      let primaries = states.indices.filter { states[$0].running && states[$0].primary }
      if let latest = primaries.max(by: { states[$0].primarySince < states[$1].primarySince }) { return latest }
      return states.indices.first { states[$0].running }
    }
    var seenActions = Set<String>()
    var merged: [(time: Double, order: Int, record: JournalRecord)] = []
    var sequence = 0
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
            // A standby's later copy (with `made_at`) is the same action as the primary's line.
            guard seenActions.insert(JournalCodec.encode(record.asMade)).inserted else { continue }
          } else {
            guard pass == 0, speaks else { continue }
          }
          merged.append((record.unixSeconds, sequence, record))
          sequence += 1
        }
      }
    }
    merged.sort { ($0.time, $0.order) < ($1.time, $1.order) }
    // Two primaries at once: every moment a journal's role or running changes starts a stretch to look at.
    let moments = Set(timelines.flatMap { $0.changes.map(\.time) }).sorted()
    var splitBrains: [SplitBrain] = []
    for (position, moment) in moments.enumerated().dropLast() {
      let states = timelines.map { $0.state(at: moment) }
      let primaries = states.indices.filter { states[$0].running && states[$0].primary }
      guard primaries.count > 1, let taken = speaker(at: moment) else { continue }
      let named = primaries.map { order[$0] }.sorted()
      if let last = splitBrains.last, last.to == moment, last.journals == named, last.taken == order[taken] {
        splitBrains[splitBrains.count - 1].to = moments[position + 1]
      } else {
        splitBrains.append(SplitBrain(from: moment, to: moments[position + 1], journals: named, taken: order[taken]))
      }
    }
    return Merged(records: merged.map(\.record), splitBrains: splitBrains)
  }

  /// An order of journals by their content alone: first record's time, then line by line.
  static func precedes(_ a: [JournalRecord], _ b: [JournalRecord]) -> Bool {
    for (x, y) in zip(a, b) {
      if x.unixSeconds != y.unixSeconds { return x.unixSeconds < y.unixSeconds }
      let (left, right) = (JournalCodec.encode(x), JournalCodec.encode(y))
      if left != right { return left < right }
    }
    return a.count < b.count
  }
}
