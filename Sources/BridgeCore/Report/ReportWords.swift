/// The report's words and numbers in one language: every format takes its texts, times and figures from here, so
/// the Markdown, CSV and HTML of one report say the same thing the same way.
struct ReportWords: Sendable {
  let language: Language
  let config: ConferenceConfig

  var offsetSeconds: Int { config.schedule.utcOffsetSeconds }
  var offset: String { Self.offsetText(offsetSeconds) }

  func callAsFunction(_ text: ReportText, _ arguments: any CustomStringConvertible...) -> String {
    Strings.fill(text.template(language), arguments)
  }

  /// A CSV header: the column's words.
  func csvHeader(_ text: ReportText) -> String {
    switch text {
    case .columnOnline: self(text) + " (%)"
    case .columnAttendance: self(text) + " (%)"
    case .columnOutageTime, .columnLongest, .columnFirstConnect, .columnBridgeTime, .columnCallDegraded, .columnCallBad,
      .columnAgentSilent, .columnAliveNotInBridge:
      self(text) + (language == .vi ? " (giây)" : " (s)")
    default: self(text)
    }
  }

  // MARK: Numbers and times

  /// 11631 -> "11,631" in English, "11.631" in Vietnamese.
  func count(_ value: Int) -> String { NumberText.grouped(value, separator: language == .vi ? "." : ",") }

  /// One decimal and a percent sign, "–" for none: "98.5%" / "98,5%".
  func percent(_ value: Double?) -> String {
    guard let value else { return "–" }
    return decimal(value) + "%"
  }

  /// A plain decimal (no thousands separator), with the language's decimal mark.
  func decimal(_ value: Double, digits: Int = 1) -> String {
    var out = JSONWriter()
    out.number(value, decimals: digits)
    return language == .vi ? out.text.replacingOccurrences(of: ".", with: ",") : out.text
  }

  /// 2h05m, 34m10s, 45s.
  func duration(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    if whole >= 3600 { return "\(whole / 3600)h\(Self.two(whole % 3600 / 60))m" }
    if whole >= 60 { return "\(whole / 60)m\(Self.two(whole % 60))s" }
    return "\(whole)s"
  }

  /// "2026-02-07 08:15" in the conference's local time.
  func time(_ unixSeconds: Double, seconds: Bool = false) -> String {
    LocalTimeText.format(unixSeconds, utcOffsetSeconds: offsetSeconds, alwaysSeconds: seconds)
  }

  /// "08:15" (the date is the session's).
  func clock(_ unixSeconds: Double) -> String { String(time(unixSeconds, seconds: false).dropFirst(11)) }

  static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

  static func offsetText(_ seconds: Int) -> String {
    let magnitude = abs(seconds)
    return (seconds < 0 ? "-" : "+") + two(magnitude / 3600) + ":" + two(magnitude % 3600 / 60)
  }

  // MARK: Sessions

  func sessionName(_ session: SessionReport) -> String {
    config.schedule.sessions.isEmpty ? self(.wholeSpan) : session.name
  }

  /// The roll call, and what the journal does not cover.
  func sessionNotes(_ session: SessionReport) -> [String] {
    var notes: [String] = []
    if session.rollCallReached {
      notes.append(self(.rollCallAt, time(session.rollCall), duration(session.rollCall - session.start)))
    } else {
      notes.append(self(.rollCallNotReached, time(session.observedEnd, seconds: true), time(session.rollCall)))
    }
    if session.observedEnd < session.end && session.rollCallReached {
      notes.append(self(.journalEndsEarly, time(session.observedEnd, seconds: true)))
    }
    return notes
  }

  /// The figures an organiser copies into the official report.
  func summary(_ session: SessionReport) -> [String] {
    let total = session.total
    var lines = [
      self(
        .summaryPoints, count(total.points), count(total.connected), percent(ratio(total.connected, total.points)),
        count(total.connectedAtRollCall))
    ]
    if session.hasBridge {
      lines.append(
        self(.summaryBridge, count(total.inBridge), count(total.points), duration(total.bridgeSeconds), count(total.bridgeDrops)))
    }
    if session.hasCallQuality {
      lines.append(
        self(.summaryCallQuality, count(total.callProblemPoints), duration(total.callDegradedSeconds), duration(total.callBadSeconds)))
    }
    if session.hasDisagreements {
      lines.append(
        self(
          .summaryDisagreements, count(total.disagreementPoints), duration(total.agentSilentSeconds),
          duration(total.aliveNotInBridgeSeconds)))
    }
    if session.rollCallReached {
      lines.append(self(.summaryAttendance, count(total.rollCallHeadcount), count(total.expected), percent(total.attendancePercent)))
    }
    if let peak = total.peakHeadcount, let at = total.peakAt {
      lines.append(self(.summaryPeak, count(peak), time(at), count(Int(total.averageHeadcount.rounded()))))
    } else {
      lines.append(self(.summaryNoPeak))
    }
    if total.plannedAbsences > 0 { lines.append(self(.summaryAbsences, count(total.plannedAbsences))) }
    if total.countsAboveExpected > 0 { lines.append(self(.summaryAbove, count(total.countsAboveExpected))) }
    lines.append(self(.summaryOnline, percent(total.onlinePercent)))
    lines.append(self(.summaryOutages, count(total.outages), duration(total.outageSeconds)))
    return lines
  }

