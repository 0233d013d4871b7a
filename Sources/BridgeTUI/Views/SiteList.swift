import BridgeCore
import Foundation

/// Text folded for searching: lower case, accents dropped, đ as d, so `hoa binh` finds `Hòa Bình`.
public enum SearchFolding {
  public static func fold(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars {
      switch scalar.value {
      case 0x0300...0x036F: continue  // combining accents
      case 0x41...0x5A: bytes.append(UInt8(scalar.value + 0x20))
      case 0x0110, 0x0111: bytes.append(UInt8(ascii: "d"))  // Đ đ do not decompose
      case 0x00...0x7F: bytes.append(UInt8(scalar.value))
      default: bytes += Array(String(scalar).lowercased().utf8)
      }
    }
    return bytes
  }

  /// Words of the query, folded; every word must occur.
  public static func words(_ query: String) -> [[UInt8]] {
    fold(query).split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }).map(Array.init)
  }

  static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty else { return true }
    guard haystack.count >= needle.count else { return false }
    let first = needle[0]
    return haystack.withUnsafeBufferPointer { hay in
      needle.withUnsafeBufferPointer { pin in
        var start = 0
        let last = hay.count - pin.count
        while start <= last {
          if hay[start] == first {
            var matched = 1
            while matched < pin.count && hay[start + matched] == pin[matched] { matched += 1 }
            if matched == pin.count { return true }
          }
          start += 1
        }
        return false
      }
    }
  }
}

/// What never changes while the monitor runs, prepared once: each site's folded search text and name.
public struct RosterIndex: Sendable {
  public let siteCount: Int
  let searchText: [[UInt8]]
  let foldedNames: [[UInt8]]
  /// The longest site id, in characters (at least 2), which sizes the table's id column.
  let longestID: Int
  /// The widest site name and group label, in cells: the table gives them room before the status word.
  let longestName: Int
  let longestGroup: Int

  public init(sites: [SiteFacts]) {
    siteCount = sites.count
    searchText = sites.map { SearchFolding.fold("\($0.id) \($0.name) \($0.groupLabel)") }
    foldedNames = sites.map { SearchFolding.fold($0.name) }
    longestID = sites.reduce(2) { max($0, $1.id.count) }
    (longestName, longestGroup) = Self.widest(sites)
  }

  /// The widest name and group label of `sites`, in cells.
  static func widest(_ sites: [SiteFacts]) -> (name: Int, group: Int) {
    var groups = Set<[String]>()
    var name = 0
    for site in sites {
      name = max(name, DisplayWidth.of(site.name))
      groups.insert(site.group)
    }
    return (name, groups.reduce(0) { max($0, DisplayWidth.of($1.joined(separator: GroupPath.separator))) })
  }
}

public enum SiteSort: Int, CaseIterable, Sendable {
  case group, severity, name, shortfall, lastHeard

  public var label: TextKey {
    switch self {
    case .group: .sortGroup
    case .severity: .sortSeverity
    case .name: .sortName
    case .shortfall: .sortShortfall
    case .lastHeard: .sortLastHeard
    }
  }

  public var next: SiteSort { SiteSort(rawValue: (rawValue + 1) % SiteSort.allCases.count)! }
}

/// Which sites show, in what order, under which group rows: the filter, the problems-only switch, the sort
/// and the collapsed groups applied to a snapshot.
public struct SiteListOptions: Sendable, Equatable {
  public var filterText = ""
  public var problemsOnly = false
  /// A site never heard is a problem: once the schedule's first session has started, or always without a schedule.
  /// Set by the runtime from the clock; before the session, every site is still unheard and none is a problem.
  public var neverHeardIsProblem = true
  public var sort = SiteSort.group
  /// Group nodes whose sites and subgroups are hidden.
  public var collapsed: Set<Int> = []
  /// The group drilled into from the overview: only its sites show, in the wall and the table.
  public var scope: Int?

  public init() {}

  public var isFiltering: Bool { problemsOnly || !filterText.trimmingCharacters(in: .whitespaces).isEmpty }

  /// The wall shows every shown site in roster order: sorting and folding are the table's.
  var forWall: SiteListOptions {
    var options = self
    options.sort = .group
    options.collapsed = []
    return options
  }

  /// Whether the rows depend on the sites' records (statuses, counts, silence), not only on the roster.
  public var dependsOnRecords: Bool { problemsOnly || sort != .group }
}

