/// One line of text per engine event, for the dashboard's event log and the headless log.
public enum EventText {
  public static func describe(_ event: EngineEvent, sites: [some RosterSite], strings: Strings = .english) -> String {
    let site = sites[event.siteIndex]
    let who = "\(site.id) \(TextSanitizer.printable(site.name))"
    switch event.kind {
    case .statusChanged(let from, let to, let cause):
      let why: String
      switch cause {
      case .heartbeat: why = strings(.causeHeartbeat)
      case .silence: why = strings(.causeSilence)
      case .marked(let name, let reason): why = strings(.causeMarked, TextSanitizer.printable(name), TextSanitizer.printable(reason))
      case .markCleared(let name): why = strings(.causeMarkCleared, TextSanitizer.printable(name))
      }
      return strings(.eventStatus, who, strings.status(from), strings.status(to), why)
    case .acknowledged(let name): return strings(.eventAcknowledged, who, TextSanitizer.printable(name))
    case .headcountSet(let count, let name): return strings(.eventHeadcount, who, count, TextSanitizer.printable(name))
    case .checkinHeadcount(let count, let name): return strings(.eventCheckinHeadcount, who, count, TextSanitizer.printable(name))
    case .flappingChanged(let flapping): return strings(flapping ? .eventFlapping : .eventNotFlapping, who)
    case .helpRequestChanged(let requested): return strings(requested ? .eventHelp : .eventHelpWithdrawn, who)
    case .heardWhileMarked: return strings(.eventHeardWhileMarked, who)
    case .countProblemChanged(let problem?): return strings(.eventCountFileProblem, who, strings.countFileReason(problem))
    case .countProblemChanged(nil): return strings(.eventCountFileReadable, who)
    case .claimed(let name): return strings(.eventClaimed, who, TextSanitizer.printable(name))
    case .claimReleased(let name?, let owner?) where owner != name:
      return strings(.eventClaimReleasedOther, who, TextSanitizer.printable(name), TextSanitizer.printable(owner))
    case .claimReleased(let name?, _): return strings(.eventClaimReleased, who, TextSanitizer.printable(name))
    case .claimReleased(nil, _): return strings(.eventClaimEnded, who)
    }
  }
}
