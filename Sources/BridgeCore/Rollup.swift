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

/// Figures for a group at any depth, or for the whole conference.
public struct Rollup: Sendable, Hashable {
  public internal(set) var statusCounts = StatusCounts()
  /// Sum of the latest headcount of every site not marked offline.
  public internal(set) var reportedHeadcount = 0
  public internal(set) var expectedHeadcount = 0
  /// Late or offline sites nobody has acknowledged.
  public internal(set) var unacknowledgedAlerts = 0
  public internal(set) var helpRequests = 0
  /// Sites currently flapping.
  public internal(set) var flapping = 0

  public init() {}

  public var siteCount: Int { statusCounts.total }
  /// Sites heard recently enough: online or late.
  public var sitesUp: Int { statusCounts[.online] + statusCounts[.late] }

  /// reported / expected in percent; nil when nothing is expected.
  public var attendancePercent: Double? {
    expectedHeadcount > 0 ? Double(reportedHeadcount) * 100 / Double(expectedHeadcount) : nil
  }

  /// The worst status present, by `SiteStatus.severity`.
  public var worstStatus: SiteStatus {
    SiteStatus.allCases.filter { statusCounts[$0] > 0 }.max(by: { $0.severity < $1.severity }) ?? .unknown
  }

  mutating func add(_ part: RollupContribution, sign: Int) {
    statusCounts[part.status] += sign
    reportedHeadcount += sign * part.headcount
    unacknowledgedAlerts += part.alert ? sign : 0
    helpRequests += part.help ? sign : 0
    flapping += part.flapping ? sign : 0
  }
}

extension Rollup {
  /// Every group's figures computed from scratch. The engine keeps them incrementally; this is the reference the
  /// tests compare against, and what the benchmark times as the cost the incremental path avoids.
  public static func recount(sites: [SiteConfig], records: [SiteRecord], groups: GroupTree) -> [Rollup] {
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

/// What one site adds to every group above it.
struct RollupContribution: Equatable {
  var status: SiteStatus
  var headcount: Int
  var alert: Bool
  var help: Bool
  var flapping: Bool

  init(_ record: SiteRecord) {
    status = record.status
    headcount = record.status == .marked ? 0 : record.headcount ?? 0
    alert = (record.status == .late || record.status == .offline) && record.acknowledgedBy == nil
    help = record.flags.contains(.helpRequested) && record.status != .marked
    flapping = record.flags.contains(.flapping)
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

  public init(sites: [SiteConfig]) {
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
