import BridgeCore
import NIOCore

/// The hub's side of the primary/standby pair: the role every face shows, what a standby is sent and applies, the
/// promotion and the replacement. The pair's state is `MonitorPair`; the hub's state and journal are used here.
extension Monitor {
  /// Primary or standby, as every face shows it.
  public var currentRole: MonitorRole { pair.current }

  /// Makes this monitor a standby of `source` (before `start`): operators' actions are refused here, the follower
  /// applies the primary's, and the primary is silent after `silentAfter` without a word.
  public func becomeStandby(following source: String, silentAfter: Duration) {
    pair.becomeStandby(following: source, silentAfter: silentAfter, now: clock.now())
  }

  /// A standby still following (not promoted).
  public var isFollowing: Bool { pair.current.kind == .standby }

  /// The actions after `position` for a standby of this monitor, or nil when it needs the whole state.
  public func followedActions(after position: FollowPosition?) -> (epoch: String, revision: UInt64, actions: [FollowedAction]?) {
    pair.followedActions(after: position)
  }

  /// The whole operator state for a standby, at the revision it stands for. Read under the state lock (actions are
  /// applied and logged under it), not on the loop: the console thread that asks never waits for a tick.
  public func followState() -> FollowState {
    let (records, log) = intake.withState { ($0.engine.records.all, pair.followedActions(after: nil)) }
    return FollowState(epoch: log.epoch, revision: log.revision, records: records, sites: config.sites)
  }

  /// A word from the primary on the follow link (any line, a keep-alive too), or why the link is down.
  public func notePrimaryContact(linkProblem: String? = nil) {
    pair.notePrimaryContact(linkProblem: linkProblem, now: clock.now())
  }

  /// Applies the primary's actions on this standby, in order, and journals them; returns what could not be
  /// applied (the standby's view differed), for the log.
  public func applyFollowed(_ actions: [FollowedAction]) -> EventLoopFuture<[String]> {
    loop.submit { [self] in
      let now = clock.now()
      let (events, records, notes) = intake.withState { pair.applyFollowed(actions, to: &$0, sites: config.sites, now: now) }
      owned.value.carriedEvents += events
      writeJournal(records, sync: true)
      publishNow()
      return notes
    }
  }

  /// Brings this standby to the primary's whole operator state (a resync): only what differs is applied.
  public func applyFollowed(_ state: FollowState) -> EventLoopFuture<[String]> {
    loop.flatSubmit { [self] in
      let records = self.intake.withState { $0.engine.records.all }
      let now = clock.now().unixSeconds
      let requests = state.requests(toBring: records, sites: config.sites)
      let checkins = state.checkins(toBring: records, sites: config.sites)
      return applyFollowed(requests.map { FollowedAction(revision: 0, request: $0.request, who: $0.who, at: $0.at ?? now) } + checkins)
    }
  }

  /// Makes this standby the primary: it stops following and accepts operators' actions. Refused while the
  /// primary is heard (two primaries would be two writers), and on a monitor that is not a standby.
  public func promote(by who: OperatorIdentity) -> EventLoopFuture<Void> {
    loop.submit { [self] in
      let now = clock.now()
      try pair.promote(by: who, now: now)
      writeJournal(
        [JournalRecord(unixSeconds: now.unixSeconds, site: nil, kind: .role("primary", note: "promoted by \(who.displayName)"))], sync: true
      )
      publishNow()
    }
  }

  /// The peer (`--peer`) says it was promoted: this monitor is no longer the primary the conference follows.
  public func noteReplaced(by peer: String, promotedAt: Double) {
    loop.execute { [self] in
      guard pair.noteReplaced(by: peer, promotedAt: promotedAt) else { return }
      let now = clock.now().unixSeconds
      writeJournal([JournalRecord(unixSeconds: now, site: nil, kind: .role("replaced", note: "by \(peer)"))], sync: true)
      publishNow()
    }
  }
}
