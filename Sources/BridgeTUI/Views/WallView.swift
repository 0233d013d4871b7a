import BridgeCore

/// Every shown site as one cell, packed under its group's label. Districts get their own lines when the screen
/// has room for that; otherwise each province packs its districts into shared lines, a blank cell between them.
struct WallLayout: Sendable {
  struct Line: Sendable, Equatable {
    /// The group labelled at the start of this line; nil on a continuation line.
    var node: Int?
    /// Positions in `order` drawn on this line.
    var positions: Range<Int>
  }

  var labelWidth = 0
  /// Columns per cell: 2 (a space between sites) when everything fits that way, else 1.
  var pitch = 1
  var lines: [Line] = []
  /// Sites in wall order: line by line, left to right.
  var order: [Int] = []
  /// Column of each position, counted from the first cell column.
  var columns: [Int] = []
  var lineOfPosition: [Int] = []
  /// Position of each site in `order`, -1 when not on the wall; indexed by site.
  private var positionOfSite: [Int32] = []

  init() {}

  /// `rows`: group-ordered rows of the sites to show; `height`: lines available before scrolling is needed.
  init(_ snapshot: MonitorSnapshot, rows: [TableRow], width: Int, height: Int) {
    let groups = snapshot.groups
    var shownSites: [[Int]] = Array(repeating: [], count: groups.nodes.count)
    var hasShown = [Bool](repeating: false, count: groups.nodes.count)
    for row in rows {
      guard case .site(let site) = row else { continue }
      let ancestors = groups.ancestorsOfSite[site]
      shownSites[ancestors.last ?? 0].append(site)
      for node in ancestors { hasShown[node] = true }
    }
    let deepest = groups.nodes.map(\.depth).max() ?? 0
    labelWidth = Self.labelWidth(forWidth: width)
    let room = max(8, width - labelWidth - 3)
    // Roomiest first: spaced cells, then every group level on its own lines, then districts sharing lines.
    var chosen: (lines: [Line], order: [Int], columns: [Int])?
    search: for pitch in [2, 1] {
      for level in stride(from: max(1, deepest), through: 1, by: -1) {
        let candidate = Self.pack(groups, shownSites: shownSites, hasShown: hasShown, level: level, cellsPerLine: room / pitch)
        chosen = candidate
        self.pitch = pitch
        if candidate.lines.count <= height { break search }
      }
    }
    guard let chosen else { return }
    lines = chosen.lines
    order = chosen.order
    columns = chosen.columns.map { $0 * pitch }
    lineOfPosition = [Int](repeating: 0, count: order.count)
    for (lineIndex, line) in lines.enumerated() { for position in line.positions { lineOfPosition[position] = lineIndex } }
    positionOfSite = [Int32](repeating: -1, count: snapshot.sites.count)
    for (position, site) in order.enumerated() { positionOfSite[site] = Int32(position) }
  }

  static func labelWidth(forWidth width: Int) -> Int { width >= 160 ? 26 : width >= 120 ? 20 : 16 }

  /// Whether `sites` cells could fit on `height` lines at all: the tightest packing holds at most a line's worth of
  /// cells per line. Lets a national roster go to the overview without packing a wall it would throw away.
  static func mayFit(sites: Int, width: Int, height: Int) -> Bool {
    sites <= max(8, width - labelWidth(forWidth: width) - 3) * height
  }

  private static func pack(_ groups: GroupTree, shownSites: [[Int]], hasShown: [Bool], level: Int, cellsPerLine: Int)
    -> (lines: [Line], order: [Int], columns: [Int])
  {
    var lines: [Line] = []
    var order: [Int] = []
    var columns: [Int] = []
    // Lays out runs of sites under one label, a blank cell between runs, wrapping at the line's end.
    func emit(node: Int?, runs: [[Int]]) {
      var lineStart = order.count
      var column = 0
      var label = node
      for run in runs where !run.isEmpty {
        if column > 0 { column += 1 }
        for site in run {
          if column >= cellsPerLine {
            lines.append(Line(node: label, positions: lineStart..<order.count))
            label = nil
            lineStart = order.count
            column = 0
          }
          order.append(site)
          columns.append(column)
          column += 1
        }
      }
      lines.append(Line(node: label, positions: lineStart..<order.count))
    }
    func descendantRuns(_ node: Int) -> [[Int]] {
      var runs = [shownSites[node]]
      for child in groups.nodes[node].children where hasShown[child] { runs += descendantRuns(child) }
      return runs
    }
    func walk(_ node: Int) {
      guard hasShown[node] else { return }
      let depth = groups.nodes[node].depth
      if depth == 0 {
        if !shownSites[0].isEmpty { emit(node: nil, runs: [shownSites[0]]) }
      } else if depth >= level {
        emit(node: node, runs: descendantRuns(node))
        return
      } else {
        emit(node: node, runs: [shownSites[node]])
      }
      for child in groups.nodes[node].children { walk(child) }
    }
    walk(0)
    return (lines, order, columns)
  }

