import BridgeCore
import Foundation

/// The journal on disk: append-only, mode 0600, locked so that two monitors never write one file.
/// Used from the monitor's event loop only.
public final class JournalFile: @unchecked Sendable {
  public let path: String
  private var fd: Int32
  private var needsLineBreak: Bool

  /// What opening found: the records to replay and warnings to log.
  public struct Opened {
    public var file: JournalFile
    public var content: JournalContent
    public var warnings: [String]
  }

  public struct OpenError: Error, CustomStringConvertible {
    public var description: String
  }

  private init(path: String, fd: Int32, needsLineBreak: Bool) {
    self.path = path
    self.fd = fd
    self.needsLineBreak = needsLineBreak
  }

  deinit { close() }

  /// Opens (or creates) the journal, takes its lock and reads it. A torn last line is cut off with a warning;
  /// any other bad line stops the start, unless `skipBadLines`, which keeps it in the file and warns.
  public static func open(path: String, skipBadLines: Bool) throws(OpenError) -> Opened {
    let fd = Foundation.open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw OpenError(description: "cannot open journal \(path): \(String(cString: strerror(errno)))") }
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
    var warnings: [String] = []
    var info = stat()
    if fstat(fd, &info) == 0, info.st_mode & 0o077 != 0 {
      fchmod(fd, 0o600)
      warnings.append("journal \(path) was readable by other users (mode \(String(info.st_mode & 0o777, radix: 8))); made it 600")
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = pread(fd, &chunk, chunk.count, off_t(bytes.count))
      if count < 0 && errno == EINTR { continue }
      guard count >= 0 else {
        let reason = errno
        Foundation.close(fd)
        throw OpenError(description: "cannot read journal \(path): \(String(cString: strerror(reason)))")
      }
      if count == 0 { break }
      bytes += chunk[0..<count]
    }
    let content = JournalContent.parse(bytes)
    if !content.badLines.isEmpty {
      let listed = content.badLines.prefix(10).map { "\(path):\($0.line): \($0.error)" }
      let more = content.badLines.count > 10 ? ["... and \(content.badLines.count - 10) more bad lines"] : []
      if !skipBadLines {
        Foundation.close(fd)
        throw OpenError(
          description: (listed + more).joined(separator: "\n")
            + "\nthe journal has \(content.badLines.count) bad line(s); fix them, or start with --skip-bad-journal-lines "
            + "to leave them in the file and go on without them")
      }
      warnings += listed.map { "skipping bad journal line \($0)" } + more
    }
    if let torn = content.tornLine {
      warnings.append(
        "\(path):\(torn): the last line was cut short (a crash or power cut while writing); dropped it, \(bytes.count - content.validLength) bytes"
      )
      ftruncate(fd, off_t(content.validLength))
    }
    let needsLineBreak = content.validLength > 0 && bytes[content.validLength - 1] != 0x0A
    return Opened(file: JournalFile(path: path, fd: fd, needsLineBreak: needsLineBreak), content: content, warnings: warnings)
  }

  /// Appends records in one write; with `sync`, they are on disk when this returns.
  public func append(_ records: [JournalRecord], sync: Bool) throws(OpenError) {
    guard !records.isEmpty else { return }
    guard fd >= 0 else { throw OpenError(description: "journal \(path) is closed") }
    var text = needsLineBreak ? "\n" : ""
    for record in records {
      text += JournalCodec.encode(record)
      text += "\n"
    }
    var failure = FileHandleOutput.write(fd: fd, text)
    if failure == 0 && sync && fdatasync(fd) != 0 { failure = errno }
    guard failure == 0 else {
      throw OpenError(description: "cannot write journal \(path): \(String(cString: strerror(failure)))")
    }
    needsLineBreak = false
  }

  public func close() {
    if fd >= 0 {
      Foundation.close(fd)
      fd = -1
    }
  }
}
