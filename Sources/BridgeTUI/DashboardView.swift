import BridgeCore

/// Status glyphs that do not rely on colour, with ASCII fallbacks for non-UTF-8 locales.
public struct Glyphs: Sendable {
  public var online, late, offline, marked, unknown: String

  public static let unicode = Glyphs(online: "●", late: "◐", offline: "✖", marked: "⊘", unknown: "?")
  public static let ascii = Glyphs(online: "o", late: "~", offline: "X", marked: "M", unknown: "?")

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
  /// The schedule's current session, "between sessions", or nil without a schedule.
  public var sessionLabel: String?
  /// The config's recover_after, for the "recovering n/N" flag.
  public var recoverAfter: Int = 2

  public init(width: Int, height: Int) {
    self.width = width
    self.height = height
  }
}

/// One row of the site table.
public enum TableRow: Sendable, Equatable {
  case group(node: Int)
  case site(index: Int)
}

public enum DashboardView {
  public static let minimumWidth = 80
  public static let minimumHeight = 24

  /// Group rows and site rows in roster order: each group followed by its own sites, then its subgroups.
  public static func rows(_ snapshot: MonitorSnapshot) -> [TableRow] {
    var rows: [TableRow] = []
    rows.reserveCapacity(snapshot.sites.count + snapshot.groups.nodes.count)
    func walk(_ node: Int) {
      if node != 0 { rows.append(.group(node: node)) }
      for site in snapshot.groups.nodes[node].sites { rows.append(.site(index: site)) }
      for child in snapshot.groups.nodes[node].children { walk(child) }
    }
    walk(0)
    return rows
  }

  public static func siteOrder(_ rows: [TableRow]) -> [Int] {
    rows.compactMap { if case .site(let index) = $0 { return index } else { return nil } }
  }

  /// Table rows that fit for a terminal of this height (the app uses it for paging).
  public static func tableHeight(forHeight height: Int) -> Int { max(1, height - 5 - logPaneHeight(forHeight: height)) }

  static func logPaneHeight(forHeight height: Int) -> Int { max(4, min(12, height / 5)) }

  public static func render(_ snapshot: MonitorSnapshot, state: inout DashboardState, context: ViewContext) -> ScreenBuffer {
    var screen = ScreenBuffer(width: context.width, height: context.height)
    guard context.width >= minimumWidth, context.height >= minimumHeight else {
      renderTooSmall(&screen, context: context)
      return screen
    }
    let rows = rows(snapshot)
    if state.selectedSite == nil { state.selectedSite = siteOrder(rows).first }
    renderHeader(&screen, snapshot, context: context)
    let logHeight = logPaneHeight(forHeight: context.height)
    let tableTop = 3
    let tableHeight = context.height - tableTop - logHeight - 2
    state.pageSize = tableHeight
    renderTable(&screen, snapshot, rows: rows, state: &state, context: context, top: tableTop, height: tableHeight)
    renderLog(&screen, snapshot, state: state, context: context, top: context.height - 2 - logHeight, height: logHeight)
    renderStatusLine(&screen, snapshot, state: state, context: context, y: context.height - 2)
    renderFooter(&screen, snapshot, state: state, context: context, y: context.height - 1)
    if state.mode == .help { renderHelp(&screen, context: context) }
    return screen
  }

  // MARK: - Header

  static func clock(_ unixSeconds: Double, offset: Int, withSeconds: Bool = true) -> String {
    let local = Int(unixSeconds.rounded(.down)) + offset
    let day = ((local % 86400) + 86400) % 86400
    let text = "\(twoDigits(day / 3600)):\(twoDigits(day % 3600 / 60))"
    return withSeconds ? text + ":\(twoDigits(day % 60))" : text
  }

  static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

