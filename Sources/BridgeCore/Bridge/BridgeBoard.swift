/// What one poll of a bridge brought back: its roster, or why there is none.
public enum BridgePollOutcome: Sendable, Equatable {
  case roster([BridgeParticipant])
  /// The bridge did not answer, or answered something unusable; `problem` says what, in a line for the log.
  case failed(problem: String)
}

/// A bridge's polling as the faces show it: when its roster was last read, how large it was, and what went wrong.
public struct BridgePollState: Sendable, Equatable {
  public var label: String
  /// Unix seconds of the last successful poll (nil: none yet in this run).
  public var lastSuccess: Double?
  /// Why the last poll failed; nil while the last one succeeded. A bridge whose last poll failed has no known
  /// roster: its sites are neither in nor out (`BridgeSiteState.unknown`).
  public var problem: String?
  public var participants = 0
  public var unmatchedCount = 0
  public var unmatchedNames: [String] = []
  public var polls: UInt64 = 0
  public var failures: UInt64 = 0
  /// Times the bridge's session had to be made again (Janus restarted, or the session timed out).
  public var sessionsRenewed: UInt64 = 0
  /// Pushed events the receiver applied (`events_listen`): a join or a leave that changed the roster.
  public var eventsApplied: UInt64 = 0
  /// Pushed bodies the receiver answered other than 200 (refused, or not taken now: the bridge is polled instead).
  public var bodiesRefused: UInt64 = 0
  /// Why the last poll could not read its participants' audio (Janus's Admin API, `admin_url`); nil when it could,
  /// or does not ask. The roster stands either way.
  public var audioProblem: String?

  public init(label: String) { self.label = label }

  /// The roster of the last poll stands (a poll succeeded, and none failed since).
  public var isKnown: Bool { lastSuccess != nil && problem == nil }

  /// Participants no site claims, as every face counts them: the last roster's while it stands, 0 while the
  /// bridge is not read (its last roster is kept but not trusted).
  public var currentUnmatchedCount: Int { isKnown ? unmatchedCount : 0 }
}

/// A site as the bridges see it.
public enum BridgeSiteState: Sendable, Equatable {
  /// In at least one bridge whose roster is known.
  case inBridge(BridgeLeg)
  /// In no bridge, and every bridge's roster is known.
  case notInBridge
  /// No bridge says it is in, and at least one bridge's roster is not known (not polled yet, or failing).
  case unknown
}

/// The two ways the bridge and the site's own heartbeats disagree (README "Status rules").
public enum BridgeDisagreement: Sendable, Equatable, CaseIterable {
  /// In the bridge, while the heartbeats say offline or the site was never heard.
  case inBridgeAgentSilent
  /// Online or late by heartbeats, while every bridge's roster is known and none has it.
  case aliveNotInBridge

  /// Its word in the journal (`bridge_disagreement`) and the status file.
  public var journalWord: String {
    switch self {
    case .inBridgeAgentSilent: "in_bridge_agent_silent"
    case .aliveNotInBridge: "agent_alive_not_in_bridge"
    }
  }

  public init?(journalWord: String) {
    guard let found = Self.allCases.first(where: { $0.journalWord == journalWord }) else { return nil }
    self = found
  }
}

/// What a reconcile pass of one bridge starts from, taken from the board under the monitor's lock in constant time
/// (the arrays are shared with the board, not copied), so that the pass itself runs outside the lock.
public struct BridgePassBase: Sendable {
  public let bridge: Int
  /// The board and the bridge's roster this base was taken from: a pass applies as computed only while both
  /// are unchanged (`BridgeBoard.apply(_: BridgePreparedPass)`).
  let board: UInt64
  let generation: UInt64
  let previous: [BridgeLeg?]
  /// When the journal says each site joined, while the bridge's first roster has not taken them yet; else empty.
  let restoredSince: [Double?]
  let index: BridgeNameIndex
}

