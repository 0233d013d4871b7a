import BridgeCore
import Foundation

/// The journal's checkpoint (`PATH.checkpoint`, see `JournalCheckpoint`): written by the monitor that owns the
/// journal, read at its next start so that only what follows it is read.
extension JournalFile {
  /// A checkpoint read from its file and its state folded: where start-up may begin.
  public struct Resume<Fold: JournalFold> {
    public var checkpoint: JournalCheckpoint
    public var fold: Fold
  }

  /// Why a checkpoint file could not be used.
  public struct CheckpointProblem: Error, CustomStringConvertible {
    public var description: String
  }

  public static func checkpointPath(journal path: String) -> String { path + ".checkpoint" }

  /// Reads the checkpoint next to the journal at `path` and folds its state into `fold`; nil when there is none.
  public static func readCheckpoint<Fold: JournalFold>(journal path: String, fold: Fold) -> Result<Resume<Fold>, CheckpointProblem>? {
    let file = checkpointPath(journal: path)
    let fd = Foundation.open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard fd >= 0 else {
      let reason = errno
      if reason == ENOENT { return nil }
      return .failure(CheckpointProblem(description: "cannot open \(file): \(String(cString: strerror(reason)))"))
    }
    defer { Foundation.close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      return .failure(CheckpointProblem(description: "\(file) is not a regular file"))
    }
    guard Int(info.st_size) <= JournalCheckpoint.maximumFileBytes else {
      return .failure(CheckpointProblem(description: "\(file) is larger than \(JournalCheckpoint.maximumFileBytes >> 20) MiB"))
    }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var filled = 0
    while filled < bytes.count {
      let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, off_t(filled)) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return .failure(CheckpointProblem(description: "cannot read \(file)")) }
      filled += count
    }
    guard let headerEnd = bytes.firstIndex(of: 0x0A) else {
      return .failure(CheckpointProblem(description: "\(file): no header line"))
    }
    let header = String(decoding: bytes[..<headerEnd], as: UTF8.self)
    let checkpoint: JournalCheckpoint
    switch JournalCheckpoint.parseHeader(Substring(header)) {
    case .success(let parsed): checkpoint = parsed
    case .failure(let error): return .failure(CheckpointProblem(description: "\(file):1: \(error)"))
    }
    var folded = fold
    var scanner = JournalScanner()
    bytes[(headerEnd + 1)...].withUnsafeBufferPointer { body in
      scanner.feed(body) { folded.take($0) }
      scanner.finish { folded.take($0) }
    }
    // Only lines this monitor writes: anything else means the file is not what a monitor left.
    if let bad = scanner.badLines.first ?? scanner.unknownTypeLines.first {
      return .failure(CheckpointProblem(description: "\(file):\(bad.line + 1): \(bad.error)"))
    }
    if scanner.tornLine != nil || scanner.endsWithoutLineBreak {
      return .failure(CheckpointProblem(description: "\(file): its last line is cut short"))
    }
    return .success(Resume(checkpoint: checkpoint, fold: folded))
  }

  /// Why `checkpoint` does not stand for the start of the journal open at `fd`; nil when it does.
  static func mismatch(_ checkpoint: JournalCheckpoint, fd: Int32, info: stat) -> String? {
    if UInt64(info.st_dev) != checkpoint.device || UInt64(info.st_ino) != checkpoint.inode {
      return "it was written for another file at this path"
    }
    if Int(info.st_size) < checkpoint.offset {
      return "the journal is shorter (\(info.st_size) bytes) than the checkpoint's \(checkpoint.offset)"
    }
    guard let digest = tailDigest(fd: fd, before: checkpoint.offset) else { return "cannot read the journal" }
    if digest != checkpoint.tailDigest { return "the journal's bytes before its offset are not the ones it saw" }
    return nil
  }

  /// `JournalCheckpoint.digest` of the bytes before `offset` (at most `digestedBytes`); nil if they cannot be read
  /// or do not end with a line break.
  static func tailDigest(fd: Int32, before offset: Int) -> UInt64? {
    let start = max(0, offset - JournalCheckpoint.digestedBytes)
    var bytes = [UInt8](repeating: 0, count: offset - start)
    var filled = 0
    while filled < bytes.count {
      let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, off_t(start + filled)) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return nil }
      filled += count
    }
    if let last = bytes.last, last != 0x0A { return nil }
    return bytes.withUnsafeBufferPointer { JournalCheckpoint.digest($0) }
  }

  /// From now on, keep the restorable state of what the file holds (`replay`: of what it holds already), so that
  /// `writeCheckpoint` can write it.
  public func trackRestorableState(_ replay: RestoredSite.Replay, sites: [SiteConfig]) {
    restorable = Restorable(replay: replay, sites: sites)
  }

  /// Writes the checkpoint of everything in the file now (atomically: a temporary file, fsynced, renamed over the
  /// old one). Returns why it could not, or nil. Nothing to do when the state is not tracked or the file is closed.
  @discardableResult
  public func writeCheckpoint(unixSeconds: Double) -> String? {
    guard let restorable, fd >= 0 else { return nil }
    // A last line without its line break is completed by the next write; until then there is no whole-line offset.
    guard !needsLineBreak else { return nil }
    guard let digest = Self.tailDigest(fd: fd, before: Int(size)) else {
      return "cannot read the journal \(path) back"
    }
    let checkpoint = JournalCheckpoint(
      offset: Int(size), lines: lineCount, records: recordCount, tailDigest: digest, device: identity.device,
      inode: identity.inode, unixSeconds: unixSeconds)
    let state = restorable.replay.stateRecords(sites: restorable.sites, unixSeconds: unixSeconds)
    let final = Self.checkpointPath(journal: path)
    let temporary = final + ".tmp"
    unlink(temporary)
    let out = Foundation.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard out >= 0 else { return "cannot write \(temporary): \(String(cString: strerror(errno)))" }
    var failure: Int32 = 0
    checkpoint.write(state: state) { piece in
      failure = FileHandleOutput.write(fd: out, piece)
      return failure == 0
    }
    if failure == 0 && fsync(out) != 0 { failure = errno }
    Foundation.close(out)
    if failure == 0 && rename(temporary, final) != 0 { failure = errno }
    guard failure == 0 else {
      unlink(temporary)
      return "cannot write \(final): \(String(cString: strerror(failure)))"
    }
    return nil
  }
}
