import Foundation

/// The report as Markdown (people), CSV (spreadsheets) or JSON (tools).
public enum ReportFormat: String, CaseIterable, Sendable {
  case md, csv, json
}

public enum ReportRenderer {
  public static func render(_ report: ConferenceReport, config: ConferenceConfig, format: ReportFormat) -> String {
    switch format {
    case .md: markdown(report, config: config)
    case .csv: csv(report, config: config)
    case .json: json(report, config: config)
    }
  }

  // MARK: - Markdown

  static func markdown(_ report: ConferenceReport, config: ConferenceConfig) -> String {
    let offset = config.schedule.utcOffsetSeconds
    var lines = ["# Report: \(cell(report.title))", ""]
    for note in report.warnings.map(TextSanitizer.printable) + clockNotes(report, offset: offset) {
      lines.append(note)
      lines.append("")
    }
    for session in report.sessions {
      let start = LocalTimeText.format(session.start, utcOffsetSeconds: offset)
      let end = LocalTimeText.format(session.end, utcOffsetSeconds: offset)
      lines.append("## \(cell(session.name)): \(start) – \(end) (UTC\(offsetText(offset)))")
      lines.append("")
      if session.observedEnd < session.end {
        lines.append(
          "The journal ends at \(LocalTimeText.format(session.observedEnd, utcOffsetSeconds: offset)); figures cover the session up to then."
        )
        lines.append("")
      }
      let total = session.total
      lines.append(
        "- Bridge points connected: \(count(total.connected)) of \(count(total.sites)) (\(percent(ratio(total.connected, total.sites))))")
      lines.append(
        "- Attendance (peak headcount / expected): \(count(total.peakHeadcount)) / \(count(total.expected)) (\(percent(total.attendancePercent)))"
      )
      lines.append("- Time online, all points: \(percent(total.onlinePercent))")
      lines.append("- Outages: \(count(total.outages)), \(duration(total.outageSeconds)) in all")
      lines.append("")
      lines.append("### By province and district")
      lines.append("")
      lines.append("| Group | Points | Connected | Online | Outages | Outage time | Peak headcount | Expected | Attendance |")
      lines.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
      for group in session.groups {
        lines.append(
          "| \(cell(group.path.joined(separator: GroupPath.separator))) | \(count(group.sites)) | \(count(group.connected)) | "
            + "\(percent(group.onlinePercent)) | \(count(group.outages)) | \(duration(group.outageSeconds)) | "
            + "\(count(group.peakHeadcount)) | \(count(group.expected)) | \(percent(group.attendancePercent)) |")
      }
      lines.append("")
      lines.append("### By bridge point")
      lines.append("")
      lines.append(
        "| ID | Name | Group | Heard by | Online | Outages | Outage time | Longest | First connect | Peak | Average | Expected | Attendance |"
      )
      lines.append("|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
      for site in session.sites {
        let config = config.sites[site.site]
        lines.append(
          "| \(cell(config.id)) | \(cell(config.name)) | \(cell(config.groupLabel)) | \(heardBy(site)) | \(percent(site.onlinePercent)) | "
            + "\(count(site.outages)) | \(duration(site.outageSeconds)) | \(duration(site.longestOutageSeconds)) | "
            + "\(site.firstConnectSeconds.map(duration) ?? "never") | \(site.peakHeadcount.map(count) ?? "–") | "
            + "\(site.averageHeadcount.map { count(Int($0.rounded())) } ?? "–") | \(count(site.expected)) | \(percent(site.attendancePercent)) |"
        )
      }
      lines.append("")
      lines.append("### Operator actions")
      lines.append("")
      if session.actions.isEmpty {
        lines.append("None.")
      } else {
        lines.append("| Time | ID | Name | Action | By | Reason or count |")
        lines.append("|---|---|---|---|---|---|")
        for action in session.actions {
          let site = config.sites[action.site]
          lines.append(
            "| \(LocalTimeText.format(action.unixSeconds, utcOffsetSeconds: offset, alwaysSeconds: true)) | \(cell(site.id)) | \(cell(site.name)) | "
              + "\(actionWords(action)) | \(cell(action.operatorName ?? "–")) | \(cell(action.detail ?? "")) |")
        }
      }
      lines.append("")
    }
    lines.append(
      "Online: time a point was online or late (heard within `offline_after`). An outage: a point offline or marked "
        + "offline after it had connected. Attendance: peak headcount over expected.")
    return lines.joined(separator: "\n") + "\n"
  }

  static func actionWords(_ action: OperatorAction) -> String {
    switch action.kind {
    case .mark: "marked offline"
    case .clear: "cleared the mark"
    case .acknowledge: "acknowledged"
    case .headcount: "set the headcount"
    case .claim: "on it"
    case .release: action.operatorName == nil ? "claim ended (back online)" : "released"
    }
  }

  /// One sentence per step of the monitor's clock found in the journal.
  public static func clockNotes(_ report: ConferenceReport, offset: Int) -> [String] {
    report.clockSteps.map { step in
      "Note: the monitor's clock stepped \(ClockNote.signedDuration(step.seconds)) at "
        + "\(LocalTimeText.format(step.unixSeconds, utcOffsetSeconds: offset)); times before it in that run are re-based "
        + "onto the clock after it."
    }
  }

  /// Table cells: no pipes or line breaks from names, no control characters.
  static func cell(_ text: String) -> String {
    TextSanitizer.printable(text).replacingOccurrences(of: "|", with: "\\|")
  }

  /// "agent", "file", "probe" or several; "–" when the journal does not say.
  static func heardBy(_ site: SiteReport) -> String {
    let words = site.heardBy.map { source in
      switch source {
      case .udp: "agent"
      case .file: "file"
      case .probe: "probe"
      case .manual: "by hand"
      }
    }
    return words.isEmpty ? "–" : words.joined(separator: ", ")
  }

  // MARK: - CSV

  static let csvColumns = [
    "session", "level", "group", "id", "name", "points", "connected", "online_percent", "outages", "outage_seconds",
    "longest_outage_seconds", "first_connect_seconds", "peak_headcount", "average_headcount", "expected", "attendance_percent",
    "heard_by",
  ]

  static func csv(_ report: ConferenceReport, config: ConferenceConfig) -> String {
    var rows = [csvColumns]
    for session in report.sessions {
      func groupRow(_ level: String, _ group: GroupReport) -> [String] {
        [
          session.name, level, group.path.joined(separator: GroupPath.separator), "", "", "\(group.sites)", "\(group.connected)",
          decimal(group.onlinePercent), "\(group.outages)", decimal(group.outageSeconds, digits: 0), "", "",
          "\(group.peakHeadcount)", "", "\(group.expected)", group.attendancePercent.map { decimal($0) } ?? "", "",
        ]
      }
      rows.append(groupRow("total", session.total))
      for group in session.groups { rows.append(groupRow(group.path.count == 1 ? "province" : "district", group)) }
      for site in session.sites {
        let config = config.sites[site.site]
        rows.append([
          session.name, "site", config.groupLabel, config.id, config.name, "1", site.firstConnectSeconds == nil ? "0" : "1",
          decimal(site.onlinePercent), "\(site.outages)", decimal(site.outageSeconds, digits: 0),
          decimal(site.longestOutageSeconds, digits: 0), site.firstConnectSeconds.map { decimal($0, digits: 0) } ?? "",
          site.peakHeadcount.map { "\($0)" } ?? "", site.averageHeadcount.map { decimal($0) } ?? "", "\(site.expected)",
          site.attendancePercent.map { decimal($0) } ?? "", site.heardBy.map(\.rawValue).joined(separator: " "),
        ])
      }
    }
    return rows.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
  }

  static func csvField(_ text: String) -> String {
    // A leading = + - @ would be a formula to a spreadsheet; names never start that way on purpose.
    var value = TextSanitizer.printable(text)
    if let first = value.first, "=+-@".contains(first), Double(value) == nil { value = "'" + value }
    guard value.contains(where: { $0 == "," || $0 == "\"" }) else { return value }
    return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  // MARK: - JSON

  static func json(_ report: ConferenceReport, config: ConferenceConfig) -> String {
    var out = JSONWriter()
    out.raw("{\"schema\": 1, \"title\": ")
    out.string(report.title)
    out.raw(", \"utc_offset\": ")
    out.string(offsetText(config.schedule.utcOffsetSeconds))
    out.raw(", \"warnings\": [")
    for (position, warning) in report.warnings.enumerated() {
      if position > 0 { out.raw(", ") }
      out.string(warning)
    }
    out.raw("], \"clock_steps\": [")
    for (position, step) in report.clockSteps.enumerated() {
      out.raw(position == 0 ? "{\"at\": " : ", {\"at\": ")
      out.number(step.unixSeconds, decimals: 3)
      out.raw(", \"seconds\": ")
      out.number(step.seconds, decimals: 3)
      out.raw("}")
    }
    out.raw("], \"sessions\": [")
    for (position, session) in report.sessions.enumerated() {
      out.raw(position == 0 ? "\n  {" : ",\n  {")
      out.raw("\"name\": ")
      out.string(session.name)
      out.raw(", \"start\": ")
      out.number(session.start, decimals: 3)
      out.raw(", \"end\": ")
      out.number(session.end, decimals: 3)
      out.raw(", \"observed_end\": ")
      out.number(session.observedEnd, decimals: 3)
      out.raw(",\n   \"total\": ")
      group(&out, session.total)
      out.raw(",\n   \"groups\": [")
      for (index, entry) in session.groups.enumerated() {
        out.raw(index == 0 ? "\n    " : ",\n    ")
        group(&out, entry)
      }
      out.raw("],\n   \"sites\": [")
      for (index, site) in session.sites.enumerated() {
        let config = config.sites[site.site]
        out.raw(index == 0 ? "\n    {\"id\": " : ",\n    {\"id\": ")
        out.string(config.id)
        out.raw(", \"name\": ")
        out.string(config.name)
        out.raw(", \"group\": ")
        out.string(config.groupLabel)
        out.raw(", \"online_percent\": ")
        out.number(site.onlinePercent, decimals: 2)
        out.raw(", \"outages\": \(site.outages), \"outage_seconds\": ")
        out.number(site.outageSeconds, decimals: 1)
        out.raw(", \"longest_outage_seconds\": ")
        out.number(site.longestOutageSeconds, decimals: 1)
        out.raw(", \"first_connect_seconds\": ")
        if let first = site.firstConnectSeconds { out.number(first, decimals: 1) } else { out.raw("null") }
        out.raw(", \"peak_headcount\": \(site.peakHeadcount.map { "\($0)" } ?? "null"), \"average_headcount\": ")
        if let average = site.averageHeadcount { out.number(average, decimals: 1) } else { out.raw("null") }
        out.raw(", \"expected\": \(site.expected), \"attendance_percent\": ")
        if let attendance = site.attendancePercent { out.number(attendance, decimals: 2) } else { out.raw("null") }
        out.raw(", \"heard_by\": [\(site.heardBy.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))]}")
      }
      out.raw("],\n   \"actions\": [")
      for (index, action) in session.actions.enumerated() {
        out.raw(index == 0 ? "\n    {\"at\": " : ",\n    {\"at\": ")
        out.number(action.unixSeconds, decimals: 3)
        out.raw(", \"site\": ")
        out.string(config.sites[action.site].id)
        out.raw(", \"action\": ")
        out.string(action.kind.rawValue)
        out.raw(", \"operator\": ")
        if let name = action.operatorName { out.string(name) } else { out.raw("null") }
        out.raw(", \"detail\": ")
        if let detail = action.detail { out.string(detail) } else { out.raw("null") }
        out.raw("}")
      }
      out.raw("]}")
    }
    out.raw("\n]}\n")
    return out.text
  }

  static func group(_ out: inout JSONWriter, _ group: GroupReport) {
    out.raw("{\"path\": ")
    out.string(group.path.joined(separator: GroupPath.separator))
    out.raw(", \"points\": \(group.sites), \"connected\": \(group.connected), \"online_percent\": ")
    out.number(group.onlinePercent, decimals: 2)
    out.raw(", \"outages\": \(group.outages), \"outage_seconds\": ")
    out.number(group.outageSeconds, decimals: 1)
    out.raw(", \"peak_headcount\": \(group.peakHeadcount), \"expected\": \(group.expected), \"attendance_percent\": ")
    if let attendance = group.attendancePercent { out.number(attendance, decimals: 2) } else { out.raw("null") }
    out.raw("}")
  }

  // MARK: - Numbers

  static func count(_ value: Int) -> String { NumberText.grouped(value) }

  static func ratio(_ part: Int, _ whole: Int) -> Double? { whole > 0 ? Double(part) * 100 / Double(whole) : nil }

  static func percent(_ value: Double?) -> String {
    guard let value else { return "–" }
    return decimal(value) + "%"
  }

  static func decimal(_ value: Double, digits: Int = 1) -> String {
    var out = JSONWriter()
    out.number(value, decimals: digits)
    return out.text
  }

  /// 2h05m, 34m10s, 45s.
  static func duration(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    if whole >= 3600 { return "\(whole / 3600)h\(two(whole % 3600 / 60))m" }
    if whole >= 60 { return "\(whole / 60)m\(two(whole % 60))s" }
    return "\(whole)s"
  }

  static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

  static func offsetText(_ seconds: Int) -> String {
    let magnitude = abs(seconds)
    return (seconds < 0 ? "-" : "+") + two(magnitude / 3600) + ":" + two(magnitude % 3600 / 60)
  }
}
