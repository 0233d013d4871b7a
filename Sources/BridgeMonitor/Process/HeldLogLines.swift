import BridgeCore
import Logging
import Synchronization

/// Log lines held back while curses owns the screen; printed after `endwin`.
public final class HeldLogLines: Sendable {
  public static let shared = HeldLogLines()
  private let lines = Mutex<[String]>([])
  private let dropped = Mutex(0)

  public func append(_ line: String) {
    lines.withLock {
      if $0.count < 2000 { $0.append(line) } else { dropped.withLock { $0 += 1 } }
    }
  }

  public func flush() {
    let held = lines.withLock { lines in
      defer { lines = [] }
      return lines
    }
    for line in held { FileHandleOutput.writeAll(fd: 2, line + "\n") }
    let count = dropped.withLock { $0 }
    if count > 0 { FileHandleOutput.writeAll(fd: 2, "(\(count) more log lines dropped)\n") }
  }
}

/// The swift-log handler of a process whose dashboard owns the screen: every line goes to `HeldLogLines.shared`.
public struct HeldLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level = .info

  public init() {}

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    HeldLogLines.shared.append(TextSanitizer.printable("\(event.level): \(event.message)"))
  }
}
