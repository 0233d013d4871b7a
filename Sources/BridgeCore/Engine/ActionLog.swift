/// An operator action as the primary applied it, for its standbys: the request, who made it, when, and its place
/// in the primary's order. Or, in the same order, a site's check-in (`checkin`, README "Sites without an agent"):
/// a site known only through its check-in page stays known on a standby; `who` is then who typed it.
public struct FollowedAction: Sendable, Equatable, Codable {
  public var revision: UInt64
  /// The operator's request; nil for a check-in.
  public var request: OperatorRequest?
  /// A check-in page's submission; nil for an operator's action.
  public var checkin: FollowedCheckin?
  public var who: OperatorIdentity
  /// When the primary applied it (unix seconds): the standby journals it with this time.
  public var at: Double

  public init(revision: UInt64, request: OperatorRequest, who: OperatorIdentity, at: Double) {
    self.revision = revision
    self.request = request
    self.who = who
    self.at = at
  }

  public init(revision: UInt64, checkin: FollowedCheckin, who: OperatorIdentity, at: Double) {
    self.revision = revision
    self.checkin = checkin
    self.who = who
    self.at = at
  }

  /// The site it is about.
  public var site: String { request?.site ?? checkin?.site ?? "" }

  enum CodingKeys: String, CodingKey { case revision = "rev", request, checkin, who = "operator", at }
}

// MARK: Check-ins on the follow link (issue 33)

/// A check-in as the primary applied it (`StatusEngine.checkin`): a heartbeat with source `checkin`, the state it
/// said (`help`, `ok`; nil: none) and the headcount typed, if any.
public struct FollowedCheckin: Sendable, Equatable, Codable {
  public var site: String
  public var count: Int?
  public var state: ReportedState?

  public init(site: String, count: Int?, state: ReportedState?) {
    self.site = site
    self.count = count
    self.state = state
  }
}

/// The primary's recent operator actions by revision, bounded: a standby that reconnects asks for what came after
/// the last one it applied; one that asks for what has left the log gets the whole state instead. The epoch names
/// one run of the monitor (revisions start again at a restart).
public struct ActionLog: Sendable {
  public let epoch: String
  public let limit: Int
  public private(set) var revision: UInt64 = 0
  private var entries: [FollowedAction] = []

  public init(epoch: String, limit: Int = 10_000) {
    self.epoch = epoch
    self.limit = max(1, limit)
  }

  @discardableResult
  public mutating func append(_ request: OperatorRequest, by who: OperatorIdentity, at unixSeconds: Double) -> FollowedAction {
    revision += 1
    var request = request
    request.seenStatus = nil  // the primary checked it; the standby's view may lag by a heartbeat
    let action = FollowedAction(revision: revision, request: request, who: who, at: unixSeconds)
    entries.append(action)
    // Trimmed in steps, not one element per action.
    if entries.count > limit + limit / 8 { entries.removeFirst(entries.count - limit) }
    return action
  }

  /// A check-in applied here, in the same order as the operators' actions.
  @discardableResult
  public mutating func append(_ checkin: FollowedCheckin, by who: OperatorIdentity, at unixSeconds: Double) -> FollowedAction {
    revision += 1
    let action = FollowedAction(revision: revision, checkin: checkin, who: who, at: unixSeconds)
    entries.append(action)
    if entries.count > limit + limit / 8 { entries.removeFirst(entries.count - limit) }
    return action
  }

  /// The actions after `revision` of this epoch, or nil when they are not all here any more (another epoch, or
  /// too far behind): the follower then needs the whole state.
  public func actions(after revision: UInt64, epoch: String) -> [FollowedAction]? {
    guard epoch == self.epoch, revision <= self.revision else { return nil }
    if revision == self.revision { return [] }
    guard let first = entries.first, first.revision <= revision + 1 else { return nil }
    return Array(entries[Int(revision + 1 - first.revision)...])
  }
}
