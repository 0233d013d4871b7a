import BridgeCore

/// Which events are alerts in the event log, and when the bell rings: for a site newly lost to silence that nobody
/// acknowledged, never for an operator's mark or a late site.
public enum AlertPolicy {
  public static func isAlert(_ event: EngineEvent) -> Bool {
    switch event.kind {
    case .statusChanged(_, let to, _): to == .offline || to == .late
    case .helpRequestChanged(let isRequested): isRequested
    default: false
    }
  }

  public static func rings(for event: EngineEvent, records: [SiteRecord]) -> Bool {
    guard case .statusChanged(_, .offline, .silence) = event.kind, records.indices.contains(event.siteIndex) else { return false }
    return !records[event.siteIndex].isAcknowledged
  }
}
