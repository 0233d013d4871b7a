/// When the monitor rewrites the status file. Encoding 7,400 sites costs milliseconds and the file is megabytes, so
/// it is written at once only when something a reader acts on changed (a status, mark, acknowledgement, help
/// request, rejected datagram, bad heartbeat file, the journal's, the clock's or the role's state); other changes
/// (round trips, loss, headcounts, accepted counts) wait for the refresh every `refreshNanos`. While nothing at all
/// changes the content is not built again: the file's modification time is set every `refreshNanos` (the monitor
/// is alive) and the file rewritten every `quietRewriteNanos` (its `generated_at` and ages stay within a minute).
public struct StatusFileSchedule: Sendable {
  public enum Action: Sendable, Equatable {
    case none
    /// Encode and write the snapshot.
    case write
    /// Nothing changed since the last write: only set the file's modification time to now.
    case touch
  }

  /// What the last written file showed of the things that trigger a write.
  struct Triggers: Equatable {
    /// Roll-ups come from the records alone: with the same records, `others` is all there is to compare.
    var rollups: [Rollup]
    var others: Others

    struct Others: Equatable {
      var rejections: [UInt64]
      var fileErrors: UInt64
      var badFiles: UInt64
      var journalProblem: String?
      var keysFileProblem: String?
      var clockNote: ClockNote?
      var role: MonitorRole?
      var bridge: BridgeTriggers?

      init(_ snapshot: MonitorSnapshot) {
        rejections = snapshot.counters.rejections
        fileErrors = snapshot.counters.fileErrors
        badFiles = snapshot.counters.badFiles
        journalProblem = snapshot.journalProblem
        keysFileProblem = snapshot.keysFileProblem
        clockNote = snapshot.clockNote
        // A standby hears its primary every second; the time of the last word is content, not a trigger.
        role = snapshot.role
        role?.lastPrimaryContact = nil
        bridge = snapshot.bridge.map(BridgeTriggers.init)
      }
    }

    init(_ snapshot: MonitorSnapshot) {
      // Headcounts move with nearly every heartbeat of a conference under way: a total alone waits for the
      // refresh, or the 2 MB file would be rewritten every second (a point of CPU at national load).
      rollups = snapshot.rollups.map { rollup in
        var withoutHeadcount = rollup
        withoutHeadcount.reportedHeadcount = 0
        return withoutHeadcount
      }
      others = Others(snapshot)
    }
  }

  /// Everything else the file shows that is not derived from the time alone.
  struct Content: Equatable {
    var recordsRevision: UInt64
    var counters: IngestCounters
    var lastPrimaryContact: Double?
    var bridgePolls: [BridgePollState]?

    init(_ snapshot: MonitorSnapshot) {
      recordsRevision = snapshot.recordsRevision
      counters = snapshot.counters
      lastPrimaryContact = snapshot.role?.lastPrimaryContact
      bridgePolls = snapshot.bridge?.polls
    }
  }

  public static let defaultRefreshNanos: Int64 = 5_000_000_000
  public static let defaultQuietRewriteNanos: Int64 = 60_000_000_000
  public let refreshNanos: Int64
  public let quietRewriteNanos: Int64
  private var triggers: Triggers?
  private var content: Content?
  private var writtenAtNanos: Int64 = .min / 2
  private var touchedAtNanos: Int64 = .min / 2

  public init(refreshNanos: Int64 = defaultRefreshNanos, quietRewriteNanos: Int64 = defaultQuietRewriteNanos) {
    self.refreshNanos = refreshNanos
    self.quietRewriteNanos = quietRewriteNanos
  }

  /// What to do with `snapshot` now; `hadEvents` is whether the engine reported anything since the last call
  /// (every event is something a reader acts on).
  public func action(for snapshot: MonitorSnapshot, hadEvents: Bool) -> Action {
    let current = Content(snapshot)
    if hadEvents { return .write }
    let sameRecords = current.recordsRevision == content?.recordsRevision
    let triggered = sameRecords ? triggers?.others != Triggers.Others(snapshot) : triggers != Triggers(snapshot)
    if triggered { return .write }
    let now = snapshot.takenAt.monotonicNanos
    guard now - max(writtenAtNanos, touchedAtNanos) >= refreshNanos else { return .none }
    if content != current || now - writtenAtNanos >= quietRewriteNanos { return .write }
    return .touch
  }

  /// Records that `snapshot` is being written.
  public mutating func writing(_ snapshot: MonitorSnapshot) {
    triggers = Triggers(snapshot)
    content = Content(snapshot)
    writtenAtNanos = snapshot.takenAt.monotonicNanos
  }

  /// Records that the file's modification time is being set, at `snapshot`'s time.
  public mutating func touching(_ snapshot: MonitorSnapshot) {
    touchedAtNanos = snapshot.takenAt.monotonicNanos
  }
}
