/// An operator action as the primary applied it, for its standbys: the request, who made it, when, and its place
/// in the primary's order.
public struct FollowedAction: Sendable, Equatable, Codable {
  public var revision: UInt64
  public var request: OperatorRequest
  public var who: OperatorIdentity
  /// When the primary applied it (unix seconds): the standby journals it with this time.
  public var at: Double

  public init(revision: UInt64, request: OperatorRequest, who: OperatorIdentity, at: Double) {
    self.revision = revision
    self.request = request
    self.who = who
    self.at = at
  }

  enum CodingKeys: String, CodingKey { case revision = "rev", request, who = "operator", at }
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

  /// The actions after `revision` of this epoch, or nil when they are not all here any more (another epoch, or
  /// too far behind): the follower then needs the whole state.
  public func actions(after revision: UInt64, epoch: String) -> [FollowedAction]? {
    guard epoch == self.epoch, revision <= self.revision else { return nil }
    if revision == self.revision { return [] }
    guard let first = entries.first, first.revision <= revision + 1 else { return nil }
    return Array(entries[Int(revision + 1 - first.revision)...])
  }
}
