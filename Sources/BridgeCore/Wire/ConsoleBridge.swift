// MARK: Bridge on consoles (issue 32)

/// The conference bridges as the console protocol carries them (docs/CONSOLE-PROTOCOL.md "Bridges"), in a
/// snapshot's and a delta's `bridge`: the bridges' polling and the header's counts (`summary`), and the sites in a
/// bridge or in a disagreement (`sites`). A site not listed is out of the bridge, or unknown while a bridge is not
/// read: the same for every such site, so it is said once, by the polls. A delta carries `bridge` only when
/// something in it changed, `summary` only when the polls or counts changed, and only the sites that changed (an
/// entry with neither `leg` nor `disagreement` says the site is now neither in nor disagreeing).
public struct ConsoleBridge: Sendable, Equatable, Codable {
  public var summary: ConsoleBridgeSummary?
  public var sites: [ConsoleBridgeSite]

  public init(summary: ConsoleBridgeSummary?, sites: [ConsoleBridgeSite]) {
    self.summary = summary
    self.sites = sites
  }

  /// A snapshot's: every site in a bridge or disagreeing.
  public init(_ view: BridgeView) {
    summary = ConsoleBridgeSummary(view)
    sites = view.sites.indices.compactMap { index in
      let entry = ConsoleBridgeSite(view, index: index)
      return entry.leg == nil && entry.disagreement == nil ? nil : entry
    }
  }

  /// A delta's, from the view last published to this one: nil when nothing a console shows changed.
  public static func delta(from old: BridgeView?, to new: BridgeView) -> ConsoleBridge? {
    guard let old, old.sites.count == new.sites.count else { return ConsoleBridge(new) }
    let summary = ConsoleBridgeSummary(new)
    var sites: [ConsoleBridgeSite] = []
    for index in new.sites.indices where old.sites[index] != new.sites[index] || old.disagreements[index] != new.disagreements[index] {
      sites.append(ConsoleBridgeSite(new, index: index))
    }
    let summaryChanged = summary != ConsoleBridgeSummary(old)
    guard summaryChanged || !sites.isEmpty else { return nil }
    return ConsoleBridge(summary: summaryChanged ? summary : nil, sites: sites)
  }

  enum CodingKeys: String, CodingKey { case summary, sites }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    summary = try container.decodeIfPresent(ConsoleBridgeSummary.self, forKey: .summary)
    sites = try container.decode([ConsoleBridgeSite].self, forKey: .sites)
  }
}

/// The bridges' polling and the header's counts, as the monitor computed them (`BridgeBoard.view`).
public struct ConsoleBridgeSummary: Sendable, Equatable, Codable {
  public var polls: [ConsoleBridgePoll]
  public var inBridge: Int
  public var agentSilent: Int
  public var notInBridge: Int
  public var unmatched: Int
  /// Sites in a bridge by call-quality verdict: good, degraded, bad (absent from monitors before it).
  public var quality: [Int]?

  public init(_ view: BridgeView) {
    polls = view.polls.map(ConsoleBridgePoll.init)
    inBridge = view.inBridgeCount
    agentSilent = view.agentSilentCount
    notInBridge = view.notInBridgeCount
    unmatched = view.unmatchedCount
    quality = view.verdictCounts
  }

  enum CodingKeys: String, CodingKey {
    case polls, inBridge = "in_bridge", agentSilent = "agent_silent", notInBridge = "not_in_bridge", unmatched, quality
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    polls = try container.decode([ConsoleBridgePoll].self, forKey: .polls)
    guard polls.count <= BridgeSettings.maximumBridges else {
      throw DecodingError.dataCorruptedError(
        forKey: .polls, in: container, debugDescription: "more than \(BridgeSettings.maximumBridges) bridges")
    }
    inBridge = try container.decodeCount(forKey: .inBridge)
    agentSilent = try container.decodeCount(forKey: .agentSilent)
    notInBridge = try container.decodeCount(forKey: .notInBridge)
    unmatched = try container.decodeCount(forKey: .unmatched)
    quality = try container.decodeIfPresent([Int].self, forKey: .quality)
    guard quality.map({ $0.count == BridgeVerdict.allCases.count && $0.allSatisfy { $0 >= 0 } }) ?? true else {
      throw DecodingError.dataCorruptedError(forKey: .quality, in: container, debugDescription: "quality is three counts")
    }
  }
}

/// One bridge's polling (`BridgePollState`): its texts cut to their bounds and made printable as they are read.
public struct ConsoleBridgePoll: Sendable, Equatable, Codable {
  public var state: BridgePollState

  public init(_ state: BridgePollState) { self.state = state }

