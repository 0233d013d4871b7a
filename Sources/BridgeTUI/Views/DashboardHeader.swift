import BridgeCore

/// The header's two lines: the alarm or the title with the clock, and the counts by rank with the attendance.
extension DashboardView {
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
    if let scope = state.listOptions.scope {
      // Inside a group entered from the overview: which, and the way back.
      let text = strings(.overviewScopeNote, snapshot.groups.nodes[scope].path.joined(separator: GroupPath.separator))
      right -= screen.putRight(text, right: right, y: 0, role: .headerAlert, maxWidth: 40) + 2
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
    stats += bridgeStats(snapshot, strings: strings)
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
}