public enum SiteList {
  /// A site an operator should look at: offline, late, marked, asking for help, flapping, sending datagrams that
  /// are refused (a wrong key, a replay), whose agent cannot read its count file, or never heard once the session
  /// is on (`neverHeard`).
  public static func isProblem(_ record: SiteRecord, neverHeard: Bool = true) -> Bool {
    if record.isRejectedNow || record.countProblem != nil { return true }
    switch record.status {
    case .offline, .late, .marked: return true
    case .unknown where neverHeard && record.lastHeard == nil: return true
    case .online, .unknown: return !record.flags.isDisjoint(with: [.helpRequested, .flapping])
    }
  }

  /// For each site, whether it is in the group drilled into (if any) and passes the filter and the problems-only
  /// switch.
  public static func visibleSites(_ snapshot: MonitorSnapshot, index: RosterIndex, options: SiteListOptions) -> [Bool] {
    let words = SearchFolding.words(options.filterText)
    var visible = [Bool](repeating: options.scope == nil, count: snapshot.sites.count)
    if let scope = options.scope {
      for site in snapshot.groups.sitesUnder(scope) { visible[site] = true }
    }
    guard options.isFiltering else { return visible }
    for site in snapshot.sites.indices where visible[site] {
      // A disagreement with the conference bridge is a problem too (the row says so and the header counts it).
      if options.problemsOnly && !isProblem(snapshot.records[site], neverHeard: options.neverHeardIsProblem)
        && snapshot.bridge?.disagreement(site: site) == nil
      {
        visible[site] = false
        continue
      }
      if !words.isEmpty {
        let text = index.searchText[site]
        for word in words where !SearchFolding.contains(text, word) {
          visible[site] = false
          break
        }
      }
    }
    return visible
  }

  /// The table's rows. Sorted by group: the group tree with collapsed groups folded away and groups without a
  /// visible site left out. Other orders: a flat list of the visible sites, ties in roster order.
  public static func rows(_ snapshot: MonitorSnapshot, index: RosterIndex, options: SiteListOptions, visible: [Bool]) -> [TableRow] {
    var rows: [TableRow] = []
    if options.sort == .group {
      rows.reserveCapacity(snapshot.sites.count + snapshot.groups.nodes.count)
      let filtering = options.isFiltering || options.scope != nil
      var hasVisible = [Bool](repeating: !filtering, count: snapshot.groups.nodes.count)
      if filtering {
        for site in snapshot.sites.indices where visible[site] {
          for node in snapshot.groups.ancestorsOfSite[site] { hasVisible[node] = true }
        }
      }
      func walk(_ node: Int) {
        guard hasVisible[node] else { return }
        if node != 0 {
          rows.append(.group(node: node))
          if options.collapsed.contains(node) { return }
        }
        for site in snapshot.groups.nodes[node].sites where visible[site] { rows.append(.site(index: site)) }
        for child in snapshot.groups.nodes[node].children { walk(child) }
      }
      walk(0)
      return rows
    }
    var order = snapshot.sites.indices.filter { visible[$0] }
    let records = snapshot.records
    switch options.sort {
    case .group:
      break
    case .severity:
      // Worst first; a help request ranks a site above others of its status; then roster order.
      func rank(_ site: Int) -> Int {
        records[site].status.severity * 2 + (records[site].flags.contains(.helpRequested) ? 1 : 0)
      }
      let ranks = records.indices.map(rank)
      order.sort { ranks[$0] != ranks[$1] ? ranks[$0] > ranks[$1] : $0 < $1 }
    case .name:
      let names = index.foldedNames
      order.sort { names[$0] != names[$1] ? names[$0].lexicographicallyPrecedes(names[$1]) : $0 < $1 }
    case .shortfall:
      // Biggest gap between expected and what counts in attendance first; a site with no count yet, or one not
      // up (its count not counted), lacks all of it.
      let gaps = snapshot.sites.indices.map { snapshot.sites[$0].expected - RollupContribution(records[$0]).countedHeadcount }
      order.sort { gaps[$0] != gaps[$1] ? gaps[$0] > gaps[$1] : $0 < $1 }
    case .lastHeard:
      // Longest silent first; never heard before everything.
      let heard = records.map { $0.lastHeard?.monotonicNanos ?? .min }
      order.sort { heard[$0] != heard[$1] ? heard[$0] < heard[$1] : $0 < $1 }
    }
    rows.reserveCapacity(order.count)
    for site in order { rows.append(.site(index: site)) }
    return rows
  }

  /// Every group node, for "collapse all".
  public static func allGroups(_ snapshot: MonitorSnapshot) -> Set<Int> {
    Set(snapshot.groups.nodes.indices.dropFirst())
  }
}