  enum CodingKeys: String, CodingKey {
    case label = "bridge", lastSuccess = "last_success", problem, participants, unmatched, unmatchedNames = "unmatched_names"
    case polls, failures, sessionsRenewed = "sessions_renewed", eventsApplied = "events_applied", bodiesRefused = "bodies_refused"
    case audioProblem = "audio_problem"
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(state.label, forKey: .label)
    try container.encodeIfPresent(state.lastSuccess, forKey: .lastSuccess)
    try container.encodeIfPresent(state.problem, forKey: .problem)
    try container.encodeIfPresent(state.audioProblem, forKey: .audioProblem)
    try container.encode(state.participants, forKey: .participants)
    try container.encode(state.unmatchedCount, forKey: .unmatched)
    if !state.unmatchedNames.isEmpty { try container.encode(state.unmatchedNames, forKey: .unmatchedNames) }
    try container.encode(state.polls, forKey: .polls)
    try container.encode(state.failures, forKey: .failures)
    try container.encode(state.sessionsRenewed, forKey: .sessionsRenewed)
    try container.encode(state.eventsApplied, forKey: .eventsApplied)
    try container.encode(state.bodiesRefused, forKey: .bodiesRefused)
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    state = BridgePollState(label: Self.text(try container.decode(String.self, forKey: .label), bytes: 256))
    state.lastSuccess = try container.decodeTimeIfPresent(forKey: .lastSuccess)
    state.problem = try container.decodeIfPresent(String.self, forKey: .problem).map { Self.text($0, bytes: 1024) }
    state.audioProblem = try container.decodeIfPresent(String.self, forKey: .audioProblem).map { Self.text($0, bytes: 1024) }
    state.participants = try container.decodeCount(forKey: .participants)
    state.unmatchedCount = try container.decodeCount(forKey: .unmatched)
    let names = try container.decodeIfPresent([String].self, forKey: .unmatchedNames) ?? []
    guard names.count <= BridgeReconcile.maximumUnmatchedNames else {
      throw DecodingError.dataCorruptedError(
        forKey: .unmatchedNames, in: container, debugDescription: "more than \(BridgeReconcile.maximumUnmatchedNames) names")
    }
    state.unmatchedNames = names.map { Self.text($0, bytes: BridgeParticipant.maximumDisplayBytes) }
    state.polls = try container.decode(UInt64.self, forKey: .polls)
    state.failures = try container.decode(UInt64.self, forKey: .failures)
    state.sessionsRenewed = try container.decode(UInt64.self, forKey: .sessionsRenewed)
    // Absent from monitors before the receivers' counts.
    state.eventsApplied = try container.decodeIfPresent(UInt64.self, forKey: .eventsApplied) ?? 0
    state.bodiesRefused = try container.decodeIfPresent(UInt64.self, forKey: .bodiesRefused) ?? 0
  }

  static func text(_ text: String, bytes: Int) -> String {
    TextSanitizer.printable(BridgeParticipant.bounded(text, bytes: bytes))
  }
}

/// A site's entry: its leg while it is in a bridge, its disagreement while it has one.
public struct ConsoleBridgeSite: Sendable, Equatable, Codable {
  public var index: Int
  public var leg: ConsoleBridgeLeg?
  public var disagreement: BridgeDisagreement?

  public init(index: Int, leg: ConsoleBridgeLeg?, disagreement: BridgeDisagreement?) {
    self.index = index
    self.leg = leg
    self.disagreement = disagreement
  }

  init(_ view: BridgeView, index: Int) {
    self.index = index
    if case .inBridge(let leg) = view.sites[index] { self.leg = ConsoleBridgeLeg(leg) } else { leg = nil }
    disagreement = view.disagreements[index]
  }

  enum CodingKeys: String, CodingKey { case index = "i", leg = "in", disagreement }

  /// The disagreement's word on the wire, as in the status file; a word this console does not know reads as none.
  static func word(_ disagreement: BridgeDisagreement) -> String {
    switch disagreement {
    case .inBridgeAgentSilent: "in_bridge_agent_silent"
    case .aliveNotInBridge: "agent_alive_not_in_bridge"
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(index, forKey: .index)
    try container.encodeIfPresent(leg, forKey: .leg)
    try container.encodeIfPresent(disagreement.map(Self.word), forKey: .disagreement)
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    index = try container.decodeCount(forKey: .index)
    leg = try container.decodeIfPresent(ConsoleBridgeLeg.self, forKey: .leg)
    let word = try container.decodeIfPresent(String.self, forKey: .disagreement)
    disagreement = BridgeDisagreement.allCases.first { word == Self.word($0) }
  }
}

/// A site's leg (`BridgeLeg`): the bridge's id for it, since when, what the bridge says of its media.
public struct ConsoleBridgeLeg: Sendable, Equatable, Codable {
  public var leg: BridgeLeg

  public init(_ leg: BridgeLeg) { self.leg = leg }

  /// A roster larger than the bridge clients take (100,000) cannot put a site in it more often.
  static let maximumLegs = 100_000

