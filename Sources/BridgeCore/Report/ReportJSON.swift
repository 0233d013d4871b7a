import Foundation

extension ReportRenderer {
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
