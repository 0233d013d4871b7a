import BridgeCore

/// Encodes and writes the status file, reusing one buffer (megabytes at national scale) for every write. Writes
/// never overlap: the monitor starts one only when none is in flight.
final class StatusFileWriter: @unchecked Sendable {
  let path: String
  private let fixed: StatusFileEncoder.FixedParts
  private var buffer: [UInt8] = []

  init(path: String, fixed: StatusFileEncoder.FixedParts) {
    self.path = path
    self.fixed = fixed
  }

  func write(_ snapshot: MonitorSnapshot) throws {
    StatusFileEncoder.encode(snapshot, fixed: fixed, into: &buffer)
    try AtomicFile.write(buffer, to: path)
  }
}
