import BridgeCore
import Foundation
import TestSupport
import Testing

@testable import BridgeTUI

/// The dashboard at province and national scale: wall, drill-down, filter, sort, detail, both languages.
@Suite struct ScaleViewTests {
  static let province = ScaleFixture.snapshot(ScaleFixture.province(), title: "Hội nghị trực tuyến tỉnh Thanh Hóa")
  static let national = ScaleFixture.snapshot(ScaleFixture.national(), title: "Hội nghị trực tuyến toàn quốc")

  func context(_ width: Int, _ height: Int) -> ViewContext { DashboardFixture.context(width: width, height: height) }

  func render(_ snapshot: MonitorSnapshot, _ width: Int, _ height: Int, state: inout DashboardState) -> ScreenBuffer {
    DashboardView.render(snapshot, state: &state, context: context(width, height))
  }

  func press(_ keys: [Key], _ snapshot: MonitorSnapshot, on state: inout DashboardState) {
    for key in keys { _ = state.handle(key, snapshot: snapshot) }
  }

  func typed(_ text: String) -> [Key] { text.map { .character($0) } }

  // MARK: - Wall

  @Test func a204SiteProvinceFitsOnAWallAt80x24() throws {
    var state = DashboardState()
    state.showsWall = true
    let screen = render(Self.province, 80, 24, state: &state)
    try checkGolden(screen, "wall-204-80x24")
    // Every site has its cell: count the status glyphs under the labels.
    let cells = state.wall.order.count
    #expect(cells == 204)
    #expect(state.wall.lines.count <= 19)
    #expect(!screenText(screen).contains(" of "))  // no scroll indicator: all of it shows
  }

  @Test func sevenThousandFourHundredSitesFitOnAWallAt250x70() throws {
    var state = DashboardState()
    state.showsWall = true
    let screen = render(Self.national, 250, 70, state: &state)
    try checkGolden(screen, "wall-7400-250x70")
    #expect(state.wall.order.count == 7400)
    #expect(state.wall.lines.count <= 65)
    let wallRows = screen.cells[(3 * 250)..<((3 + state.wall.lines.count) * 250)]
    let glyphs = wallRows.filter { ["●", "◐", "✖", "⊘", "?", "!"].contains($0.text) }
    // Every site's cell plus one worst-status glyph per label.
    #expect(glyphs.count == 7400 + state.wall.lines.filter { $0.node != nil }.count)
  }

  @Test func problemsStandOutOnTheWallEvenInMono() {
    var state = DashboardState()
    state.showsWall = true
    let screen = render(Self.province, 80, 24, state: &state)
    let mono = ThemeLoader.monoTheme
    func style(_ glyph: String) -> Style? {
      screen.cells.first { $0.text == glyph && (Role.allCases.filter { $0.rawValue.hasPrefix("status.") } + [.flag]).contains($0.role) }
        .map { mono.style($0.role) }
    }
    let online = style("●")
    for problem in ["✖", "◐", "⊘", "!"] {
      let problemStyle = style(problem)
      #expect(problemStyle != nil, "\(problem) on the wall")
      #expect(problemStyle != online, "\(problem) looks like online in mono")
    }
  }

  @Test func theWallCursorMovesAcrossAndBetweenLines() {
    var state = DashboardState()
    state.showsWall = true
    _ = render(Self.province, 80, 24, state: &state)
    #expect(state.selectedSite == 0)
    press([.right], Self.province, on: &state)
    #expect(state.selectedSite == 1)  // Bá Thước's district hall, on the next line
    press([.right, .right], Self.province, on: &state)
    #expect(state.selectedSite == 3)
    press([.down], Self.province, on: &state)
    // Same column on the next wall line: the first site of Cẩm Thủy is 30, so 32 sits in the third column.
    let below = state.selectedSite!
    #expect(state.wall.columns[state.wall.position(of: below)!] == state.wall.columns[state.wall.position(of: 3)!])
    press([.up], Self.province, on: &state)
    #expect(state.selectedSite == 3)
    press([.left], Self.province, on: &state)
    #expect(state.selectedSite == 2)
    // The status line names the selected site with its status and headcount.
    let screen = render(Self.province, 80, 24, state: &state)
    let status = screen.lines[22]
    #expect(status.contains("TH-D1-01") && status.contains("Xã Bá Thước 1"), "\(status)")
  }

  // MARK: - Drill-down

