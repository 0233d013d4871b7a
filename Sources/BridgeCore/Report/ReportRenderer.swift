import Foundation

/// The report as Markdown (people), CSV (spreadsheets), JSON (tools) or HTML (to read, print or save as PDF).
public enum ReportFormat: String, CaseIterable, Sendable {
  case md, csv, json, html
}

public enum ReportRenderer {
  public static func render(_ report: ConferenceReport, config: ConferenceConfig, format: ReportFormat, language: Language = .en)
    -> String
  {
    let words = ReportWords(language: language, config: config)
    return switch format {
    case .md: markdown(report, words)
    case .csv: csv(report, words)
    case .json: json(report, config: config)
    case .html: ReportHTML.render(report, words)
    }
  }

  // MARK: - Markdown

  static func markdown(_ report: ConferenceReport, _ words: ReportWords) -> String {
    let config = words.config
    var lines = ["# \(words(.title, cell(report.title)))", ""]
    for note in report.warnings.map(TextSanitizer.printable) + clockNotes(report, words) {
      lines.append(note)
      lines.append("")
    }
    for session in report.sessions {
      lines.append("## \(cell(words.sessionName(session))): \(words.time(session.start)) – \(words.time(session.end)) (UTC\(words.offset))")
      lines.append("")
      for line in words.sessionNotes(session) {
        lines.append(line)
        lines.append("")
      }
      for line in words.summary(session) { lines.append("- " + line) }
      lines.append("")
      lines.append("### \(words(.byGroup))")
      lines.append("")
      let groupColumns = ReportWords.groupColumns(session)
      lines.append("| " + groupColumns.map { words($0) }.joined(separator: " | ") + " |")
      lines.append("|---" + String(repeating: "|--:", count: groupColumns.count - 1) + "|")
      for group in session.groups {
        lines.append("| " + words.groupCells(group, session).map(cell).joined(separator: " | ") + " |")
      }
      lines.append("")
      lines.append("### \(words(.bySite))")
      lines.append("")
      lines.append("| " + ReportWords.siteColumns(session).map { words($0) }.joined(separator: " | ") + " |")
      lines.append(
        "|---|---|---|---" + String(repeating: "|--:", count: 6) + "|---" + String(repeating: "|--:", count: 4)
          + String(repeating: "|--:", count: session.hasBridge ? ReportWords.siteBridgeColumns.count : 0)
          + String(repeating: "|--:", count: session.hasCallQuality ? ReportWords.siteCallQualityColumns.count : 0)
          + String(repeating: "|--:", count: session.hasDisagreements ? ReportWords.siteDisagreementColumns.count : 0) + "|")
      for site in session.sites where site.plannedAbsence == nil {
        lines.append("| " + words.siteCells(site, session, aboveMark: " ⚠").map(cell).joined(separator: " | ") + " |")
      }
      lines.append("")
      let above = words.countsAboveExpected(session)
      if !above.isEmpty {
        lines.append("### \(words(.aboveHeading))")
        lines.append("")
        lines.append(words(.aboveNote))
        lines.append("")
        lines.append(
          "| "
            + [ReportText.columnID, .columnName, .columnFigure, .columnCount, .columnExpected, .columnWhen, .columnCountFrom]
            .map { words($0) }.joined(separator: " | ") + " |")
        lines.append("|---|---|---|--:|--:|---|---|")
        for row in above {
          let siteConfig = config.sites[row.site.site]
          lines.append(
            "| \(cell(siteConfig.id)) | \(cell(siteConfig.name)) | \(words(row.figure)) | \(words.count(row.reading.count)) | "
              + "\(words.count(row.site.expected)) | \(words.time(row.reading.provenance.unixSeconds, seconds: true)) | "
              + "\(cell(words.provenance(row.reading.provenance, withTime: false))) |")
        }
        lines.append("")
      }
      let absent = session.sites.filter { $0.plannedAbsence != nil }
      if !absent.isEmpty {
        lines.append("### \(words(.absencesHeading))")
        lines.append("")
        lines.append(
          "| "
            + [ReportText.columnID, .columnName, .columnGroup, .columnExpected, .columnMarkedBy, .columnReason, .columnWhen]
            .map { words($0) }.joined(separator: " | ") + " |")
        lines.append("|---|---|---|--:|---|---|---|")
        for site in absent {
          let siteConfig = config.sites[site.site]
          let absence = site.plannedAbsence!
          lines.append(
            "| \(cell(siteConfig.id)) | \(cell(siteConfig.name)) | \(cell(siteConfig.groupLabel)) | \(words.count(site.expected)) | "
              + "\(cell(absence.operatorName ?? "–")) | \(cell(absence.reason ?? "–")) | "
              + "\(absence.unixSeconds.map { words.time($0, seconds: true) } ?? "–") |")
        }
        lines.append("")
      }
      lines.append("### \(words(.actionsHeading))")
      lines.append("")
      if session.actions.isEmpty {
        lines.append(words(.none))
      } else {
        lines.append(
          "| "
            + [ReportText.columnTime, .columnID, .columnName, .columnAction, .columnBy, .columnDetail].map { words($0) }
            .joined(separator: " | ") + " |")
        lines.append("|---|---|---|---|---|---|")
        for action in session.actions {
          let site = config.sites[action.site]
          lines.append(
            "| \(words.time(action.unixSeconds, seconds: true)) | \(cell(site.id)) | \(cell(site.name)) | "
              + "\(words.action(action)) | \(cell(action.operatorName ?? "–")) | \(cell(words.actionDetail(action))) |")
        }
      }
      lines.append("")
    }
    let bridgeRows = words.bridgeAllSessionsRows(report)
    if !bridgeRows.isEmpty {
      lines.append("## \(words(.bridgeAllSessions))")
      lines.append("")
      lines.append("| " + ReportWords.bridgeAllSessionsColumns.map { words($0) }.joined(separator: " | ") + " |")
      lines.append("|---|---|---|--:|--:|")
      for row in bridgeRows { lines.append("| " + row.map(cell).joined(separator: " | ") + " |") }
      lines.append("")
    }
    lines.append(words.rules(report))
    return lines.joined(separator: "\n") + "\n"
  }

