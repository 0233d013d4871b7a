import BridgeCore

/// The overview shown in the wall's place when the roster does not fit one cell per site: a row per top-level group
/// (a province, the central agencies, the army, the police) with its figures from its roll-up, and a strip of
/// cells, one per sub-group (a commune, a ward, a unit) in that sub-group's worst status, after one per site that
/// stands directly in the group (a provincial hall). Which groups and cells show is worked out when the roster or
/// the filter changes; the order (roster, or worst first) when the records change and the ranking is on; a frame
/// reads one roll-up per cell on screen and no site's record but the few that stand directly in a group.
struct OverviewLayout: Sendable {
  enum Cell: Sendable, Equatable {
    /// A site directly in the row's group.
    case site(Int)
    /// A sub-group, in its worst status.
    case group(Int)
    /// The gap between a group's own sites and its sub-groups.
    case gap
  }

  struct Line: Sendable, Equatable {
    /// The group this line belongs to; only its first line shows the group's name and figures.
    var group: Int
    var isFirst: Bool
    /// Positions in `cells` drawn on this line, left to right from the strip's first column.
    var cells: Range<Int>
  }

  /// The node whose children are the rows: the root, or below it while a roster holds a single group without
  /// sites of its own (a console narrowed to such a group shows its sub-groups as rows).
  private(set) var base = 0
  /// Rows in roster order, and each one's cells.
  private(set) var rosterOrder: [Int] = []
  private var cellsOfRow: [[Cell]] = []
  /// Rows as shown: roster order or worst first.
  private(set) var order: [Int] = []
  private(set) var lines: [Line] = []
  private(set) var cells: [Cell] = []
  /// Where each row's first line is, by position in `order`.
  private(set) var firstLine: [Int] = []
  private(set) var columns = OverviewColumns()
  /// No row has a sub-group: every cell is a site.
  private(set) var cellsAreSites = true

  init() {}

  /// `visible`: whether each site passes the filter (nil: every site does). A row or a cell shows when a site
  /// under it does.
  init(_ snapshot: MonitorSnapshot, visible: [Bool]?) {
    let groups = snapshot.groups
    var base = 0
    // Down into a lone group (a console narrowed to one province) while it holds no site of its own, which no row
    // would show, and has groups of its own for rows.
    while groups.nodes[base].children.count == 1 {
      let lone = groups.nodes[groups.nodes[base].children[0]]
      guard lone.sites.isEmpty, !lone.children.isEmpty else { break }
      base = groups.nodes[base].children[0]
    }
    self.base = base
    var hasVisible: [Bool]
    if let visible {
      hasVisible = [Bool](repeating: false, count: groups.nodes.count)
      for site in snapshot.sites.indices where visible[site] {
        for node in groups.ancestorsOfSite[site] { hasVisible[node] = true }
      }
    } else {
      hasVisible = [Bool](repeating: true, count: groups.nodes.count)
    }
    for row in groups.nodes[base].children where hasVisible[row] {
      var rowCells: [Cell] = groups.nodes[row].sites.filter { visible?[$0] ?? true }.map { .site($0) }
      let subGroups = groups.nodes[row].children.filter { hasVisible[$0] }
      if !rowCells.isEmpty && !subGroups.isEmpty { rowCells.append(.gap) }
      rowCells += subGroups.map { .group($0) }
      if !subGroups.isEmpty { cellsAreSites = false }
      rosterOrder.append(row)
      cellsOfRow.append(rowCells)
    }
    order = rosterOrder
  }

  /// The rows' order and lines for this screen: worst first when `ranked` (by `OverviewRanking`), else roster order.
  mutating func arrange(_ snapshot: MonitorSnapshot, ranked: Bool, neverHeardIsProblem: Bool, width: Int, strings: Strings) {
    columns = OverviewColumns(snapshot, rows: rosterOrder, width: width, strings: strings)
    var positions = Array(rosterOrder.indices)
    if ranked {
      let rollups = snapshot.rollups
      let rows = rosterOrder
      positions.sort {
        OverviewRanking.isWorse(rollups[rows[$0]], than: rollups[rows[$1]], neverHeardIsProblem: neverHeardIsProblem, tieBreak: $0 < $1)
      }
    }
    order = positions.map { rosterOrder[$0] }
    lines = []
    cells = []
    firstLine = []
    let room = max(1, columns.stripWidth)
    for position in positions {
      firstLine.append(lines.count)
      let rowCells = cellsOfRow[position]
      var start = cells.count
      cells += rowCells
      var isFirst = true
      repeat {
        let end = min(cells.count, start + room)
        lines.append(Line(group: rosterOrder[position], isFirst: isFirst, cells: start..<end))
        isFirst = false
        start = end
      } while start < cells.count
    }
  }

  /// The row of `order` that `node` is, or holds `node` (a sub-group, or a site's group).
  func row(holding node: Int, in groups: GroupTree) -> Int? {
    var current: Int? = node
    while let candidate = current {
      if groups.nodes[candidate].parent == base { return order.firstIndex(of: candidate) }
      current = groups.nodes[candidate].parent
    }
    return nil
  }
}

