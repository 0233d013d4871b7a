/// Sites per status, indexed by `SiteStatus.rawValue`.
public struct StatusCounts: Sendable, Hashable {
  private var counts = [Int](repeating: 0, count: SiteStatus.allCases.count)

  public init() {}

  public subscript(status: SiteStatus) -> Int {
    get { counts[status.rawValue] }
    set { counts[status.rawValue] = newValue }
  }

  public var total: Int { counts.reduce(0, +) }
}

/// Figures for a group at any depth, or for the whole conference: the one computation behind a group row's words
/// and numbers, the dashboard's header, the status file, `status` and the metrics (a console recomputes them
/// from the records it mirrors, with `recount`).
///
/// Live attendance counts a site's latest headcount only while the site is up (online or late). An offline
/// site's last count, a marked site's count and a count phoned in for a site not heard in this run stay on the
/// site's row, shown as not counted, and add nothing to any group: a group never reads more people than its rows
/// that count. Expected counts every site on the roster whatever its status, so a district with sites down reads
/// below 100% rather than the share of the sites still heard.
public struct Rollup: Sendable, Hashable {
  /// Sites in each status, every status apart: online, late, offline, marked, and unknown (not heard in this run).
  public internal(set) var statusCounts = StatusCounts()
  /// Sum of the latest headcount of every site that is up (online or late): see `RollupContribution`.
  public internal(set) var reportedHeadcount = 0
  /// Sum of the expected headcount of every site, whatever its status.
  public internal(set) var expectedHeadcount = 0
  /// Late or offline sites nobody has acknowledged.
  public internal(set) var unacknowledgedAlerts = 0
  public internal(set) var helpRequests = 0
  /// Sites currently flapping.
  public internal(set) var flapping = 0
  /// Sites whose agent says its count file cannot be read (`count_problem` on the wire): their headcount is stale.
  public internal(set) var countFileProblems = 0

  public init() {}

  public var siteCount: Int { statusCounts.total }
  /// Sites heard recently enough: online or late. Only these count in `reportedHeadcount`.
  public var sitesUp: Int { statusCounts[.online] + statusCounts[.late] }
  /// Sites not heard in this run (status unknown): never, or not yet since a restart.
  public var neverHeard: Int { statusCounts[.unknown] }

  /// reported / expected in percent; nil when nothing is expected.
  public var attendancePercent: Double? {
    expectedHeadcount > 0 ? Double(reportedHeadcount) * 100 / Double(expectedHeadcount) : nil
  }

  /// The worst status present, by `SiteStatus.severity`.
  public var worstStatus: SiteStatus {
    SiteStatus.allCases.filter { statusCounts[$0] > 0 }.max(by: { $0.severity < $1.severity }) ?? .unknown
  }

  /// The order in which a group's sites are told by status (a group row, the dashboard's status line): online
  /// first (as "online of all"), then the other statuses worst first.
  public static let statusesInWords: [SiteStatus] = [.online, .offline, .late, .marked, .unknown]

  mutating func add(_ part: RollupContribution, sign: Int) {
    statusCounts[part.status] += sign
    reportedHeadcount += sign * part.countedHeadcount
    unacknowledgedAlerts += part.alert ? sign : 0
    helpRequests += part.help ? sign : 0
    flapping += part.flapping ? sign : 0
    countFileProblems += part.countFileProblem ? sign : 0
  }
}

extension SiteStatus {
  /// Heard recently enough: online or late. Only a site that is up counts its headcount in live attendance.
  public var isUp: Bool { self == .online || self == .late }
}

extension Rollup {
  /// Every group's figures computed from scratch. The engine keeps them incrementally; this is the reference the
  /// tests compare against, what a console computes from its mirrored records, and what the benchmark times as
  /// the cost the incremental path avoids.
  public static func recount(sites: [SiteConfig], records: [SiteRecord], groups: GroupTree) -> [Rollup] {
    recountAny(sites: sites, records: records, groups: groups)
  }

  /// `recount` over the facts a face holds.
  public static func recount(sites: [SiteFacts], records: [SiteRecord], groups: GroupTree) -> [Rollup] {
    recountAny(sites: sites, records: records, groups: groups)
  }

