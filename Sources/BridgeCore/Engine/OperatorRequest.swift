/// Who asks for an operator action: the name the operator gave, and the Unix user the monitor read from the
/// connection (a console cannot forge it; nil for the monitor's own dashboard, which runs as the monitor's user).
public struct OperatorIdentity: Sendable, Hashable, Codable {
  public var name: String
  public var unixUser: String?

  public init(name: String, unixUser: String? = nil) {
    self.name = name
    self.unixUser = unixUser
  }

  /// "lan (ops)" when a shared account is used under a personal name; "lan" when they are the same or no user is known.
  public var displayName: String {
    guard let unixUser, unixUser != name else { return name }
    return "\(name) (\(unixUser))"
  }
}

/// An operator action as data: what a console sends and the monitor applies, journals and answers. Sites are
/// named by id (a console knows ids, not the engine's indexes).
public struct OperatorRequest: Sendable, Hashable {
  public enum Action: Sendable, Hashable {
    /// Marks the site offline by hand (a line known to be down).
    case mark(reason: String)
    case clear
    /// Silences a late or offline site's alert until it is back online.
    case acknowledge
    case setHeadcount(Int)
    /// "I'm on it": every console shows who is handling the site, so two technicians do not phone it both.
    case claim
    /// Ends a claim; `force` ends someone else's (after the console asked for confirmation).
    case release(force: Bool)
  }

  public var site: String
  public var action: Action
  /// The status the operator saw when deciding; when the site has changed since, the request is refused with
  /// what it is now instead of acting on stale information. Nil: no check.
  public var seenStatus: SiteStatus?
  /// For a headcount above the site's expected: the operator was told the expected and confirmed (a typed
  /// `1.234` at a 56-person commune is 1,234 people, and would otherwise reach the report unquestioned).
  public var confirmedAboveExpected: Bool

  public init(site: String, action: Action, seenStatus: SiteStatus? = nil, confirmedAboveExpected: Bool = false) {
    self.site = site
    self.action = action
    self.seenStatus = seenStatus
    self.confirmedAboveExpected = confirmedAboveExpected
  }
}

/// Someone handling a site (who, and since when): shown on every console and in the status file until released,
/// or until the site is back online.
public typealias SiteClaim = OperatorStamp

/// An operator action was applied but could not be written to the journal yet: it waits in the backlog.
public struct JournalNotSaved: Error, CustomStringConvertible {
  public var reason: String
  public init(reason: String) { self.reason = reason }
  public var description: String { "applied, but NOT yet saved to the journal: \(reason)" }
}
