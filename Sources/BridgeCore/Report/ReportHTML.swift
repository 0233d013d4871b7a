/// The report as one self-contained HTML page: the same figures and words as the Markdown, and charts drawn as
/// inline SVG (attendance by group, connected points and headcount over time, outages on a timeline). No script,
/// no external file: it opens offline, and prints to PDF on A4 with the tables' headers repeated.
enum ReportHTML {
  static func render(_ report: ConferenceReport, _ words: ReportWords) -> String {
    let config = words.config
    var html = HTMLText()
    html.raw("<!doctype html>\n<html lang=\"\(words.language.rawValue)\">\n<head>\n<meta charset=\"utf-8\">\n")
    html.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
    html.text(words(.title, report.title))
    html.raw("</title>\n<style>\n\(style)</style>\n</head>\n<body>\n<h1>")
    html.text(words(.title, report.title))
    html.raw("</h1>\n")
    for note in report.warnings + ReportRenderer.clockNotes(report, words) {
      html.raw("<p class=\"warning\">")
      html.text(note)
      html.raw("</p>\n")
    }
    for session in report.sessions {
      html.raw("<section class=\"session\" data-session=\"")
      html.text(session.name)
      html.raw("\">\n<h2>")
      html.text("\(words.sessionName(session)): \(words.time(session.start)) – \(words.time(session.end)) (UTC\(words.offset))")
      html.raw("</h2>\n")
      for note in words.sessionNotes(session) {
        html.raw("<p>")
        html.text(note)
        html.raw("</p>\n")
      }
      html.raw("<ul class=\"summary\">\n")
      for line in words.summary(session) {
        html.raw("<li>")
        html.text(line)
        html.raw("</li>\n")
      }
      html.raw("</ul>\n")
      attendanceChart(&html, session, words)
      timeChart(
        &html, session, words, series: session.connectedSeries, title: .chartConnected, kind: "connected", top: session.total.points)
      timeChart(
        &html, session, words, series: session.headcountSeries, title: .chartHeadcount, kind: "headcount",
        top: max(session.total.expected, session.headcountSeries.map(\.value).max() ?? 0))
      outageChart(&html, session, words)

      html.raw("<h3>")
      html.text(words(.byGroup))
      html.raw("</h3>\n")
      table(
        &html, words, columns: ReportWords.groupColumns(session),
        rows: session.groups.map { words.groupCells($0, session) },
        flagged: session.groups.map { $0.countsAboveExpected > 0 }, textColumns: 1)

      html.raw("<h3>")
      html.text(words(.bySite))
      html.raw("</h3>\n")
      let present = session.sites.filter { $0.plannedAbsence == nil }
      table(
        &html, words, columns: ReportWords.siteColumns(session), rows: present.map { words.siteCells($0, session) },
        flagged: present.map(\.countAboveExpected), textColumns: 4)

      let above = words.countsAboveExpected(session)
      if !above.isEmpty {
        html.raw("<h3 class=\"flag\">")
        html.text(words(.aboveHeading))
        html.raw("</h3>\n<p>")
        html.text(words(.aboveNote))
        html.raw("</p>\n")
        table(
          &html, words, columns: [.columnID, .columnName, .columnFigure, .columnCount, .columnExpected, .columnWhen, .columnCountFrom],
          rows: above.map { row in
            [
              config.sites[row.site.site].id, config.sites[row.site.site].name, words(row.figure), words.count(row.reading.count),
              words.count(row.site.expected), words.time(row.reading.provenance.unixSeconds, seconds: true),
              words.provenance(row.reading.provenance, withTime: false),
            ]
          }, flagged: above.map { _ in true }, textColumns: 3)
      }
      let absent = session.sites.filter { $0.plannedAbsence != nil }
      if !absent.isEmpty {
        html.raw("<h3>")
        html.text(words(.absencesHeading))
        html.raw("</h3>\n")
        table(
          &html, words, columns: [.columnID, .columnName, .columnGroup, .columnExpected, .columnMarkedBy, .columnReason, .columnWhen],
          rows: absent.map { site in
            let absence = site.plannedAbsence!
            return [
              config.sites[site.site].id, config.sites[site.site].name, config.sites[site.site].groupLabel, words.count(site.expected),
              absence.operatorName ?? "–", absence.reason ?? "–", absence.unixSeconds.map { words.time($0, seconds: true) } ?? "–",
            ]
          }, flagged: absent.map { _ in false }, textColumns: 3)
      }
      html.raw("<h3>")
      html.text(words(.actionsHeading))
      html.raw("</h3>\n")
      if session.actions.isEmpty {
        html.raw("<p>")
        html.text(words(.none))
        html.raw("</p>\n")
      } else {
        table(
          &html, words, columns: [.columnTime, .columnID, .columnName, .columnAction, .columnBy, .columnDetail],
          rows: session.actions.map { action in
            [
              words.time(action.unixSeconds, seconds: true), config.sites[action.site].id, config.sites[action.site].name,
              words.action(action), action.operatorName ?? "–", words.actionDetail(action),
            ]
          }, flagged: session.actions.map { $0.correctedCount != nil }, textColumns: 6)
      }
      html.raw("</section>\n")
    }
    let bridgeRows = words.bridgeAllSessionsRows(report)
    if !bridgeRows.isEmpty {
      html.raw("<h2>")
      html.text(words(.bridgeAllSessions))
      html.raw("</h2>\n")
      table(
        &html, words, columns: ReportWords.bridgeAllSessionsColumns, rows: bridgeRows, flagged: bridgeRows.map { _ in false },
        textColumns: 3)
    }
    html.raw("<p class=\"rules\">")
    html.text(words.rules(report))
    html.raw("</p>\n<p class=\"made\">")
    html.text(words(.generatedBy))
    html.raw("</p>\n</body>\n</html>\n")
    return html.output
  }

