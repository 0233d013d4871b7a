import BridgeCore
import Logging

/// The journal as the hub writes it: each tick's status changes with the headcount samples that are due, and each
/// operator action synchronously (fsynced before the operator's answer). Owns the headcount sampling and what the
/// faces show while records wait. Lives on the hub's loop (in its loop-bound box): nothing here is locked.
struct JournalLog {
  /// At most one headcount sample per site in this long.
  static let headcountSampleNanos: Int64 = 10_000_000_000
  /// How often the journal's checkpoint is written while lines are added: a restart after a crash reads at most
  /// this much journal after it (a 31,097-site checkpoint takes some tens of milliseconds on the loop).
  static let checkpointNanos: Int64 = 300_000_000_000

  let file: JournalFile?
  private let sites: [SiteConfig]
  private let logger: Logger
  private let healthObserver: (any MonitorHealthObserver)?
  /// What the faces show while journal records wait; `cause` is its reason alone, logged once.
  private(set) var problem: String?
  private var cause: String?
  private var lastSampledHeadcount: [Int?]
  private var lastSampleNanos: [Int64]
  /// Per site: the highest reported headcount since its last journal sample.
  private var windowPeak: [Int?]
  /// The sites the next sampling pass looks at: those whose records the engine wrote since the last pass, and
  /// those whose change waits for its window. Every site when an update's changes did not join up with the last
  /// one seen (`seenRevision`), as at start.
  private var toSample: SiteIndexSet
  private var samplesAll = true
  private var seenRevision: UInt64?
  /// When the checkpoint was last written (or due from), and whether lines were written since.
  private var lastCheckpointNanos: Int64?
  private var linesSinceCheckpoint = false
  private var checkpointProblem: String?

  /// `restored` is what an earlier run left in the journal: a headcount set by hand is not sampled again.
  init(file: JournalFile?, sites: [SiteConfig], restored: [RestoredSite], logger: Logger, healthObserver: (any MonitorHealthObserver)?) {
    self.file = file
    self.sites = sites
    self.logger = logger
    self.healthObserver = healthObserver
    lastSampledHeadcount = Array(repeating: nil, count: sites.count)
    lastSampleNanos = Array(repeating: .min / 2, count: sites.count)
    windowPeak = Array(repeating: nil, count: sites.count)
    toSample = SiteIndexSet(siteCount: sites.count)
    for (index, site) in restored.enumerated() where index < sites.count && site != RestoredSite() {
      lastSampledHeadcount[index] = site.manualHeadcount
    }
  }

  /// Takes note of which sites an update's snapshot says changed; every update, not only a tick's, for the
  /// changes of each publish follow on from the one before.
  mutating func noteChanges(_ snapshot: MonitorSnapshot) {
    if let changes = snapshot.changes, changes.baseRevision == seenRevision {
      toSample.formUnion(changes.sites)
    } else {
      samplesAll = true
    }
    seenRevision = snapshot.recordsRevision
  }

  /// One tick's batch: the clock's records, the status changes of the last second, and the headcount samples
  /// that are due; built in one array, as at first contact it holds two records for every site.
  mutating func recordTick(
    clock clockRecords: [JournalRecord], events: [EngineEvent], snapshot: MonitorSnapshot, now: ClockReading,
    checkpoint: () -> [JournalRecord]
  ) {
    guard file != nil else { return }
    var batch = clockRecords
    for event in events {
      batch += JournalRecord.records(for: event, sites: sites, heardBy: snapshot.records[event.siteIndex].lastSource)
    }
    appendHeadcountSamples(snapshot.records, now: now, to: &batch)
    write(batch, sync: true, now: now, checkpoint: checkpoint)
    let last = lastCheckpointNanos ?? now.monotonicNanos
    lastCheckpointNanos = last
    if linesSinceCheckpoint && now.monotonicNanos - last >= Self.checkpointNanos { writeCheckpoint(now: now) }
  }

  /// Writes the journal's checkpoint; a failure is logged once per cause (the next start then reads the whole
  /// journal, which is slower but loses nothing).
  private mutating func writeCheckpoint(now: ClockReading) {
    guard let file else { return }
    lastCheckpointNanos = now.monotonicNanos
    let problem = file.writeCheckpoint(unixSeconds: now.unixSeconds)
    if problem == nil { linesSinceCheckpoint = false }
    if let problem, problem != checkpointProblem {
      logger.warning("journal checkpoint: \(problem); the next start reads the whole journal")
    }
    checkpointProblem = problem
  }

