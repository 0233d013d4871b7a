import BridgeCore

/// The dashboard's state for the overview: when it takes the wall's place, its order, its selection, and the way
/// into a group and back.
extension DashboardState {
  struct ArrangeKey: Equatable {
    var ranked: Bool
    var neverHeardIsProblem: Bool
    var width: Int
    var language: Language
    /// Only when ranked: the order follows the records.
    var recordsRevision: UInt64?
  }

  /// The wall, or the overview when the shown sites cannot fit a cell each in the pane's rows without a detail
  /// pane (`wallRoom`). A group drilled into always gets its sites' cells; before a first frame (no screen known
  /// yet) the wall, as before.
  mutating func layOutWallOrOverview(_ snapshot: MonitorSnapshot, key: LayoutKey, visible: [Bool]) {
    showsOverview = false
    let overviewIfTooMany = key.options.scope == nil && wallRoom > 0
    if overviewIfTooMany && !WallLayout.mayFit(sites: visibleCount, width: wallSize.width, height: wallRoom) {
      showsOverview = true
    } else {
      wall = WallLayout(snapshot, rows: rows, width: wallSize.width, height: wallSize.height)
      if overviewIfTooMany && wall.lines.count > wallRoom {
        showsOverview = true
        wall = WallLayout()
      }
    }
    overview = showsOverview ? OverviewLayout(snapshot, visible: key.options.isFiltering ? visible : nil) : OverviewLayout()
    arranged = nil
  }

  /// Orders the overview's rows and packs its lines again only when what they follow changed: the width, the
  /// language, the ranking, and, only while ranked, the records.
  mutating func arrangeOverview(_ snapshot: MonitorSnapshot) {
    let key = ArrangeKey(
      ranked: rankWorstFirst, neverHeardIsProblem: listOptions.neverHeardIsProblem, width: wallSize.width, language: strings.language,
      recordsRevision: rankWorstFirst ? snapshot.recordsRevision : nil)
    guard key != arranged else { return }
    overview.arrange(
      snapshot, ranked: rankWorstFirst, neverHeardIsProblem: listOptions.neverHeardIsProblem, width: wallSize.width, strings: strings)
    arranged = key
  }

  /// The overview selects a group row: the one selected, or the row holding the selected group or site.
  mutating func reconcileOverviewSelection(_ snapshot: MonitorSnapshot) {
    let node: Int? =
      switch selection {
      case .group(let node): node
      case .site(let index): snapshot.groups.ancestorsOfSite[index].last
      case nil: nil
      }
    if let node, let row = overview.row(holding: node, in: snapshot.groups) {
      selection = .group(node: overview.order[row])
    } else {
      selection = overview.order.first.map { .group(node: $0) }
    }
  }

  mutating func moveInOverview(by delta: Int) {
    let order = overview.order
    guard !order.isEmpty else { return }
    let current: Int? = if case .group(let node) = selection { order.firstIndex(of: node) } else { nil }
    let start = current ?? (delta > 0 ? -1 : order.count)
    selection = .group(node: order[max(0, min(order.count - 1, start.addingReportingOverflow(delta).partialValue))])
  }

  /// Into the selected group: its sites' cells under its sub-groups' labels, and its rows in the table (`w`).
  mutating func enterSelectedGroup() {
    guard case .group(let node) = selection else { return }
    listOptions.scope = node
    wallScroll = 0
  }

  /// Back up to the overview, on the group just left.
  mutating func leaveGroup() {
    guard let scope = listOptions.scope else { return }
    listOptions.scope = nil
    showsWall = true
    selection = .group(node: scope)
  }
}