  enum CodingKeys: String, CodingKey {
    case id, since, legs, muted, talking, mediaUp = "media_up", quality, audioArriving = "audio_arriving"
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(leg.participantID, forKey: .id)
    try container.encode(leg.since, forKey: .since)
    try container.encode(leg.legs, forKey: .legs)
    try container.encodeIfPresent(leg.muted, forKey: .muted)
    try container.encodeIfPresent(leg.talking, forKey: .talking)
    try container.encodeIfPresent(leg.mediaUp, forKey: .mediaUp)
    try container.encodeIfPresent(leg.audioArriving, forKey: .audioArriving)
    try container.encodeIfPresent(leg.quality.map(ConsoleBridgeQuality.init), forKey: .quality)
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let legs = try container.decode(Int.self, forKey: .legs)
    guard (1...Self.maximumLegs).contains(legs) else {
      throw DecodingError.dataCorruptedError(forKey: .legs, in: container, debugDescription: "legs \(legs) out of range")
    }
    leg = BridgeLeg(
      participantID: ConsoleBridgePoll.text(try container.decode(String.self, forKey: .id), bytes: BridgeParticipant.maximumIDBytes),
      since: try container.decodeTime(forKey: .since), muted: try container.decodeIfPresent(Bool.self, forKey: .muted),
      talking: try container.decodeIfPresent(Bool.self, forKey: .talking),
      mediaUp: try container.decodeIfPresent(Bool.self, forKey: .mediaUp), legs: legs,
      quality: try container.decodeIfPresent(ConsoleBridgeQuality.self, forKey: .quality)?.quality,
      audioArriving: try container.decodeIfPresent(Bool.self, forKey: .audioArriving))
  }
}

/// A leg's call quality (`BridgeQuality`): `loss` (percent), `jitter` and `rtt` (milliseconds), `bridge` (the
/// bridge's own word), `alarms`; what is out of its range or unknown is dropped as it is read, as the clients do.
public struct ConsoleBridgeQuality: Sendable, Equatable, Codable {
  public var quality: BridgeQuality

  public init(_ quality: BridgeQuality) { self.quality = quality }

  enum CodingKeys: String, CodingKey { case loss, jitter, rtt, bridge, alarms }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encodeIfPresent(quality.lossPercent, forKey: .loss)
    try container.encodeIfPresent(quality.jitterMilliseconds, forKey: .jitter)
    try container.encodeIfPresent(quality.roundTripMilliseconds, forKey: .rtt)
    try container.encodeIfPresent(quality.bridgeWord, forKey: .bridge)
    if !quality.alarms.isEmpty { try container.encode(quality.alarms, forKey: .alarms) }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let alarms = try container.decodeIfPresent([String].self, forKey: .alarms) ?? []
    guard alarms.count <= BridgeQuality.alarmNames.count else {
      throw DecodingError.dataCorruptedError(forKey: .alarms, in: container, debugDescription: "more than 3 alarms")
    }
    quality = BridgeQuality(
      lossPercent: try container.decodeIfPresent(Double.self, forKey: .loss),
      jitterMilliseconds: try container.decodeIfPresent(Double.self, forKey: .jitter),
      roundTripMilliseconds: try container.decodeIfPresent(Double.self, forKey: .rtt),
      bridgeWord: try container.decodeIfPresent(String.self, forKey: .bridge), alarms: alarms)
  }
}

extension KeyedDecodingContainer {
  /// A count or an index: a whole number from 0 to 2^31.
  fileprivate func decodeCount(forKey key: Key) throws -> Int {
    let value = try decode(Int.self, forKey: key)
    guard (0...Int(Int32.max)).contains(value) else {
      throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(value) is not a count from 0 to 2^31")
    }
    return value
  }
}

extension ConsoleMirror {
  /// The bridges as this console shows them: the monitor's states and disagreements for the shown sites, any other
  /// site out (or unknown while a bridge is not read, as `BridgeBoard.state` says), counted over the shown sites by
  /// `BridgeView.counting`, so a console narrowed to a group counts its group and a whole one the monitor's figures.
  static func bridgeView(polls: [BridgePollState], legs: [BridgeLeg?], disagreements: [BridgeDisagreement?]) -> BridgeView {
    let rest: BridgeSiteState = !polls.isEmpty && polls.allSatisfy(\.isKnown) ? .notInBridge : .unknown
    return BridgeView.counting(polls: polls, sites: legs.map { $0.map(BridgeSiteState.inBridge) ?? rest }, disagreements: disagreements)
  }
}

extension BridgeView {
  /// A view whose counts are those of `sites` and `disagreements`: the one rule `BridgeBoard.view` counts by too.
  public static func counting(polls: [BridgePollState], sites: [BridgeSiteState], disagreements: [BridgeDisagreement?]) -> BridgeView {
    var inBridge = 0
    var silent = 0
    var absent = 0
    var verdicts = [0, 0, 0]
    for (state, disagreement) in zip(sites, disagreements) {
      if case .inBridge(let leg) = state {
        inBridge += 1
        if let verdict = leg.quality?.verdict { verdicts[BridgeVerdict.allCases.firstIndex(of: verdict)!] += 1 }
      }
      if disagreement == .inBridgeAgentSilent { silent += 1 } else if disagreement == .aliveNotInBridge { absent += 1 }
    }
    return BridgeView(
      polls: polls, sites: sites, disagreements: disagreements, inBridgeCount: inBridge, agentSilentCount: silent,
      notInBridgeCount: absent, verdictCounts: verdicts)
  }
}
