import BridgeCore
import Logging
import Synchronization

/// This monitor's place in a primary/standby pair: its role, the operator actions its standbys follow (by
/// revision), and on a standby when the primary was last heard. Read by the loop, the follower's thread and the
/// consoles' handlers, so each part is behind its own lock; the engine's state is the hub's, passed in.
final class MonitorPair: Sendable {
  /// What an operator types to promote this monitor (in refusals and the silent-primary warning).
  let promoteCommand: String
  private let logger: Logger
  /// Operator actions by revision, for the standbys that follow this monitor.
  private let actionLog: Mutex<ActionLog>
  /// Primary or standby, and when a standby's primary was last heard.
  private let role = Mutex<(role: MonitorRole, watch: PrimaryContactWatch?)>((.primary, nil))

  /// How far back a followed action may be journaled at its own time. One made earlier than this before the
  /// standby applies it (it comes in a resync, or after the link was down) is journaled at the standby's time
  /// with its own kept in `made_at`: the standby's journal never goes back in time by more than this.
  static let followedActionDelay = 1.0

  /// `epoch` names this run: a standby that reconnects after the primary restarted must not take revisions for
  /// the old run's.
  init(epoch: String, promoteCommand: String, logger: Logger) {
    actionLog = Mutex(ActionLog(epoch: epoch))
    self.promoteCommand = promoteCommand
    self.logger = logger
  }

  var current: MonitorRole { role.withLock { $0.role } }

  /// Why an operator's action is refused here (a standby, or a replaced primary), or nil.
  var refusal: String? { role.withLock { $0.role.refusal(promoteHint: promoteCommand) } }

  func becomeStandby(following source: String, silentAfter: Duration, now: ClockReading) {
    role.withLock { $0 = (MonitorRole(kind: .standby, following: source), PrimaryContactWatch(silentAfter: silentAfter, start: now)) }
  }

  /// An operator's action applied here, for the standbys.
  func record(_ request: OperatorRequest, by who: OperatorIdentity, at unixSeconds: Double) {
    actionLog.withLock { _ = $0.append(request, by: who, at: unixSeconds) }
  }

  /// A check-in applied here, for the standbys (in order with the operators' actions).
  func record(_ checkin: FollowedCheckin, by who: OperatorIdentity, at unixSeconds: Double) {
    actionLog.withLock { _ = $0.append(checkin, by: who, at: unixSeconds) }
  }

  /// The actions after `position` for a standby of this monitor, or nil when it needs the whole state.
  func followedActions(after position: FollowPosition?) -> (epoch: String, revision: UInt64, actions: [FollowedAction]?) {
    actionLog.withLock { log in
      (log.epoch, log.revision, position.flatMap { log.actions(after: $0.after, epoch: $0.epoch) })
    }
  }

  /// A word from the primary on the follow link (any line, a keep-alive too), or why the link is down.
  func notePrimaryContact(linkProblem: String?, now: ClockReading) {
    let cameBack = role.withLock { pair -> Bool in
      pair.role.linkProblem = linkProblem
      guard linkProblem == nil, var watch = pair.watch else { return false }
      defer { pair.watch = watch }
      let back = watch.contact(now: now)
      pair.role.lastPrimaryContact = watch.lastContactUnix
      pair.role.primarySilentSince = nil
      return back
    }
    if cameBack { logger.notice("the primary is heard again on the follow link") }
  }

  /// Says, once, when the primary has been silent too long (every face shows it and rings).
  func watchPrimary(now: ClockReading) {
    let silent = role.withLock { pair -> Double? in
      guard pair.role.kind == .standby, var watch = pair.watch else { return nil }
      defer { pair.watch = watch }
      guard watch.check(now: now) else { return nil }
      pair.role.primarySilentSince = watch.silentSince
      return watch.silentSince
    }
    guard let silent else { return }
    let seconds = Int(now.unixSeconds - silent)
    let role = current
    logger.critical(
      "PRIMARY SILENT: no word from \(role.following ?? "the primary") for \(seconds)s\(role.linkProblem.map { " (\($0))" } ?? ""); if it is down, make this standby the primary: \(promoteCommand)"
    )
  }

