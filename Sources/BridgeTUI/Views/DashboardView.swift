import BridgeCore

/// Status glyphs that do not rely on colour, with ASCII fallbacks for non-UTF-8 locales.
public struct Glyphs: Sendable {
  public var online, late, offline, marked, unknown, help: String
  /// Heartbeat strip: every interval heard, some missed, all missed.
  public var heard, partlyHeard, missed: String
  /// Sparkline levels, lowest first.
  public var levels: [String]
  /// A group row's fold marker; never `?`, which is the unknown status.
  public var folded, unfolded: String
  public var isASCII: Bool

  public static let unicode = Glyphs(
    online: "●", late: "◐", offline: "✖", marked: "⊘", unknown: "?", help: "!", heard: "█", partlyHeard: "▄", missed: "·",
    levels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], folded: "▸", unfolded: "▾", isASCII: false)
  public static let ascii = Glyphs(
    online: "o", late: "~", offline: "X", marked: "M", unknown: "?", help: "!", heard: "#", partlyHeard: "+", missed: ".",
    levels: ["_", ".", "-", "=", "+", "*", "#", "@"], folded: "+", unfolded: "-", isASCII: true)

  public func glyph(_ status: SiteStatus) -> String {
    switch status {
    case .online: online
    case .late: late
    case .offline: offline
    case .marked: marked
    case .unknown: unknown
    }
  }
}

/// Everything a frame needs besides the snapshot and the dashboard state.
public struct ViewContext: Sendable {
  public var width: Int
  public var height: Int
  public var glyphs: Glyphs = .unicode
  /// Offset of local time from UTC, for the clock and log times.
  public var utcOffsetSeconds: Int = 0
  public var listenAddress: String = ""
  public var operatorName: String = ""
  public var themeName: String = "default"
  /// Shown in the header when set (the demo says it is a demo).
  public var banner: String?
  /// An alarm that takes the header's first line, across its width, in the alarm role (a standby's primary gone
  /// silent, with the command that promotes it): its wordings, longest first; the longest that fits is shown.
  public var alarm: [String] = []
  /// The schedule's current session, "between sessions", or nil without a schedule.
  public var sessionLabel: String?
  /// The config's recover_after, for the "recovering n/N" flag.
  public var recoverAfter: Int = 2
  /// Ids of the sites that sign their heartbeats, for the detail pane.
  public var signedSites: Set<String> = []

