import Foundation

// Over 400 lines: one state machine whose heartbeat, silence and operator paths share its private records, roll-up
// commits and event queue; what it emits (EngineEvent) and refuses (OperatorActionError) live beside it.

/// The pure status engine: heartbeats, silence and operator actions in; statuses, roll-ups and events out.
/// No clock of its own: every call carries the time, so tests drive it without sleeping.
public struct StatusEngine: Sendable {
  public static let maximumFlapChanges = 16
  /// A sequence jump larger than this is a sender restart, not loss.
  static let largestCountedGap: UInt64 = 1000
  /// Loss counters are halved past this, so loss reflects roughly the last few minutes.
  static let lossWindow: UInt32 = 240

  public let sites: [SiteConfig]
  public let timing: Timing
  public let groups: GroupTree
  public private(set) var records: SiteRecords
  /// Moves with every change to any site's record: a face that saw this revision has nothing new to lay out.
  public var recordsRevision: UInt64 { records.revision }
  /// The revision at the last `takeChangedSites`.
  private var changesTakenAtRevision: UInt64 = 0
  /// The records as of the last silence pass, and the earliest time silence could change one of them.
  private var silenceCheckedRevision: UInt64 = .max
  private(set) var nextSilenceDeadline: Int64 = .min
  /// Indexed like `groups.nodes`; index 0 is the whole conference.
  public private(set) var rollups: [Rollup]
  private var pendingEvents: [EngineEvent] = []
  /// Every site's last hour, for the detail pane.
  public private(set) var history: HistoryStore
  /// The sites' places by id, shared with the run's other holders (`SiteIndex`).
  public let siteIndex: SiteIndex
  private let lateNanos: Int64
  private let offlineNanos: Int64
  private let flapWindowNanos: Int64

  public init(sites: [SiteConfig], timing: Timing, siteIndex: SiteIndex? = nil) {
    self.sites = sites
    self.timing = timing
    groups = GroupTree(sites: sites)
    records = SiteRecords(count: sites.count)
    rollups = Array(repeating: Rollup(), count: groups.nodes.count)
    history = HistoryStore(sites: sites.count, interval: timing.interval)
    self.siteIndex = siteIndex ?? SiteIndex(sites: sites)
    lateNanos = timing.lateAfter.nanoseconds
    offlineNanos = timing.offlineAfter.nanoseconds
    flapWindowNanos = timing.flapWindow.nanoseconds
    for (index, site) in sites.enumerated() {
      let contribution = RollupContribution(records[index])
      for node in groups.ancestorsOfSite[index] {
        rollups[node].expectedHeadcount += site.expected
        rollups[node].add(contribution, sign: 1)
      }
    }
  }

  /// `siteIndex`: the config's sites' (built when not given).
  public init(config: ConferenceConfig, siteIndex: SiteIndex? = nil) {
    self.init(sites: config.sites, timing: config.timing, siteIndex: siteIndex)
  }

  public func index(of id: String) -> Int? { siteIndex[id] }

  public var total: Rollup { rollups[0] }

  /// The sites whose records were written since the last call: what a publish hands the faces, so that their work
  /// follows what changed (a console's delta, the journal's headcount samples) instead of comparing every record.
  public mutating func takeChangedSites() -> SiteChanges {
    defer { changesTakenAtRevision = recordsRevision }
    return SiteChanges(baseRevision: changesTakenAtRevision, sites: records.takeChanged())
  }

  /// Events since the last drain, oldest first. The owner drains at least once per tick.
  public mutating func drainEvents() -> [EngineEvent] {
    defer { pendingEvents.removeAll(keepingCapacity: true) }
    return pendingEvents
  }

  // MARK: - Heartbeats

  /// A probe of a site was answered (a heartbeat heard at `sentAt` plus the round trip) or timed out (silence;
  /// only recorded, for the detail pane).
  public mutating func probeResult(_ outcome: ProbeOutcome, rttMilliseconds: Int?, site index: Int, sentAt: ClockReading, now: ClockReading)
  {
    records[index].probeOutcome = outcome
    records[index].probeAt = sentAt
    guard outcome.isAlive else {
      // We asked and nobody answered: a probed site never heard goes offline after offline_after from the first
      // unanswered probe, instead of staying unknown.
      if records[index].lastHeard == nil && records[index].awaitedSince == nil { records[index].awaitedSince = sentAt }
      // The round trip shown was the probe's own: with no answer there is none now (never a stale or "0ms" one).
      if records[index].lastSource == .probe { records[index].rttMilliseconds = nil }
      return
    }
    heartbeat(HeartbeatInput(source: .probe, rttMilliseconds: rttMilliseconds), site: index, heardAt: now, now: now)
  }