  @Test func groupsCollapseAndExpandKeepingTheirSubtotals() throws {
    var state = DashboardState()
    _ = render(Self.province, 80, 24, state: &state)
    press([.character("-")], Self.province, on: &state)
    var screen = render(Self.province, 80, 24, state: &state)
    // Collapsed to the province row alone; the selected site's group row took the selection.
    #expect(state.rows == [.group(node: 1)])
    #expect(state.selection == .group(node: 1))
    press([.enter], Self.province, on: &state)  // unfold the province: its hall and seven folded districts
    press([.end, .enter], Self.province, on: &state)  // unfold Nga Sơn
    screen = render(Self.province, 80, 24, state: &state)
    try checkGolden(screen, "collapsed-80x24")
    #expect(state.rows.count == 1 + 1 + 7 + 29)
    let text = screenText(screen)
    #expect(text.contains("▸         Thanh Hóa / Bá Thước"))
    #expect(text.contains("▾         Thanh Hóa / Nga Sơn"))
    press([.character("+")], Self.province, on: &state)
    _ = render(Self.province, 80, 24, state: &state)
    #expect(state.rows.count == 1 + 204 + 7)
  }

  // MARK: - Filter

  @Test func filteringIgnoresCaseAndDiacritics() throws {
    var accented = DashboardState()
    _ = render(Self.province, 80, 24, state: &accented)
    press([.character("/")] + typed("Hậu Lộc") + [.enter], Self.province, on: &accented)
    let withAccents = render(Self.province, 80, 24, state: &accented)
    try checkGolden(withAccents, "filter-hau-loc-80x24")
    #expect(accented.visibleCount == 29)
    #expect(screenText(withAccents).contains("filtered: 29 of 204"))

    var plain = DashboardState()
    _ = render(Self.province, 80, 24, state: &plain)
    press([.character("/")] + typed("HAU loc") + [.enter], Self.province, on: &plain)
    let withoutAccents = render(Self.province, 80, 24, state: &plain)
    #expect(plain.rows == accented.rows)
    #expect(withoutAccents.lines.dropLast(2) == withAccents.lines.dropLast(2))

    // Words match anywhere, in any order; đ matches d.
    #expect(SearchFolding.fold("Đà Bắc") == Array("da bac".utf8))
    press([.escape, .character("/")] + typed("xa 12 dong") + [.enter], Self.province, on: &plain)
    _ = render(Self.province, 80, 24, state: &plain)
    #expect(plain.rows == [.group(node: 1), .group(node: 4), .site(index: 1 + 2 * 29 + 12)])  // Xã Đông Sơn 12
    press([.escape], Self.province, on: &plain)
    _ = render(Self.province, 80, 24, state: &plain)
    #expect(plain.visibleCount == 204)
  }

  @Test func theFilterPromptFiltersAsYouTypeAndEscClearsIt() {
    var state = DashboardState()
    _ = render(Self.province, 80, 24, state: &state)
    press([.character("/")] + typed("nga"), Self.province, on: &state)
    let screen = render(Self.province, 80, 24, state: &state)
    #expect(state.visibleCount == 29)
    #expect(screen.lines[23].contains("Filter (id, name or group; no accents needed): nga▏"))
    press([.escape], Self.province, on: &state)
    _ = render(Self.province, 80, 24, state: &state)
    #expect(state.mode == .normal && state.visibleCount == 204 && !state.listOptions.isFiltering)
  }

  @Test func problemsOnlyShowsOfflineLateMarkedAndHelp() {
    var state = DashboardState()
    _ = render(Self.national, 120, 40, state: &state)
    press([.character("!")], Self.national, on: &state)
    _ = render(Self.national, 120, 40, state: &state)
    let expected = Self.national.records.filter { SiteList.isProblem($0) }.count
    #expect(state.visibleCount == expected)
    #expect(expected > 300 && expected < 900)
    for row in state.rows {
      if case .site(let index) = row {
        let record = Self.national.records[index]
        #expect(record.status != .online || record.flags.contains(.helpRequested))
      }
    }
  }

  // MARK: - Sort

