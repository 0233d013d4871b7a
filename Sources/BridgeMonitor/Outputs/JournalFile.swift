import BridgeCore
import Foundation

/// The journal on disk: append-only, mode 0600, locked so that two monitors never write one file.
/// Not Sendable: once open it belongs to the hub's `JournalRecorder`, in the loop-bound box.
///
/// The file only ever holds whole lines: a write cut short (disk full) is rolled back with `ftruncate`, and the
/// records that could not be written wait in a bounded backlog until the disk takes them. The journal is the file
/// at `path`: when that file is deleted under the running monitor, a new one is created there and given the
/// current state (`checkpoint`) before anything else; when the path holds another file, nothing is written to
/// it and the records wait.
public final class JournalFile {
  public let path: String
  var fd: Int32
  /// Bytes of whole lines in the file: where a failed write is rolled back to.
  var size: off_t
  var needsLineBreak: Bool
  var identity: FileIdentity
  private(set) public var backlog = JournalBacklog()
  /// How long the last `fdatasync` took, when the last append wrote lines and synced them; nil otherwise.
  private(set) public var lastSyncSeconds: Double?
  /// Whether the last append put lines in the file (most appends, once a second, have nothing to write).
  private(set) public var lastAppendWroteLines = false
  /// Lines and records in the file, for a checkpoint's header.
  var lineCount = 0
  var recordCount = 0
  /// The restorable state of everything in the file, kept as lines are written, for `writeCheckpoint`.
  var restorable: Restorable?

  struct Restorable {
    var replay: RestoredSite.Replay
    /// The config's sites: a journal created again starts from the replay of nothing for them, made then (kept
    /// made in advance, it was a second per-site array and id index alive for the whole run: 1.75 MB at 10,000 sites).
    let sites: [SiteConfig]
  }

  /// What opening found: what the reading counted (the records went to the caller as they were read) and
  /// warnings to log.
  public struct Opened {
    public var file: JournalFile
    public var scan: JournalScanner
    public var warnings: [String]
    /// The checkpoint start-up began from; nil when the whole journal was read.
    public var resumedFrom: JournalCheckpoint? = nil
    /// Why a checkpoint next to the journal was not used, when there was one.
    public var checkpointIgnored: String? = nil
  }

  public struct OpenError: Error, CustomStringConvertible {
    public var description: String
  }

  /// What became of an append.
  public enum Outcome: Equatable, Sendable {
    /// Everything, the backlog included, is in the file (and on disk if synced).
    case written
    /// Written after the file at `path` had been deleted: a new journal was created with the current state.
    case recreated
    /// Not written; the records wait in the backlog. `reason` says why, for the screen and the log.
    case waiting(reason: String)
  }

  struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64
    init(_ info: stat) {
      device = UInt64(info.st_dev)
      inode = UInt64(info.st_ino)
    }
  }

  private init(path: String, fd: Int32, size: off_t, needsLineBreak: Bool, identity: FileIdentity) {
    self.path = path
    self.fd = fd
    self.size = size
    self.needsLineBreak = needsLineBreak
    self.identity = identity
  }

  deinit { close() }

  /// Opens a journal file without following a symlink, and takes its lock.
  private static func openLocked(path: String, flags: Int32) throws(OpenError) -> (Int32, stat) {
    let fd = Foundation.open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | flags, 0o600)
    guard fd >= 0 else {
      let reason = errno
      if reason == ELOOP {
        throw OpenError(description: "journal \(path) is a symbolic link; give the journal's real path in the config")
      }
      throw OpenError(description: "cannot open journal \(path): \(String(cString: strerror(reason)))")
    }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      Foundation.close(fd)
      throw OpenError(description: "journal \(path) is not a regular file")
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let reason = errno
      Foundation.close(fd)
      if reason == EWOULDBLOCK {
        throw OpenError(
          description: "journal \(path) is locked by another running monitor; two monitors must not write one journal "
            + "(stop the other one, or give this one its own journal path)")
      }
      throw OpenError(description: "cannot lock journal \(path): \(String(cString: strerror(reason)))")
    }
    return (fd, info)
  }

  /// Opens (or creates) the journal, takes its lock and reads it, handing each record to `visit` as it is read
  /// (`progress` gets the bytes read so far and the file's size). A torn last line is cut off with a warning; any
  /// other bad line stops the start, unless `skipBadLines`, which keeps it in the file and warns. Records of types
  /// this version does not know are skipped with a note.
  public static func open(
    path: String, skipBadLines: Bool, progress: (_ read: Int, _ size: Int) -> Void = { _, _ in },
    visit: (JournalRecord) -> Void = { _ in }
  ) throws(OpenError) -> Opened {
    let (fd, info) = try openLocked(path: path, flags: O_CREAT)
    var scan = JournalScanner()
    let size = Int(info.st_size)
    if let failure = scan.read(fd: fd, visit: visit, progress: { progress($0, size) }) {
      Foundation.close(fd)
      throw OpenError(description: "cannot read journal \(path): \(String(cString: strerror(failure)))")
    }
    return try finishOpening(path: path, fd: fd, info: info, scan: scan, skipBadLines: skipBadLines)
  }

  /// Opens the journal like `open(path:skipBadLines:progress:visit:)`, computing `fold` over its records; a long
  /// journal is read in stretches on all cores at once (a two-day national journal is 2,000,000 lines).
  /// `resume`: a checkpoint of the journal and its state folded (`readCheckpoint`); used when it matches the file, in
  /// which case only what follows it is read.
  public static func open<Fold: JournalFold>(
    path: String, skipBadLines: Bool, fold: Fold, resume: Result<Resume<Fold>, CheckpointProblem>? = nil,
    progress: @escaping @Sendable (_ read: Int, _ size: Int) -> Void = { _, _ in }
  ) throws(OpenError) -> (Opened, Fold) {
    let (fd, info) = try openLocked(path: path, flags: O_CREAT)
    let size = Int(info.st_size)
    var start = 0
    var prefix = JournalScanner()
    var initial = fold
    var resumedFrom: JournalCheckpoint?
    var ignored: String?
    switch resume {
    case .success(let resume):
      if let problem = mismatch(resume.checkpoint, fd: fd, info: info) {
        ignored = problem
      } else {
        start = resume.checkpoint.offset
        prefix = JournalScanner(prefixBytes: start, lines: resume.checkpoint.lines, records: resume.checkpoint.records)
        initial = resume.fold
        resumedFrom = resume.checkpoint
      }
    case .failure(let problem): ignored = problem.description
    case nil: break
    }
    // Below a few megabytes one thread is quicker than starting others.
    let stretches = size - start >= 8 << 20 ? max(1, ProcessInfo.processInfo.activeProcessorCount) : 1
    let readFrom = start
    let read = JournalScanner.read(
      fd: fd, from: readFrom, size: size, stretches: stretches, fold: initial, progress: { progress(readFrom + $0, size) })
    switch read {
    case .failure(let failure):
      Foundation.close(fd)
      throw OpenError(description: "cannot read journal \(path): \(String(cString: strerror(failure.errno)))")
    case .success(let (scan, folded)):
      prefix.append(scan)
      var opened = try finishOpening(path: path, fd: fd, info: info, scan: prefix, skipBadLines: skipBadLines)
      opened.resumedFrom = resumedFrom
      opened.checkpointIgnored = ignored
      return (opened, folded)
    }
  }

  /// What both ways of opening do once the journal is read: refuse bad lines (or warn), note unknown types,
  /// tighten the mode, cut off a torn last line.
  private static func finishOpening(path: String, fd: Int32, info: stat, scan: JournalScanner, skipBadLines: Bool) throws(OpenError)
    -> Opened
  {
    var warnings: [String] = []
    if scan.badLineCount > 0 {
      let listed = scan.badLines.prefix(10).map { "\(path):\($0.line): \($0.error)" }
      let more = scan.badLineCount > 10 ? ["... and \(scan.badLineCount - 10) more bad lines"] : []
      if !skipBadLines {
        Foundation.close(fd)
        throw OpenError(
          description: (listed + more).joined(separator: "\n")
            + "\nthe journal has \(scan.badLineCount) bad line(s); fix them, or start with --skip-bad-journal-lines "
            + "to leave them in the file and go on without them")
      }
      warnings += listed.map { "skipping bad journal line \($0)" } + more
    }
    if let first = scan.unknownTypeLines.first {
      warnings.append(
        "\(path):\(first.line): \(first.error) (a newer monitor wrote it); skipped \(scan.unknownTypeLineCount) such line(s)")
    }
    // Only now that it reads as a journal is it ours to tighten.
    if info.st_mode & 0o077 != 0 {
      fchmod(fd, 0o600)
      warnings.append("journal \(path) was readable by other users (mode \(String(info.st_mode & 0o777, radix: 8))); made it 600")
    }
    if let torn = scan.tornLine {
      warnings.append(
        "\(path):\(torn): the last line was cut short (a crash or power cut while writing); dropped it, "
          + "\(scan.bytesRead - scan.validLength) bytes")
      ftruncate(fd, off_t(scan.validLength))
    }
    let file = JournalFile(
      path: path, fd: fd, size: off_t(scan.validLength), needsLineBreak: scan.endsWithoutLineBreak, identity: FileIdentity(info))
    file.lineCount = scan.lineCount - (scan.tornLine == nil ? 0 : 1)
    file.recordCount = scan.recordCount
    return Opened(file: file, scan: scan, warnings: warnings)
  }

  /// Appends what waits in the backlog, then `records`, as whole lines; with `sync`, they are on disk when this
  /// returns `.written`. `checkpoint` gives the current state, written first into a journal that had to be created
  /// anew because the file at `path` was deleted.
  @discardableResult
  public func append(_ records: [JournalRecord], sync: Bool, now unixSeconds: Double, checkpoint: () -> [JournalRecord]) -> Outcome {
    lastSyncSeconds = nil
    lastAppendWroteLines = false
    // `records` join the backlog only when they cannot be written: a batch of 10,000 first contacts is a
    // megabyte, not worth copying on the way to the file.
    func waiting(_ reason: String) -> Outcome {
      backlog.append(contentsOf: records)
      return .waiting(reason: reason)
    }
    guard fd >= 0 else {
      return backlog.isEmpty && records.isEmpty ? .written : waiting("journal \(path) is closed")
    }
    // Checked on every call, records or not (the monitor calls once a second): a deleted journal must not go
    // unnoticed while nothing happens, or marks that look saved are lost at exit.
    var recreated = false
    switch checkIdentity() {
    case .same: break
    case .deleted:
      do {
        try reopenDeleted(checkpoint: checkpoint())
        recreated = true
      } catch {
        return waiting("the journal file was deleted and cannot be created again: \(error)")
      }
    case .replaced:
      return waiting(
        "\(path) is no longer this monitor's journal (another file is there now); move it away and the "
          + "monitor starts a new journal there with the current state")
    }
    guard !backlog.isEmpty || !records.isEmpty else { return recreated ? .recreated : .written }
    let batches = backlog.isEmpty ? [records] : [backlog.recordsToWrite(now: unixSeconds), records]
    if let failure = writeLines(batches, sync: sync) {
      return waiting("cannot write journal \(path): \(String(cString: strerror(failure)))")
    }
    backlog.removeAll()
    lastAppendWroteLines = true
    return recreated ? .recreated : .written
  }

  /// Bytes encoded before they go to the file: a batch is written in pieces of this size rather than built whole.
  public static let chunkBytes = 64 * 1024

  /// Writes whole lines or nothing: a short or failed write (or a failed fsync) is cut back off the file.
  private func writeLines(_ batches: [[JournalRecord]], sync: Bool) -> Int32? {
    var chunk: [UInt8] = []
    chunk.reserveCapacity(Self.chunkBytes + 1024)
    if needsLineBreak { chunk.append(UInt8(ascii: "\n")) }
    var written: off_t = 0
    var failure: Int32 = 0
    func flush() {
      guard failure == 0, !chunk.isEmpty else { return }
      failure = FileHandleOutput.write(fd: fd, chunk)
      written += off_t(chunk.count)
      chunk.removeAll(keepingCapacity: true)
    }
    for batch in batches {
      for record in batch where failure == 0 {
        chunk.append(contentsOf: JournalCodec.encode(record).utf8)
        chunk.append(UInt8(ascii: "\n"))
        if chunk.count >= Self.chunkBytes { flush() }
      }
    }
    flush()
    if failure == 0 && sync {
      let started = DispatchTime.now().uptimeNanoseconds
      if fdatasync(fd) != 0 { failure = errno }
      lastSyncSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    }
    guard failure == 0 else {
      // Whatever part of the lines reached the file goes again, or the next record would be glued onto half a one.
      ftruncate(fd, size)
      return failure
    }
    size += written
    needsLineBreak = false
    for batch in batches {
      lineCount += batch.count
      recordCount += batch.count
      if restorable != nil { for record in batch { restorable!.replay.take(record) } }
    }
    return nil
  }

  enum IdentityCheck { case same, deleted, replaced }

  /// Is the open file still the file at `path`? Two system calls, once per batch.
  private func checkIdentity() -> IdentityCheck {
    var open = stat()
    var atPath = stat()
    let linked = fstat(fd, &open) == 0 && open.st_nlink > 0
    guard lstat(path, &atPath) == 0 else { return errno == ENOENT ? .deleted : (linked ? .same : .deleted) }
    if linked && FileIdentity(atPath) == identity { return .same }
    return .replaced
  }

  /// The file at `path` was deleted: create it again (never through a symlink or over a file that appeared
  /// meanwhile), lock it, and write `checkpoint` (a `start` and the current state) so that it alone restores the monitor.
  private func reopenDeleted(checkpoint: [JournalRecord]) throws(OpenError) {
    let (newFD, info) = try Self.openLocked(path: path, flags: O_CREAT | O_EXCL)
    Foundation.close(fd)
    fd = newFD
    identity = FileIdentity(info)
    size = 0
    needsLineBreak = false
    lineCount = 0
    recordCount = 0
    if restorable != nil { restorable!.replay = RestoredSite.Replay(sites: restorable!.sites, siteIndex: restorable!.replay.siteIndex) }
    if let failure = writeLines([checkpoint], sync: true) {
      throw OpenError(description: "cannot write journal \(path): \(String(cString: strerror(failure)))")
    }
  }

  public func close() {
    if fd >= 0 {
      Foundation.close(fd)
      fd = -1
    }
  }
}
