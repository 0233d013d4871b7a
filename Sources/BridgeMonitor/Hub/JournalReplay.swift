import BridgeCore
import Foundation

/// The journal opened for a run and what it restores: marks, acknowledgements, headcounts set by hand, and which
/// sites were heard before the restart; with the lines to log about it (skipped lines, marks of sites no longer in
/// the config, what was replayed).
public struct JournalReplay {
  public let file: JournalFile
  public let restored: [RestoredSite]
  public let notes: [String]

  /// Opens the journal at `path` (created if absent) and replays it for `sites` (found by `siteIndex`, the run's).
  /// `progress` is told how far the read has got (bytes read, of the file's size). Throws with the reason the
  /// monitor cannot start.
  public static func open(
    path: String, sites: [SiteConfig], siteIndex: SiteIndex? = nil, skipBadLines: Bool,
    progress: @escaping @Sendable (_ read: Int, _ size: Int) -> Void
  ) throws -> JournalReplay {
    let started = ContinuousClock.now
    let empty = RestoredSite.Replay(sites: sites, siteIndex: siteIndex)
    let resume = JournalFile.readCheckpoint(journal: path, fold: empty)
    let (opened, replay) = try JournalFile.open(path: path, skipBadLines: skipBadLines, fold: empty, resume: resume, progress: progress)
    let restored = replay.sites
    var notes = opened.warnings.map { "warning: \($0)" }
    if let ignored = opened.checkpointIgnored {
      notes.append("journal \(path): its checkpoint was not used (\(ignored)); read the whole journal")
    }
    // From here the file keeps its own checkpoint; one now, so that the next start reads only what comes after.
    opened.file.trackRestorableState(replay, sites: sites)
    if opened.scan.recordCount > 0, let problem = opened.file.writeCheckpoint(unixSeconds: Date().timeIntervalSince1970) {
      notes.append("warning: journal \(path): \(problem); the next start reads the whole journal")
    }
    for orphan in replay.orphanMarks {
      notes.append(
        "warning: the journal has \(orphan.site) marked offline by \(orphan.mark.operatorName) (\(orphan.mark.reason)), but "
          + "\(orphan.site) is no longer in the config; that mark is not restored")
    }
    if opened.scan.recordCount > 0 {
      let elapsed = ContinuousClock.now - started
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
      let marks = restored.filter { $0.mark != nil }.count
      let acks = restored.filter { $0.acknowledgedBy != nil }.count
      let counts = restored.filter { $0.manualHeadcount != nil }.count
      let heard = restored.filter(\.wasHeard).count
      let read =
        opened.resumedFrom.map { checkpoint in
          "its checkpoint of \(NumberText.grouped(checkpoint.records)) records and the "
            + "\(NumberText.grouped(opened.scan.recordCount - checkpoint.records)) written after it"
        } ?? "\(NumberText.grouped(opened.scan.recordCount)) records"
      notes.append(
        "journal \(path): replayed \(read) in "
          + "\(String(format: "%.1f s", seconds)); restored \(marks) marks, \(acks) acknowledgements, \(counts) headcounts set by hand; "
          + "sites start unknown until heard, and the \(NumberText.grouped(heard)) heard before the restart go offline "
          + "if not heard within offline_after")
      let inBridge = restored.filter { $0.bridgeSince != nil }.count
      if inBridge > 0 {
        notes.append(
          "journal \(path): \(NumberText.grouped(inBridge)) sites were in the conference bridge when it ended; the first poll "
            + "of a config with one bridge keeps when they joined if they are still in, and journals a leave if not")
      }
    }
    return JournalReplay(file: opened.file, restored: restored, notes: notes)
  }
}