/// "Worst first" on the overview: the larger share of a group's sites that are not online (offline, late, marked,
/// and never heard once the session is on) first; then more sites offline; then roster order. A share, not a
/// count, so that a province of 2,000 points with 20 down does not hide one of 300 with 60 down.
enum OverviewRanking {
  /// Sites of the group that are not online, counting never heard only when that is a problem.
  static func notOnline(_ rollup: Rollup, neverHeardIsProblem: Bool) -> Int {
    rollup.siteCount - rollup.statusCounts[.online] - (neverHeardIsProblem ? 0 : rollup.statusCounts[.unknown])
  }

  static func isWorse(_ a: Rollup, than b: Rollup, neverHeardIsProblem: Bool, tieBreak: Bool) -> Bool {
    // Shares compared by cross-multiplying: exact, no division by an empty group.
    let shareA = notOnline(a, neverHeardIsProblem: neverHeardIsProblem) * max(1, b.siteCount)
    let shareB = notOnline(b, neverHeardIsProblem: neverHeardIsProblem) * max(1, a.siteCount)
    if shareA != shareB { return shareA > shareB }
    if a.statusCounts[.offline] != b.statusCounts[.offline] { return a.statusCounts[.offline] > b.statusCounts[.offline] }
    return tieBreak
  }
}

/// The overview's columns: the worst status glyph, the group's name whole (up to a limit), its sites online of all,
/// late, offline, marked and never heard, its attendance, then the strip of cells to the edge.
struct OverviewColumns: Sendable, Equatable {
  static let statuses: [SiteStatus] = [.online, .late, .offline, .marked, .unknown]
  /// A group's name reads whole up to this many cells ("Ủy ban Trung ương Mặt trận Tổ quốc" is a unit, not a row).
  static let longestName = 28

  var name = 3, nameWidth = 8
  /// Left column and width of each count, in the order of `statuses`.
  var counts: [(x: Int, width: Int)] = []
  var attendance = 0, attendanceWidth = 6
  var strip = 0, stripWidth = 0

  init() {}

  init(_ snapshot: MonitorSnapshot, rows: [Int], width: Int, strings: Strings) {
    let groups = snapshot.groups
    // Names whole: "Cơ quan Trung ương", "TP Hồ Chí Minh"; the strip wraps onto more lines rather than cut them.
    // Counts as wide as the biggest group's site count, so columns do not move as figures change.
    let mostSites = rows.reduce(0) { max($0, snapshot.rollups[$1].siteCount) }
    let digits = DisplayWidth.of(strings.number(mostSites))
    let gap = width >= 160 ? 2 : 1
    let countWidths = Self.statuses.map { $0 == .online ? 2 * digits + 1 : max(2, digits) }
    attendanceWidth = max(6, DisplayWidth.of(strings(.overviewAttendance)))
    let figuresWidth = countWidths.reduce(0) { $0 + $1 + gap } + attendanceWidth + 2
    // Names whole ("Cơ quan Trung ương", "TP Hồ Chí Minh") while the strip keeps 8 cells; the strip then wraps
    // onto more lines rather than cut a name.
    let widestName = rows.reduce(0) { max($0, DisplayWidth.of(groups.nodes[$1].name)) }
    nameWidth = max(8, min(widestName, Self.longestName, width - 1 - 8 - figuresWidth - name - gap))
    var x = name + nameWidth + gap
    for columnWidth in countWidths {
      counts.append((x, columnWidth))
      x += columnWidth + gap
    }
    attendance = x
    strip = attendance + attendanceWidth + 2
    stripWidth = max(1, width - strip - 1)
  }

  static func == (a: OverviewColumns, b: OverviewColumns) -> Bool {
    a.name == b.name && a.nameWidth == b.nameWidth && a.counts.map(\.x) == b.counts.map(\.x)
      && a.counts.map(\.width) == b.counts.map(\.width) && a.attendance == b.attendance && a.strip == b.strip
      && a.stripWidth == b.stripWidth
  }
}

extension DashboardView {
  /// The worst status among a group's sites, as `Rollup.worstStatus` says it, without building an array per cell.
  static func worstStatus(_ rollup: Rollup) -> SiteStatus {
    var worst = SiteStatus.unknown
    var severity = -1
    for status in SiteStatus.allCases where rollup.statusCounts[status] > 0 && status.severity > severity {
      worst = status
      severity = status.severity
    }
    return worst
  }

  /// Scrolls the overview so that the selected group's first line is in view on `height` rows.
  static func scrollOverview(_ state: inout DashboardState, _ snapshot: MonitorSnapshot, height: Int) {
    let overview = state.overview
    guard !overview.lines.isEmpty else { return }
    if case .group(let node) = state.selection, let row = overview.order.firstIndex(of: node) {
      let first = overview.firstLine[row]
      let last = (row + 1 < overview.firstLine.count ? overview.firstLine[row + 1] : overview.lines.count) - 1
      if first < state.overviewScroll { state.overviewScroll = first }
      if last >= state.overviewScroll + height { state.overviewScroll = max(first, last - height + 1) }
    }
    state.overviewScroll = max(0, min(state.overviewScroll, max(0, overview.lines.count - height)))
  }