  /// Applies one accepted heartbeat heard at `heardAt` (now for UDP, the mtime for files).
  public mutating func heartbeat(_ input: HeartbeatInput, site index: Int, heardAt: ClockReading, now: ClockReading) {
    let before = RollupContribution(records[index])
    let previousHeard = records[index].lastHeard
    if let previousHeard, heardAt < previousHeard { return }  // an older file mtime than one already seen
    records[index].lastHeard = heardAt
    records[index].lastSource = input.source
    history.begin(at: now.monotonicNanos)
    history.noteHeartbeat(site: index, at: heardAt.monotonicNanos)
    if let sequence = input.sequence { countSequence(sequence, site: index) }
    if let timestamp = input.senderTimestamp { records[index].lastSenderTimestamp = timestamp }
    if let rtt = input.rttMilliseconds { records[index].rttMilliseconds = rtt }
    if let count = input.count {
      // A count phoned in by hand stands until a heartbeat newer than it reports one.
      let manualIsNewer =
        records[index].headcountSource?.isTypedByPerson == true && (records[index].headcountAt.map { $0 > heardAt } ?? false)
      if !manualIsNewer {
        records[index].headcount = count
        records[index].headcountSource = input.source
        records[index].headcountAt = heardAt
        records[index].headcountSetBy = nil
        history.noteHeadcount(count, site: index, at: heardAt.monotonicNanos)
      }
    }
    if let state = input.state {
      applyReportedState(state, site: index, now: now)
      // A decoded heartbeat (it has a state) speaks for its count file: a problem stands until one says none.
      if records[index].countProblem != input.countProblem {
        records[index].countProblem = input.countProblem
        emit(EngineEvent(time: now, siteIndex: index, kind: .countProblemChanged(input.countProblem)))
      }
    }
    if records[index].mark != nil, !records[index].flags.contains(.heardWhileMarked),
      heardAt.unixSeconds >= records[index].mark!.unixSeconds
    {
      records[index].flags.insert(.heardWhileMarked)
      emit(EngineEvent(time: now, siteIndex: index, kind: .heardWhileMarked))
    }

    let age = now.monotonicNanos - heardAt.monotonicNanos
    switch records[index].heartbeatStatus {
    case .unknown, .online, .late:
      setHeartbeatStatus(age >= offlineNanos ? .offline : age >= lateNanos ? .late : .online, site: index, cause: .heartbeat, now: now)
    case .offline:
      if age >= lateNanos { break }  // a stale heartbeat does not count towards recovery
      let fresh = previousHeard.map { heardAt.monotonicNanos - $0.monotonicNanos < lateNanos } ?? false
      records[index].recoveryStreak = fresh ? records[index].recoveryStreak + 1 : 1
      if records[index].recoveryStreak >= timing.recoverAfter {
        setHeartbeatStatus(.online, site: index, cause: .heartbeat, now: now)
      }
    case .marked:
      preconditionFailure("heartbeatStatus is never marked")
    }
    commit(site: index, before: before)
  }

  private mutating func countSequence(_ sequence: UInt64, site index: Int) {
    if let last = records[index].lastSequence {
      if sequence == last { return }  // duplicate: no new information about loss
      if sequence > last, sequence - last - 1 <= Self.largestCountedGap {
        records[index].missedCount += UInt32(sequence - last - 1)
      }
    }
    records[index].receivedCount += 1
    records[index].lastSequence = sequence
    if records[index].receivedCount + records[index].missedCount > Self.lossWindow {
      records[index].receivedCount /= 2
      records[index].missedCount /= 2
    }
  }

  private mutating func applyReportedState(_ state: ReportedState, site index: Int, now: ClockReading) {
    let wasHelp = records[index].flags.contains(.helpRequested)
    records[index].flags.remove([.helpRequested, .degraded])
    switch state {
    case .ok: break
    case .help: records[index].flags.insert(.helpRequested)
    case .degraded: records[index].flags.insert(.degraded)
    }
    let isHelp = state == .help
    if wasHelp != isHelp {
      emit(EngineEvent(time: now, siteIndex: index, kind: .helpRequestChanged(isRequested: isHelp)))
    }
  }

