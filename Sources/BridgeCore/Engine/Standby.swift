import Foundation

/// A monitor's place in a primary–standby pair (README "Running with a standby"): what every face shows about it,
/// and whether operators may act on it. One writer of operator actions at a time; each monitor has its own journal.
public struct MonitorRole: Sendable, Equatable, Codable {
  public enum Kind: String, Sendable, Codable {
    case primary
    case standby
  }

  /// An old primary that learned from its peer's socket that the peer was promoted in its place.
  public struct Replacement: Sendable, Equatable, Codable {
    public var peer: String
    public var promotedAt: Double
    public init(peer: String, promotedAt: Double) {
      self.peer = peer
      self.promotedAt = promotedAt
    }
    enum CodingKeys: String, CodingKey { case peer, promotedAt = "promoted_at" }
  }

  public var kind: Kind
  /// A standby's source (the primary's socket, or the command that reaches it), as given to `--follow`.
  public var following: String?
  /// When the standby last heard from its primary (unix seconds); nil before the first word.
  public var lastPrimaryContact: Double?
  /// Set while the primary has been silent longer than the configured time: since when it is silent.
  public var primarySilentSince: Double?
  /// Why the follow link is down, while it is.
  public var linkProblem: String?
  /// When this monitor, a standby before, was promoted.
  public var promotedAt: Double?
  public var replacedBy: Replacement?

  public init(
    kind: Kind, following: String? = nil, lastPrimaryContact: Double? = nil, primarySilentSince: Double? = nil,
    linkProblem: String? = nil, promotedAt: Double? = nil, replacedBy: Replacement? = nil
  ) {
    self.kind = kind
    self.following = following
    self.lastPrimaryContact = lastPrimaryContact
    self.primarySilentSince = primarySilentSince
    self.linkProblem = linkProblem
    self.promotedAt = promotedAt
    self.replacedBy = replacedBy
  }

  public static let primary = MonitorRole(kind: .primary)

  /// Why an operator may not act here, or nil when they may: a standby follows its primary's actions (acting on
  /// both would make two writers), and a replaced primary is no longer the one the conference follows.
  public func refusal(promoteHint: String) -> String? {
    if let replacedBy {
      return "this monitor was replaced: its standby (\(replacedBy.peer)) was promoted; act there"
    }
    guard kind == .standby else { return nil }
    if primarySilentSince != nil {
      return "this is the standby and its primary is silent; promote it first (\(promoteHint)), then act"
    }
    return "this is the standby, following \(following ?? "the primary"); act on the primary"
  }

  enum CodingKeys: String, CodingKey {
    case kind = "role", following, lastPrimaryContact = "primary_last_contact", primarySilentSince = "primary_silent_since"
    case linkProblem = "link_problem", promotedAt = "promoted_at", replacedBy = "replaced_by"
  }
}

/// Decides when a standby's primary is silent: no word on the follow link for longer than `silentAfter`. Pure: the
/// clock is passed in. The watch starts at the standby's start, so a primary never reached is silent too.
public struct PrimaryContactWatch: Sendable {
  public let silentAfterNanos: Int64
  private var lastContactNanos: Int64
  public private(set) var lastContactUnix: Double?
  public private(set) var silentSince: Double?

  public init(silentAfter: Duration, start: ClockReading) {
    silentAfterNanos = silentAfter.nanoseconds
    lastContactNanos = start.monotonicNanos
  }

  /// A word from the primary. True when it had been silent (it is back).
  public mutating func contact(now: ClockReading) -> Bool {
    lastContactNanos = now.monotonicNanos
    lastContactUnix = now.unixSeconds
    defer { silentSince = nil }
    return silentSince != nil
  }

  /// True when the primary has just become silent; `silentSince` then says since when (its last word, or the
  /// standby's start).
  public mutating func check(now: ClockReading) -> Bool {
    guard silentSince == nil, now.monotonicNanos - lastContactNanos > silentAfterNanos else { return false }
    silentSince = now.unixSeconds - Double(now.monotonicNanos - lastContactNanos) / 1e9
    return true
  }
}

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

/// Where a follower stands: the primary's epoch and the last revision it applied. Nil in a hello: it has applied
/// nothing from this primary's run yet and wants the whole state.
public struct FollowPosition: Sendable, Equatable, Codable {
  public var epoch: String
  public var after: UInt64
  public init(epoch: String, after: UInt64) {
    self.epoch = epoch
    self.after = after
  }
}

/// Primary → standby: actions in order (none: a keep-alive, sent every second), and the primary's latest revision.
public struct FollowActions: Sendable, Equatable, Codable {
  public var epoch: String
  public var revision: UInt64
  public var actions: [FollowedAction]
  public init(epoch: String, revision: UInt64, actions: [FollowedAction]) {
    self.epoch = epoch
    self.revision = revision
    self.actions = actions
  }
}

/// Primary → standby: everything operators decided, per site, at `revision` (a full resync).
public struct FollowState: Sendable, Equatable, Codable {
  public struct Site: Sendable, Equatable, Codable {
    public var id: String
    public var mark: OperatorMark?
    public var acknowledgedBy: String?
    public var claim: SiteClaim?
    public var manualHeadcount: Int?
    /// Who set `manualHeadcount` and when; absent from a primary that did not know.
    public var manualHeadcountBy: OperatorStamp?

    public init(
      id: String, mark: OperatorMark? = nil, acknowledgedBy: String? = nil, claim: SiteClaim? = nil, manualHeadcount: Int? = nil,
      manualHeadcountBy: OperatorStamp? = nil
    ) {
      self.id = id
      self.mark = mark
      self.acknowledgedBy = acknowledgedBy
      self.claim = claim
      self.manualHeadcount = manualHeadcount
      self.manualHeadcountBy = manualHeadcountBy
    }

