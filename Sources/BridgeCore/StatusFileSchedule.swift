/// When the monitor rewrites the status file. Encoding 7,400 sites costs milliseconds and the file is megabytes, so
/// it is written at once only when something a reader acts on changed (a status, mark, acknowledgement, headcount
/// help request, rejected datagram, bad heartbeat file, the journal's state, the clock's); ages, round trips, headcounts and accepted counts alone are
/// refreshed every `refreshNanos`, so `generated_at` still shows the monitor is alive.
public struct StatusFileSchedule: Sendable {
  /// What the last written file showed of the things that trigger a write.
  struct Shown: Equatable {
    var rollups: [Rollup]
    var rejections: [UInt64]
    var fileErrors: UInt64
    var badFiles: UInt64
    var journalProblem: String?
    var clockNote: ClockNote?

    init(_ snapshot: MonitorSnapshot) {
      // Headcounts move with nearly every heartbeat of a conference under way: a total alone waits for the
      // refresh, or the 2 MB file would be rewritten every second (a point of CPU at national load).
      rollups = snapshot.rollups.map { rollup in
        var withoutHeadcount = rollup
        withoutHeadcount.reportedHeadcount = 0
        return withoutHeadcount
      }
      rejections = snapshot.counters.rejections
      fileErrors = snapshot.counters.fileErrors
      badFiles = snapshot.counters.badFiles
      journalProblem = snapshot.journalProblem
      clockNote = snapshot.clockNote
    }
  }

  public static let defaultRefreshNanos: Int64 = 5_000_000_000
  public let refreshNanos: Int64
  private var shown: Shown?
  private var writtenAtNanos: Int64 = .min / 2

  public init(refreshNanos: Int64 = defaultRefreshNanos) {
    self.refreshNanos = refreshNanos
  }

  /// Whether `snapshot` should be written now; `hadEvents` is whether the engine reported anything since the last
  /// call (every event is something a reader acts on).
  public func isDue(_ snapshot: MonitorSnapshot, hadEvents: Bool) -> Bool {
    if hadEvents || snapshot.takenAt.monotonicNanos - writtenAtNanos >= refreshNanos { return true }
    return shown != Shown(snapshot)
  }

  /// Records that `snapshot` is being written.
  public mutating func writing(_ snapshot: MonitorSnapshot) {
    shown = Shown(snapshot)
    writtenAtNanos = snapshot.takenAt.monotonicNanos
  }
}