  /// Records what the heartbeat-file poller found wrong (or right) with a site's file.
  /// A datagram that named site `index` was refused for `reason`: shown on the site, counted, with its sender.
  public mutating func noteRejection(_ reason: RejectionReason, site index: Int, at now: ClockReading, from source: String) {
    let count = records[index].rejection.map { $0.count == .max ? $0.count : $0.count + 1 } ?? 1
    records[index].rejection = SiteRejection(reason: reason, count: count, lastAt: now, source: source)
  }

  public mutating func setFileFlags(_ flags: SiteFlags, site index: Int) {
    let fileFlags: SiteFlags = [.badHeartbeatFile, .heartbeatFileError]
    let new = records[index].flags.subtracting(fileFlags).union(flags.intersection(fileFlags))
    // Every scan reports a missing file again: only a real change may move the records' revision.
    if new != records[index].flags { records[index].flags = new }
  }

  // MARK: - Silence

  /// Moves sites to late or offline as their silence grows; clears flapping that has calmed down.
  /// O(sites) with no allocation when it has work; call it every second or so. A quiet monitor skips the pass:
  /// until a record changes or the earliest deadline the last pass found comes, it cannot change anything.
  public mutating func tick(now: ClockReading) {
    history.begin(at: now.monotonicNanos)
    guard recordsRevision != silenceCheckedRevision || now.monotonicNanos >= nextSilenceDeadline else { return }
    let flapSince = now.monotonicNanos - flapWindowNanos
    var deadline = Int64.max
    for index in records.indices {
      guard let heard = records[index].lastHeard ?? records[index].awaitedSince else { continue }
      let age = now.monotonicNanos - heard.monotonicNanos
      switch records[index].heartbeatStatus {
      case .online where age >= lateNanos, .late where age >= offlineNanos, .unknown where age >= offlineNanos:
        let before = RollupContribution(records[index])
        setHeartbeatStatus(age >= offlineNanos ? .offline : .late, site: index, cause: .silence, now: now)
        commit(site: index, before: before)
      case .offline where records[index].recoveryStreak > 0 && age >= lateNanos:
        records[index].recoveryStreak = 0
      default:
        break
      }
      // When silence next changes this site, as it is now.
      switch records[index].heartbeatStatus {
      case .online: deadline = min(deadline, heard.monotonicNanos + lateNanos)
      case .late, .unknown: deadline = min(deadline, heard.monotonicNanos + offlineNanos)
      case .offline where records[index].recoveryStreak > 0: deadline = min(deadline, heard.monotonicNanos + lateNanos)
      case .offline, .marked: break
      }
      if records[index].flags.contains(.flapping) {
        if records[index].flapTimes.count(since: flapSince) * 2 < timing.flapChanges {
          let before = RollupContribution(records[index])
          records[index].flags.remove(.flapping)
          emit(EngineEvent(time: now, siteIndex: index, kind: .flappingChanged(isFlapping: false)))
          commit(site: index, before: before)
        } else {
          // Calming down is a count over a sliding window: looked at every tick while it lasts.
          deadline = now.monotonicNanos
        }
      }
    }
    nextSilenceDeadline = deadline
    silenceCheckedRevision = recordsRevision
  }

  // MARK: - Operator actions

  /// Applies a request made by `who`; the events go out with the next drain. Refused, with what the site is now
  /// and who did what, when it conflicts with the site's state.
  /// Returns the events the request caused (they are also pending for `drainEvents`, like every event): what the
  /// journal records, the metrics count and the event log says of it.
  @discardableResult
  public mutating func apply(
    _ request: OperatorRequest, by who: OperatorIdentity, now: ClockReading
  ) throws(OperatorActionError) -> [EngineEvent] {
    let firstEvent = pendingEvents.count
    try perform(request, by: who, now: now)
    return Array(pendingEvents[firstEvent...])
  }

  private mutating func perform(_ request: OperatorRequest, by who: OperatorIdentity, now: ClockReading) throws(OperatorActionError) {
    guard let index = siteIndex[request.site] else { throw .noSuchSite }
    let record = records[index]
    if let seen = request.seenStatus, seen != record.status { throw .changedMeanwhile(now: record.status) }
    do throws(OperatorTextError) { try OperatorText.check(who.name, as: .operatorName) } catch { throw .invalidText(error) }
    let name = who.displayName
    switch request.action {
    case .mark(let reason):
      if let mark = record.mark { throw .alreadyMarked(mark) }
      try mark(site: index, operatorName: name, reason: reason, now: now)
    case .clear:
      try clearMark(site: index, operatorName: name, now: now)
    case .acknowledge:
      if let by = record.acknowledgedBy { throw .alreadyAcknowledged(by: by) }
      try acknowledge(site: index, operatorName: name, now: now)
    case .setHeadcount(let count):
      if count > sites[index].expected && !request.confirmedAboveExpected {
        throw .headcountAboveExpected(count: count, expected: sites[index].expected)
      }
      try setHeadcount(count, site: index, operatorName: name, now: now)
    case .claim:
      try claim(site: index, operatorName: name, now: now)
    case .release(let force):
      try release(site: index, operatorName: name, force: force, now: now)
    }
  }