    enum CodingKeys: String, CodingKey {
      case id, mark, acknowledgedBy = "acknowledged_by", claim, manualHeadcount = "headcount", manualHeadcountBy = "headcount_by"
    }
  }

  public var epoch: String
  public var revision: UInt64
  /// Only sites with something decided by an operator.
  public var sites: [Site]

  public init(epoch: String, revision: UInt64, sites: [Site]) {
    self.epoch = epoch
    self.revision = revision
    self.sites = sites
  }

  public init(epoch: String, revision: UInt64, records: [SiteRecord], sites configs: [SiteConfig]) {
    self.epoch = epoch
    self.revision = revision
    sites = zip(configs, records).compactMap { config, record in
      let site = Site(
        id: config.id, mark: record.mark, acknowledgedBy: record.acknowledgedBy, claim: record.claim,
        manualHeadcount: record.headcountSource == .manual ? record.headcount : nil,
        manualHeadcountBy: record.headcountSource == .manual ? record.headcountSetBy : nil)
      return site == Site(id: config.id) ? nil : site
    }
  }

  /// The requests that bring `records` (a standby's) to this state: marks, clears, acknowledgements, claims and
  /// hand-set headcounts, each by the operator the primary recorded and at the time it was made (nil: not known,
  /// take it as now). Only real differences: a decision both hold is the same one when its operator, its words
  /// and its time to the journal's millisecond agree (a restarted primary has its decisions back from its journal,
  /// to the millisecond; the standby had them to the nanosecond). What the standby has and the primary does not
  /// is undone only where an action can undo it (a mark is cleared, a claim released); an acknowledgement ends by
  /// itself when the site is back, and a hand-set headcount when the site reports one.
  public func requests(toBring records: [SiteRecord], sites configs: [SiteConfig]) -> [(
    request: OperatorRequest, who: OperatorIdentity, at: Double?
  )] {
    let wanted = Dictionary(sites.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    let resync = OperatorIdentity(name: "resync from the primary")
    var out: [(OperatorRequest, OperatorIdentity, Double?)] = []
    for (config, record) in zip(configs, records) {
      let target = wanted[config.id] ?? Site(id: config.id)
      func add(_ action: OperatorRequest.Action, _ who: OperatorIdentity, _ at: Double?) {
        // Whatever the primary holds was confirmed there (a count above expected included).
        out.append((OperatorRequest(site: config.id, action: action, confirmedAboveExpected: true), who, at))
      }
      if !Self.isSame(record.mark, target.mark) {
        if record.mark != nil { add(.clear, resync, nil) }
        if let mark = target.mark { add(.mark(reason: mark.reason), OperatorIdentity(name: mark.operatorName), mark.unixSeconds) }
      }
      if !Self.isSame(record.claim, target.claim) {
        if record.claim != nil { add(.release(force: true), resync, nil) }
        if let claim = target.claim { add(.claim, OperatorIdentity(name: claim.operatorName), claim.unixSeconds) }
      }
      if let by = target.acknowledgedBy, record.acknowledgedBy == nil, target.mark == nil {
        add(.acknowledge, OperatorIdentity(name: by), nil)
      }
      if let count = target.manualHeadcount {
        let standbyHas = record.headcountSource == .manual && record.headcount == count
        // A setter only one side knows (an older journal or primary) is no difference.
        let sameSetter =
          record.headcountSetBy == nil || target.manualHeadcountBy == nil || Self.isSame(record.headcountSetBy, target.manualHeadcountBy)
        if !standbyHas || !sameSetter {
          let by = target.manualHeadcountBy
          add(.setHeadcount(count), by.map { OperatorIdentity(name: $0.operatorName) } ?? resync, by?.unixSeconds)
        }
      }
    }
    return out
  }

  /// The same decision: same fields, times equal to the millisecond the journal keeps.
  static func isSame(_ a: OperatorMark?, _ b: OperatorMark?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return a.operatorName == b.operatorName && a.reason == b.reason && JournalTime.sameMillisecond(a.unixSeconds, b.unixSeconds)
  }

  /// A claim or a hand-set headcount's setter: the same operator, at the same millisecond.
  static func isSame(_ a: OperatorStamp?, _ b: OperatorStamp?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return a.operatorName == b.operatorName && JournalTime.sameMillisecond(a.unixSeconds, b.unixSeconds)
  }
}

/// Times as the journal keeps them: unix seconds to the millisecond.
public enum JournalTime {
  public static func sameMillisecond(_ a: Double, _ b: Double) -> Bool { (a * 1000).rounded() == (b * 1000).rounded() }
}

extension MonitorRole {
  /// What an operator types on this monitor's machine to promote it: `bridgewatch promote` and the config's
  /// absolute path, quoted for the shell when it needs it (a path relative to where the monitor started would not
  /// work from another folder). A config read from memory has no path: the placeholder CONFIG stands for it.
  public static func promoteCommand(configPath: String) -> String {
    guard !configPath.isEmpty, configPath != "<memory>" else { return "bridgewatch promote CONFIG" }
    let absolute = URL(fileURLWithPath: configPath).standardized.path
    let plain = absolute.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "/._-+,:@".unicodeScalars.contains($0) }
    let shown = plain ? absolute : "'" + absolute.replacingOccurrences(of: "'", with: "'\\''") + "'"
    return "bridgewatch promote " + shown
  }
}