/// A poll reconciled outside the lock, ready to apply: the outcome, the pass computed from its base, and the base
/// itself (held until the caller drops this, so the roster it replaces is freed outside the lock too).
public struct BridgePreparedPass: Sendable {
  public let base: BridgePassBase
  public let outcome: BridgePollOutcome
  /// The reconcile of a roster against the base; nil for a failed poll.
  public let result: BridgeReconcile?
  public let now: Double
  public let sessionRenewed: Bool
  public var audioProblem: String? = nil
}

/// The bridges' side of the monitor's state: each bridge's latest roster per site, its polling, and the journal
/// records of joins and leaves not yet drained. Pure. The bridge input reconciles a roster outside the monitor's
/// lock (`passBase`, `prepare`) and applies the result under it (`apply(_: BridgePreparedPass)`): a swap of the
/// bridge's roster and a record per join and leave, never a pass over the whole roster while heartbeats wait.
public struct BridgeBoard: Sendable {
  public private(set) var polls: [BridgePollState]
  /// `presence[bridge][site]`: the site's leg in that bridge's last successful roster.
  private var presence: [[BridgeLeg?]]
  /// Per bridge, bumped by every roster applied: a pass prepared from an older base is reconciled again.
  private var generations: [UInt64]
  /// Tells this board from another one (a restored monitor makes its board anew).
  private let identity = UInt64.random(in: 1...UInt64.max)
  private let index: BridgeNameIndex
  private let siteIDs: [String]
  /// When the journal says each site joined a bridge it had not left when the previous run stopped; used once, by
  /// each bridge's first successful poll.
  private var restoredSince: [Double?]
  private var restoredPending: [Bool]
  private var pendingRecords: [JournalRecord] = []

  public init(config: ConferenceConfig, restoredSince: [Double?] = []) {
    polls = config.bridges.map { BridgePollState(label: $0.label) }
    presence = Array(repeating: Array(repeating: nil, count: config.sites.count), count: config.bridges.count)
    generations = Array(repeating: 0, count: config.bridges.count)
    // Without bridges nothing is looked up: a national roster's names are not indexed for nothing at start.
    index = BridgeNameIndex(sites: config.bridges.isEmpty ? [] : config.sites)
    // Nor is anything kept per site: without bridges no record names a site and nothing is restored.
    siteIDs = config.bridges.isEmpty ? [] : config.sites.map(\.id)
    self.restoredSince =
      config.bridges.isEmpty
      ? [] : restoredSince.count == config.sites.count ? restoredSince : Array(repeating: nil, count: config.sites.count)
    // The journal's joins do not say which bridge: only a config with one bridge takes them back.
    restoredPending = Array(repeating: config.bridges.count == 1, count: config.bridges.count)
  }

  public var isEmpty: Bool { polls.isEmpty }

  /// Applies one poll of bridge `bridge` at `now` (Unix seconds), the whole pass at once: a roster is reconciled
  /// against the last one; each join and leave becomes a journal record. A failure keeps the last roster but makes
  /// it unknown. The monitor's bridge input splits this in two (`prepare` outside its lock, then
  /// `apply(_: BridgePreparedPass)` under it), which must leave the board as this does (`BridgePassTests`).
  @discardableResult
  public mutating func apply(
    _ outcome: BridgePollOutcome, bridge: Int, now: Double, sessionRenewed: Bool = false, audioProblem: String? = nil
  ) -> BridgeReconcile? {
    guard polls.indices.contains(bridge) else { return nil }
    countPoll(bridge: bridge, sessionRenewed: sessionRenewed, audioProblem: audioProblem)
    switch outcome {
    case .failed(let problem):
      fail(bridge: bridge, problem: problem)
      return nil
    case .roster(let roster):
      let restored = restoredPending[bridge] ? restoredSince : []
      let result = BridgeReconcile.reconcile(
        previous: presence[bridge], roster: roster, index: index, now: now, restoredSince: restored)
      take(result, rosterSize: roster.count, bridge: bridge, now: now)
      return result
    }
  }

