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
    /// A headcount sent from the site's check-in page, with who typed it and when (issue 33: check-ins follow).
    public var checkinHeadcount: Int?
    public var checkinHeadcountBy: OperatorStamp?

    public init(
      id: String, mark: OperatorMark? = nil, acknowledgedBy: String? = nil, claim: SiteClaim? = nil, manualHeadcount: Int? = nil,
      manualHeadcountBy: OperatorStamp? = nil, checkinHeadcount: Int? = nil, checkinHeadcountBy: OperatorStamp? = nil
    ) {
      self.id = id
      self.mark = mark
      self.acknowledgedBy = acknowledgedBy
      self.claim = claim
      self.manualHeadcount = manualHeadcount
      self.manualHeadcountBy = manualHeadcountBy
      self.checkinHeadcount = checkinHeadcount
      self.checkinHeadcountBy = checkinHeadcountBy
    }

    enum CodingKeys: String, CodingKey {
      case id, mark, acknowledgedBy = "acknowledged_by", claim, manualHeadcount = "headcount", manualHeadcountBy = "headcount_by"
      case checkinHeadcount = "checkin_headcount", checkinHeadcountBy = "checkin_headcount_by"
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
        manualHeadcountBy: record.headcountSource == .manual ? record.headcountSetBy : nil,
        checkinHeadcount: record.headcountSource == .checkin ? record.headcount : nil,
        checkinHeadcountBy: record.headcountSource == .checkin ? record.headcountSetBy : nil)
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

  /// The check-in headcounts that `records` (a standby's) lack, as the check-ins that bring them (no state: the
  /// call for help, if any, is the site's own to say again), each by who typed it and when.
  public func checkins(toBring records: [SiteRecord], sites configs: [SiteConfig]) -> [FollowedAction] {
    let wanted = Dictionary(sites.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    var out: [FollowedAction] = []
    for (config, record) in zip(configs, records) {
      guard let target = wanted[config.id], let count = target.checkinHeadcount, let by = target.checkinHeadcountBy else { continue }
      let standbyHas = record.headcountSource == .checkin && record.headcount == count && Self.isSame(record.headcountSetBy, by)
      // A count the standby has from a newer source (a heartbeat, an operator) is not put back.
      let standbyNewer = (record.headcountAt?.unixSeconds ?? 0) > by.unixSeconds
      guard !standbyHas, !standbyNewer else { continue }
      out.append(
        FollowedAction(
          revision: 0, checkin: FollowedCheckin(site: config.id, count: count, state: nil), who: OperatorIdentity(name: by.operatorName),
          at: by.unixSeconds))
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