  func position(of site: Int) -> Int? {
    guard positionOfSite.indices.contains(site), positionOfSite[site] >= 0 else { return nil }
    return Int(positionOfSite[site])
  }

  /// The site `delta` lines above or below `site`, in the nearest column; stops at the first and last line.
  func site(from site: Int, lines delta: Int) -> Int? {
    guard let position = position(of: site) else { return nil }
    let column = columns[position]
    var lineIndex = lineOfPosition[position]
    let step = delta > 0 ? 1 : -1
    var remaining = delta.magnitude
    var target = lineIndex
    // Skip label-only lines: they hold no cell to land on.
    while remaining > 0 {
      var next = lineIndex + step
      while next >= 0 && next < lines.count && lines[next].positions.isEmpty { next += step }
      guard next >= 0 && next < lines.count else { break }
      lineIndex = next
      target = next
      remaining -= 1
    }
    let candidates = lines[target].positions
    guard !candidates.isEmpty else { return site }
    let best = candidates.min { abs(columns[$0] - column) < abs(columns[$1] - column) }!
    return order[best]
  }
}

extension DashboardView {
  static func wallGlyph(_ record: SiteRecord, glyphs: Glyphs) -> (String, Role) {
    if record.flags.contains(.helpRequested) && record.status != .marked { return (glyphs.help, .flag) }
    return (glyphs.glyph(record.status), Role.status(record.status))
  }

  /// Scrolls the wall so that the selected site's line is in view on `height` rows, and no further than its end.
  static func scrollWall(_ state: inout DashboardState, height: Int) {
    let wall = state.wall
    guard !wall.lines.isEmpty else { return }
    if let selectedPosition = state.selectedSite.flatMap({ wall.position(of: $0) }) {
      let line = wall.lineOfPosition[selectedPosition]
      if line < state.wallScroll { state.wallScroll = line }
      if line >= state.wallScroll + height { state.wallScroll = line - height + 1 }
    }
    state.wallScroll = max(0, min(state.wallScroll, max(0, wall.lines.count - height)))
  }

  /// The wall at the scroll position `scrollWall` set.
  static func renderWall(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext, top: Int, height: Int
  ) {
    let strings = state.strings
    let titleY = top - 1
    screen.fill(y: titleY, role: .columnTitles)
    // Drilled into a group from the overview: which group, that a cell is now a site, and the way back.
    let heading =
      state.listOptions.scope.map {
        strings(
          .overviewScopeWall, snapshot.groups.nodes[$0].path.joined(separator: GroupPath.separator), strings.number(state.visibleCount))
      } ?? strings(.wallTitle, strings.number(state.visibleCount))
    let title = screen.put(heading, x: 1, y: titleY, role: .columnTitles, maxWidth: context.width - 2)
    let legend = context.glyphs.isASCII ? strings(.wallLegend).asciiLegend(context.glyphs) : strings(.wallLegend)
    screen.put(legend, x: title + 4, y: titleY, role: .columnTitles, maxWidth: max(0, context.width - title - 6))
    let wall = state.wall
    guard !wall.lines.isEmpty else {
      screen.put(strings(.noSiteMatches), x: 2, y: top + 1, role: .dim, maxWidth: context.width - 4)
      return
    }
    let selectedPosition = state.selectedSite.flatMap { wall.position(of: $0) }
    let cellLeft = wall.labelWidth + 2
    for offset in 0..<height {
      let lineIndex = state.wallScroll + offset
      guard lineIndex < wall.lines.count else { break }
      let y = top + offset
      let line = wall.lines[lineIndex]
      if let node = line.node {
        let group = snapshot.groups.nodes[node]
        let worst = snapshot.rollups[node].worstStatus
        screen.putGlyph(context.glyphs.glyph(worst), x: 1, y: y, role: Role.status(worst))
        let indent = String(repeating: " ", count: max(0, group.depth - 1))
        screen.put(indent + group.name, x: 3, y: y, role: .group, maxWidth: wall.labelWidth - 2)
      }
      for position in line.positions {
        let site = wall.order[position]
        var (glyph, role) = wallGlyph(snapshot.records[site], glyphs: context.glyphs)
        if position == selectedPosition { role = .selection }
        screen.putGlyph(glyph, x: cellLeft + wall.columns[position], y: y, role: role)
      }
    }
    if wall.lines.count > height {
      let indicator = strings(.rowsShown, state.wallScroll + 1, min(wall.lines.count, state.wallScroll + height), wall.lines.count)
      screen.putRight(indicator, right: context.width - 1, y: titleY, role: .columnTitles, maxWidth: 24)
    }
  }
}

extension String {
  /// The legend with the glyphs of an ASCII terminal.
  func asciiLegend(_ glyphs: Glyphs) -> String {
    var text = self
    for (unicode, ascii) in zip(
      [Glyphs.unicode.online, Glyphs.unicode.late, Glyphs.unicode.offline, Glyphs.unicode.marked],
      [glyphs.online, glyphs.late, glyphs.offline, glyphs.marked])
    {
      text = text.replacingOccurrences(of: unicode, with: ascii)
    }
    return text
  }
}