  /// What a pass of `bridge` starts from, in constant time (under the monitor's lock); nil for no such bridge.
  public func passBase(bridge: Int) -> BridgePassBase? {
    guard polls.indices.contains(bridge) else { return nil }
    return BridgePassBase(
      bridge: bridge, board: identity, generation: generations[bridge], previous: presence[bridge],
      restoredSince: restoredPending[bridge] ? restoredSince : [], index: index)
  }

  /// The pass itself, outside the lock: the roster matched and compared with the base's (one lookup per
  /// participant, one pass over the sites).
  public static func prepare(
    _ base: BridgePassBase, outcome: BridgePollOutcome, now: Double, sessionRenewed: Bool = false, audioProblem: String? = nil
  ) -> BridgePreparedPass {
    var result: BridgeReconcile?
    if case .roster(let roster) = outcome {
      result = BridgeReconcile.reconcile(
        previous: base.previous, roster: roster, index: base.index, now: now, restoredSince: base.restoredSince)
    }
    return BridgePreparedPass(
      base: base, outcome: outcome, result: result, now: now, sessionRenewed: sessionRenewed, audioProblem: audioProblem)
  }

  /// Applies a prepared pass (under the lock): the bridge's new roster takes the old one's place, and each site
  /// that joined or left becomes a journal record. Should the bridge's roster have changed since the base was taken
  /// (another pass applied meanwhile, or the board made anew), the roster is reconciled again here against the
  /// current one, so the board ends as `apply(_:bridge:now:)` would leave it. A failed poll has nothing to
  /// reconcile and is applied as it is.
  @discardableResult
  public mutating func apply(_ prepared: BridgePreparedPass) -> BridgeReconcile? {
    let bridge = prepared.base.bridge
    guard prepared.base.board == identity, polls.indices.contains(bridge), prepared.base.generation == generations[bridge],
      let result = prepared.result
    else {
      return apply(
        prepared.outcome, bridge: bridge, now: prepared.now, sessionRenewed: prepared.sessionRenewed,
        audioProblem: prepared.audioProblem)
    }
    countPoll(bridge: bridge, sessionRenewed: prepared.sessionRenewed, audioProblem: prepared.audioProblem)
    guard case .roster(let roster) = prepared.outcome else { return nil }
    take(result, rosterSize: roster.count, bridge: bridge, now: prepared.now)
    return result
  }

  private mutating func countPoll(bridge: Int, sessionRenewed: Bool, audioProblem: String?) {
    polls[bridge].polls += 1
    if sessionRenewed { polls[bridge].sessionsRenewed += 1 }
    polls[bridge].audioProblem = audioProblem.map { TextSanitizer.printable(String($0.prefix(200))) }
  }

  private mutating func fail(bridge: Int, problem: String) {
    polls[bridge].failures += 1
    polls[bridge].problem = TextSanitizer.printable(String(problem.prefix(200)))
  }

  /// A reconciled roster becomes the bridge's: its presence (one assignment), its poll state, its journal records.
  private mutating func take(_ result: BridgeReconcile, rosterSize: Int, bridge: Int, now: Double) {
    restoredPending[bridge] = false
    presence[bridge] = result.presence
    generations[bridge] &+= 1
    polls[bridge].lastSuccess = now
    polls[bridge].problem = nil
    polls[bridge].participants = rosterSize
    polls[bridge].unmatchedCount = result.unmatchedCount
    polls[bridge].unmatchedNames = result.unmatchedNames
    // The journal says whether a site is in any bridge: a join into a second bridge, or a leave from one while
    // another still has it, changes nothing there (another bridge's last roster counts even while that bridge
    // is not read: its own next roster journals the leave).
    for site in result.joined where !isInAnotherBridge(site: site, than: bridge) {
      pendingRecords.append(JournalRecord(unixSeconds: now, site: siteIDs[site], kind: .bridge(inBridge: true)))
    }
    for site in result.left where !isInAnotherBridge(site: site, than: bridge) {
      pendingRecords.append(JournalRecord(unixSeconds: now, site: siteIDs[site], kind: .bridge(inBridge: false)))
    }
    // A change of a site's call-quality verdict (at most one per site per poll), from the bridge that has it alone.
    for site in result.verdictChanged where !isInAnotherBridge(site: site, than: bridge) {
      let verdict = result.presence[site]?.quality?.verdict?.rawValue
      pendingRecords.append(JournalRecord(unixSeconds: now, site: siteIDs[site], kind: .bridgeQuality(verdict: verdict)))
    }
  }

