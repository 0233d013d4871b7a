import BridgeCore
import Logging

/// Drops control characters from log messages and metadata: names from the config and text from the network end
/// up in log lines, and a log is often read on a terminal (`journalctl`, `tail -f`).
public struct SanitizingLogHandler<Wrapped: LogHandler>: LogHandler {
  var wrapped: Wrapped
  public init(_ wrapped: Wrapped) { self.wrapped = wrapped }

  public var metadata: Logger.Metadata {
    get { wrapped.metadata }
    set { wrapped.metadata = newValue }
  }
  public var logLevel: Logger.Level {
    get { wrapped.logLevel }
    set { wrapped.logLevel = newValue }
  }
  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { wrapped[metadataKey: key] }
    set { wrapped[metadataKey: key] = newValue }
  }

  public func log(event: LogEvent) {
    var event = event
    event.message = "\(TextSanitizer.printable(event.message.description))"
    wrapped.log(event: event)
  }
}