  @Test func eachSortOrderKeepsTheSelectionOnItsSite() throws {
    let snapshot = DashboardFixture.snapshot()
    var state = DashboardState()
    state.selectedSite = 3  // HB-DB-CAOSON: late, asks for help
    for order in [SiteSort.severity, .name, .shortfall, .lastHeard, .group] {
      press([.character("s")], snapshot, on: &state)
      #expect(state.listOptions.sort == order)
      let screen = render(snapshot, 120, 24, state: &state)
      #expect(state.selectedSite == 3, "\(order)")
      if order != .group { try checkGolden(screen, "sort-\(order)-120x24") }
    }
    func sites(_ order: SiteSort) -> [String] {
      var options = SiteListOptions()
      options.sort = order
      let index = RosterIndex(sites: snapshot.sites)
      let visible = SiteList.visibleSites(snapshot, index: index, options: options)
      return SiteList.rows(snapshot, index: index, options: options, visible: visible).compactMap {
        if case .site(let site) = $0 { snapshot.sites[site].id } else { nil }
      }
    }
    // offline > late (help first) > marked > unknown > online; ties in roster order.
    #expect(sites(.severity) == ["HB-DB-TULY", "HB-DB-CAOSON", "HB-MC-PACO", "HB-DB-HU", "HB-MC-VANMAI", "HB-TU", "HB-MC-HU"])
    // Folded names: huyen uy da bac, huyen uy mai chau (decomposed in the config), tinh uy..., xa cao son...
    #expect(sites(.name).prefix(3) == ["HB-DB-HU", "HB-MC-HU", "HB-TU"] && sites(.name).last == "HB-MC-VANMAI")
    // What each lacks of its expected in live attendance: a marked or offline site's count is not counted.
    #expect(sites(.shortfall).prefix(3) == ["HB-DB-HU", "HB-DB-TULY", "HB-MC-VANMAI"])
    #expect(sites(.lastHeard).first == "HB-MC-VANMAI")
  }

  /// Rows are laid out again only when what they come from changed: the options, or the records where the view
  /// depends on them (problems only, a sort by status, shortfall or silence).
  @Test func aLaidOutListFollowsTheRecordsWhereItDependsOnThem() {
    let before = DashboardFixture.snapshot()
    var after = before
    after.records[0] = before.records[2]  // HB-TU now has HB-DB-TULY's record: offline
    #expect(after.recordsRevision != before.recordsRevision)
    func shown(_ state: DashboardState) -> [String] {
      state.rows.compactMap { if case .site(let site) = $0 { before.sites[site].id } else { nil } }
    }

    var problems = DashboardState()
    problems.listOptions.problemsOnly = true
    _ = render(before, 120, 24, state: &problems)
    let problemsBefore = shown(problems)
    _ = render(after, 120, 24, state: &problems)
    #expect(!problemsBefore.contains("HB-TU"))
    #expect(shown(problems) == ["HB-TU"] + problemsBefore)

    var severity = DashboardState()
    severity.listOptions.sort = .severity
    _ = render(before, 120, 24, state: &severity)
    let severityBefore = shown(severity)
    _ = render(after, 120, 24, state: &severity)
    #expect(severityBefore.first == "HB-DB-TULY")
    #expect(shown(severity).prefix(2) == ["HB-TU", "HB-DB-TULY"])

    // By group, the rows are the roster's whatever the records say: the layout of the first frame is kept.
    var byGroup = DashboardState()
    _ = render(before, 120, 24, state: &byGroup)
    let key = byGroup.laidOut
    _ = render(after, 120, 24, state: &byGroup)
    #expect(key != nil && byGroup.laidOut == key)
  }