  /// The last records at stop: counts still inside their 10-second window go now (or the report's figures would
  /// fall short of the screen's), then the stop; what cannot be written is logged, and the file is closed.
  mutating func recordStop(_ records: [SiteRecord], now: ClockReading, checkpoint: () -> [JournalRecord]) {
    var last: [JournalRecord] = []
    samplesAll = true
    appendHeadcountSamples(records, now: now, flush: true, to: &last)
    last.append(JournalRecord(unixSeconds: now.unixSeconds, site: nil, kind: .stop))
    write(last, sync: true, now: now, checkpoint: checkpoint)
    if let file, !file.backlog.isEmpty { reportUnsaved(file) }
    writeCheckpoint(now: now)
    file?.close()
  }

  /// Appends a sample for each site whose reported headcount changed, at most one per site per 10 seconds
  /// (`flush`: every change now, whatever the window, as on stop). A count that rose and fell back within a window
  /// is not lost: the sample carries the window's `peak`. Looks at the sites in `toSample` only (or all): a record
  /// no write touched since the last pass has nothing new, unless its change waits for its window.
  private mutating func appendHeadcountSamples(
    _ records: [SiteRecord], now: ClockReading, flush: Bool = false, to samples: inout [JournalRecord]
  ) {
    let looked = toSample.removeAll()
    var waiting: [Int32] = []
    defer {
      samplesAll = false
      toSample.formUnion(waiting)
    }
    func lookAt(_ index: Int) {
      guard let count = records[index].headcount, records[index].headcountSource?.isTypedByPerson != true else {
        windowPeak[index] = nil
        return
      }
      let peak = max(windowPeak[index] ?? count, count)
      windowPeak[index] = peak
      guard count != lastSampledHeadcount[index] || peak > count else { return }
      guard flush || now.monotonicNanos - lastSampleNanos[index] >= Self.headcountSampleNanos else {
        waiting.append(Int32(index))
        return
      }
      lastSampledHeadcount[index] = count
      lastSampleNanos[index] = now.monotonicNanos
      windowPeak[index] = nil
      samples.append(
        JournalRecord(
          unixSeconds: now.unixSeconds, site: sites[index].id,
          kind: .headcount(
            count: count, source: records[index].headcountSource ?? .udp, operatorName: nil, peak: peak > count ? peak : nil)))
    }
    if samplesAll {
      for index in records.indices { lookAt(index) }
    } else {
      for index in looked { lookAt(Int(index)) }
    }
  }

  /// Writes to the journal, or leaves the records waiting in its backlog; what waits is logged once per cause and
  /// shown on the faces until it is written. Returns that problem when the records wait. `checkpoint` is the
  /// state to write first into a journal created again.
  @discardableResult
  mutating func write(_ records: [JournalRecord], sync: Bool, now: ClockReading, checkpoint: () -> [JournalRecord]) -> String? {
    guard let file else { return nil }
    let outcome = file.append(records, sync: sync, now: now.unixSeconds, checkpoint: checkpoint)
    if file.lastAppendWroteLines { linesSinceCheckpoint = true }
    switch outcome {
    case .written, .recreated:
      if file.lastAppendWroteLines {
        healthObserver?.journalWritten(atUnixSeconds: now.unixSeconds, syncSeconds: file.lastSyncSeconds)
      }
    case .waiting: healthObserver?.journalWriteFailed()
    }
    switch outcome {
    case .written:
      if problem != nil { logger.notice("journal \(file.path) is being written again; nothing waits") }
      problem = nil
      cause = nil
      return nil
    case .recreated:
      logger.warning(
        "journal \(file.path) was deleted under the running monitor; created it again with the current state (marks, acknowledgements, statuses, headcounts); the older history was in the deleted file"
      )
      problem = nil
      cause = nil
      return nil
    case .waiting(let reason):
      let backlog = file.backlog
      var waiting =
        "waiting: \(backlog.operatorActionCount) operator action(s), \(backlog.records.count - backlog.operatorActionCount) other record(s)"
      if backlog.droppedCount > 0 { waiting += "; \(backlog.droppedCount) status/headcount record(s) dropped to stay bounded" }
      if cause != reason { logger.error("\(reason); records wait and are written when the journal takes them again") }
      cause = reason
      problem = "\(reason) (\(waiting))"
      return problem
    }
  }

  /// At exit with records still unwritten: every waiting operator action goes to the log as its journal line, so
  /// it can be added to the journal by hand; nothing is dropped without a word.
  private func reportUnsaved(_ file: JournalFile) {
    let backlog = file.backlog
    let others = backlog.records.count - backlog.operatorActionCount
    logger.critical(
      "journal \(file.path) was NOT written at exit: \(backlog.operatorActionCount) operator action(s) and \(others) other record(s) are lost unless added by hand; the operator actions follow as journal lines"
    )
    for record in backlog.records where record.isOperatorAction {
      logger.critical("unsaved journal line: \(JournalCodec.encode(record))")
    }
  }
}
