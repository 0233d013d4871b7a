import BridgeCore

public enum DashboardView {
  public static let minimumWidth = 80
  public static let minimumHeight = 24

  static func logPaneHeight(forHeight height: Int) -> Int { max(4, min(12, height / 5)) }

  static func detailPaneHeight(forHeight height: Int) -> Int { max(11, min(16, height * 2 / 5)) }

  public static func render(_ snapshot: MonitorSnapshot, state: inout DashboardState, context: ViewContext) -> ScreenBuffer {
    var screen = ScreenBuffer(width: context.width, height: context.height)
    render(snapshot, state: &state, context: context, into: &screen)
    return screen
  }

  /// Renders into `screen`, blanked first and resized to the context; the live dashboard reuses its buffers.
  /// Two steps: `layOut` settles the state for this screen (rows, page, scroll), then `draw` only reads it.
  public static func render(_ snapshot: MonitorSnapshot, state: inout DashboardState, context: ViewContext, into screen: inout ScreenBuffer)
  {
    screen.clear(width: context.width, height: context.height)
    guard context.width >= minimumWidth, context.height >= minimumHeight else {
      renderTooSmall(&screen, strings: state.strings, context: context)
      return
    }
    let layout = layOut(snapshot, state: &state, context: context)
    draw(snapshot, state: state, layout: layout, context: context, into: &screen)
  }

  /// Where a frame's panes go: between the header (and the column titles) and the status line.
  struct Layout: Equatable {
    /// The first row of the table or the wall.
    var top: Int
    /// The status line's row; the detail pane or the log pane ends above it.
    var bottom: Int
    /// Rows of the table, or of the wall when it is shown.
    var paneHeight: Int
    /// Rows kept for the detail pane (0 when it is closed).
    var detailHeight: Int
    /// Rows of the event log (0 when it is not shown).
    var logHeight: Int
  }

  /// The one step of a frame that writes the dashboard's state: the rows and the wall for this screen, the page
  /// size, and the scroll positions that keep the selection in view. A frame's drawing then only reads the state.
  static func layOut(_ snapshot: MonitorSnapshot, state: inout DashboardState, context: ViewContext) -> Layout {
    // Below the header and a title line; above the status line and footer.
    let top = 3
    let bottom = context.height - 2
    var space = bottom - top
    state.wallRoom = space
    let detailHeight = state.showsDetail ? detailPaneHeight(forHeight: context.height) : 0
    space -= detailHeight
    state.wallSize = (context.width, space)
    state.layOut(snapshot)
    if state.selectedSite == nil { state.showsDetail = false }
    var logHeight = 0
    let paneHeight: Int
    if state.showsWall {
      // The wall or the overview takes the room it needs; the event log gets what is left if that is worth showing.
      let needed = max(1, state.showsOverview ? state.overview.lines.count : state.wall.lines.count)
      paneHeight = needed + 6 <= space ? needed : space
      // Under the overview's few dozen rows the log takes all that is left: a national screen has room for it.
      if !state.showsDetail && space - paneHeight >= 5 {
        logHeight = state.showsOverview ? space - paneHeight - 1 : min(12, space - paneHeight - 1)
      }
      state.pageSize = paneHeight
      if state.showsOverview {
        scrollOverview(&state, snapshot, height: paneHeight)
      } else {
        scrollWall(&state, height: paneHeight)
      }
    } else {
      if !state.showsDetail { logHeight = logPaneHeight(forHeight: context.height) }
      paneHeight = space - logHeight
      assert(state.showsDetail || paneHeight == plainTableHeight(context))
      state.pageSize = paneHeight
      scrollTable(&state, height: paneHeight)
    }
    return Layout(top: top, bottom: bottom, paneHeight: paneHeight, detailHeight: detailHeight, logHeight: logHeight)
  }