  /// One sentence per step of the monitor's clock found in the journal.
  public static func clockNotes(_ report: ConferenceReport, offset: Int, language: Language = .en) -> [String] {
    report.clockSteps.map { step in
      ReportText.clockNote(
        language, ClockNote.signedDuration(step.seconds), LocalTimeText.format(step.unixSeconds, utcOffsetSeconds: offset))
    }
  }

  static func clockNotes(_ report: ConferenceReport, _ words: ReportWords) -> [String] {
    clockNotes(report, offset: words.config.schedule.utcOffsetSeconds, language: words.language)
  }

  /// Table cells: no pipes or line breaks from names, no control characters.
  static func cell(_ text: String) -> String {
    TextSanitizer.printable(text).replacingOccurrences(of: "|", with: "\\|")
  }

  // MARK: - CSV

  /// RFC 4180 with a UTF-8 byte order mark (a spreadsheet then reads the diacritics right), headers in the
  /// report's language; numbers plain (no thousands separators), decimals written the language's way.
  static func csv(_ report: ConferenceReport, _ words: ReportWords) -> String {
    let config = words.config
    let columns: [ReportText] = [
      .columnSession, .columnLevel, .columnGroup, .columnID, .columnName, .columnPoints, .columnPlannedAbsence, .columnConnected,
      .columnAtRollCall, .columnOnline, .columnOutages, .columnOutageTime, .columnLongest, .columnFirstConnect,
      .columnRollCallCount, .columnCountFrom, .columnCountBy, .columnCountAt, .columnPeak, .columnAverageCount, .columnExpected,
      .columnAttendance, .columnAboveExpected, .columnHeardBy,
    ]
    // The bridge's columns come last, so a consumer of the columns above reads them where it always did.
    let bridge = report.sessions.contains(where: \.hasBridge)
    let bridgeColumns: [ReportText] = bridge ? [.columnInBridge, .columnBridgeTime, .columnBridgeDrops] : []
    // Then the calls' quality's: points with a call degraded or bad (1/0 for a point), seconds degraded, seconds bad.
    let quality = report.sessions.contains(where: \.hasCallQuality)
    let qualityColumns: [ReportText] = quality ? ReportWords.groupCallQualityColumns : []
    // Then the disagreements': points disagreeing (1/0 for a point), seconds in each disagreement.
    let disagreements = report.sessions.contains(where: \.hasDisagreements)
    let disagreementColumns: [ReportText] = disagreements ? ReportWords.groupDisagreementColumns : []
    var rows = [(columns + bridgeColumns + qualityColumns + disagreementColumns).map { words.csvHeader($0) }]
    for session in report.sessions {
      let sessionName = words.sessionName(session)
      func groupRow(_ level: ReportText, _ group: GroupReport) -> [String] {
        let bridgeCells: [String] =
          bridge ? ["\(group.inBridge)", words.decimal(group.bridgeSeconds, digits: 0), "\(group.bridgeDrops)"] : []
        let qualityCells: [String] =
          quality
          ? [
            "\(group.callProblemPoints)", words.decimal(group.callDegradedSeconds, digits: 0),
            words.decimal(group.callBadSeconds, digits: 0),
          ] : []
        let cells: [String] = [
          sessionName, words(level), group.path.joined(separator: GroupPath.separator), "", "", "\(group.points)",
          "\(group.plannedAbsences)", "\(group.connected)", "\(group.connectedAtRollCall)", words.decimal(group.onlinePercent),
          "\(group.outages)", words.decimal(group.outageSeconds, digits: 0), "", "",
          group.rollCallReached ? "\(group.rollCallHeadcount)" : "", "", "", "", group.peakHeadcount.map { "\($0)" } ?? "",
          words.decimal(group.averageHeadcount), "\(group.expected)", group.attendancePercent.map { words.decimal($0) } ?? "",
          "\(group.countsAboveExpected)", "",
        ]
        let disagreementCells: [String] =
          disagreements
          ? [
            "\(group.disagreementPoints)", words.decimal(group.agentSilentSeconds, digits: 0),
            words.decimal(group.aliveNotInBridgeSeconds, digits: 0),
          ] : []
        return cells + bridgeCells + qualityCells + disagreementCells
      }
      rows.append(groupRow(.levelTotal, session.total))
      for group in session.groups { rows.append(groupRow(.levelGroup, group)) }
      for site in session.sites {
        let siteConfig = config.sites[site.site]
        let absent = site.plannedAbsence != nil
        let provenance = site.rollCall?.provenance
        let bridgeCells: [String] =
          bridge ? [site.wasInBridge ? "1" : "0", words.decimal(site.bridgeSeconds, digits: 0), "\(site.bridgeDrops)"] : []
        let qualityCells: [String] =
          quality
          ? [
            site.callDegradedSeconds + site.callBadSeconds > 0 ? "1" : "0", words.decimal(site.callDegradedSeconds, digits: 0),
            words.decimal(site.callBadSeconds, digits: 0),
          ] : []
        let cells: [String] = [
          sessionName, words(.levelSite), siteConfig.groupLabel, siteConfig.id, siteConfig.name, "1", absent ? "1" : "0",
          site.firstConnectSeconds == nil ? "0" : "1", site.connectedAtRollCall ? "1" : "0", words.decimal(site.onlinePercent),
          "\(site.outages)", words.decimal(site.outageSeconds, digits: 0), words.decimal(site.longestOutageSeconds, digits: 0),
          site.firstConnectSeconds.map { words.decimal($0, digits: 0) } ?? "", site.rollCall.map { "\($0.count)" } ?? "",
          provenance.map { words.source($0.source) } ?? "", provenance?.operatorName ?? "",
          provenance.map { words.time($0.unixSeconds, seconds: true) } ?? "", site.peak.map { "\($0.count)" } ?? "",
          site.averageHeadcount.map { words.decimal($0) } ?? "", "\(site.expected)",
          site.attendancePercent.map { words.decimal($0) } ?? "",
          site.countAboveExpected ? "1" : "0", words.heardBy(site.heardBy, empty: ""),
        ]
        let disagreementCells: [String] =
          disagreements
          ? [
            site.agentSilentSeconds + site.aliveNotInBridgeSeconds > 0 ? "1" : "0", words.decimal(site.agentSilentSeconds, digits: 0),
            words.decimal(site.aliveNotInBridgeSeconds, digits: 0),
          ] : []
        rows.append(cells + bridgeCells + qualityCells + disagreementCells)
      }
    }
    return "\u{FEFF}" + rows.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
  }