  static func renderHeader(_ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, context: ViewContext) {
    let width = context.width
    screen.fill(y: 0, role: .header)
    screen.fill(y: 1, role: .header)
    let time = clock(snapshot.takenAt.unixSeconds, offset: context.utcOffsetSeconds)
    var right = width - 1
    right -= screen.putRight(time, right: right, y: 0, role: .headerTitle, maxWidth: 8) + 2
    if !context.listenAddress.isEmpty {
      right -= screen.putRight("udp \(context.listenAddress)", right: right, y: 0, role: .header, maxWidth: 28) + 2
    }
    if let session = context.sessionLabel {
      right -= screen.putRight(session, right: right, y: 0, role: .headerTitle, maxWidth: 24) + 2
    }
    var x = 1
    if let banner = context.banner {
      x += screen.put(" \(banner) ", x: x, y: 0, role: .banner, maxWidth: max(12, (right - x) / 2)) + 1
    }
    screen.put(snapshot.title, x: x, y: 0, role: .headerTitle, maxWidth: max(0, right - x))

    // Attendance first (right), then the counts in order of importance as far as they fit.
    let total = snapshot.rollups[0]
    let attendance =
      "Attendance \(NumberText.grouped(total.reportedHeadcount)) / \(NumberText.grouped(total.expectedHeadcount))"
      + (total.attendancePercent.map { " (\(percent($0)))" } ?? "")
    let attendanceWidth = screen.putRight(attendance, right: width - 1, y: 1, role: .headerTitle, maxWidth: width - 2)
    let limit = width - 1 - attendanceWidth - 2
    var column = 1
    func stat(_ label: String, _ value: String, alert: Bool = false) {
      let text = "\(label) \(value)"
      guard column + DisplayWidth.of(text) <= limit else { return }
      column += screen.put(text, x: column, y: 1, role: alert ? .headerAlert : .header) + 2
    }
    stat("Online", "\(NumberText.grouped(total.statusCounts[.online]))/\(NumberText.grouped(total.siteCount))")
    stat("Offline", "\(total.statusCounts[.offline])", alert: total.statusCounts[.offline] > 0)
    stat("Late", "\(total.statusCounts[.late])", alert: total.statusCounts[.late] > 0)
    if total.unacknowledgedAlerts > 0 { stat("Alerts", "\(total.unacknowledgedAlerts)", alert: true) }
    if total.helpRequests > 0 { stat("Help", "\(total.helpRequests)", alert: true) }
    stat("Marked", "\(total.statusCounts[.marked])")
  }