  static let style = """
    body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; color: #111; margin: 24px; font-size: 13px; }
    h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 2px solid #333; } h3 { font-size: 15px; }
    table { border-collapse: collapse; margin: 8px 0 16px; font-size: 11px; }
    th, td { border: 1px solid #888; padding: 2px 5px; vertical-align: top; }
    th { background: #e8e8e8; text-align: left; }
    td.number { text-align: right; white-space: nowrap; }
    tr.flagged td { background: #fde8e8; }
    .flag, .warning { color: #a00000; font-weight: bold; }
    h2, h3, figcaption { break-after: avoid; }
    figure { margin: 12px 0; break-inside: avoid; } figcaption { font-weight: bold; margin-bottom: 4px; }
    svg { width: 100%; max-width: 960px; height: auto; font-family: inherit; }
    svg text { font-size: 11px; fill: #111; }
    .rules, .made { font-size: 11px; color: #333; }
    @media print {
      @page { size: A4 landscape; margin: 12mm; }
      body { margin: 0; }
      section.session + section.session { break-before: page; }
      thead { display: table-header-group; }
      tr { break-inside: avoid; }
    }

    """

  /// A table whose first `textColumns` columns are words and the rest figures (right-aligned).
  static func table(
    _ html: inout HTMLText, _ words: ReportWords, columns: [ReportText], rows: [[String]], flagged: [Bool], textColumns: Int
  ) {
    html.raw("<table>\n<thead><tr>")
    for column in columns {
      html.raw("<th>")
      html.text(words(column))
      html.raw("</th>")
    }
    html.raw("</tr></thead>\n<tbody>\n")
    for (row, isFlagged) in zip(rows, flagged) {
      html.raw(isFlagged ? "<tr class=\"flagged\">" : "<tr>")
      for (index, value) in row.enumerated() {
        html.raw(index < textColumns ? "<td>" : "<td class=\"number\">")
        html.text(value)
        html.raw("</td>")
      }
      html.raw("</tr>\n")
    }
    html.raw("</tbody>\n</table>\n")
  }

  // MARK: - Charts

  static let chartWidth = 960.0