  /// Applies changes a bridge pushed between polls (under the lock): the work is one lookup per change, never the
  /// roster. A join puts its site in (a journal record unless another bridge has it) or adds a leg; a leave takes
  /// one leg away, the site out with its last; one no site claims is counted or uncounted. Taken only while the
  /// bridge's roster is known (false otherwise: the receiver asks for a poll instead). Bumps the generation, so
  /// that a poll prepared meanwhile is reconciled again against it.
  public mutating func apply(changes: [BridgeRosterChange], bridge: Int, now: Double) -> Bool {
    guard polls.indices.contains(bridge), polls[bridge].isKnown else { return false }
    generations[bridge] &+= 1
    polls[bridge].eventsApplied &+= UInt64(changes.count)
    for change in changes {
      switch change {
      case .joined(let participant):
        polls[bridge].participants += 1
        guard let site = index.site(for: participant), site < siteIDs.count else {
          polls[bridge].unmatchedCount += 1
          if polls[bridge].unmatchedNames.count < BridgeReconcile.maximumUnmatchedNames {
            polls[bridge].unmatchedNames.append(participant.display)
          }
          continue
        }
        if presence[bridge][site] != nil {
          presence[bridge][site]!.legs += 1
          continue
        }
        presence[bridge][site] = BridgeLeg(
          participantID: participant.id, since: now, muted: participant.muted, talking: participant.talking,
          mediaUp: participant.mediaUp, legs: 1, audioArriving: participant.audioArriving)
        if !isInAnotherBridge(site: site, than: bridge) {
          pendingRecords.append(JournalRecord(unixSeconds: now, site: siteIDs[site], kind: .bridge(inBridge: true)))
        }
      case .left(let participant):
        polls[bridge].participants = max(0, polls[bridge].participants - 1)
        guard let site = index.site(for: participant), site < siteIDs.count else {
          polls[bridge].unmatchedCount = max(0, polls[bridge].unmatchedCount - 1)
          if let named = polls[bridge].unmatchedNames.firstIndex(of: participant.display) {
            polls[bridge].unmatchedNames.remove(at: named)
          }
          continue
        }
        guard let leg = presence[bridge][site] else { continue }
        if leg.legs > 1 {
          presence[bridge][site]!.legs -= 1
          continue
        }
        presence[bridge][site] = nil
        if !isInAnotherBridge(site: site, than: bridge) {
          pendingRecords.append(JournalRecord(unixSeconds: now, site: siteIDs[site], kind: .bridge(inBridge: false)))
        }
      }
    }
    return true
  }

  private func isInAnotherBridge(site: Int, than bridge: Int) -> Bool {
    presence.indices.contains { $0 != bridge && presence[$0][site] != nil }
  }

  /// The joins and leaves since the last drain, for the journal.
  /// A pushed body the receiver did not answer 200, for the faces' count.
  public mutating func noteBodyRefused(bridge: Int) {
    guard polls.indices.contains(bridge) else { return }
    polls[bridge].bodiesRefused &+= 1
  }

  public mutating func drainRecords() -> [JournalRecord] {
    defer { pendingRecords.removeAll(keepingCapacity: true) }
    return pendingRecords
  }

