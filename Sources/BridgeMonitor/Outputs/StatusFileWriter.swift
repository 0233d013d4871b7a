import BridgeCore
import BridgePlatform
import Synchronization

/// Encodes and writes the status file in chunks (it is megabytes at national scale, never whole in memory). Writes
/// never overlap: the monitor starts one only when none is in flight.
final class StatusFileWriter: Sendable {
  let path: String
  private let fixed: StatusFileEncoder.FixedParts
  /// The file last written, which `touch` may only touch (writes never overlap: the lock is never contended).
  private let written = Mutex<FileIdentity?>(nil)

  init(path: String, fixed: StatusFileEncoder.FixedParts) {
    self.path = path
    self.fixed = fixed
  }

  func write(_ snapshot: MonitorSnapshot) throws {
    let identity = try AtomicFile.write(to: path) { sink in StatusFileEncoder.encode(snapshot, fixed: fixed, emit: sink) }
    written.withLock { $0 = identity }
  }

  /// Sets the file's modification time to now, saying the monitor is alive while nothing in it changed; false when
  /// the file last written is no longer at the path (removed, replaced), which wants a write instead.
  func touch() -> Bool {
    guard let written = written.withLock({ $0 }) else { return false }
    return AtomicFile.touch(path, ifStill: written)
  }
}