  /// One bar per top-level group: its roll-call attendance; 100% marked; a bar above it in the alarm colour.
  static func attendanceChart(_ html: inout HTMLText, _ session: SessionReport, _ words: ReportWords) {
    let groups = session.groups.filter { $0.path.count == 1 }
    guard session.rollCallReached, !groups.isEmpty else { return }
    let labelWidth = 260.0
    let barArea = chartWidth - labelWidth - 80
    let rowHeight = 18.0
    let scaleTop = max(100, groups.compactMap(\.attendancePercent).max() ?? 0)
    let height = Double(groups.count) * rowHeight + 30
    html.raw("<figure class=\"chart attendance\"><figcaption>")
    html.text(words(.chartAttendance))
    html.raw("</figcaption>\n<svg viewBox=\"0 0 \(Int(chartWidth)) \(Int(height))\" role=\"img\" aria-label=\"")
    html.text(words(.chartAttendance))
    html.raw("\">\n")
    for (index, group) in groups.enumerated() {
      let y = Double(index) * rowHeight + 4
      let percent = group.attendancePercent ?? 0
      let width = barArea * percent / scaleTop
      html.raw("<text x=\"\(Int(labelWidth - 6))\" y=\"\(number(y + 12))\" text-anchor=\"end\">")
      html.text(clipped(group.path[0], 38))
      html.raw("</text><rect class=\"bar\" data-group=\"")
      html.text(group.path[0])
      html.raw(
        "\" data-percent=\"\(number(percent))\" x=\"\(Int(labelWidth))\" y=\"\(number(y))\" width=\"\(number(width))\" "
          + "height=\"\(Int(rowHeight - 4))\" fill=\"\(percent > 100 ? "#c00000" : "#2f6db5")\"/>")
      html.raw("<text x=\"\(number(labelWidth + width + 4))\" y=\"\(number(y + 12))\">")
      html.text(words.percent(group.attendancePercent))
      html.raw("</text>\n")
    }
    let hundred = labelWidth + barArea * 100 / scaleTop
    html.raw(
      "<line x1=\"\(number(hundred))\" y1=\"0\" x2=\"\(number(hundred))\" y2=\"\(number(height - 20))\" stroke=\"#555\" "
        + "stroke-dasharray=\"4 3\"/><text x=\"\(number(hundred))\" y=\"\(number(height - 6))\" text-anchor=\"middle\">")
    html.text(words(.chartAxisPercent, 100))
    html.raw("</text>\n</svg></figure>\n")
  }

  /// A figure over the session as a line, with hour marks and the roll call.
  static func timeChart(
    _ html: inout HTMLText, _ session: SessionReport, _ words: ReportWords, series: [SeriesPoint], title: ReportText, kind: String,
    top: Int
  ) {
    guard series.count > 1, session.observedEnd > session.start else { return }
    let (left, right, plotTop, plotHeight) = (70.0, 20.0, 10.0, 160.0)
    let plotWidth = chartWidth - left - right
    let span = session.end - session.start
    let scaleTop = Double(max(top, 1))
    func x(_ time: Double) -> Double { left + plotWidth * (time - session.start) / span }
    func y(_ value: Int) -> Double { plotTop + plotHeight * (1 - Double(value) / scaleTop) }
    html.raw("<figure class=\"chart \(kind)\"><figcaption>")
    html.text(words(title))
    html.raw("</figcaption>\n<svg viewBox=\"0 0 \(Int(chartWidth)) \(Int(plotTop + plotHeight + 34))\" role=\"img\" aria-label=\"")
    html.text(words(title))
    html.raw("\">\n")
    html.raw(
      "<rect x=\"\(Int(left))\" y=\"\(Int(plotTop))\" width=\"\(number(plotWidth))\" height=\"\(Int(plotHeight))\" fill=\"none\" "
        + "stroke=\"#888\"/>\n")
    for (value, label) in [(0, words.count(0)), (top, words.count(top))] {
      html.raw("<text x=\"\(Int(left - 6))\" y=\"\(number(y(value) + 4))\" text-anchor=\"end\">")
      html.text(label)
      html.raw("</text>\n")
    }
    // The session's start and end under the axis's ends, and a mark on every whole hour of local time between.
    for (time, anchor) in [(session.start, "start"), (session.end, "end")] {
      html.raw("<text x=\"\(number(x(time)))\" y=\"\(Int(plotTop + plotHeight + 28))\" text-anchor=\"\(anchor)\">")
      html.text(words.clock(time))
      html.raw("</text>\n")
    }
    let offset = Double(words.offsetSeconds)
    var hour = ((session.start + offset) / 3600).rounded(.up) * 3600 - offset
    while hour <= session.end {
      html.raw(
        "<line x1=\"\(number(x(hour)))\" y1=\"\(Int(plotTop))\" x2=\"\(number(x(hour)))\" y2=\"\(Int(plotTop + plotHeight))\" "
          + "stroke=\"#ddd\"/><text x=\"\(number(x(hour)))\" y=\"\(Int(plotTop + plotHeight + 16))\" text-anchor=\"middle\">")
      html.text(words.clock(hour))
      html.raw("</text>\n")
      hour += 3600
    }
    if session.rollCallReached {
      html.raw(
        "<line class=\"roll-call\" x1=\"\(number(x(session.rollCall)))\" y1=\"\(Int(plotTop))\" x2=\"\(number(x(session.rollCall)))\" "
          + "y2=\"\(Int(plotTop + plotHeight))\" stroke=\"#a00000\" stroke-dasharray=\"4 3\"><title>")
      html.text(words(.figureRollCall) + " " + words.clock(session.rollCall))
      html.raw("</title></line>\n")
    }
    let points = series.map { "\(number(x($0.unixSeconds))),\(number(y($0.value)))" }.joined(separator: " ")
    html.raw("<polyline class=\"series\" fill=\"none\" stroke=\"#2f6db5\" stroke-width=\"2\" points=\"\(points)\"/>\n</svg></figure>\n")
  }

  /// The points with the longest outages, one row each, their outages as red spans on the session's time line.
  static func outageChart(_ html: inout HTMLText, _ session: SessionReport, _ words: ReportWords) {
    let shown = 30
    let worst = session.sites.filter { $0.plannedAbsence == nil && !$0.outageSpans.isEmpty }
      .sorted { ($0.outageSeconds, -$0.site) > ($1.outageSeconds, -$1.site) }.prefix(shown)
    html.raw("<figure class=\"chart outages\"><figcaption>")
    html.text(words(.chartOutages))
    html.raw("</figcaption>\n")
    guard !worst.isEmpty, session.end > session.start else {
      html.raw("<p>")
      html.text(words(.chartNoOutages))
      html.raw("</p></figure>\n")
      return
    }
    html.raw("<p>")
    html.text(words(.chartOutagesNote, worst.count))
    html.raw("</p>\n")
    let (labelWidth, right, rowHeight) = (260.0, 20.0, 16.0)
    let plotWidth = chartWidth - labelWidth - right
    let height = Double(worst.count) * rowHeight + 24
    func x(_ time: Double) -> Double { labelWidth + plotWidth * (time - session.start) / (session.end - session.start) }
    html.raw("<svg viewBox=\"0 0 \(Int(chartWidth)) \(Int(height))\" role=\"img\" aria-label=\"")
    html.text(words(.chartOutages))
    html.raw("\">\n")
    for (index, site) in worst.enumerated() {
      let y = Double(index) * rowHeight + 2
      let siteConfig = words.config.sites[site.site]
      html.raw("<text x=\"\(Int(labelWidth - 6))\" y=\"\(number(y + 11))\" text-anchor=\"end\">")
      html.text(clipped("\(siteConfig.id) \(siteConfig.name)", 40))
      html.raw(
        "</text><line x1=\"\(Int(labelWidth))\" y1=\"\(number(y + 7))\" x2=\"\(number(chartWidth - right))\" y2=\"\(number(y + 7))\" "
          + "stroke=\"#ddd\"/>")
      for span in site.outageSpans {
        html.raw(
          "<rect class=\"outage\" data-site=\"")
        html.text(siteConfig.id)
        html.raw(
          "\" x=\"\(number(x(span.lowerBound)))\" y=\"\(number(y + 1))\" width=\"\(number(max(1.5, x(span.upperBound) - x(span.lowerBound))))\" "
            + "height=\"\(Int(rowHeight - 4))\" fill=\"#c00000\"><title>")
        html.text("\(words.clock(span.lowerBound)) – \(words.clock(span.upperBound))")
        html.raw("</title></rect>")
      }
      html.raw("\n")
    }
    html.raw("<text x=\"\(Int(labelWidth))\" y=\"\(number(height - 4))\">")
    html.text(words.clock(session.start))
    html.raw("</text><text x=\"\(number(chartWidth - right))\" y=\"\(number(height - 4))\" text-anchor=\"end\">")
    html.text(words.clock(session.end))
    html.raw("</text>\n</svg></figure>\n")
  }

  static func number(_ value: Double) -> String {
    var out = JSONWriter()
    out.number(value, decimals: 1)
    return out.text
  }

  static func clipped(_ text: String, _ length: Int) -> String {
    text.count <= length ? text : String(text.prefix(length - 1)) + "…"
  }
}

/// HTML being written: `text` escapes (and strips control characters from) everything a journal or config
/// supplied; `raw` is for the page's own markup.
public struct HTMLText {
  private(set) var output = ""

  /// `value` as HTML text, escaped as `text` escapes it (the enrolment sheet's pieces).
  public static func escaped(_ value: String) -> String {
    var html = HTMLText()
    html.text(value)
    return html.output
  }

  mutating func raw(_ markup: String) { output += markup }

  mutating func text(_ value: String) {
    for character in TextSanitizer.printable(value) {
      switch character {
      case "&": output += "&amp;"
      case "<": output += "&lt;"
      case ">": output += "&gt;"
      case "\"": output += "&quot;"
      case "'": output += "&#39;"
      default: output.append(character)
      }
    }
  }
}