  /// Draws a frame laid out by `layOut` onto a blank `screen`.
  static func draw(
    _ snapshot: MonitorSnapshot, state: DashboardState, layout: Layout, context: ViewContext, into screen: inout ScreenBuffer
  ) {
    renderHeader(&screen, snapshot, state: state, context: context)
    if state.showsOverview {
      renderOverview(&screen, snapshot, state: state, context: context, top: layout.top, height: layout.paneHeight)
    } else if state.showsWall {
      renderWall(&screen, snapshot, state: state, context: context, top: layout.top, height: layout.paneHeight)
    } else {
      renderTable(&screen, snapshot, state: state, context: context, top: layout.top, height: layout.paneHeight)
    }
    if state.showsDetail, let site = state.selectedSite {
      renderDetail(
        &screen, snapshot, site: site, state: state, context: context, top: layout.bottom - layout.detailHeight,
        height: layout.detailHeight)
    } else if layout.logHeight > 0 {
      renderLog(&screen, snapshot, state: state, context: context, top: layout.bottom - layout.logHeight, height: layout.logHeight)
    }
    renderStatusLine(&screen, snapshot, state: state, context: context, y: context.height - 2)
    renderFooter(&screen, snapshot, state: state, context: context, y: context.height - 1)
    if state.mode == .help { renderHelp(&screen, strings: state.strings, context: context) }
  }

  // MARK: - Frames where only the time moved

  /// What a frame shows apart from the time. A frame drawn from the same basis, with the dashboard's state unchanged
  /// (no key, no event), differs from the last only in the header's clock and the table's ages: `refreshTimes`
  /// patches those into the last frame, so an idle national dashboard does not lay out its screen every second.
  struct FrameBasis: Equatable {
    var width: Int
    var height: Int
    var recordsRevision: UInt64
    var counters: IngestCounters
    var role: MonitorRole?
    var journalProblem: String?
    var clockNote: ClockNote?
    var hasDetail: Bool
    var sessionLabel: String?
    var banner: String?
    var alarm: [String]
    /// Counts the snapshots whose bridges changed without a record changing (a join, a leave, a poll's problem, a
    /// call's quality change the rows and the header): the runtime's, `DashboardRuntime.bridgeChanged`.
    var bridgeRevision: UInt64

    init(_ snapshot: MonitorSnapshot, context: ViewContext, bridgeRevision: UInt64 = 0) {
      width = context.width
      height = context.height
      recordsRevision = snapshot.recordsRevision
      counters = snapshot.counters
      role = snapshot.role
      journalProblem = snapshot.journalProblem
      clockNote = snapshot.clockNote
      hasDetail = snapshot.detail != nil
      sessionLabel = context.sessionLabel
      banner = context.banner
      alarm = context.alarm
      self.bridgeRevision = bridgeRevision
    }
  }

  /// Whether `refreshTimes` can bring the last frame of this state up to date: the plain table, no wall, detail
  /// pane, prompt or overlay.
  static func refreshesTimes(_ state: DashboardState, context: ViewContext) -> Bool {
    state.mode == .normal && !state.showsWall && !state.showsDetail && context.width >= minimumWidth
      && context.height >= minimumHeight
  }

  /// The table's rows on the plain screen (no detail pane): between the header and the log pane.
  static func plainTableHeight(_ context: ViewContext) -> Int { context.height - 2 - 3 - logPaneHeight(forHeight: context.height) }

  /// Brings `screen`, the last frame drawn for `state`, to `snapshot`'s time: the clock and every shown age. Only
  /// valid when `refreshesTimes` holds and the basis is that of the last frame.
  static func refreshTimes(_ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext) {
    renderClock(&screen, snapshot, context: context)
    let rows = state.rows
    guard !rows.isEmpty else { return }
    let columns = tableColumns(snapshot, state: state, context: context)
    let selectedRow = state.selection.flatMap { rows.firstIndex(of: $0) }
    for line in 0..<plainTableHeight(context) {
      let rowIndex = state.scrollOffset + line
      guard rowIndex < rows.count else { break }
      guard case .site(let index) = rows[rowIndex] else { continue }
      let y = 3 + line
      let selected = rowIndex == selectedRow
      screen.fill(y: y, from: columns.heard, width: columns.heardWidth, role: selected ? .selection : .normal)
      renderAge(&screen, snapshot, index: index, y: y, columns: columns, strings: state.strings, selected: selected)
    }
  }
}