  /// Applies the primary's actions to `state`, in order, each with its operator and original time: the events
  /// they caused, the journal records for them (and for what the engine had pending), and what could not be
  /// applied (the standby's view differed), for the log.
  func applyFollowed(_ actions: [FollowedAction], to state: inout MonitorState, sites: [SiteConfig], now: ClockReading) -> (
    events: [EngineEvent], records: [JournalRecord], notes: [String]
  ) {
    var notes: [String] = []
    // What the engine had pending is journaled as it came.
    var events = state.withEngine { $0.drainEvents() }
    // Status changes name what was heard, as the tick's do (a copied check-in's heartbeat: `checkin`).
    func journaled(_ events: [EngineEvent], _ state: MonitorState) -> [JournalRecord] {
      events.flatMap { JournalRecord.records(for: $0, sites: sites, heardBy: state.engine.records[$0.siteIndex].lastSource) }
    }
    var records = journaled(events, state)
    for action in actions {
      let at = ClockReading(monotonicNanos: now.monotonicNanos, unixSeconds: action.at)
      do {
        if let request = action.request {
          try state.withEngine { engine in try engine.apply(request, by: action.who, now: at) }
          record(request, by: action.who, at: action.at)
        } else if let checkin = action.checkin {
          try applyCheckin(checkin, by: action.who, at: at, to: &state, now: now)
        }
      } catch {
        // What the primary sent goes to a log: made to fit the operator-text rule first.
        notes.append(
          "\(OperatorText.clamped(action.site, as: .note)) (\(OperatorText.clamped(action.who.displayName, as: .operatorName))): \(error)"
        )
      }
      let applied = state.withEngine { $0.drainEvents() }
      events += applied
      let copies = journaled(applied, state)
      guard action.at < now.unixSeconds - Self.followedActionDelay else {
        records += copies  // as the primary journaled it: the same line in both journals
        continue
      }
      records += copies.map { copy in
        JournalRecord(
          unixSeconds: now.unixSeconds, site: copy.site, kind: copy.kind,
          madeAt: copy.isOperatorAction || copy.isCheckinHeadcount ? action.at : nil)
      }
    }
    return (events, records, notes)
  }

  /// A check-in the primary applied, applied here as the primary did (`StatusEngine.checkin`), heard when it was
  /// sent: one that comes late (after the link was down) does not make the site look heard now. What the primary
  /// sent is checked again: a known site, a name the page would keep, a count in range.
  private func applyCheckin(
    _ checkin: FollowedCheckin, by who: OperatorIdentity, at: ClockReading, to state: inout MonitorState, now: ClockReading
  )
    throws(OperatorActionError)
  {
    guard let index = state.engine.index(of: checkin.site) else { throw .noSuchSite }
    let typedBy = CheckinForm.cleanWho(who.name)
    do throws(OperatorTextError) { try OperatorText.check(typedBy, as: .operatorName) } catch { throw .invalidText(error) }
    if let count = checkin.count, !(0...ConfigLoader.maximumExpected).contains(count) { throw .headcountOutOfRange(count) }
    let late = max(0, now.unixSeconds - at.unixSeconds)
    let heardAt = ClockReading(monotonicNanos: now.monotonicNanos - Int64(min(late, 86_400) * 1e9), unixSeconds: at.unixSeconds)
    state.withEngine { $0.checkin(count: checkin.count, state: checkin.state, typedBy: typedBy, site: index, now: at, heardAt: heardAt) }
    record(checkin, by: OperatorIdentity(name: typedBy), at: at.unixSeconds)
  }

  /// Makes this standby the primary, or says why not: refused while the primary is heard (two primaries would be
  /// two writers), and on a monitor that is not a standby.
  func promote(by who: OperatorIdentity, now: ClockReading) throws(RoleRefusal) {
    let refusal = role.withLock { pair -> String? in
      guard pair.role.kind == .standby else { return "this monitor is already the primary" }
      guard pair.role.primarySilentSince != nil else {
        let age = pair.role.lastPrimaryContact.map { "last word \(Int(now.unixSeconds - $0))s ago" } ?? "heard"
        return "the primary is alive (\(age)); stop it first, or wait until this standby says PRIMARY SILENT"
      }
      pair.role = MonitorRole(kind: .primary, promotedAt: now.unixSeconds)
      pair.watch = nil
      return nil
    }
    if let refusal { throw RoleRefusal(description: refusal) }
    logger.critical("PROMOTED to primary by \(who.displayName): this monitor no longer follows; operators act here now")
  }

  /// The peer says it was promoted: true the first time (this monitor then refuses operators' actions).
  func noteReplaced(by peer: String, promotedAt: Double) -> Bool {
    let isNew = role.withLock { pair -> Bool in
      guard pair.role.replacedBy == nil else { return false }
      pair.role.replacedBy = MonitorRole.Replacement(peer: peer, promotedAt: promotedAt)
      return true
    }
    if isNew {
      logger.critical(
        "REPLACED: the standby \(peer) was promoted to primary; operator actions are refused here. Stop this monitor and restart it as a standby of the new primary (run --follow)"
      )
    }
    return isNew
  }
}