  func ratio(_ part: Int, _ whole: Int) -> Double? { whole > 0 ? Double(part) * 100 / Double(whole) : nil }

  /// Each count above its site's expected: the roll-call figure and the peak (the peak only when it differs).
  func countsAboveExpected(_ session: SessionReport) -> [(site: SiteReport, figure: ReportText, reading: CountReading)] {
    var rows: [(site: SiteReport, figure: ReportText, reading: CountReading)] = []
    for site in session.sites where site.plannedAbsence == nil && site.countAboveExpected {
      if let rollCall = site.rollCall, rollCall.count > site.expected { rows.append((site, .figureRollCall, rollCall)) }
      if let peak = site.peak, peak.count > site.expected, peak != site.rollCall { rows.append((site, .figurePeak, peak)) }
    }
    return rows
  }

  // MARK: Tables

  /// The columns of the groups' table and the cells of one group's row, for every format that draws it.
  static let groupColumns: [ReportText] = [
    .columnGroup, .columnPoints, .columnConnected, .columnAtRollCall, .columnOnline, .columnOutages, .columnOutageTime,
    .columnRollCallCount, .columnExpected, .columnAttendance, .columnPeakOneMoment, .columnAverage,
  ]

  /// The bridge's columns, added at the end of each table only when the journal has bridge records.
  static let groupBridgeColumns: [ReportText] = [.columnInBridge, .columnBridgeTime, .columnBridgeDrops]
  static let siteBridgeColumns: [ReportText] = [.columnBridgeTime, .columnBridgeDrops]

  /// The calls' quality's columns, after the bridge's, only when the journal has `bridge_quality` records.
  static let groupCallQualityColumns: [ReportText] = [.columnCallProblemPoints, .columnCallDegraded, .columnCallBad]
  static let siteCallQualityColumns: [ReportText] = [.columnCallDegraded, .columnCallBad]
  /// The disagreements' columns, last, only when the journal has `bridge_disagreement` records.
  static let groupDisagreementColumns: [ReportText] = [.columnDisagreementPoints, .columnAgentSilent, .columnAliveNotInBridge]
  static let siteDisagreementColumns: [ReportText] = [.columnAgentSilent, .columnAliveNotInBridge]

  static func groupColumns(_ session: SessionReport) -> [ReportText] {
    groupColumns + (session.hasBridge ? groupBridgeColumns : []) + (session.hasCallQuality ? groupCallQualityColumns : [])
      + (session.hasDisagreements ? groupDisagreementColumns : [])
  }

  static func siteColumns(_ session: SessionReport) -> [ReportText] {
    siteColumns + (session.hasBridge ? siteBridgeColumns : []) + (session.hasCallQuality ? siteCallQualityColumns : [])
      + (session.hasDisagreements ? siteDisagreementColumns : [])
  }

  func groupCells(_ group: GroupReport, _ session: SessionReport) -> [String] {
    groupCells(group)
      + (session.hasBridge ? [count(group.inBridge), duration(group.bridgeSeconds), count(group.bridgeDrops)] : [])
      + (session.hasCallQuality
        ? [count(group.callProblemPoints), duration(group.callDegradedSeconds), duration(group.callBadSeconds)] : [])
      + (session.hasDisagreements
        ? [count(group.disagreementPoints), duration(group.agentSilentSeconds), duration(group.aliveNotInBridgeSeconds)] : [])
  }

  func siteCells(_ site: SiteReport, _ session: SessionReport, aboveMark: String = "") -> [String] {
    siteCells(site, aboveMark: aboveMark)
      + (session.hasBridge ? [duration(site.bridgeSeconds), count(site.bridgeDrops)] : [])
      + (session.hasCallQuality ? [duration(site.callDegradedSeconds), duration(site.callBadSeconds)] : [])
      + (session.hasDisagreements ? [duration(site.agentSilentSeconds), duration(site.aliveNotInBridgeSeconds)] : [])
  }

  /// The table of each point's bridge figures over all sessions (none for one session or no bridge records).
  static let bridgeAllSessionsColumns: [ReportText] = [.columnID, .columnName, .columnGroup, .columnBridgeTime, .columnBridgeDrops]