  /// "I'm on it": shown on every console until released or until the site is back online.
  public mutating func claim(site index: Int, operatorName: String, now: ClockReading) throws(OperatorActionError) {
    guard records.indices.contains(index) else { throw .noSuchSite }
    if let claim = records[index].claim { throw .alreadyClaimed(claim) }
    records[index].claim = SiteClaim(operatorName: operatorName, unixSeconds: now.unixSeconds)
    emit(EngineEvent(time: now, siteIndex: index, kind: .claimed(operatorName: operatorName)))
  }

  /// Ends a claim: one's own, or (with `force`) someone else's.
  public mutating func release(site index: Int, operatorName: String, force: Bool, now: ClockReading) throws(OperatorActionError) {
    guard records.indices.contains(index) else { throw .noSuchSite }
    guard let claim = records[index].claim else { throw .notClaimed }
    if claim.operatorName != operatorName && !force { throw .claimedByAnother(claim) }
    records[index].claim = nil
    emit(EngineEvent(time: now, siteIndex: index, kind: .claimReleased(operatorName: operatorName, claimedBy: claim.operatorName)))
  }

  public mutating func mark(site index: Int, operatorName: String, reason: String, now: ClockReading) throws(OperatorActionError) {
    guard records.indices.contains(index) else { throw .noSuchSite }
    let reason = reason.trimmingCharacters(in: .whitespaces)
    guard !reason.isEmpty else { throw .emptyReason }
    do throws(OperatorTextError) { try OperatorText.check(reason, as: .reason) } catch { throw .invalidText(error) }
    let before = RollupContribution(records[index])
    let previous = records[index].status
    records[index].mark = OperatorMark(operatorName: operatorName, reason: reason, unixSeconds: now.unixSeconds)
    records[index].flags.remove(.heardWhileMarked)
    records[index].acknowledgedBy = nil
    setStatus(.marked, site: index, cause: .marked(operatorName: operatorName, reason: reason), now: now, from: previous)
    commit(site: index, before: before)
  }

  public mutating func clearMark(site index: Int, operatorName: String, now: ClockReading) throws(OperatorActionError) {
    guard records.indices.contains(index) else { throw .noSuchSite }
    guard records[index].mark != nil else { throw .notMarked }
    let before = RollupContribution(records[index])
    records[index].mark = nil
    records[index].flags.remove(.heardWhileMarked)
    setStatus(records[index].heartbeatStatus, site: index, cause: .markCleared(operatorName: operatorName), now: now, from: .marked)
    commit(site: index, before: before)
  }

  /// Keeps the status but silences the site from the alert count and the bell until it is back online.
  public mutating func acknowledge(site index: Int, operatorName: String, now: ClockReading) throws(OperatorActionError) {
    guard records.indices.contains(index) else { throw .noSuchSite }
    let status = records[index].status
    guard status == .late || status == .offline else { throw .nothingToAcknowledge(status) }
    let before = RollupContribution(records[index])
    records[index].acknowledgedBy = operatorName
    emit(EngineEvent(time: now, siteIndex: index, kind: .acknowledged(operatorName: operatorName)))
    commit(site: index, before: before)
  }

  /// A headcount phoned in; it stands until a newer heartbeat reports a count.
  public mutating func setHeadcount(_ count: Int, site index: Int, operatorName: String, now: ClockReading) throws(OperatorActionError) {
    guard records.indices.contains(index) else { throw .noSuchSite }
    guard (0...ConfigLoader.maximumExpected).contains(count) else { throw .headcountOutOfRange(count) }
    setTypedHeadcount(
      count, source: .manual, typedBy: operatorName, site: index, now: now,
      event: .headcountSet(count: count, operatorName: operatorName))
  }

