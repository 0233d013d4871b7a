import BridgeCore
import Logging
import Synchronization

/// Log lines held back while curses owns the screen; printed after `endwin`.
final class HeldLogLines: Sendable {
  static let shared = HeldLogLines()
  private let lines = Mutex<[String]>([])
  private let dropped = Mutex(0)

  func append(_ line: String) {
    lines.withLock {
      if $0.count < 2000 { $0.append(line) } else { dropped.withLock { $0 += 1 } }
    }
  }

  func flush() {
    let held = lines.withLock { lines in
      defer { lines = [] }
      return lines
    }
    for line in held { FileHandleOutput.writeAll(fd: 2, line + "\n") }
    let count = dropped.withLock { $0 }
    if count > 0 { FileHandleOutput.writeAll(fd: 2, "(\(count) more log lines dropped)\n") }
  }
}

struct HeldLogHandler: LogHandler {
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .info
  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    HeldLogLines.shared.append(TextSanitizer.printable("\(event.level): \(event.message)"))
  }
}