  func bridgeAllSessionsRows(_ report: ConferenceReport) -> [[String]] {
    report.bridgeInAllSessions.map { total in
      let site = config.sites[total.site]
      return [site.id, site.name, site.groupLabel, duration(total.seconds), count(total.drops)]
    }
  }

  /// How the figures are counted; the bridge's rule only when some session has bridge figures.
  func rules(_ report: ConferenceReport) -> String {
    self(.rules) + (report.sessions.contains(where: \.hasBridge) ? " " + self(.bridgeRules) : "")
      + (report.sessions.contains(where: \.hasCallQuality) ? " " + self(.callQualityRules) : "")
      + (report.sessions.contains(where: \.hasDisagreements) ? " " + self(.disagreementRules) : "")
  }

  func groupCells(_ group: GroupReport) -> [String] {
    [
      group.path.joined(separator: GroupPath.separator), count(group.points), count(group.connected), count(group.connectedAtRollCall),
      percent(group.onlinePercent), count(group.outages), duration(group.outageSeconds),
      group.rollCallReached ? count(group.rollCallHeadcount) : "–", count(group.expected), percent(group.attendancePercent),
      group.peakHeadcount.map(count) ?? "–", count(Int(group.averageHeadcount.rounded())),
    ]
  }

  /// The columns of the points' table and the cells of one point's row; `aboveMark` follows its attendance and
  /// peak when a count went above expected (Markdown's ⚠; HTML colours the row instead).
  static let siteColumns: [ReportText] = [
    .columnID, .columnName, .columnGroup, .columnHeardBy, .columnOnline, .columnOutages, .columnOutageTime, .columnLongest,
    .columnFirstConnect, .columnRollCallCount, .columnCountFrom, .columnExpected, .columnAttendance, .columnPeak, .columnAverage,
  ]

  func siteCells(_ site: SiteReport, aboveMark: String = "") -> [String] {
    let siteConfig = config.sites[site.site]
    let flag = site.countAboveExpected ? aboveMark : ""
    return [
      siteConfig.id, siteConfig.name, siteConfig.groupLabel, heardBy(site.heardBy), percent(site.onlinePercent), count(site.outages),
      duration(site.outageSeconds), duration(site.longestOutageSeconds), site.firstConnectSeconds.map(duration) ?? self(.never),
      site.rollCall.map { count($0.count) } ?? "–", site.rollCall.map { provenance($0.provenance) } ?? "–", count(site.expected),
      percent(site.attendancePercent) + flag, (site.peak.map { count($0.count) } ?? "–") + flag,
      site.averageHeadcount.map { count(Int($0.rounded())) } ?? "–",
    ]
  }

  // MARK: Provenance and actions

  func source(_ source: HeartbeatSource) -> String {
    switch source {
    case .udp: self(.sourceAgent)
    case .file: self(.sourceFile)
    case .probe: self(.sourceProbe)
    case .manual: self(.sourceByHand)
    case .checkin: self(.sourceCheckin)
    }
  }

  /// "agent, 08:14:55" or "by hand: Lan, 08:16:02".
  func provenance(_ provenance: CountProvenance, withTime: Bool = true) -> String {
    let from =
      if provenance.source == .manual, let name = provenance.operatorName {
        self(.sourceByHandNamed, TextSanitizer.printable(name))
      } else if provenance.source == .checkin, let name = provenance.operatorName {
        self(.sourceCheckinNamed, TextSanitizer.printable(name))
      } else {
        source(provenance.source)
      }
    return withTime ? from + ", " + String(time(provenance.unixSeconds, seconds: true).dropFirst(11)) : from
  }

  /// "agent", "heartbeat file", "probe" or several; "–" (or `empty`) when the journal does not say.
  func heardBy(_ sources: [HeartbeatSource], empty: String = "–") -> String {
    sources.isEmpty ? empty : sources.map(source).joined(separator: ", ")
  }

  func action(_ action: OperatorAction) -> String {
    switch action.kind {
    case .mark: self(.actionMark)
    case .clear: self(.actionClear)
    case .acknowledge: self(.actionAcknowledge)
    case .headcount: self(.actionHeadcount)
    case .claim: self(.actionClaim)
    case .release: action.operatorName == nil ? self(.actionClaimEnded) : self(.actionRelease)
    }
  }

  /// A mark's reason, or the count set (and the count it corrects).
  func actionDetail(_ action: OperatorAction) -> String {
    guard action.kind == .headcount, let detail = action.detail, let value = Int(detail) else { return action.detail ?? "" }
    guard let corrected = action.correctedCount else { return count(value) }
    return self(.corrects, count(value), count(corrected))
  }
}