  /// RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled.
  /// Looked at as UTF-8 bytes: each character it acts on is ASCII, and an ASCII byte in UTF-8 is always that
  /// character (a report's 31,097 rows took a third of the CSV's time to be walked as `Character`s).
  static func csvField(_ text: String) -> String {
    var value = TextSanitizer.printable(text)
    // A leading = + - @ would be a formula to a spreadsheet; names never start that way on purpose.
    if let first = value.utf8.first, "=+-@".utf8.contains(first), Double(value) == nil { value = "'" + value }
    // Line breaks are gone with the other control characters.
    guard value.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") }) else { return value }
    return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  // MARK: - JSON

  /// Keys in English (tools read them); every time both as unix seconds and as local ISO 8601 (`*_local`).
  static func json(_ report: ConferenceReport, config: ConferenceConfig) -> String {
    let offset = config.schedule.utcOffsetSeconds
    var out = JSONWriter()
    func time(_ key: String, _ value: Double) {
      out.raw("\"\(key)\": ")
      out.number(value, decimals: 3)
      out.raw(", \"\(key)_local\": ")
      out.string(ISOTimeText.format(value, utcOffsetSeconds: offset))
    }
    func optionalNumber(_ value: Double?, decimals: Int) {
      if let value { out.number(value, decimals: decimals) } else { out.raw("null") }
    }
    func reading(_ value: CountReading?) {
      guard let value else { return out.raw("null") }
      out.raw("{\"count\": \(value.count), \"source\": \"\(value.provenance.source.rawValue)\", \"operator\": ")
      if let name = value.provenance.operatorName { out.string(name) } else { out.raw("null") }
      out.raw(", ")
      time("at", value.provenance.unixSeconds)
      out.raw("}")
    }
    out.raw("{\"schema\": 2, \"title\": ")
    out.string(report.title)
    out.raw(", \"utc_offset\": ")
    out.string(ReportWords.offsetText(offset))
    out.raw(", \"warnings\": [")
    for (position, warning) in report.warnings.enumerated() {
      if position > 0 { out.raw(", ") }
      out.string(warning)
    }
    out.raw("], \"clock_steps\": [")
    for (position, step) in report.clockSteps.enumerated() {
      out.raw(position == 0 ? "{" : ", {")
      time("at", step.unixSeconds)
      out.raw(", \"seconds\": ")
      out.number(step.seconds, decimals: 3)
      out.raw("}")
    }
    out.raw("], \"sessions\": [")
    for (position, session) in report.sessions.enumerated() {
      out.raw(position == 0 ? "\n  {" : ",\n  {")
      out.raw("\"name\": ")
      out.string(session.name)
      out.raw(", ")
      time("start", session.start)
      out.raw(", ")
      time("end", session.end)
      out.raw(", ")
      time("roll_call", session.rollCall)
      out.raw(", ")
      time("observed_end", session.observedEnd)
      out.raw(",\n   \"total\": ")
      group(
        &out, session.total, offset: offset, bridge: session.hasBridge, quality: session.hasCallQuality,
        disagreements: session.hasDisagreements)
      out.raw(",\n   \"groups\": [")
      for (index, entry) in session.groups.enumerated() {
        out.raw(index == 0 ? "\n    " : ",\n    ")
        group(
          &out, entry, offset: offset, bridge: session.hasBridge, quality: session.hasCallQuality,
          disagreements: session.hasDisagreements)
      }
      out.raw("],\n   \"sites\": [")
      for (index, site) in session.sites.enumerated() {
        let siteConfig = config.sites[site.site]
        out.raw(index == 0 ? "\n    {\"id\": " : ",\n    {\"id\": ")
        out.string(siteConfig.id)
        out.raw(", \"name\": ")
        out.string(siteConfig.name)
        out.raw(", \"group\": ")
        out.string(siteConfig.groupLabel)
        out.raw(", \"planned_absence\": ")
        if let absence = site.plannedAbsence {
          out.raw("{\"operator\": ")
          if let name = absence.operatorName { out.string(name) } else { out.raw("null") }
          out.raw(", \"reason\": ")
          if let reason = absence.reason { out.string(reason) } else { out.raw("null") }
          out.raw("}")
        } else {
          out.raw("null")
        }
        out.raw(", \"online_percent\": ")
        out.number(site.onlinePercent, decimals: 2)
        out.raw(", \"outages\": \(site.outages), \"outage_seconds\": ")
        out.number(site.outageSeconds, decimals: 1)
        out.raw(", \"longest_outage_seconds\": ")
        out.number(site.longestOutageSeconds, decimals: 1)
        out.raw(", \"first_connect_seconds\": ")
        optionalNumber(site.firstConnectSeconds, decimals: 1)
        out.raw(", \"connected_at_roll_call\": \(site.connectedAtRollCall), \"roll_call\": ")
        reading(site.rollCall)
        out.raw(", \"peak\": ")
        reading(site.peak)
        out.raw(", \"average_headcount\": ")
        optionalNumber(site.averageHeadcount, decimals: 1)
        out.raw(", \"expected\": \(site.expected), \"attendance_percent\": ")
        optionalNumber(site.attendancePercent, decimals: 2)
        out.raw(", \"above_expected\": \(site.countAboveExpected)")
        out.raw(", \"heard_by\": [\(site.heardBy.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))]")
        if session.hasBridge {
          out.raw(", \"in_bridge\": \(site.wasInBridge), \"bridge_seconds\": ")
          out.number(site.bridgeSeconds, decimals: 1)
          out.raw(", \"bridge_drops\": \(site.bridgeDrops)")
        }
        if session.hasCallQuality {
          out.raw(", \"call_degraded_seconds\": ")
          out.number(site.callDegradedSeconds, decimals: 1)
          out.raw(", \"call_bad_seconds\": ")
          out.number(site.callBadSeconds, decimals: 1)
        }
        if session.hasDisagreements {
          out.raw(", \"agent_silent_seconds\": ")
          out.number(site.agentSilentSeconds, decimals: 1)
          out.raw(", \"alive_not_in_bridge_seconds\": ")
          out.number(site.aliveNotInBridgeSeconds, decimals: 1)
        }
        out.raw("}")
      }
      out.raw("],\n   \"actions\": [")
      for (index, action) in session.actions.enumerated() {
        out.raw(index == 0 ? "\n    {" : ",\n    {")
        time("at", action.unixSeconds)
        out.raw(", \"site\": ")
        out.string(config.sites[action.site].id)
        out.raw(", \"action\": ")
        out.string(action.kind.rawValue)
        out.raw(", \"operator\": ")
        if let name = action.operatorName { out.string(name) } else { out.raw("null") }
        out.raw(", \"detail\": ")
        if let detail = action.detail { out.string(detail) } else { out.raw("null") }
        if let corrected = action.correctedCount { out.raw(", \"corrects\": \(corrected)") }
        out.raw("}")
      }
      out.raw("]}")
    }
    out.raw("\n]")
    let bridgeTotals = report.bridgeInAllSessions
    if !bridgeTotals.isEmpty {
      out.raw(", \"bridge_all_sessions\": [")
      for (index, total) in bridgeTotals.enumerated() {
        out.raw(index == 0 ? "\n  {\"id\": " : ",\n  {\"id\": ")
        out.string(config.sites[total.site].id)
        out.raw(", \"bridge_seconds\": ")
        out.number(total.seconds, decimals: 1)
        out.raw(", \"bridge_drops\": \(total.drops)}")
      }
      out.raw("]")
    }
    out.raw("}\n")
    return out.text
  }

  static func group(
    _ out: inout JSONWriter, _ group: GroupReport, offset: Int, bridge: Bool = false, quality: Bool = false, disagreements: Bool = false
  ) {
    out.raw("{\"path\": ")
    out.string(group.path.joined(separator: GroupPath.separator))
    out.raw(
      ", \"points\": \(group.points), \"planned_absences\": \(group.plannedAbsences), \"connected\": \(group.connected), "
        + "\"connected_at_roll_call\": \(group.connectedAtRollCall), \"online_percent\": ")
    out.number(group.onlinePercent, decimals: 2)
    out.raw(", \"outages\": \(group.outages), \"outage_seconds\": ")
    out.number(group.outageSeconds, decimals: 1)
    out.raw(", \"roll_call_headcount\": \(group.rollCallReached ? "\(group.rollCallHeadcount)" : "null")")
    out.raw(", \"peak_headcount\": \(group.peakHeadcount.map { "\($0)" } ?? "null"), \"peak_at\": ")
    if let at = group.peakAt { out.number(at, decimals: 3) } else { out.raw("null") }
    out.raw(", \"peak_at_local\": ")
    if let at = group.peakAt { out.string(ISOTimeText.format(at, utcOffsetSeconds: offset)) } else { out.raw("null") }
    out.raw(", \"average_headcount\": ")
    out.number(group.averageHeadcount, decimals: 1)
    out.raw(", \"expected\": \(group.expected), \"attendance_percent\": ")
    if let attendance = group.attendancePercent { out.number(attendance, decimals: 2) } else { out.raw("null") }
    out.raw(", \"counts_above_expected\": \(group.countsAboveExpected)")
    if bridge {
      out.raw(", \"in_bridge\": \(group.inBridge), \"bridge_seconds\": ")
      out.number(group.bridgeSeconds, decimals: 1)
      out.raw(", \"bridge_drops\": \(group.bridgeDrops)")
    }
    if quality {
      out.raw(", \"call_problem_points\": \(group.callProblemPoints), \"call_degraded_seconds\": ")
      out.number(group.callDegradedSeconds, decimals: 1)
      out.raw(", \"call_bad_seconds\": ")
      out.number(group.callBadSeconds, decimals: 1)
    }
    if disagreements {
      out.raw(", \"disagreement_points\": \(group.disagreementPoints), \"agent_silent_seconds\": ")
      out.number(group.agentSilentSeconds, decimals: 1)
      out.raw(", \"alive_not_in_bridge_seconds\": ")
      out.number(group.aliveNotInBridgeSeconds, decimals: 1)
    }
    out.raw("}")
  }
}

/// "2026-02-07T08:15:00+07:00": a local time with its offset, as ISO 8601 and RFC 3339 write it.
public enum ISOTimeText {
  public static func format(_ unixSeconds: Double, utcOffsetSeconds: Int) -> String {
    LocalTimeText.format(unixSeconds, utcOffsetSeconds: utcOffsetSeconds, alwaysSeconds: true).replacingOccurrences(of: " ", with: "T")
      + ReportWords.offsetText(utcOffsetSeconds)
  }
}
