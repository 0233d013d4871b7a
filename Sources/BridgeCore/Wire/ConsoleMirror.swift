/// A console's copy of the monitor's state, kept from its snapshot and deltas, optionally narrowed to one group
/// (a province room sees its province, and the header's figures are the province's).
public struct ConsoleMirror: Sendable {
  public let facts: ConsoleFacts
  /// The group shown, outermost first; nil: everything.
  public let group: [String]?
  /// The monitor's site index of each site shown, in roster order.
  public let shownSites: [Int]
  /// The shown index of each of the monitor's sites; nil when outside the group.
  private let localIndex: [Int?]
  private let sites: [SiteFacts]
  private let groups: GroupTree
  public private(set) var revision: UInt64?
  public private(set) var snapshot: MonitorSnapshot

  public enum Outcome: Equatable, Sendable {
    /// Applied; these events concern shown sites.
    case applied(events: [EngineEvent])
    /// A delta from another revision than ours: ask for a fresh snapshot.
    case needsSnapshot
  }

  public enum GroupError: Error, Equatable, CustomStringConvertible {
    case noSuchGroup(String, known: [String])
    public var description: String {
      switch self {
      case .noSuchGroup(let name, let known):
        let listed = known.prefix(12).joined(separator: ", ") + (known.count > 12 ? ", …" : "")
        return "no group named \"\(name)\" in this conference; its groups include: \(listed)"
      }
    }
  }

  /// `group`: a group's name ("Bắc Kạn") or its path ("Bắc Kạn / Chợ Đồn"); a name matches at any depth.
  public init(facts: ConsoleFacts, group: String? = nil) throws(GroupError) {
    self.facts = facts
    let all = facts.siteFacts
    var shown = Array(all.indices)
    var chosenPath: [String]?
    if let group {
      let wanted = GroupPath.parse(group) ?? [group]
      shown = all.indices.filter { index in
        let path = all[index].group
        if wanted.count > 1 { return path.starts(with: wanted) }
        return path.contains(wanted[0])
      }
      guard !shown.isEmpty else {
        var names: [String] = []
        for site in all where !names.contains(site.group.first ?? "") { names.append(site.group.first ?? "") }
        throw .noSuchGroup(group, known: names.filter { !$0.isEmpty })
      }
      chosenPath = wanted
    }
    self.group = chosenPath
    shownSites = shown
    var local = [Int?](repeating: nil, count: all.count)
    for (position, index) in shown.enumerated() { local[index] = position }
    localIndex = local
    sites = shown.map { all[$0] }
    groups = GroupTree(sites: sites)
    let records = Array(repeating: SiteRecord(), count: sites.count)
    snapshot = MonitorSnapshot(
      title: chosenPath.map { "\(facts.title) · \($0.joined(separator: GroupPath.separator))" } ?? facts.title,
      takenAt: ClockReading(monotonicNanos: 0, unixSeconds: 0), sites: sites, records: records,
      rollups: Rollup.recount(sites: sites, records: records, groups: groups), groups: groups, counters: IngestCounters())
  }

  /// The shown index of the monitor's site `index`.
  public func shownIndex(ofMonitorSite index: Int) -> Int? { localIndex.indices.contains(index) ? localIndex[index] : nil }

  public mutating func apply(_ message: ConsoleSnapshot) {
    var records = Array(repeating: SiteRecord(), count: sites.count)
    for site in message.sites {
      if let local = shownIndex(ofMonitorSite: site.index) { records[local] = site.record }
    }
    snapshot.records = records
    snapshot.takenAt = message.taken.reading
    apply(message.status)
    snapshot.rollups = Rollup.recount(sites: sites, records: records, groups: groups)
    applyBridge(message.bridge, whole: true)
    revision = message.revision
  }

  public mutating func apply(_ delta: ConsoleDelta) -> Outcome {
    guard delta.base == revision else { return .needsSnapshot }
    var wholeChanged = false
    for site in delta.sites {
      guard let local = shownIndex(ofMonitorSite: site.index) else { continue }
      snapshot.records[local] = site.record
      wholeChanged = true
    }
    for beat in delta.beats.beats() ?? [] {
      guard let local = shownIndex(ofMonitorSite: beat.index) else { continue }
      beat.apply(to: &snapshot.records[local])
    }
    if wholeChanged { snapshot.rollups = Rollup.recount(sites: sites, records: snapshot.records, groups: groups) }
    snapshot.takenAt = delta.taken.reading
    apply(delta.status)
    if let bridge = delta.bridge { applyBridge(bridge, whole: false) }
    revision = delta.revision
    return .applied(events: delta.events.compactMap { shown($0.event) })
  }

  public mutating func apply(_ detail: ConsoleDetail) {
    guard var history = detail.history, let local = shownIndex(ofMonitorSite: history.site) else {
      snapshot.detail = nil
      return
    }
    history.site = local
    history.recentEvents = history.recentEvents.compactMap(shown)
    snapshot.detail = history
  }

  /// Consoles attached to the monitor, as it last said.
  public private(set) var consoleCount = 0

  private mutating func apply(_ status: ConsoleMonitorStatus) {
    snapshot.counters = status.counters
    snapshot.journalProblem = status.journalProblem
    snapshot.clockNote = status.clockNote
    snapshot.role = status.role
    consoleCount = status.consoles
  }

  /// The bridges' state for the shown sites, kept from the snapshot's and deltas' `bridge` (nil polls: no bridge).
  private var bridgePolls: [BridgePollState]?
  private var bridgeLegs: [BridgeLeg?] = []
  private var bridgeDisagreements: [BridgeDisagreement?] = []

  /// `whole`: a snapshot's (every site not listed is neither in nor disagreeing); else a delta's changes.
  private mutating func applyBridge(_ bridge: ConsoleBridge?, whole: Bool) {
    guard let bridge else {
      (bridgePolls, bridgeLegs, bridgeDisagreements, snapshot.bridge) = (nil, [], [], nil)
      return
    }
    if whole || bridgeLegs.count != sites.count {
      bridgeLegs = Array(repeating: nil, count: sites.count)
      bridgeDisagreements = Array(repeating: nil, count: sites.count)
    }
    if let summary = bridge.summary { bridgePolls = summary.polls.map(\.state) }
    for entry in bridge.sites {
      guard let local = shownIndex(ofMonitorSite: entry.index) else { continue }
      bridgeLegs[local] = entry.leg?.leg
      bridgeDisagreements[local] = entry.disagreement
    }
    snapshot.bridge = bridgePolls.map { Self.bridgeView(polls: $0, legs: bridgeLegs, disagreements: bridgeDisagreements) }
  }

  /// The events that concern shown sites, renumbered to them.
  public func shownEvents(_ events: [EngineEvent]) -> [EngineEvent] { events.compactMap(shown) }

  private func shown(_ event: EngineEvent) -> EngineEvent? {
    guard let local = shownIndex(ofMonitorSite: event.siteIndex) else { return nil }
    var event = event
    event.siteIndex = local
    return event
  }
}
