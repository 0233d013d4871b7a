import BridgeCore

/// Encodes and writes the status file, reusing one buffer (megabytes at national scale) for every write. Writes
/// never overlap: the monitor starts one only when none is in flight.
final class StatusFileWriter: @unchecked Sendable {
  let path: String
  private let fixed: StatusFileEncoder.FixedParts
  private var buffer: [UInt8] = []
  /// The file last written, which `touch` may only touch.
  private var written: FileIdentity?

  init(path: String, fixed: StatusFileEncoder.FixedParts) {
    self.path = path
    self.fixed = fixed
  }

  func write(_ snapshot: MonitorSnapshot) throws {
    StatusFileEncoder.encode(snapshot, fixed: fixed, into: &buffer)
    written = try AtomicFile.write(buffer, to: path)
  }

  /// Sets the file's modification time to now, saying the monitor is alive while nothing in it changed; false when
  /// the file last written is no longer at the path (removed, replaced), which wants a write instead.
  func touch() -> Bool {
    guard let written else { return false }
    return AtomicFile.touch(path, ifStill: written)
  }
}
