import BridgeCore
import BridgeField
import Foundation
import TestSupport
import Testing

@testable import BridgeTUI

/// The overview of a roster too big for one cell per site: a row per top-level group with its roll-up's figures
/// and a strip of its sub-groups' worst statuses; ranked worst first on `r`; Enter into a group, Esc back.
@Suite struct OverviewViewTests {
  /// The 2026 shape at 4,000 points: 34 provinces with their communes, the central agencies, the army, the police.
  static let roster = DemoRoster.conference2026(sites: 4000, heartbeatDirectory: "/hb")
  static let conference = ScaleFixture.snapshot(roster, title: "Hội nghị toàn quốc quán triệt Nghị quyết Đại hội XIV")

  func render(_ width: Int, _ height: Int, state: inout DashboardState, _ snapshot: MonitorSnapshot = conference) -> ScreenBuffer {
    DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: width, height: height))
  }

  func press(_ keys: [Key], on state: inout DashboardState, _ snapshot: MonitorSnapshot = conference) {
    for key in keys { _ = state.handle(key, snapshot: snapshot) }
  }

  /// The top-level groups in roster order, by name.
  var groupNames: [String] { Self.conference.groups.nodes[0].children.map { Self.conference.groups.nodes[$0].name } }

  @Test func wOnARosterTooBigForACellPerSiteShowsEveryGroupWithItsFigures() throws {
    var state = DashboardState()
    _ = render(110, 46, state: &state)
    press([.character("w")], on: &state)
    let screen = render(110, 46, state: &state)
    try checkGolden(screen, "overview-4000-110x46")
    #expect(state.showsOverview)
    #expect(groupNames.count == 37)
    let lines = screen.lines
    // Every group has its row, its name whole; the rows are the overview's order.
    for name in groupNames { #expect(lines.contains { $0.contains(" \(name) ") }, "\(name) missing") }
    #expect(state.overview.order == Self.conference.groups.nodes[0].children)
    // A row's figures are its roll-up's: the numbers of its row in the table.
    let hanoi = try #require(Self.conference.groups.node(path: ["Hà Nội"]))
    let rollup = Self.conference.rollups[hanoi]
    let row = try #require(lines.first { $0.contains(" Hà Nội ") })
    #expect(row.contains("\(rollup.statusCounts[.online])/\(rollup.siteCount)"), "\(row)")
    #expect(row.contains(Strings.english.percent(rollup.attendancePercent!)), "\(row)")
    // One cell per commune after the provincial hall's, each in its commune's worst status.
    let communes = Self.conference.groups.nodes[hanoi].children
    let y = try #require(lines.firstIndex(of: row))
    let strip = state.overview.columns.strip
    #expect(screen[strip, y].text == "●" || screen[strip, y].role.rawValue.hasPrefix("status."))
    for (offset, commune) in communes.enumerated() {
      let cell = screen[strip + 2 + offset, y]
      let worst = Self.conference.rollups[commune].worstStatus
      #expect(cell.text == Glyphs.unicode.glyph(worst) && cell.role == Role.status(worst), "commune \(offset)")
    }
    #expect(screen[strip + 2 + communes.count, y].text == " ")
    // The title says what one cell stands for.
    #expect(lines[2].contains("1 cell = 1 commune/ward/unit, in its worst status"), "\(lines[2])")
  }

  @Test func theOverviewSpeaksVietnamese() {
    var state = DashboardState()
    state.strings = Strings(.vi)
    state.showsWall = true
    _ = render(110, 46, state: &state)
    let screen = render(110, 46, state: &state)
    let text = screenText(screen)
    #expect(text.contains("1 ô = 1 xã/phường/đơn vị, theo trạng thái xấu nhất"))
    #expect(text.contains("37 đơn vị") && text.contains("Quân số"))
    #expect(text.contains(" TP Hồ Chí Minh ") && text.contains(" Cơ quan Trung ương "))
  }

  @Test func aRosterThatFitsKeepsTheWall() {
    var state = DashboardState()
    state.showsWall = true
    _ = render(250, 70, state: &state, ScaleViewTests.national)
    #expect(!state.showsOverview && state.wall.order.count == 7400)
    // The same 4,000 points fit at 250x70: the wall, one cell each.
    var roomy = DashboardState()
    roomy.showsWall = true
    _ = render(250, 70, state: &roomy)
    _ = render(250, 70, state: &roomy)
    #expect(!roomy.showsOverview && roomy.wall.order.count == 4000)
  }

  @Test func openingASitesDetailOnTheWallNeverTurnsItIntoTheOverview() {
    var state = DashboardState()
    state.showsWall = true
    _ = render(250, 70, state: &state)
    _ = render(250, 70, state: &state)
    let wallFirst = !state.showsOverview
    press([.enter], on: &state)
    _ = render(250, 70, state: &state)
    let (detail, wall) = (state.showsDetail, !state.showsOverview)
    #expect(wallFirst && detail && wall)
  }

  @Test func aRosterOfOneProvinceHasItsCommunesAsRowsAndASiteAsACell() throws {
    // What a console narrowed to one province holds: 40 communes of 60 points, too many for 100x30.
    var sites: [SiteConfig] = []
    for commune in 1...40 {
      for member in 0..<60 {
        let id = "P-\(commune)-\(member)"
        sites.append(
          SiteConfig(id: id, name: "Chi bộ \(member)", group: ["Tỉnh", "Xã \(commune)"], expected: 30, heartbeatFile: "/hb/\(id)"))
      }
    }
    let snapshot = ScaleFixture.snapshot(sites, title: "Tỉnh")
    var state = DashboardState()
    state.showsWall = true
    _ = render(100, 30, state: &state, snapshot)
    let screen = render(100, 30, state: &state, snapshot)
    let province = try #require(snapshot.groups.node(path: ["Tỉnh"]))
    let overview = state.overview
    #expect(state.showsOverview && overview.order == snapshot.groups.nodes[province].children)
    #expect(overview.cellsAreSites && screen.lines[2].contains("1 cell = 1 site"), "\(screen.lines[2])")
    let row = try #require(screen.lines.firstIndex { $0.contains(" Xã 1 ") })
    #expect(screen.lines[row].contains("/60"))
    // Narrowed to one commune of 60: a wall, one cell each.
    let commune = sites.filter { $0.group == ["Tỉnh", "Xã 7"] }
    var small = DashboardState()
    small.showsWall = true
    _ = render(100, 30, state: &small, ScaleFixture.snapshot(commune, title: "Xã 7"))
    #expect(!small.showsOverview)
  }

  // MARK: - Ranking

  /// On the table (no overview on screen) `r` still sets the overview's order, and says that the overview is not shown.
  @Test func rOnTheTableSaysTheOverviewIsNotOnScreen() {
    var state = DashboardState()
    _ = render(110, 46, state: &state)
    #expect(!state.showsOverview)
    press([.character("r")], on: &state)
    #expect(state.rankWorstFirst)
    #expect(state.message?.text.hasPrefix("overview: worst groups first") == true)
    #expect(state.message?.text.contains("the overview is not on screen now") == true, "\(state.message?.text ?? "")")
  }

  @Test func rRanksTheWorstGroupsFirstByTheShareOfTheirSitesNotOnline() {
    var state = DashboardState()
    state.showsWall = true
    _ = render(110, 46, state: &state)
    press([.character("r")], on: &state)
    let screen = render(110, 46, state: &state)
    #expect(state.rankWorstFirst && state.message?.text.contains("worst groups first") == true)
    #expect(state.message?.text.contains("not on screen") == false)
    // Recomputed here from the records: the share of each group's sites not online.
    let snapshot = Self.conference
    let recount = Rollup.recount(sites: snapshot.sites, records: snapshot.records, groups: snapshot.groups)
    func share(_ node: Int) -> Double {
      Double(recount[node].siteCount - recount[node].statusCounts[.online]) / Double(recount[node].siteCount)
    }
    let expected = snapshot.groups.nodes[0].children.enumerated().sorted { a, b in
      let (shareA, shareB) = (share(a.element), share(b.element))
      if shareA != shareB { return shareA > shareB }
      let (offA, offB) = (recount[a.element].statusCounts[.offline], recount[b.element].statusCounts[.offline])
      return offA != offB ? offA > offB : a.offset < b.offset
    }.map(\.element)
    #expect(state.overview.order == expected)
    #expect(expected != snapshot.groups.nodes[0].children, "the fixture's groups are not already worst first")
    // On screen: the first row is the worst group's, and the title says the order.
    let firstRow = screen.lines[3]
    #expect(firstRow.contains(" \(snapshot.groups.nodes[expected[0]].name) "), "\(firstRow)")
    #expect(screen.lines[2].contains("worst first"))
    #expect(screen.lines.last!.contains("r rank"), "the footer offers the key on the overview")
    press([.character("r")], on: &state)
    _ = render(110, 46, state: &state)
    #expect(state.overview.order == snapshot.groups.nodes[0].children)
  }

  @Test func aSmallGroupWithAGreaterShareDownRanksAboveABigOneWithMoreSitesDown() {
    // Province A: 10 sites, 3 offline (30%). Province B: 100 sites, 10 offline (10%). C: all online.
    var sites: [SiteConfig] = []
    for (name, count) in [("A", 10), ("B", 100), ("C", 20)] {
      for member in 0..<count {
        sites.append(
          SiteConfig(
            id: "\(name)-\(member)", name: "\(name) \(member)", group: [name, "X\(member % 3)"], expected: 10,
            heartbeatFile: "/hb/\(name)-\(member)"))
      }
    }
    var config = ConferenceConfig(sites: sites)
    config.timing.lateAfter = .seconds(10)
    config.timing.offlineAfter = .seconds(30)
    var monitor = MonitorState(config: config)
    let start = ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: 1_763_800_000)
    let now = start.advanced(by: .seconds(60))
    monitor.withEngine { engine in
      for index in sites.indices {
        let id = sites[index].id
        let down = (id.hasPrefix("A-") && index < 3) || (id.hasPrefix("B-") && Int(id.dropFirst(2))! < 10)
        engine.heartbeat(
          HeartbeatInput(source: .udp, sequence: 1, count: 9, state: .ok, rttMilliseconds: 20), site: index, heardAt: down ? start : now,
          now: down ? start : now)
      }
      engine.tick(now: now)
    }
    let snapshot = monitor.snapshot(now: now, title: "ranking")
    #expect(snapshot.rollups[snapshot.groups.node(path: ["B"])!].statusCounts[.offline] == 10)
    // The ranking itself, on the overview's rows (130 sites would fit a wall).
    var overview = OverviewLayout(snapshot, visible: nil)
    overview.arrange(snapshot, ranked: true, neverHeardIsProblem: true, width: 120, strings: .english)
    #expect(overview.order.map { snapshot.groups.nodes[$0].name } == ["A", "B", "C"])
    overview.arrange(snapshot, ranked: false, neverHeardIsProblem: true, width: 120, strings: .english)
    #expect(overview.order.map { snapshot.groups.nodes[$0].name } == ["A", "B", "C"])
    // Swap which is worse: B with 40 down of 100 goes first.
    monitor.withEngine { engine in
      for index in sites.indices where sites[index].id.hasPrefix("B-") && Int(sites[index].id.dropFirst(2))! < 40 {
        try! engine.mark(site: index, operatorName: "lan", reason: "mất điện", now: now)
      }
    }
    let marked = monitor.snapshot(now: now, title: "ranking")
    overview.arrange(marked, ranked: true, neverHeardIsProblem: true, width: 120, strings: .english)
    #expect(overview.order.map { marked.groups.nodes[$0].name } == ["B", "A", "C"])
  }

  // MARK: - Drill-in and back

  @Test func enterGoesIntoAGroupDownToItsSitesCellsAndRowsAndEscOrBackspaceComesBack() throws {
    let snapshot = Self.conference
    var state = DashboardState()
    _ = render(110, 46, state: &state)
    press([.character("w")], on: &state)
    _ = render(110, 46, state: &state)
    #expect(state.showsOverview && state.selection == .group(node: snapshot.groups.nodes[0].children[0]))
    // Down to the third group (Hải Phòng) and in.
    press([.down, .down], on: &state)
    let haiPhong = try #require(snapshot.groups.node(path: ["Hải Phòng"]))
    #expect(state.selection == .group(node: haiPhong))
    press([.enter], on: &state)
    var screen = render(110, 46, state: &state)
    #expect(!state.showsOverview && state.showsWall && state.listOptions.scope == haiPhong)
    // Its sites' cells, one each, under its communes' labels, and nothing else.
    let sites = Set(snapshot.groups.sitesUnder(haiPhong))
    #expect(Set(state.wall.order) == sites && state.wall.order.count == snapshot.rollups[haiPhong].siteCount)
    #expect(screen.lines[2].contains("Hải Phòng: \(sites.count) sites · 1 cell = 1 site · Esc: back to the overview"), "\(screen.lines[2])")
    #expect(state.selectedSite.map(sites.contains) == true)
    // Its rows: the table, narrowed to the group.
    press([.character("w")], on: &state)
    screen = render(110, 46, state: &state)
    #expect(!state.showsWall)
    let shownSites = state.rows.compactMap { if case .site(let index) = $0 { index } else { nil } }
    #expect(Set(shownSites) == sites)
    #expect(screen.lines[0].contains("Hải Phòng · Esc: overview"), "the header says where: \(screen.lines[0])")
    // Enter on a site (the province's hall, selected on the wall) opens its detail; Esc closes it, then goes
    // back to the overview on the group left.
    press([.enter], on: &state)
    _ = render(110, 46, state: &state)
    let detailOpen = state.showsDetail
    #expect(detailOpen)
    press([.escape], on: &state)
    let (detailClosed, stillInside) = (!state.showsDetail, state.listOptions.scope == haiPhong)
    #expect(detailClosed && stillInside)
    press([.escape], on: &state)
    _ = render(110, 46, state: &state)
    let (overviewBack, scopeLeft, onGroup) = (
      state.showsOverview, state.listOptions.scope == nil, state.selection == .group(node: haiPhong)
    )
    #expect(overviewBack && scopeLeft && onGroup)
    // Backspace is the same way back, from the wall.
    press([.end, .enter], on: &state)
    _ = render(110, 46, state: &state)
    let police = try #require(snapshot.groups.node(path: ["Công an"]))
    #expect(state.listOptions.scope == police && !state.showsOverview)
    press([.backspace], on: &state)
    _ = render(110, 46, state: &state)
    #expect(state.showsOverview && state.selection == .group(node: police))
    // Both keys go through the one key table.
    #expect(KeyMap.action(for: .backspace) == .escape && KeyMap.action(for: .enter) == .open)
    #expect(KeyMap.action(for: .character("r")) == .rankGroups)
  }

  @Test func theOverviewScrollsToTheSelectedGroupOnASmallScreen() {
    var state = DashboardState()
    state.showsWall = true
    _ = render(80, 24, state: &state)
    let screen = render(80, 24, state: &state)
    #expect(state.showsOverview)
    #expect(screen.lines[2].contains(" of "), "a scroll indicator: \(screen.lines[2])")
    press([.end], on: &state)
    let bottom = render(80, 24, state: &state)
    #expect(screenText(bottom).contains(" Công an "))
  }
}