  static func percent(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)%"
  }

  // MARK: - Table

  struct Columns {
    var status = 0, id = 0, name = 0, count = 0, heard = 0, loss = 0, rtt = 0, flags = 0
    var statusWidth = 10, idWidth = 12, nameWidth = 20, countWidth = 11, heardWidth = 6, lossWidth = 6, rttWidth = 6, flagsWidth = 10
    /// Loss and RTT need room; below 100 columns the name matters more.
    var showsLinkQuality: Bool

    init(width: Int, longestID: Int) {
      showsLinkQuality = width >= 100
      idWidth = max(8, min(longestID, width >= 160 ? 24 : width >= 110 ? 18 : 13))
      countWidth = width >= 100 ? 13 : 11
      let linkQuality = showsLinkQuality ? lossWidth + rttWidth + 2 : 0
      let fixed = statusWidth + idWidth + countWidth + heardWidth + linkQuality + 6
      let flexible = width - fixed - 1
      nameWidth = max(12, min(48, flexible * 6 / 10))
      flagsWidth = max(6, flexible - nameWidth)
      status = 1
      id = status + statusWidth + 1
      name = id + idWidth + 1
      count = name + nameWidth + 1
      heard = count + countWidth + 1
      loss = heard + heardWidth + 1
      rtt = loss + lossWidth + 1
      flags = showsLinkQuality ? rtt + rttWidth + 1 : heard + heardWidth + 1
    }
  }

  static func renderTable(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, rows: [TableRow], state: inout DashboardState, context: ViewContext,
    top: Int, height: Int
  ) {
    let longestID = snapshot.sites.reduce(2) { max($0, $1.id.count) }
    let columns = Columns(width: context.width, longestID: longestID)
    let titleY = top - 1
    screen.fill(y: titleY, role: .columnTitles)
    screen.put("Status", x: columns.status, y: titleY, role: .columnTitles)
    screen.put("ID", x: columns.id, y: titleY, role: .columnTitles)
    screen.put("Name", x: columns.name, y: titleY, role: .columnTitles)
    screen.putRight("Count/Exp", right: columns.count + columns.countWidth, y: titleY, role: .columnTitles, maxWidth: columns.countWidth)
    screen.putRight("Heard", right: columns.heard + columns.heardWidth, y: titleY, role: .columnTitles, maxWidth: columns.heardWidth)
    if columns.showsLinkQuality {
      screen.putRight("Loss", right: columns.loss + columns.lossWidth, y: titleY, role: .columnTitles, maxWidth: columns.lossWidth)
      screen.putRight("RTT", right: columns.rtt + columns.rttWidth, y: titleY, role: .columnTitles, maxWidth: columns.rttWidth)
    }
    screen.put("Flags", x: columns.flags, y: titleY, role: .columnTitles)

    // Keep the selected site on screen.
    let selectedRow = state.selectedSite.flatMap { selected in rows.firstIndex(of: .site(index: selected)) }
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
        renderGroupRow(&screen, snapshot, node: node, y: y, columns: columns, context: context)
      case .site(let index):
        renderSiteRow(&screen, snapshot, index: index, y: y, columns: columns, context: context, selected: rowIndex == selectedRow)
      }
    }
    if rows.count > height {
      let indicator = "\(state.scrollOffset + 1)-\(min(rows.count, state.scrollOffset + height)) of \(rows.count) rows"
      screen.putRight(indicator, right: context.width - 1, y: titleY, role: .columnTitles, maxWidth: 24)
    }
  }

  static func renderGroupRow(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, node: Int, y: Int, columns: Columns, context: ViewContext
  ) {
    let group = snapshot.groups.nodes[node]
    let rollup = snapshot.rollups[node]
    let worst = rollup.worstStatus
    screen.put(context.glyphs.glyph(worst), x: columns.status, y: y, role: Role.status(worst))
    let indent = String(repeating: "  ", count: group.depth - 1)
    let label = indent + group.path.joined(separator: GroupPath.separator)
    screen.put(label, x: columns.id, y: y, role: .group, maxWidth: columns.count - columns.id - 1)
    screen.putRight(
      "\(NumberText.grouped(rollup.reportedHeadcount))/\(NumberText.grouped(rollup.expectedHeadcount))",
      right: columns.count + columns.countWidth, y: y, role: .group, maxWidth: columns.countWidth)
    var summary = "\(rollup.sitesUp)/\(rollup.siteCount) up"
    if let attendance = rollup.attendancePercent { summary += "  \(percent(attendance))" }
    if rollup.statusCounts[.offline] > 0 { summary += "  \(rollup.statusCounts[.offline]) offline" }
    screen.put(summary, x: columns.heard + 1, y: y, role: .group, maxWidth: context.width - columns.heard - 2)
  }

  static func renderSiteRow(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, index: Int, y: Int, columns: Columns, context: ViewContext, selected: Bool
  ) {
    let site = snapshot.sites[index]
    let record = snapshot.records[index]
    if selected { screen.fill(y: y, role: .selection) }
    let statusRole = selected ? .selection : Role.status(record.status)
    let textRole: Role = selected ? .selection : .normal
    let dimRole: Role = selected ? .selection : .dim
    screen.put(
      "\(context.glyphs.glyph(record.status)) \(record.status)", x: columns.status, y: y, role: statusRole, maxWidth: columns.statusWidth)
    screen.put(site.id, x: columns.id, y: y, role: textRole, maxWidth: columns.idWidth)
    screen.put(site.name, x: columns.name, y: y, role: textRole, maxWidth: columns.nameWidth)
    let count = record.headcount.map { NumberText.grouped($0) } ?? "–"
    let manual = record.headcountSource == .manual ? "*" : ""
    screen.putRight(
      "\(count)\(manual)/\(NumberText.grouped(site.expected))", right: columns.count + columns.countWidth, y: y, role: textRole,
      maxWidth: columns.countWidth)
    let age = snapshot.ageSeconds(site: index).map(ageText) ?? "never"
    screen.putRight(
      age, right: columns.heard + columns.heardWidth, y: y, role: record.lastHeard == nil ? dimRole : textRole, maxWidth: columns.heardWidth
    )
    if columns.showsLinkQuality {
      let loss = record.lossPercent.map { percent($0) } ?? "–"
      screen.putRight(loss, right: columns.loss + columns.lossWidth, y: y, role: textRole, maxWidth: columns.lossWidth)
      let rtt = record.rttMilliseconds.map { "\($0)ms" } ?? "–"
      screen.putRight(rtt, right: columns.rtt + columns.rttWidth, y: y, role: textRole, maxWidth: columns.rttWidth)
    }
    screen.put(
      flagsText(record, recoverAfter: context.recoverAfter), x: columns.flags, y: y, role: selected ? .selection : .flag,
      maxWidth: context.width - columns.flags - 1)
  }

  static func flagsText(_ record: SiteRecord, recoverAfter: Int) -> String {
    var parts: [String] = []
    if record.flags.contains(.helpRequested) { parts.append("HELP") }
    if record.heartbeatStatus == .offline && record.recoveryStreak > 0 {
      parts.append("recovering \(record.recoveryStreak)/\(recoverAfter)")
    }
    if record.flags.contains(.flapping) { parts.append("flapping") }
    if record.flags.contains(.degraded) { parts.append("degraded") }
    if record.flags.contains(.badHeartbeatFile) { parts.append("bad file") }
    if record.flags.contains(.heartbeatFileError) { parts.append("file error") }
    if let mark = record.mark {
      var text = "by \(mark.operatorName): \(mark.reason)"
      if record.flags.contains(.heardWhileMarked) { text += " (heard again)" }
      parts.append(text)
    }
    if let by = record.acknowledgedBy { parts.append("ack \(by)") }
    return parts.joined(separator: ", ")
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
    screen.fill(y: top, role: .columnTitles)
    let titleWidth = screen.put("Events (newest first)", x: 1, y: top, role: .columnTitles)
    if let problem = snapshot.journalProblem {
      // Nothing is being saved: that must be impossible to miss.
      screen.fill(y: top, role: .error)
      screen.put("JOURNAL NOT WRITTEN: \(problem)", x: 1, y: top, role: .error, maxWidth: context.width - 2)
    } else {
      screen.putRight(
        countersText(snapshot.counters), right: context.width - 1, y: top, role: .columnTitles, maxWidth: context.width - titleWidth - 4)
    }
    for (offset, line) in state.log.reversed().prefix(height - 1).enumerated() {
      let y = top + 1 + offset
      screen.put(clock(line.unixSeconds, offset: context.utcOffsetSeconds), x: 1, y: y, role: .logTime)
      screen.put(line.text, x: 11, y: y, role: line.isAlert ? .logAlert : .log, maxWidth: context.width - 12)
    }
  }

  /// Ingest counters in one line: datagrams accepted and rejected (top reasons), heartbeat files.
  static func countersText(_ counters: IngestCounters) -> String {
    var text = "udp \(NumberText.grouped(Int(counters.datagramsAccepted))) ok"
    let rejected = counters.datagramsRejected
    if rejected > 0 {
      let reasons = RejectionReason.allCases.filter { counters[$0] > 0 }.sorted { counters[$0] > counters[$1] }.prefix(2)
      let detail = reasons.map { "\(NumberText.grouped(Int(counters[$0]))) \($0.rawValue.replacingOccurrences(of: "_", with: " "))" }
      text += ", \(NumberText.grouped(Int(rejected))) rejected (\(detail.joined(separator: ", ")))"
    }
    text += " · files \(NumberText.grouped(Int(counters.filesRead))) read"
    if counters.fileErrors + counters.badFiles > 0 { text += ", \(NumberText.grouped(Int(counters.fileErrors + counters.badFiles))) bad" }
    return text
  }

  static func renderStatusLine(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext, y: Int
  ) {
    if let message = state.message {
      screen.fill(y: y, role: message.isError ? .error : .prompt)
      screen.put(message.text, x: 1, y: y, role: message.isError ? .error : .prompt, maxWidth: context.width - 2)
      return
    }
    switch state.mode {
    case .markReason, .headcount:
      screen.put("Enter = confirm · Esc = cancel", x: 1, y: y, role: .dim, maxWidth: context.width - 2)
      return
    default:
      break
    }
    guard let selected = state.selectedSite else { return }
    let site = snapshot.sites[selected]
    let record = snapshot.records[selected]
    var text = "\(site.id)  \(site.name)  ·  \(site.groupLabel)  ·  \(record.status)"
    if let since = record.statusSince { text += " since \(clock(since.unixSeconds, offset: context.utcOffsetSeconds))" }
    if let source = record.headcountSource { text += "  ·  count from \(source.rawValue)" }
    screen.put(text, x: 1, y: y, role: .dim, maxWidth: context.width - 2)
  }

  static func renderFooter(_ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext, y: Int) {
    screen.fill(y: y, role: .footer)
    switch state.mode {
    case .markReason(let site, let input):
      screen.fill(y: y, role: .prompt)
      let presets = MarkReasons.presets.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: " · ")
      let text = "Mark \(snapshot.sites[site].id) offline. Reason: \(presets), or type one: \(input)▏"
      screen.put(text, x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .headcount(let site, let input):
      screen.fill(y: y, role: .prompt)
      let text =
        "Headcount for \(snapshot.sites[site].id) (expected \(NumberText.grouped(snapshot.sites[site].expected))): \(input)▏"
      screen.put(text, x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .confirmQuit:
      screen.fill(y: y, role: .prompt)
      screen.put("Quit BridgeWatch? y = quit, any other key = stay", x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .normal, .help:
      var x = 1
      let hints = [("↑↓", "move")] + KeyMap.bindings.compactMap { binding in binding.footerLabel.map { (binding.footerKey, $0) } }
      for (key, label) in hints {
        let needed = DisplayWidth.of(key) + 1 + DisplayWidth.of(label) + 2
        guard x + needed < context.width - 1 else { break }
        x += screen.put(key, x: x, y: y, role: .footerKey)
        x += screen.put(" \(label)  ", x: x, y: y, role: .footer)
      }
      let who = "\(context.operatorName) · \(context.themeName)"
      if x + DisplayWidth.of(who) < context.width - 1 {
        screen.putRight(who, right: context.width - 1, y: y, role: .footer, maxWidth: context.width - x - 1)
      }
    }
  }

  // MARK: - Overlays

  static func renderHelp(_ screen: inout ScreenBuffer, context: ViewContext) {
    let lines = KeyMap.bindings.map { (key: $0.keyLabel, help: $0.help) }
    let keyWidth = lines.map { DisplayWidth.of($0.key) }.max() ?? 4
    let width = min(context.width - 4, 72)
    let height = min(context.height - 2, lines.count + 4)
    let left = (context.width - width) / 2
    let top = max(1, (context.height - height) / 2)
    for y in top..<(top + height) { screen.fill(y: y, from: left, width: width, role: .overlay) }
    screen.put("Keys", x: left + 2, y: top, role: .overlayTitle)
    for (offset, line) in lines.enumerated() where offset < height - 3 {
      let y = top + 2 + offset
      screen.put(line.key, x: left + 2, y: y, role: .overlayTitle)
      screen.put(line.help, x: left + 4 + keyWidth, y: y, role: .overlay, maxWidth: width - keyWidth - 6)
    }
    screen.put("any key closes this help", x: left + 2, y: top + height - 1, role: .overlay, maxWidth: width - 4)
  }

  static func renderTooSmall(_ screen: inout ScreenBuffer, context: ViewContext) {
    let lines = [
      "Terminal too small: \(context.width)x\(context.height).",
      "Enlarge to at least \(minimumWidth)x\(minimumHeight).",
    ]
    let top = max(0, context.height / 2 - 1)
    for (offset, line) in lines.enumerated() {
      let width = DisplayWidth.of(line)
      screen.put(line, x: max(0, (context.width - width) / 2), y: top + offset, role: .error)
    }
  }
}
