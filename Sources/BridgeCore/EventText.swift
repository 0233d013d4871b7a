/// Plain-English one-line descriptions of engine events, for logs (the dashboard has its own strings table).
public enum EventText {
  public static func describe(_ event: EngineEvent, sites: [SiteConfig]) -> String {
    let site = sites[event.siteIndex]
    let who = "\(site.id) \(TextSanitizer.printable(site.name))"
    switch event.kind {
    case .statusChanged(let from, let to, let cause):
      let why: String
      switch cause {
      case .heartbeat: why = "heartbeat"
      case .silence: why = "silence"
      case .marked(let name, let reason): why = "marked by \(TextSanitizer.printable(name)): \(TextSanitizer.printable(reason))"
      case .markCleared(let name): why = "mark cleared by \(TextSanitizer.printable(name))"
      }
      return "\(who): \(from) -> \(to) (\(why))"
    case .acknowledged(let name): return "\(who): acknowledged by \(TextSanitizer.printable(name))"
    case .headcountSet(let count, let name): return "\(who): headcount set to \(count) by \(TextSanitizer.printable(name))"
    case .flappingChanged(let flapping): return "\(who): \(flapping ? "flapping" : "no longer flapping")"
    case .helpRequestChanged(let requested): return "\(who): \(requested ? "asks for help" : "help request withdrawn")"
    case .heardWhileMarked: return "\(who): heartbeats resumed while marked offline"
    }
  }
}