  public init(width: Int, height: Int) {
    self.width = width
    self.height = height
  }
}

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
  public static func render(_ snapshot: MonitorSnapshot, state: inout DashboardState, context: ViewContext, into screen: inout ScreenBuffer)
  {
    screen.clear(width: context.width, height: context.height)
    guard context.width >= minimumWidth, context.height >= minimumHeight else {
      renderTooSmall(&screen, strings: state.strings, context: context)
      return
    }
    // Below the header and a title line; above the status line and footer.
    let top = 3
    let bottom = context.height - 2
    var space = bottom - top
    let detailHeight = state.showsDetail ? detailPaneHeight(forHeight: context.height) : 0
    space -= detailHeight
    state.wallSize = (context.width, space)
    state.layOut(snapshot)
    if state.selectedSite == nil { state.showsDetail = false }
    renderHeader(&screen, snapshot, state: state, context: context)
    var logHeight = 0
    if state.showsWall {
      // The wall takes the room it needs; the event log gets what is left if that is worth showing.
      let needed = max(1, state.wall.lines.count)
      let wallHeight = needed + 6 <= space ? needed : space
      if !state.showsDetail && space - wallHeight >= 5 { logHeight = min(12, space - wallHeight - 1) }
      state.pageSize = wallHeight
      renderWall(&screen, snapshot, state: &state, context: context, top: top, height: wallHeight)
    } else {
      if !state.showsDetail { logHeight = logPaneHeight(forHeight: context.height) }
      let tableHeight = space - logHeight
      assert(state.showsDetail || tableHeight == plainTableHeight(context))
      state.pageSize = tableHeight
      renderTable(&screen, snapshot, state: &state, context: context, top: top, height: tableHeight)
    }
    if state.showsDetail, let site = state.selectedSite {
      renderDetail(&screen, snapshot, site: site, state: state, context: context, top: bottom - detailHeight, height: detailHeight)
    } else if logHeight > 0 {
      renderLog(&screen, snapshot, state: state, context: context, top: bottom - logHeight, height: logHeight)
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

    init(_ snapshot: MonitorSnapshot, context: ViewContext) {
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

  // MARK: - Header

  static func clock(_ unixSeconds: Double, offset: Int, withSeconds: Bool = true) -> String {
    let local = Int(unixSeconds.rounded(.down)) + offset
    let day = ((local % 86400) + 86400) % 86400
    let text = "\(twoDigits(day / 3600)):\(twoDigits(day % 3600 / 60))"
    return withSeconds ? text + ":\(twoDigits(day % 60))" : text
  }

  static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

  /// The header's clock, top right (on the alarm when there is one, unless the alarm needs its room); returns its
  /// width.
  @discardableResult
  static func renderClock(_ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, context: ViewContext) -> Int {
    if !context.alarm.isEmpty && !alarmLayout(context).showsClock { return 0 }
    let time = clock(snapshot.takenAt.unixSeconds, offset: context.utcOffsetSeconds)
    return screen.putRight(time, right: context.width - 1, y: 0, role: context.alarm.isEmpty ? .headerTitle : .headerAlert, maxWidth: 8)
  }

  /// Which wording of the alarm the header shows: the longest that fits beside the clock; else the longest that
  /// fits without it (the command matters more than the time); else the shortest, cut.
  static func alarmLayout(_ context: ViewContext) -> (text: String, showsClock: Bool) {
    func fits(_ text: String, room: Int) -> Bool { DisplayWidth.of(text) + 2 <= room }
    let besideClock = context.width - 2 - 8 - 2
    if let text = context.alarm.first(where: { fits($0, room: besideClock) }) { return (text, true) }
    if let text = context.alarm.first(where: { fits($0, room: context.width - 2) }) { return (text, false) }
    return (context.alarm.last ?? "", true)
  }

  /// The alarm line: the header's first line, whole, in the alarm role. It takes the title's place: the title
  /// only decorates.
  static func renderAlarm(_ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, context: ViewContext) {
    screen.fill(y: 0, role: .headerAlert)
    let clockWidth = renderClock(&screen, snapshot, context: context)
    let room = context.width - 2 - (clockWidth > 0 ? clockWidth + 2 : 0)
    screen.put(" \(alarmLayout(context).text) ", x: 1, y: 0, role: .headerAlert, maxWidth: room)
  }

  static func renderHeader(_ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext) {
    screen.fill(y: 0, role: .header)
    screen.fill(y: 1, role: .header)
    if !context.alarm.isEmpty {
      renderAlarm(&screen, snapshot, context: context)
    } else {
      renderTitleLine(&screen, snapshot, state: state, context: context)
    }
    renderCounts(&screen, snapshot, state: state, context: context)
  }

  /// The header's first line: the banner, the title, and on the right the filter, the session, the address and
  /// the clock.
  static func renderTitleLine(_ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext) {
    let strings = state.strings
    let width = context.width
    var right = width - 1
    right -= renderClock(&screen, snapshot, context: context) + 2
    let filtering = state.listOptions.isFiltering
    if filtering {
      let text = strings(.filtered, strings.number(state.visibleCount), strings.number(snapshot.sites.count))
      right -= screen.putRight(text, right: right, y: 0, role: .headerAlert, maxWidth: 32) + 2
    }
    if let session = context.sessionLabel {
      right -= screen.putRight(session, right: right, y: 0, role: .headerTitle, maxWidth: 24) + 2
    }
    if !context.listenAddress.isEmpty && (!filtering || width >= 120) {
      right -= screen.putRight("udp \(context.listenAddress)", right: right, y: 0, role: .header, maxWidth: 28) + 2
    }
    var x = 1
    if let banner = context.banner {
      x += screen.put(" \(banner) ", x: x, y: 0, role: .banner, maxWidth: max(12, (right - x) / 2)) + 1
    }
    screen.put(snapshot.title, x: x, y: 0, role: .headerTitle, maxWidth: max(0, right - x))
  }

  /// The header's second line: the counts by rank, and the attendance on the right.
  static func renderCounts(_ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext) {
    let strings = state.strings
    let width = context.width
    let total = snapshot.rollups[0]
    // The counts in reading order; when they do not all fit, what an operator acts on stays (the rank), what only
    // informs goes first.
    var stats: [(rank: Int, text: String, alert: Bool)] = []
    func stat(_ rank: Int, _ label: TextKey, _ value: String, alert: Bool = false) {
      stats.append((rank, "\(strings(label)) \(value)", alert))
    }
    stat(4, .headerOnline, "\(strings.number(total.statusCounts[.online]))/\(strings.number(total.siteCount))")
    stat(0, .headerOffline, strings.number(total.statusCounts[.offline]), alert: total.statusCounts[.offline] > 0)
    stat(6, .headerLate, strings.number(total.statusCounts[.late]), alert: total.statusCounts[.late] > 0)
    if state.listOptions.neverHeardIsProblem && total.statusCounts[.unknown] > 0 {
      stat(5, .headerNotConnected, strings.number(total.statusCounts[.unknown]), alert: true)
    }
    if total.unacknowledgedAlerts > 0 { stat(2, .headerAlerts, strings.number(total.unacknowledgedAlerts), alert: true) }
    if total.helpRequests > 0 { stat(1, .headerHelp, strings.number(total.helpRequests), alert: true) }
    stat(3, .headerMarked, strings.number(total.statusCounts[.marked]))
    // Attendance on the right; its word goes before any of the first five counts (to Online) or an alerting one
    // (sites not connected yet) would.
    let percent = total.attendancePercent.map { " (\(strings.percent($0)))" } ?? ""
    let labelled = strings(.attendance, strings.number(total.reportedHeadcount), strings.number(total.expectedHeadcount)) + percent
    let figures = "\(strings.number(total.reportedHeadcount)) / \(strings.number(total.expectedHeadcount))" + percent
    let firstCounts = stats.filter { $0.rank <= 4 || $0.alert }.reduce(0) { $0 + DisplayWidth.of($1.text) + 2 }
    let attendance = 1 + firstCounts + DisplayWidth.of(labelled) + 1 <= width ? labelled : figures
    let attendanceWidth = screen.putRight(attendance, right: width - 1, y: 1, role: .headerTitle, maxWidth: width - 2)
    let limit = width - 1 - attendanceWidth - 2
    var room = limit - 1
    var shown = Set<Int>()
    // Strictly by rank: a count that does not fit is not passed over for a less important one that would.
    for (position, item) in stats.enumerated().sorted(by: { $0.element.rank < $1.element.rank }) {
      let needed = DisplayWidth.of(item.text) + 2
      guard needed <= room + 2 else { break }
      shown.insert(position)
      room -= needed
    }
    var column = 1
    for (position, item) in stats.enumerated() where shown.contains(position) {
      column += screen.put(item.text, x: column, y: 1, role: item.alert ? .headerAlert : .header) + 2
    }
  }

  // MARK: - Table

  struct Columns {
    var status = 0, id = 0, name = 0, group = 0, count = 0, heard = 0, loss = 0, rtt = 0, flags = 0
    var statusWidth = 10, idWidth = 12, nameWidth = 20, groupWidth = 0, countWidth = 11, heardWidth = 6, lossWidth = 6, rttWidth = 6
    var flagsWidth = 10
    /// Loss and RTT need room; below 100 columns the name matters more.
    var showsLinkQuality: Bool
    /// The status column says its word ("offline") after the glyph; where that would cut names, the glyph alone.
    var showsStatusWord: Bool

    /// A site name such as "Huyện ủy Mai Châu" or "UBND xã Tân Thịnh" reads whole in this many cells.
    static let readableName = 20
    /// The status column without its word: the glyph, and a group row's fold marker after it.
    static let glyphOnly = 3

    /// Columns shrink by priority: the id whole; then a readable name and, in a flat list, the whole group label;
    /// then the status word; what is left goes to the name and the flags. The status word is the first to go (in
    /// Vietnamese at 80 columns "mất kết nối" would cut ids and names): the glyph says the status too.
    /// `showsGroup`: a flat (sorted) list names each site's group, since no group rows say it.
    init(width: Int, longestID: Int, longestName: Int, longestGroup: Int, strings: Strings, showsGroup: Bool) {
      // Wide enough for the language's words: "mất kết nối", "Lần cuối".
      let wordWidth = SiteStatus.allCases.map { DisplayWidth.of(strings.status($0)) + 2 }.max() ?? 10
      heardWidth = max(6, DisplayWidth.of(strings(.columnHeard)))
      lossWidth = max(6, DisplayWidth.of(strings(.columnLoss)))
      showsLinkQuality = width >= 100
      countWidth = width >= 100 ? 15 : 13
      let others = countWidth + heardWidth + (showsLinkQuality ? lossWidth + rttWidth + 2 : 0) + (showsGroup ? 1 : 0) + 7
      // The flags keep room for the most urgent one, a request for help.
      let flagsMinimum = max(6, DisplayWidth.of(strings(.flagHelp)))
      let readableName = max(12, min(longestName, Self.readableName))
      let wholeGroup = showsGroup ? max(10, min(longestGroup, 36)) : 0
      // The id is what an operator reads out on the phone: whole (up to 24) as long as a readable name, the
      // group and the most urgent flag still fit beside the status glyph.
      let roomForID = width - others - Self.glyphOnly - readableName - wholeGroup - flagsMinimum
      idWidth = max(8, min(longestID, 24, roomForID))
      let fixed = idWidth + others
      // What the name, group and flags columns share beside a status column `status` wide.
      func shared(status: Int) -> Int { width - fixed - status }
      showsStatusWord = shared(status: wordWidth) >= readableName + wholeGroup + flagsMinimum
      statusWidth = showsStatusWord ? wordWidth : Self.glyphOnly
      var flexible = shared(status: statusWidth)
      if showsGroup {
        groupWidth = max(10, min(wholeGroup, flexible - readableName - flagsMinimum))
        flexible -= groupWidth
      }
      nameWidth = max(12, min(max(12, longestName), 48, max(readableName, flexible * 6 / 10), flexible - flagsMinimum))
      flagsWidth = max(6, flexible - nameWidth)
      status = 1
      id = status + statusWidth + 1
      name = id + idWidth + 1
      group = name + nameWidth + 1
      count = showsGroup ? group + groupWidth + 1 : name + nameWidth + 1
      heard = count + countWidth + 1
      loss = heard + heardWidth + 1
      rtt = loss + lossWidth + 1
      flags = showsLinkQuality ? rtt + rttWidth + 1 : heard + heardWidth + 1
    }
  }

  static func renderTable(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: inout DashboardState, context: ViewContext, top: Int, height: Int
  ) {
    let strings = state.strings
    let rows = state.rows
    let flat = state.listOptions.sort != .group
    let columns = tableColumns(snapshot, state: state, context: context)
    let titleY = top - 1
    screen.fill(y: titleY, role: .columnTitles)
    if columns.showsStatusWord {
      screen.put(strings(.columnStatus), x: columns.status, y: titleY, role: .columnTitles, maxWidth: columns.statusWidth)
    }
    screen.put(strings(.columnID), x: columns.id, y: titleY, role: .columnTitles)
    screen.put(strings(.columnName), x: columns.name, y: titleY, role: .columnTitles)
    if columns.groupWidth > 0 { screen.put(strings(.columnGroup), x: columns.group, y: titleY, role: .columnTitles) }
    screen.putRight(
      strings(.columnCount), right: columns.count + columns.countWidth, y: titleY, role: .columnTitles, maxWidth: columns.countWidth)
    screen.putRight(
      strings(.columnHeard), right: columns.heard + columns.heardWidth, y: titleY, role: .columnTitles, maxWidth: columns.heardWidth)
    if columns.showsLinkQuality {
      screen.putRight(
        strings(.columnLoss), right: columns.loss + columns.lossWidth, y: titleY, role: .columnTitles, maxWidth: columns.lossWidth)
      screen.putRight(
        strings(.columnRTT), right: columns.rtt + columns.rttWidth, y: titleY, role: .columnTitles, maxWidth: columns.rttWidth)
    }
    let flagsTitleWidth = screen.put(strings(.columnFlags), x: columns.flags, y: titleY, role: .columnTitles)

    guard !rows.isEmpty else {
      screen.put(strings(.noSiteMatches), x: 2, y: top + 1, role: .dim, maxWidth: context.width - 4)
      return
    }
    // Keep the selected row on screen.
    let selectedRow = state.selection.flatMap { rows.firstIndex(of: $0) }
    if let selectedRow {
      if selectedRow < state.scrollOffset { state.scrollOffset = max(0, selectedRow - 1) }
      if selectedRow >= state.scrollOffset + height { state.scrollOffset = selectedRow - height + 1 }
    }
    state.scrollOffset = max(0, min(state.scrollOffset, max(0, rows.count - height)))

    for line in 0..<height {
      let rowIndex = state.scrollOffset + line
      guard rowIndex < rows.count else { break }
      let y = top + line
      switch rows[rowIndex] {
      case .group(let node):
        renderGroupRow(
          &screen, snapshot, node: node, y: y, columns: columns, strings: strings, context: context,
          collapsed: state.listOptions.collapsed.contains(node), selected: rowIndex == selectedRow)
      case .site(let index):
        renderSiteRow(
          &screen, snapshot, index: index, y: y, columns: columns, strings: strings, context: context, selected: rowIndex == selectedRow)
      }
    }
    // Where the list is: sort order and position, right of the column titles.
    var notes: [String] = []
    if flat { notes.append(strings(.sortedBy, strings(state.listOptions.sort.label))) }
    if rows.count > height {
      notes.append(strings(.rowsShown, state.scrollOffset + 1, min(rows.count, state.scrollOffset + height), rows.count))
    }
    if !notes.isEmpty {
      let room = context.width - columns.flags - flagsTitleWidth - 3
      screen.putRight(notes.joined(separator: " · "), right: context.width - 1, y: titleY, role: .columnTitles, maxWidth: max(0, room))
    }
  }

  /// The table's columns; a flat (sorted) list names each site's group, since no group rows say it.
  static func tableColumns(_ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext) -> Columns {
    let longestID = state.rosterIndex?.longestID ?? snapshot.sites.reduce(2) { max($0, $1.id.count) }
    let widest = state.rosterIndex.map { (name: $0.longestName, group: $0.longestGroup) } ?? RosterIndex.widest(snapshot.sites)
    return Columns(
      width: context.width, longestID: longestID, longestName: widest.name, longestGroup: widest.group, strings: state.strings,
      showsGroup: state.listOptions.sort != .group && context.width >= 100)
  }

  static func renderGroupRow(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, node: Int, y: Int, columns: Columns, strings: Strings,
    context: ViewContext, collapsed: Bool, selected: Bool
  ) {
    let group = snapshot.groups.nodes[node]
    let rollup = snapshot.rollups[node]
    let worst = rollup.worstStatus
    if selected { screen.fill(y: y, role: .selection) }
    let role: Role = selected ? .selection : .group
    screen.put(context.glyphs.glyph(worst), x: columns.status, y: y, role: selected ? .selection : Role.status(worst))
    screen.put(collapsed ? context.glyphs.folded : context.glyphs.unfolded, x: columns.status + 2, y: y, role: role)
    let indent = String(repeating: "  ", count: group.depth - 1)
    let label = indent + group.path.joined(separator: GroupPath.separator)
    screen.put(label, x: columns.id, y: y, role: role, maxWidth: columns.count - columns.id - 1)
    screen.putRight(
      "\(strings.number(rollup.reportedHeadcount))/\(strings.number(rollup.expectedHeadcount))",
      right: columns.count + columns.countWidth, y: y, role: role, maxWidth: columns.countWidth)
    let room = context.width - columns.heard - 2
    let summary = groupSummary(rollup, strings: strings, glyphs: context.glyphs, room: room)
    screen.put(summary, x: columns.heard + 1, y: y, role: role, maxWidth: room)
  }

  /// A group's sites by status and its attendance, from its roll-up: "0/6 online  6 late  48.2%". Every status
  /// with sites is named (online always, as "of all"), worst first, so the words agree with the rows under them.
  /// When the words do not fit `room`, the status glyphs of the rows stand for them: "●0/6 ◐6 48.2%".
  static func groupSummary(_ rollup: Rollup, strings: Strings, glyphs: Glyphs, room: Int = .max) -> String {
    let shown = Rollup.statusesInWords.filter { $0 == .online || rollup.statusCounts[$0] > 0 }
    let percent = rollup.attendancePercent.map { [strings.percent($0)] } ?? []
    let words = shown.map { status -> String in
      let count = strings.number(rollup.statusCounts[status])
      switch status {
      case .online: return strings(.groupOnline, count, strings.number(rollup.siteCount))
      case .late: return strings(.groupLate, count)
      case .offline: return strings(.groupOffline, count)
      case .marked: return strings(.groupMarked, count)
      case .unknown: return strings(.groupNotConnected, count)
      }
    }
    let wordy = (words + percent).joined(separator: "  ")
    guard DisplayWidth.of(wordy) > room else { return wordy }
    let compact = shown.map { status -> String in
      let count = glyphs.glyph(status) + strings.number(rollup.statusCounts[status])
      return status == .online ? count + "/" + strings.number(rollup.siteCount) : count
    }
    return (compact + percent).joined(separator: " ")
  }

  /// A site's headcount as its row shows it: in parentheses when it is not counted in attendance (the site is not
  /// up), so the row agrees with its group's figure; `*` when set by hand.
  static func headcountText(_ record: SiteRecord, strings: Strings) -> (text: String, counted: Bool) {
    guard let count = record.headcount else { return ("–", true) }
    let text = strings.number(count) + (record.headcountSource == .manual ? "*" : "")
    return RollupContribution(record).uncountedHeadcount == nil ? (text, true) : ("(\(text))", false)
  }

  static func renderSiteRow(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, index: Int, y: Int, columns: Columns, strings: Strings,
    context: ViewContext, selected: Bool
  ) {
    let site = snapshot.sites[index]
    let record = snapshot.records[index]
    if selected { screen.fill(y: y, role: .selection) }
    let statusRole = selected ? .selection : Role.status(record.status)
    let textRole: Role = selected ? .selection : .normal
    let dimRole: Role = selected ? .selection : .dim
    let glyph = context.glyphs.glyph(record.status)
    screen.put(
      columns.showsStatusWord ? "\(glyph) \(strings.status(record.status))" : glyph, x: columns.status, y: y, role: statusRole,
      maxWidth: columns.statusWidth)
    screen.put(site.id, x: columns.id, y: y, role: textRole, maxWidth: columns.idWidth)
    screen.put(site.name, x: columns.name, y: y, role: textRole, maxWidth: columns.nameWidth)
    if columns.groupWidth > 0 { screen.put(site.groupLabel, x: columns.group, y: y, role: dimRole, maxWidth: columns.groupWidth) }
    let count = headcountText(record, strings: strings)
    screen.putRight(
      "\(count.text)/\(strings.number(site.expected))", right: columns.count + columns.countWidth, y: y,
      role: count.counted ? textRole : dimRole, maxWidth: columns.countWidth)
    renderAge(&screen, snapshot, index: index, y: y, columns: columns, strings: strings, selected: selected)
    if columns.showsLinkQuality {
      let loss = record.lossPercent.map { strings.percent($0) } ?? "–"
      screen.putRight(loss, right: columns.loss + columns.lossWidth, y: y, role: textRole, maxWidth: columns.lossWidth)
      let rtt = record.rttMilliseconds.map { "\($0)ms" } ?? "–"
      screen.putRight(rtt, right: columns.rtt + columns.rttWidth, y: y, role: textRole, maxWidth: columns.rttWidth)
    }
    putFlags(
      &screen, flagParts(record, recoverAfter: context.recoverAfter, strings: strings, probed: site.probe != nil), x: columns.flags, y: y,
      maxWidth: context.width - columns.flags - 1, selected: selected)
  }

  /// The "Heard" cell of a site's row: how long ago it was last heard; for a site awaited since a restart (or an
  /// unanswered probe), ">" and how long it has been silent at least, never "never" for a site heard before.
  static func renderAge(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, index: Int, y: Int, columns: Columns, strings: Strings, selected: Bool
  ) {
    let age =
      snapshot.ageSeconds(site: index).map(ageText) ?? snapshot.silentAtLeastSeconds(site: index).map { ">" + ageText($0) }
      ?? strings(.never)
    let role: Role = selected ? .selection : snapshot.records[index].lastHeard == nil ? .dim : .normal
    screen.putRight(age, right: columns.heard + columns.heardWidth, y: y, role: role, maxWidth: columns.heardWidth)
  }

  static func flagsText(_ record: SiteRecord, recoverAfter: Int, strings: Strings, probed: Bool = false) -> String {
    flagParts(record, recoverAfter: recoverAfter, strings: strings, probed: probed).map(\.text).joined(separator: ", ")
  }

  /// The Flags column's parts, each saying whether it is a problem (drawn in the flag role) or only informs (a
  /// healthy probe, the agent, a mark's author, an acknowledgement: drawn plain). A probe that answers must not
  /// look like one that does not.
  static func flagParts(_ record: SiteRecord, recoverAfter: Int, strings: Strings, probed: Bool = false) -> [FlagPart] {
    var parts: [FlagPart] = []
    // A probed site says which evidence it was last heard by: its probe (with what answered) or its agent.
    if probed, let source = record.lastSource {
      if source == .probe, let outcome = record.probeOutcome {
        parts.append(FlagPart(strings(.flagByProbe, strings.probeOutcome(outcome, short: true)), isProblem: !outcome.isAlive))
      } else if source != .probe {
        parts.append(FlagPart(strings(.flagByAgent), isProblem: false))
      }
    }
    if record.isRejectedNow, let rejection = record.rejection {
      parts.insert(FlagPart(strings(.flagRefused, strings.rejection(rejection.reason)), isProblem: true), at: 0)
    }
    if record.flags.contains(.helpRequested) { parts.append(FlagPart(strings(.flagHelp), isProblem: true)) }
    if record.heartbeatStatus == .offline && record.recoveryStreak > 0 {
      parts.append(FlagPart(strings(.flagRecovering, record.recoveryStreak, recoverAfter), isProblem: true))
    }
    if record.flags.contains(.flapping) { parts.append(FlagPart(strings(.flagFlapping), isProblem: true)) }
    if record.flags.contains(.degraded) { parts.append(FlagPart(strings(.flagDegraded), isProblem: true)) }
    if record.flags.contains(.badHeartbeatFile) { parts.append(FlagPart(strings(.flagBadFile), isProblem: true)) }
    if record.flags.contains(.heartbeatFileError) { parts.append(FlagPart(strings(.flagFileError), isProblem: true)) }
    if let mark = record.mark {
      // A marked site heard again wants its mark cleared: that part is a problem.
      var text = strings(.flagMarkedBy, mark.operatorName, mark.reason)
      let heardAgain = record.flags.contains(.heardWhileMarked)
      if heardAgain { text += " " + strings(.flagHeardAgain) }
      parts.append(FlagPart(text, isProblem: heardAgain))
    }
    if let by = record.acknowledgedBy { parts.append(FlagPart(strings(.flagAcknowledged, by), isProblem: false)) }
    if let claim = record.claim { parts.append(FlagPart(strings(.flagClaimed, claim.operatorName), isProblem: false)) }
    return parts
  }

  struct FlagPart: Equatable {
    var text: String
    var isProblem: Bool
    init(_ text: String, isProblem: Bool) {
      self.text = text
      self.isProblem = isProblem
    }
  }

  /// Draws flag parts from `x`, problems in the flag role and the rest plain (all in the selection role on the
  /// selected row); returns the width used.
  @discardableResult
  static func putFlags(
    _ screen: inout ScreenBuffer, _ parts: [FlagPart], x: Int, y: Int, maxWidth: Int, selected: Bool, separator: String = ", "
  ) -> Int {
    var used = 0
    for (position, part) in parts.enumerated() where used < maxWidth {
      if position > 0 {
        // No room for the separator and a cell of the next part: say that more is cut off.
        let text = maxWidth - used > DisplayWidth.of(separator) ? separator : "…"
        used += screen.put(text, x: x + used, y: y, role: selected ? .selection : .dim, maxWidth: maxWidth - used)
        if text == "…" { break }
      }
      let role: Role = selected ? .selection : part.isProblem ? .flag : .dim
      used += screen.put(part.text, x: x + used, y: y, role: role, maxWidth: maxWidth - used)
    }
    return used
  }

  static func ageText(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded(.down))
    if whole < 60 { return "\(whole)s" }
    if whole < 3600 { return "\(whole / 60)m\(twoDigits(whole % 60))" }
    if whole < 86400 { return "\(whole / 3600)h\(twoDigits(whole % 3600 / 60))" }
    return "\(whole / 86400)d"
  }

  // MARK: - Log, status line, footer

  static func renderLog(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext, top: Int, height: Int
  ) {
    let strings = state.strings
    screen.fill(y: top, role: .columnTitles)
    let titleWidth = screen.put(strings(.eventsTitle), x: 1, y: top, role: .columnTitles)
    if let problem = snapshot.journalProblem {
      // Nothing is being saved: that must be impossible to miss.
      screen.fill(y: top, role: .error)
      screen.put(strings(.journalNotWritten, problem), x: 1, y: top, role: .error, maxWidth: context.width - 2)
    } else if let note = snapshot.clockNote {
      // A monitor whose clock is off refuses every signed site: the cause must be on screen, not only in the log.
      screen.fill(y: top, role: .error)
      var parts: [String] = []
      if note.clockLooksOff {
        parts.append(strings(.clockOff, strings.number(note.staleSigned), strings.number(note.staleSigned + note.acceptedSigned)))
      }
      if let step = note.step {
        parts.append(
          strings(.clockStepped, ClockNote.signedDuration(step.seconds), clock(step.unixSeconds, offset: context.utcOffsetSeconds)))
      }
      screen.put(parts.joined(separator: " · "), x: 1, y: top, role: .error, maxWidth: context.width - 2)
    } else {
      screen.putRight(
        countersText(snapshot.counters, strings: strings), right: context.width - 1, y: top, role: .columnTitles,
        maxWidth: context.width - titleWidth - 4)
    }
    for (offset, line) in state.log.reversed().prefix(height - 1).enumerated() {
      let y = top + 1 + offset
      screen.put(clock(line.unixSeconds, offset: context.utcOffsetSeconds), x: 1, y: y, role: .logTime)
      screen.put(line.text, x: 11, y: y, role: line.isAlert ? .logAlert : .log, maxWidth: context.width - 12)
    }
  }

  /// Ingest counters in one line: datagrams accepted and rejected (top reasons), heartbeat files.
  static func countersText(_ counters: IngestCounters, strings: Strings) -> String {
    var text = strings(.countersUDP, strings.number(Int(counters.datagramsAccepted)))
    let rejected = counters.datagramsRejected
    if rejected > 0 {
      let reasons = RejectionReason.allCases.filter { counters[$0] > 0 }.sorted { counters[$0] > counters[$1] }.prefix(2)
      let detail = reasons.map { "\(strings.number(Int(counters[$0]))) \(strings.rejection($0))" }
      text += ", " + strings(.countersRejected, strings.number(Int(rejected)), detail.joined(separator: ", "))
    }
    text += " · " + strings(.countersFiles, strings.number(Int(counters.filesRead)))
    if counters.fileErrors + counters.badFiles > 0 {
      text += ", " + strings(.countersBad, strings.number(Int(counters.fileErrors + counters.badFiles)))
    }
    return text
  }

  static func renderStatusLine(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext, y: Int
  ) {
    let strings = state.strings
    if let message = state.message {
      screen.fill(y: y, role: message.isError ? .error : .prompt)
      screen.put(message.text, x: 1, y: y, role: message.isError ? .error : .prompt, maxWidth: context.width - 2)
      return
    }
    switch state.mode {
    case .prompt:
      screen.put(strings(.promptHint), x: 1, y: y, role: .dim, maxWidth: context.width - 2)
      return
    case .filter:
      screen.put(strings(.filterHint), x: 1, y: y, role: .dim, maxWidth: context.width - 2)
      return
    default:
      break
    }
    switch state.selection {
    case .site(let selected):
      let site = snapshot.sites[selected]
      let record = snapshot.records[selected]
      let count = headcountText(record, strings: strings).text
      var text = "\(site.id)  \(site.name)  ·  \(site.groupLabel)  ·  \(strings.status(record.status))"
      if let since = record.statusSince {
        text += " " + strings(.statusSince, clock(since.unixSeconds, offset: context.utcOffsetSeconds))
      }
      text += "  ·  \(count)/\(strings.number(site.expected))"
      if let source = record.headcountSource { text += "  ·  " + strings(.countSource, strings.source(source)) }
      screen.put(text, x: 1, y: y, role: .dim, maxWidth: context.width - 2)
    case .group(let node):
      let rollup = snapshot.rollups[node]
      let lead =
        snapshot.groups.nodes[node].path.joined(separator: GroupPath.separator) + "  ·  "
        + strings(.attendance, strings.number(rollup.reportedHeadcount), strings.number(rollup.expectedHeadcount)) + "  ·  "
      let text = lead + groupSummary(rollup, strings: strings, glyphs: context.glyphs, room: context.width - 2 - DisplayWidth.of(lead))
      screen.put(text, x: 1, y: y, role: .dim, maxWidth: context.width - 2)
    case nil:
      break
    }
  }

  static func renderFooter(_ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext, y: Int) {
    let strings = state.strings
    screen.fill(y: y, role: .footer)
    switch state.mode {
    case .prompt(let name, let site, let input):
      screen.fill(y: y, role: .prompt)
      let question = OperatorCommands[name].prompt?.question(site, snapshot, strings) ?? ""
      screen.put(question + "\(input)▏", x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .filter(let input):
      screen.fill(y: y, role: .prompt)
      screen.put(strings(.filterPrompt) + "\(input)▏", x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .confirmQuit:
      screen.fill(y: y, role: .prompt)
      screen.put(strings(.confirmQuit), x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .confirmHeadcount(let site, let count):
      screen.fill(y: y, role: .prompt)
      let text = strings(
        .confirmHeadcount, snapshot.sites[site].id, strings.number(count), strings.number(snapshot.sites[site].expected))
      screen.put(text, x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .confirmRelease(let site):
      screen.fill(y: y, role: .prompt)
      let claim = snapshot.records[site].claim
      let text = strings(
        .confirmRelease, claim?.operatorName ?? "–", snapshot.sites[site].id,
        claim.map { clock($0.unixSeconds, offset: context.utcOffsetSeconds, withSeconds: false) } ?? "–")
      screen.put(text, x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .normal, .help:
      // Help and quit always show; the others in order of use as far as they fit.
      let all = KeyMap.footerOrder.compactMap { action in
        KeyMap.bindings.first { $0.action == action }.flatMap { binding in
          binding.footerLabel.map { (binding.footerKey, strings($0), action) }
        }
      }.filter { !(state.readOnly && $0.2.changesASite) }
      let reserved = all.filter { $0.2 == .help || $0.2 == .quit }
      func width(_ hint: (String, String, Action)) -> Int { DisplayWidth.of(hint.0) + 1 + DisplayWidth.of(hint.1) + 2 }
      let who = [context.operatorName, state.readOnly ? strings(.readOnlyTag) : nil, context.themeName].compactMap { $0 }
        .joined(separator: " · ")
      var room = context.width - 2 - reserved.reduce(0) { $0 + width($1) }
      var chosen: [(String, String, Action)] = []
      for hint in all where hint.2 != .help && hint.2 != .quit {
        guard width(hint) <= room else { break }
        chosen.append(hint)
        room -= width(hint)
      }
      var x = 1
      for (key, label, _) in chosen + reserved {
        x += screen.put(key, x: x, y: y, role: .footerKey)
        x += screen.put(" \(label)  ", x: x, y: y, role: .footer)
      }
      if x + DisplayWidth.of(who) < context.width - 1 {
        screen.putRight(who, right: context.width - 1, y: y, role: .footer, maxWidth: context.width - x - 1)
      }
    }
  }

  // MARK: - Overlays

  static func renderHelp(_ screen: inout ScreenBuffer, strings: Strings, context: ViewContext) {
    // Bindings that share a help text share a line: "↑/k ↓/j ←/h →/l  move...".
    var lines: [(key: String, help: String)] = []
    var previous: TextKey?
    for binding in KeyMap.bindings {
      if binding.help == previous {
        lines[lines.count - 1].key += " " + binding.keyLabel
      } else {
        lines.append((binding.keyLabel, strings(binding.help)))
      }
      previous = binding.help
    }
    let keyWidth = lines.map { DisplayWidth.of($0.key) }.max() ?? 4
    let width = min(context.width - 4, 96)
    let height = min(context.height - 2, lines.count + 4)
    let left = (context.width - width) / 2
    let top = max(1, (context.height - height) / 2)
    for y in top..<(top + height) { screen.fill(y: y, from: left, width: width, role: .overlay) }
    screen.put(strings(.helpTitle), x: left + 2, y: top, role: .overlayTitle)
    for (offset, line) in lines.enumerated() where offset < height - 3 {
      let y = top + 2 + offset
      screen.put(line.key, x: left + 2, y: y, role: .overlayTitle)
      screen.put(line.help, x: left + 4 + keyWidth, y: y, role: .overlay, maxWidth: width - keyWidth - 6)
    }
    screen.put(strings(.helpClose), x: left + 2, y: top + height - 1, role: .overlay, maxWidth: width - 4)
  }

  static func renderTooSmall(_ screen: inout ScreenBuffer, strings: Strings, context: ViewContext) {
    // Wrapped to the width: the message must be readable however small the terminal is.
    let lines = [strings(.tooSmall, context.width, context.height), strings(.enlarge, minimumWidth, minimumHeight)]
      .flatMap { wrap($0, width: max(1, context.width)) }
    let top = max(0, (context.height - lines.count) / 2)
    for (offset, line) in lines.enumerated() where top + offset < context.height {
      let width = DisplayWidth.of(line)
      screen.put(line, x: max(0, (context.width - width) / 2), y: top + offset, role: .error, maxWidth: context.width)
    }
  }

  /// Splits `text` at spaces into lines at most `width` columns wide (a longer word gets a line of its own).
  static func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ") {
      let candidate = current.isEmpty ? String(word) : current + " " + word
      if DisplayWidth.of(candidate) <= width || current.isEmpty {
        current = candidate
      } else {
        lines.append(current)
        current = String(word)
      }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
  }
}