  // Generic only inside the module, where it is specialized: called from another module a generic runs through
  // witness tables on every site, four times slower in `bench micro`.
  static func recountAny(sites: [some RosterSite], records: [SiteRecord], groups: GroupTree) -> [Rollup] {
    var rollups = Array(repeating: Rollup(), count: groups.nodes.count)
    for (index, record) in records.enumerated() {
      let contribution = RollupContribution(record)
      for node in groups.ancestorsOfSite[index] {
        rollups[node].expectedHeadcount += sites[index].expected
        rollups[node].add(contribution, sign: 1)
      }
    }
    return rollups
  }
}

/// What one site adds to every group above it: a group's figures are the sum of its sites' contributions, and a
/// site's row, its per-site metrics and its status-file entry show the same contribution.
public struct RollupContribution: Equatable, Sendable {
  public var status: SiteStatus
  /// The site's latest headcount while it is up (online or late); 0 otherwise.
  public var countedHeadcount: Int
  /// The headcount the site has but that counts for nothing because the site is not up (offline, marked, not
  /// heard in this run); nil when it has none or it counts.
  public var uncountedHeadcount: Int?
  /// Late or offline, and nobody acknowledged it.
  public var alert: Bool
  /// Asking for help, and not marked offline.
  public var help: Bool
  public var flapping: Bool
  /// Its agent's last heartbeat said the count file could not be read.
  public var countFileProblem: Bool

  public init(_ record: SiteRecord) {
    status = record.status
    countedHeadcount = record.status.isUp ? record.headcount ?? 0 : 0
    uncountedHeadcount = record.status.isUp ? nil : record.headcount
    alert = (record.status == .late || record.status == .offline) && record.acknowledgedBy == nil
    help = record.flags.contains(.helpRequested) && record.status != .marked
    flapping = record.flags.contains(.flapping)
    countFileProblem = record.countProblem != nil
  }
}

/// The group hierarchy of a roster: node 0 is the whole conference, then every group path at every depth.
public struct GroupTree: Sendable {
  public struct Node: Sendable {
    /// Path from the outermost group; empty for the root.
    public var path: [String]
    public var parent: Int?
    /// Child groups in roster order.
    public var children: [Int] = []
    /// Sites directly in this group, in roster order.
    public var sites: [Int] = []
    public var depth: Int { path.count }
    public var name: String { path.last ?? "" }
  }

  private struct ChildKey: Hashable {
    var parent: Int
    var name: String
  }

  public private(set) var nodes: [Node]
  /// For each site, the nodes that contain it, root first.
  public private(set) var ancestorsOfSite: [[Int]]

  public init(sites: [some RosterSite]) {
    nodes = [Node(path: [], parent: nil)]
    ancestorsOfSite = []
    ancestorsOfSite.reserveCapacity(sites.count)
    // A group is found by its parent and its own name: hashing each prefix of a path whole made the tree's
    // cost grow with the square of a path's depth.
    var indexOfChild: [ChildKey: Int] = [:]
    for (siteIndex, site) in sites.enumerated() {
      var chain = [0]
      chain.reserveCapacity(site.group.count + 1)
      var parent = 0
      for name in site.group {
        let key = ChildKey(parent: parent, name: name)
        if let existing = indexOfChild[key] {
          parent = existing
        } else {
          nodes.append(Node(path: nodes[parent].path + [name], parent: parent))
          let index = nodes.count - 1
          nodes[parent].children.append(index)
          indexOfChild[key] = index
          parent = index
        }
        chain.append(parent)
      }
      nodes[parent].sites.append(siteIndex)
      ancestorsOfSite.append(chain)
    }
  }

  /// Node indices depth first from the root, children in roster order: a district listed under its province
  /// even when the roster names it after another province.
  public var depthFirstOrder: [Int] {
    var order: [Int] = []
    order.reserveCapacity(nodes.count)
    var stack = [0]
    while let node = stack.popLast() {
      order.append(node)
      stack += nodes[node].children.reversed()
    }
    return order
  }

  public func node(path: [String]) -> Int? {
    var current = 0
    for segment in path {
      guard let next = nodes[current].children.first(where: { nodes[$0].name == segment }) else { return nil }
      current = next
    }
    return current
  }

  /// All sites in the subtree of `node`, in roster order of groups.
  public func sitesUnder(_ node: Int) -> [Int] {
    nodes[node].sites + nodes[node].children.flatMap { sitesUnder($0) }
  }
}