  /// A frame where only the time moved is the last frame with its clock and ages patched: for every table state,
  /// it must be exactly the frame a whole render would draw.
  @Test func aFrameWhereOnlyTheTimeMovedIsTheWholeFrameDrawnAgain() {
    let fixtures = [DashboardFixture.snapshot(), Self.national]
    var checked = 0
    for (fixtureIndex, before) in fixtures.enumerated() {
      for (width, height) in [(80, 24), (120, 40), (200, 60)] {
        for setUp in 0..<5 {
          var state = DashboardState()
          switch setUp {
          case 1: state.selectedSite = 3
          case 2: state.listOptions.sort = .severity
          case 3: state.listOptions.filterText = fixtureIndex == 0 ? "xa" : "7"
          case 4: state.selectedSite = before.sites.count - 2  // scrolled to the end
          default: break
          }
          let context = context(width, height)
          var last = DashboardView.render(before, state: &state, context: context)
          #expect(DashboardView.refreshesTimes(state, context: context))
          for seconds in [1, 59, 61, 3599, 3601, 90_000] {
            var after = before
            after.takenAt = before.takenAt.advanced(by: .seconds(seconds))
            #expect(DashboardView.FrameBasis(after, context: context) == DashboardView.FrameBasis(before, context: context))
            var whole = state
            let expected = DashboardView.render(after, state: &whole, context: context)
            DashboardView.refreshTimes(&last, after, state: state, context: context)
            #expect(screenText(last) == screenText(expected), "fixture \(fixtureIndex), \(width)x\(height), set-up \(setUp), +\(seconds) s")
            #expect(last == expected)
            checked += 1
          }
        }
      }
    }
    #expect(checked == 2 * 3 * 5 * 6)
    // A changed record, another size or an open detail pane is not a time-only frame.
    var changed = Self.national
    changed.records[0] = changed.records[1]
    let context = context(120, 40)
    #expect(DashboardView.FrameBasis(changed, context: context) != DashboardView.FrameBasis(Self.national, context: context))
    #expect(
      DashboardView.FrameBasis(Self.national, context: context) != DashboardView.FrameBasis(Self.national, context: self.context(120, 41)))
    var detail = DashboardState()
    detail.showsDetail = true
    #expect(!DashboardView.refreshesTimes(detail, context: context))
  }

  // MARK: - Detail

  @Test func theDetailPaneShowsEverythingKnownAboutTheSite() throws {
    let snapshot = DashboardFixture.snapshot(detailSite: 3)
    var state = DashboardState()
    state.selectedSite = 3
    press([.enter], snapshot, on: &state)
    #expect(state.detailSite == 3)
    var context = context(120, 30)
    context.signedSites = ["HB-DB-CAOSON"]
    let screen = DashboardView.render(snapshot, state: &state, context: context)
    try checkGolden(screen, "detail-120x30")
    let text = screenText(screen)
    #expect(text.contains("Site HB-DB-CAOSON  ·  Xã Cao Sơn"))
    #expect(text.contains("heartbeats by UDP (signed)"))
    #expect(text.contains("seq 4") && text.contains("state help") && text.contains("loss 50.0%"))
    #expect(text.contains("Headcount: 51  ·  udp  ·  15:27:00"), "where the count came from, and when")
    #expect(text.contains("online -> late (silence)"))
    press([.escape], snapshot, on: &state)
    #expect(state.detailSite == nil)
  }

  @Test func sparklineAndStripScaleToTheirWidth() {
    let glyphs = Glyphs.unicode
    #expect(DashboardView.sparkline([nil, 0, 50, 100, 150], expected: 100, glyphs: glyphs) == " ▁▃▆█")
    let beats: [BeatSlot] = Array(repeating: .heard, count: 10) + Array(repeating: .missed, count: 5) + [.noData]
    let (oneEach, perCell) = DashboardView.strip(beats, width: 40, glyphs: glyphs)
    #expect(perCell == 1 && oneEach.map(\.0).joined() == "██████████····· ")
    let (packed, perPacked) = DashboardView.strip(beats, width: 4, glyphs: glyphs)
    #expect(perPacked == 4 && packed.map(\.0).joined() == "██▄·")
  }

  // MARK: - Languages

  @Test func vietnameseScreens() throws {
    var state = DashboardState()
    state.strings = Strings(.vi)
    for line in DashboardFixture.events() { state.appendLog(line) }
    try checkGolden(render(DashboardFixture.snapshot(), 80, 24, state: &state), "vi-dashboard-80x24")
    var wall = DashboardState()
    wall.strings = Strings(.vi)
    wall.showsWall = true
    let screen = render(Self.province, 80, 24, state: &wall)
    try checkGolden(screen, "vi-wall-204-80x24")
    let text = screenText(screen)
    // At 80 columns the four counts an operator acts on come before the figure's word; the figure stays.
    #expect(text.contains("Đánh dấu 3") && text.contains("9.224 / 11.212 (82,3%)"))
    #expect(text.contains("Toàn cảnh: 204 điểm cầu"))
  }

  @Test func bothLanguagesUseTheSameKeys() {
    // The same key presses do the same thing whatever the language.
    var english = DashboardState()
    var vietnamese = DashboardState()
    vietnamese.strings = Strings(.vi)
    let keys: [Key] =
      [.character("s"), .down, .down, .character("w"), .right, .character("!"), .character("/")] + typed("thanh") + [.enter]
    for key in keys {
      #expect(english.handle(key, snapshot: Self.province) == vietnamese.handle(key, snapshot: Self.province))
    }
    #expect(english.selection == vietnamese.selection && english.listOptions == vietnamese.listOptions)
    #expect(english.showsWall == vietnamese.showsWall && english.mode == vietnamese.mode)
  }
}
