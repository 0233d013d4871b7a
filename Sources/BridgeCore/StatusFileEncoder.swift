/// The status file (docs/STATUS-FILE.md): a JSON snapshot other tools read. Written by hand because it is
/// produced every second for up to 10,000 sites and Foundation's encoder costs tens of milliseconds there.
public enum StatusFileEncoder {
  public static let schemaVersion = 1

  public static func encode(_ snapshot: MonitorSnapshot) -> String {
    var out = JSONWriter()
    out.raw("{\n")
    out.raw("  \"schema\": \(schemaVersion),\n")
    out.raw("  \"title\": ")
    out.string(snapshot.title)
    out.raw(",\n  \"generated_at\": ")
    out.number(snapshot.takenAt.unixSeconds, decimals: 3)
    out.raw(",\n  \"total\": ")
    rollup(snapshot.rollups[0], into: &out)
    out.raw(",\n  \"groups\": [")
    for node in 1..<snapshot.groups.nodes.count {
      out.raw(node == 1 ? "\n    {\"path\": " : ",\n    {\"path\": ")
      out.string(snapshot.groups.nodes[node].path.joined(separator: GroupPath.separator))
      out.raw(", \"depth\": \(snapshot.groups.nodes[node].depth), \"rollup\": ")
      rollup(snapshot.rollups[node], into: &out)
      out.raw("}")
    }
    out.raw("\n  ],\n  \"sites\": [")
    for index in snapshot.sites.indices {
      out.raw(index == 0 ? "\n    " : ",\n    ")
      site(index, snapshot, into: &out)
    }
    out.raw("\n  ],\n  \"counters\": ")
    counters(snapshot.counters, into: &out)
    out.raw("\n}\n")
    return out.text
  }

  private static func rollup(_ rollup: Rollup, into out: inout JSONWriter) {
    out.raw("{\"sites\": \(rollup.siteCount), \"up\": \(rollup.sitesUp)")
    for status in SiteStatus.allCases { out.raw(", \"\(status)\": \(rollup.statusCounts[status])") }
    out.raw(", \"headcount\": \(rollup.reportedHeadcount), \"expected\": \(rollup.expectedHeadcount), \"attendance_percent\": ")
    if let percent = rollup.attendancePercent { out.number(percent, decimals: 1) } else { out.raw("null") }
    out.raw(", \"alerts\": \(rollup.unacknowledgedAlerts), \"help\": \(rollup.helpRequests), \"flapping\": \(rollup.flapping)}")
  }

  private static func site(_ index: Int, _ snapshot: MonitorSnapshot, into out: inout JSONWriter) {
    let config = snapshot.sites[index]
    let record = snapshot.records[index]
    out.raw("{\"id\": ")
    out.string(config.id)
    out.raw(", \"name\": ")
    out.string(config.name)
    out.raw(", \"group\": ")
    out.string(config.groupLabel)
    out.raw(", \"status\": \"\(record.status)\", \"flags\": [")
    var first = true
    for (flag, name) in flagNames where record.flags.contains(flag) {
      out.raw(first ? "\"\(name)\"" : ", \"\(name)\"")
      first = false
    }
    if record.isAcknowledged {
      out.raw(first ? "\"acknowledged\"" : ", \"acknowledged\"")
    }
    out.raw("], \"headcount\": ")
    if let count = record.headcount { out.raw("\(count)") } else { out.raw("null") }
    out.raw(", \"headcount_source\": ")
    if let source = record.headcountSource { out.raw("\"\(source.rawValue)\"") } else { out.raw("null") }
    out.raw(", \"expected\": \(config.expected), \"age_seconds\": ")
    if let age = snapshot.ageSeconds(site: index) { out.number(age, decimals: 1) } else { out.raw("null") }
    out.raw(", \"loss_percent\": ")
    if let loss = record.lossPercent { out.number(loss, decimals: 1) } else { out.raw("null") }
    out.raw(", \"rtt_ms\": ")
    if let rtt = record.rttMilliseconds { out.raw("\(rtt)") } else { out.raw("null") }
    out.raw(", \"source\": ")
    if let source = record.lastSource { out.raw("\"\(source.rawValue)\"") } else { out.raw("null") }
    out.raw(", \"mark\": ")
    if let mark = record.mark {
      out.raw("{\"operator\": ")
      out.string(mark.operatorName)
      out.raw(", \"reason\": ")
      out.string(mark.reason)
      out.raw(", \"at\": ")
      out.number(mark.unixSeconds, decimals: 3)
      out.raw("}")
    } else {
      out.raw("null")
    }
    if let by = record.acknowledgedBy {
      out.raw(", \"acknowledged_by\": ")
      out.string(by)
    }
    out.raw("}")
  }

  static let flagNames: [(SiteFlags, String)] = [
    (.helpRequested, "help"), (.degraded, "degraded"), (.flapping, "flapping"), (.badHeartbeatFile, "bad_file"),
    (.heartbeatFileError, "file_error"), (.heardWhileMarked, "heard_while_marked"),
  ]

  private static func counters(_ counters: IngestCounters, into out: inout JSONWriter) {
    out.raw(
      "{\"datagrams_received\": \(counters.datagramsReceived), \"datagrams_accepted\": \(counters.datagramsAccepted), \"rejected\": {"
    )
    for (offset, reason) in RejectionReason.allCases.enumerated() {
      out.raw(offset == 0 ? "" : ", ")
      out.raw("\"\(reason.rawValue)\": \(counters[reason])")
    }
    out.raw(
      "}, \"acks_sent\": \(counters.acksSent), \"files_read\": \(counters.filesRead), \"file_errors\": \(counters.fileErrors), \"bad_files\": \(counters.badFiles)}"
    )
  }
}

/// Minimal JSON text builder with correct string escaping.
struct JSONWriter {
  var text = ""

  mutating func raw(_ fragment: String) { text += fragment }

  mutating func string(_ value: String) {
    text.append("\"")
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": text += "\\\""
      case "\\": text += "\\\\"
      case "\n": text += "\\n"
      case "\r": text += "\\r"
      case "\t": text += "\\t"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value):
        let hex = String(scalar.value, radix: 16)
        text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default:
        text.unicodeScalars.append(scalar)
      }
    }
    text.append("\"")
  }

  mutating func number(_ value: Double, decimals: Int) {
    guard value.isFinite else {
      text += "null"
      return
    }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value * scale).rounded()
    let negative = scaled < 0
    let magnitude = Int64(abs(scaled))
    let whole = magnitude / Int64(scale)
    let fraction = magnitude % Int64(scale)
    if negative { text += "-" }
    text += "\(whole)"
    if decimals > 0 {
      let digits = String(fraction)
      text += "." + String(repeating: "0", count: decimals - digits.count) + digits
    }
  }
}
