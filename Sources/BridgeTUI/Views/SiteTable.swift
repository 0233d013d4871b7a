import BridgeCore

/// The table of sites and groups: its columns, its rows, and the cells a row shows (headcount, age, flags).
extension DashboardView {
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

  /// Scrolls the table so that the selected row is in view on `height` rows, and no further than its end.
  static func scrollTable(_ state: inout DashboardState, height: Int) {
    let rows = state.rows
    guard !rows.isEmpty else { return }
    if let selectedRow = state.selection.flatMap({ rows.firstIndex(of: $0) }) {
      if selectedRow < state.scrollOffset { state.scrollOffset = max(0, selectedRow - 1) }
      if selectedRow >= state.scrollOffset + height { state.scrollOffset = selectedRow - height + 1 }
    }
    state.scrollOffset = max(0, min(state.scrollOffset, max(0, rows.count - height)))
  }

  /// The table at the scroll position `scrollTable` set.
  static func renderTable(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext, top: Int, height: Int
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
    let selectedRow = state.selection.flatMap { rows.firstIndex(of: $0) }

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
    let text = strings.number(count) + (record.headcountSource?.isTypedByPerson == true ? "*" : "")
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
    let parts =
      snapshot.bridge == nil
      ? flagParts(record, recoverAfter: context.recoverAfter, strings: strings, probed: site.probe != nil)
      : flagPartsWithBridge(snapshot, site: index, recoverAfter: context.recoverAfter, strings: strings, probed: site.probe != nil)
    putFlags(&screen, parts, x: columns.flags, y: y, maxWidth: context.width - columns.flags - 1, selected: selected)
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
    if record.countProblem != nil { parts.append(FlagPart(strings(.flagCountFileUnreadable), isProblem: true)) }
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
}