  static func renderOverview(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext, top: Int, height: Int
  ) {
    let strings = state.strings
    let overview = state.overview
    let columns = overview.columns
    let glyphs = context.glyphs
    let titleY = top - 1
    screen.fill(y: titleY, role: .columnTitles)
    screen.put(
      strings(.overviewGroups, strings.number(overview.order.count)), x: 1, y: titleY, role: .columnTitles, maxWidth: columns.nameWidth + 2)
    for (status, column) in zip(OverviewColumns.statuses, columns.counts) {
      screen.putRight(glyphs.glyph(status), right: column.x + column.width, y: titleY, role: .columnTitles, maxWidth: column.width)
    }
    screen.putRight(
      strings(.overviewAttendance), right: columns.attendance + columns.attendanceWidth, y: titleY, role: .columnTitles,
      maxWidth: columns.attendanceWidth)
    var notes: [String] = []
    if state.rankWorstFirst { notes.append(strings(.overviewWorstFirst)) }
    if overview.lines.count > height {
      notes.append(
        strings(.rowsShown, state.overviewScroll + 1, min(overview.lines.count, state.overviewScroll + height), overview.lines.count))
    }
    let note = notes.joined(separator: " · ")
    let noteWidth = note.isEmpty ? 0 : screen.putRight(note, right: context.width - 1, y: titleY, role: .columnTitles, maxWidth: 40) + 2
    let legend = glyphs.isASCII ? strings(.overviewLegend).asciiLegend(glyphs) : strings(.overviewLegend)
    screen.put(
      strings(overview.cellsAreSites ? .overviewCellSite : .overviewCell) + "  " + legend, x: columns.strip, y: titleY, role: .columnTitles,
      maxWidth: max(0, context.width - columns.strip - 1 - noteWidth))
    guard !overview.lines.isEmpty else {
      screen.put(strings(.noSiteMatches), x: 2, y: top + 1, role: .dim, maxWidth: context.width - 4)
      return
    }
    let selected: Int? = if case .group(let node) = state.selection { node } else { nil }
    for offset in 0..<height {
      let lineIndex = state.overviewScroll + offset
      guard lineIndex < overview.lines.count else { break }
      let line = overview.lines[lineIndex]
      let y = top + offset
      let isSelected = line.group == selected
      if isSelected { screen.fill(y: y, from: 0, width: columns.strip - 1, role: .selection) }
      if line.isFirst {
        renderOverviewFigures(
          &screen, snapshot, node: line.group, y: y, columns: columns, strings: strings, glyphs: glyphs, selected: isSelected)
      }
      for position in line.cells {
        let x = columns.strip + position - line.cells.lowerBound
        switch overview.cells[position] {
        case .site(let site):
          let (glyph, role) = wallGlyph(snapshot.records[site], glyphs: glyphs)
          screen.putGlyph(glyph, x: x, y: y, role: role)
        case .group(let node):
          let worst = worstStatus(snapshot.rollups[node])
          screen.putGlyph(glyphs.glyph(worst), x: x, y: y, role: Role.status(worst))
        case .gap:
          break
        }
      }
    }
  }

  /// A row's glyph, name and figures, all from the group's roll-up: the numbers of its row in the table.
  static func renderOverviewFigures(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, node: Int, y: Int, columns: OverviewColumns, strings: Strings,
    glyphs: Glyphs, selected: Bool
  ) {
    let rollup = snapshot.rollups[node]
    let worst = worstStatus(rollup)
    let text: Role = selected ? .selection : .group
    screen.putGlyph(glyphs.glyph(worst), x: 1, y: y, role: selected ? .selection : Role.status(worst))
    screen.put(snapshot.groups.nodes[node].name, x: columns.name, y: y, role: text, maxWidth: columns.nameWidth)
    for (status, column) in zip(OverviewColumns.statuses, columns.counts) {
      let count = rollup.statusCounts[status]
      let figure = status == .online ? "\(strings.number(count))/\(strings.number(rollup.siteCount))" : strings.number(count)
      // A problem count that is not zero in its status's role; zero dim, so the eye goes to what is not.
      let role: Role = selected ? .selection : status == .online ? .normal : count == 0 ? .dim : Role.status(status)
      screen.putRight(figure, right: column.x + column.width, y: y, role: role, maxWidth: column.width)
    }
    let percent = rollup.attendancePercent.map { strings.percent($0) } ?? "–"
    screen.putRight(
      percent, right: columns.attendance + columns.attendanceWidth, y: y, role: selected ? .selection : .normal,
      maxWidth: columns.attendanceWidth)
  }
}