  /// A join for each site in a bridge now: what a journal created anew under the running monitor starts with
  /// (after `JournalRecord.checkpoint` at `unixSeconds`), so that a later restart still knows who is in. Each is
  /// written at the checkpoint's time, so the new journal never goes back before its `start`, with the time the
  /// site joined in `made_at` (what a restart takes back as when it joined).
  public func checkpointRecords(unixSeconds: Double) -> [JournalRecord] {
    siteIDs.indices.compactMap { site in
      guard case .inBridge(let leg) = state(site: site) else { return nil }
      return JournalRecord(unixSeconds: unixSeconds, site: siteIDs[site], kind: .bridge(inBridge: true), madeAt: leg.since)
    }
  }

  /// The site across every bridge: in if any known roster has it (the earliest `since`), out only when every
  /// roster is known.
  public func state(site: Int) -> BridgeSiteState {
    var found: BridgeLeg?
    var allKnown = true
    for bridge in polls.indices {
      guard polls[bridge].isKnown else {
        allKnown = false
        continue
      }
      if let leg = presence[bridge][site], found.map({ leg.since < $0.since }) ?? true { found = leg }
    }
    if let found { return .inBridge(found) }
    return allKnown && !polls.isEmpty ? .notInBridge : .unknown
  }

  /// The rule of README "Status rules": in the bridge while heartbeats say offline or never heard; online or late
  /// by heartbeats while known not to be in any bridge. A marked site is judged by its heartbeats.
  public static func disagreement(_ state: BridgeSiteState, heartbeatStatus: SiteStatus) -> BridgeDisagreement? {
    switch (state, heartbeatStatus) {
    case (.inBridge, .offline), (.inBridge, .unknown): .inBridgeAgentSilent
    case (.notInBridge, .online), (.notInBridge, .late): .aliveNotInBridge
    default: nil
    }
  }

  /// What the faces read, for every site: one pass over the sites and bridges, counted by `BridgeView.counting`.
  public func view(records: [SiteRecord]) -> BridgeView {
    var sites: [BridgeSiteState] = []
    sites.reserveCapacity(records.count)
    var disagreements: [BridgeDisagreement?] = []
    disagreements.reserveCapacity(records.count)
    for site in records.indices {
      let state = state(site: site)
      sites.append(state)
      disagreements.append(Self.disagreement(state, heartbeatStatus: records[site].heartbeatStatus))
    }
    return BridgeView.counting(polls: polls, sites: sites, disagreements: disagreements)
  }
}

/// The bridges as a snapshot carries them.
public struct BridgeView: Sendable, Equatable {
  public var polls: [BridgePollState]
  /// Per site, in config order.
  public var sites: [BridgeSiteState]
  public var disagreements: [BridgeDisagreement?]

  /// Site `site`'s disagreement, if any (none for an index the board does not cover).
  public func disagreement(site: Int) -> BridgeDisagreement? {
    disagreements.indices.contains(site) ? disagreements[site] : nil
  }

  /// Sites in a bridge; sites "in the bridge, agent silent"; sites "agent alive, not in the bridge".
  public var inBridgeCount: Int
  public var agentSilentCount: Int
  public var notInBridgeCount: Int
  /// Sites in a bridge by their call-quality verdict (`BridgeQuality.verdict`), indexed like `BridgeVerdict.allCases`;
  /// a site in with no verdict is in none.
  public var verdictCounts: [Int] = [0, 0, 0]

  public func verdictCount(_ verdict: BridgeVerdict) -> Int { verdictCounts[BridgeVerdict.allCases.firstIndex(of: verdict)!] }

  /// Site `site`'s call-quality verdict while it is in a bridge.
  public func verdict(site: Int) -> BridgeVerdict? {
    guard sites.indices.contains(site), case .inBridge(let leg) = sites[site] else { return nil }
    return leg.quality?.verdict
  }

  /// Participants no site claims, over every bridge whose roster is known.
  public var unmatchedCount: Int { polls.reduce(0) { $0 + $1.currentUnmatchedCount } }
}
