import Yams

/// `checkin:`, the check-in page for sites without an agent (README "Sites without an agent"). It is served by the
/// monitor's one HTTP server, on `metrics.listen` beside `/metrics`: one port for the province's IT staff to open
/// to their reverse proxy, and `metrics.listen` still means what it always meant.
public struct CheckinSettings: Sendable, Hashable {
  /// `GET/POST /c/<token>` answered (the tokens are the keys file's); off unless the config says so.
  public var enabled = false

  public init() {}
}

extension ConfigLoader {
  static let checkinKeys = ["enabled"]

  mutating func parseCheckin(_ node: Node) -> CheckinSettings {
    var settings = CheckinSettings()
    guard let mapping = node.mapping else {
      fail(node, "'checkin' must be a mapping (enabled: true)")
      return settings
    }
    let entries = checkedEntries(mapping, allowed: Self.checkinKeys, context: "'checkin'")
    if let enabledNode = entries["enabled"], let value = boolean(enabledNode, "checkin 'enabled'") { settings.enabled = value }
    return settings
  }
}