  /// A count a person typed (an operator, or a site on its check-in page): it stands, with who typed it, until a
  /// newer heartbeat reports one.
  private mutating func setTypedHeadcount(
    _ count: Int, source: HeartbeatSource, typedBy: String, site index: Int, now: ClockReading, event: EngineEvent.Kind
  ) {
    let before = RollupContribution(records[index])
    records[index].headcount = count
    records[index].headcountSource = source
    records[index].headcountAt = now
    records[index].headcountSetBy = OperatorStamp(operatorName: typedBy, unixSeconds: now.unixSeconds)
    history.noteHeadcount(count, site: index, at: now.monotonicNanos)
    emit(EngineEvent(time: now, siteIndex: index, kind: event))
    commit(site: index, before: before)
  }

  /// A submission of a site's check-in page (a site without an agent): a heartbeat with source `checkin`, the
  /// state it says (`help` raises the site's help flag, `ok` lowers it; nil leaves it), and a headcount typed by
  /// `typedBy` (already bounded and sanitized by the page), kept with who typed it like one set by hand.
  /// `heardAt`: when it was sent, if before `now` (a standby copying the primary's check-in late).
  public mutating func checkin(
    count: Int?, state: ReportedState?, typedBy: String, site index: Int, now: ClockReading, heardAt: ClockReading? = nil
  ) {
    guard records.indices.contains(index) else { return }
    heartbeat(HeartbeatInput(source: .checkin, state: state), site: index, heardAt: heardAt ?? now, now: now)
    guard let count, (0...ConfigLoader.maximumExpected).contains(count) else { return }
    setTypedHeadcount(
      count, source: .checkin, typedBy: typedBy, site: index, now: now, event: .checkinHeadcount(count: count, typedBy: typedBy))
  }

  /// Puts back what the journal kept from before a restart: no events (they are in the journal already).
  /// The site stays `unknown` until heard again, unless it is marked.
  public mutating func restore(_ restored: RestoredSite, site index: Int, now: ClockReading) {
    let before = RollupContribution(records[index])
    if let mark = restored.mark {
      records[index].mark = mark
      records[index].status = .marked
      records[index].statusSince = now
    }
    records[index].acknowledgedBy = restored.acknowledgedBy
    if restored.wasHeard { records[index].awaitedSince = now }
    records[index].claim = restored.claim
    if let count = restored.manualHeadcount {
      records[index].headcount = count
      records[index].headcountSource = restored.manualHeadcountSource
      records[index].headcountAt = now
      records[index].headcountSetBy = restored.manualHeadcountBy
    }
    commit(site: index, before: before)
  }

  // MARK: - Internals

  private mutating func emit(_ event: EngineEvent) {
    pendingEvents.append(event)
    history.noteEvent(event)
  }

  private mutating func setHeartbeatStatus(_ new: SiteStatus, site index: Int, cause: StatusCause, now: ClockReading) {
    let old = records[index].heartbeatStatus
    guard old != new else { return }
    records[index].heartbeatStatus = new
    if new != .offline { records[index].recoveryStreak = 0 }
    if new == .online { records[index].acknowledgedBy = nil }
    if old != .unknown { noteFlap(site: index, now: now) }
    if records[index].mark == nil {
      setStatus(new, site: index, cause: cause, now: now, from: old)
    }
  }

  private mutating func setStatus(_ new: SiteStatus, site index: Int, cause: StatusCause, now: ClockReading, from old: SiteStatus) {
    records[index].status = new
    records[index].statusSince = now
    if old != new || cause != .heartbeat {
      emit(EngineEvent(time: now, siteIndex: index, kind: .statusChanged(from: old, to: new, cause: cause)))
    }
    // Whoever was on it is done: the site is back.
    if new == .online, let claim = records[index].claim {
      records[index].claim = nil
      emit(EngineEvent(time: now, siteIndex: index, kind: .claimReleased(operatorName: nil, claimedBy: claim.operatorName)))
    }
  }

  private mutating func noteFlap(site index: Int, now: ClockReading) {
    records[index].flapTimes.record(now.monotonicNanos)
    let changes = records[index].flapTimes.count(since: now.monotonicNanos - flapWindowNanos)
    if changes >= timing.flapChanges, !records[index].flags.contains(.flapping) {
      records[index].flags.insert(.flapping)
      emit(EngineEvent(time: now, siteIndex: index, kind: .flappingChanged(isFlapping: true)))
    }
  }

  /// Moves the site's contribution in every group above it from `before` to what it is now.
  private mutating func commit(site index: Int, before: RollupContribution) {
    let after = RollupContribution(records[index])
    guard after != before else { return }
    for node in groups.ancestorsOfSite[index] {
      rollups[node].add(before, sign: -1)
      rollups[node].add(after, sign: 1)
    }
  }
}
