/// One line of the event log pane.
public struct LogLine: Sendable, Equatable {
  public var unixSeconds: Double
  public var text: String
  public var isAlert: Bool
  public init(unixSeconds: Double, text: String, isAlert: Bool) {
    self.unixSeconds = unixSeconds
    self.text = text
    self.isAlert = isAlert
  }
}

/// One row of the site table.
public enum TableRow: Sendable, Equatable, Hashable {
  case group(node: Int)
  case site(index: Int)
}
