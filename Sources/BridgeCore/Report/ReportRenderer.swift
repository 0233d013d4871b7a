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
}

/// "2026-02-07T08:15:00+07:00": a local time with its offset, as ISO 8601 and RFC 3339 write it.
public enum ISOTimeText {
  public static func format(_ unixSeconds: Double, utcOffsetSeconds: Int) -> String {
    LocalTimeText.format(unixSeconds, utcOffsetSeconds: utcOffsetSeconds, alwaysSeconds: true).replacingOccurrences(of: " ", with: "T")
      + ReportWords.offsetText(utcOffsetSeconds)
  }
}
