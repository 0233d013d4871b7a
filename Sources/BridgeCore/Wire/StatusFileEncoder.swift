/// The status file (docs/STATUS-FILE.md): a JSON snapshot other tools read. Written by hand because it is
/// produced every few seconds for up to 10,000 sites and Foundation's encoder costs tens of milliseconds there.
public enum StatusFileEncoder {
  public static let schemaVersion = 1

  public static func encode(_ snapshot: MonitorSnapshot) -> String { String(decoding: encodeBytes(snapshot), as: UTF8.self) }

  public static func encodeBytes(_ snapshot: MonitorSnapshot) -> [UInt8] {
    var bytes: [UInt8] = []
    encode(snapshot, fixed: FixedParts(snapshot), into: &bytes)
    return bytes
  }

  /// What never changes during a run, escaped once: each site's id, name and group, each group's path and depth.
  /// Escaping them took most of the time of a 10,000-site file.
  public struct FixedParts: Sendable {
    /// `{"id": …, "name": …, "group": …` of every site, back to back; site i's runs from `siteEnds[i]` to `[i + 1]`.
    let sites: [UInt8]
    let siteEnds: [Int]
    /// `{"path": …, "depth": N, "rollup": ` of every group but the root, likewise.
    let groups: [UInt8]
    let groupEnds: [Int]

    public init(_ snapshot: MonitorSnapshot) {
      var out = JSONWriter(capacity: snapshot.sites.count * 120)
      var ends = [0]
      ends.reserveCapacity(snapshot.sites.count + 1)
      for site in snapshot.sites {
        out.raw("{\"id\": ")
        out.string(site.id)
        out.raw(", \"name\": ")
        out.string(site.name)
        out.raw(", \"group\": ")
        out.string(site.groupLabel)
        ends.append(out.bytes.count)
      }
      sites = out.bytes
      siteEnds = ends
      out = JSONWriter(capacity: snapshot.groups.nodes.count * 60)
      ends = [0]
      for node in snapshot.groups.nodes.dropFirst() {
        out.raw("{\"path\": ")
        out.string(node.path.joined(separator: GroupPath.separator))
        out.raw(", \"depth\": ")
        out.int(node.depth)
        out.raw(", \"rollup\": ")
        ends.append(out.bytes.count)
      }
      groups = out.bytes
      groupEnds = ends
    }

    public func matches(_ snapshot: MonitorSnapshot) -> Bool {
      siteEnds.count == snapshot.sites.count + 1 && groupEnds.count == snapshot.groups.nodes.count
    }
  }

  /// Encodes into `bytes` (emptied first, its capacity kept: the monitor reuses one buffer for every write).
  /// `fixed` must have been made from a snapshot of the same config.
  private static func role(_ role: MonitorRole, into out: inout JSONWriter) {
    func optionalNumber(_ value: Double?) {
      if let value { out.number(value, decimals: 3) } else { out.raw("null") }
    }
    func optionalString(_ value: String?) {
      if let value { out.string(value) } else { out.raw("null") }
    }
    out.raw(",\n  \"role\": ")
    out.string(role.kind.rawValue)
    out.raw(",\n  \"standby\": {\"following\": ")
    optionalString(role.following)
    out.raw(", \"primary_last_contact\": ")
    optionalNumber(role.lastPrimaryContact)
    out.raw(", \"primary_silent_since\": ")
    optionalNumber(role.primarySilentSince)
    out.raw(", \"link_problem\": ")
    optionalString(role.linkProblem)
    out.raw(", \"promoted_at\": ")
    optionalNumber(role.promotedAt)
    out.raw("}")
    out.raw(",\n  \"replaced_by\": ")
    if let replaced = role.replacedBy {
      out.raw("{\"peer\": ")
      out.string(replaced.peer)
      out.raw(", \"promoted_at\": ")
      out.number(replaced.promotedAt, decimals: 3)
      out.raw("}")
    } else {
      out.raw("null")
    }
  }

  public static func encode(_ snapshot: MonitorSnapshot, fixed: FixedParts, into bytes: inout [UInt8]) {
    bytes.removeAll(keepingCapacity: true)
    bytes.reserveCapacity(512 + snapshot.sites.count * 320 + snapshot.groups.nodes.count * 260)
    encode(snapshot, fixed: fixed) { bytes.append(contentsOf: $0) }
  }

  /// The document handed to `emit` in chunks of about `chunkBytes`, so the monitor writes a 2 MB file without
  /// holding it whole in memory (a buffer that large, alive while the engine copies its records under load, was
  /// the monitor's peak memory).
  public static func encode(_ snapshot: MonitorSnapshot, fixed: FixedParts, chunkBytes: Int = 64 * 1024, emit: ([UInt8]) -> Void) {
    precondition(fixed.matches(snapshot), "the status file's fixed parts come from another config")
    var out = JSONWriter(capacity: chunkBytes + 8 * 1024)
    func emitIfFull() {
      guard out.bytes.count >= chunkBytes else { return }
      emit(out.bytes)
      out.bytes.removeAll(keepingCapacity: true)
    }
    out.raw("{\n")
    out.raw("  \"schema\": \(schemaVersion),\n")
    out.raw("  \"title\": ")
    out.string(snapshot.title)
    out.raw(",\n  \"generated_at\": ")
    out.number(snapshot.takenAt.unixSeconds, decimals: 3)
    // null while the journal is written; otherwise why not, and what waits (scripts alert on it).
    out.raw(",\n  \"journal_problem\": ")
    if let problem = snapshot.journalProblem { out.string(problem) } else { out.raw("null") }
    // null unless the wall clock stepped in the last 10 minutes or most signed heartbeats are refused as stale.
    out.raw(",\n  \"clock_problem\": ")
    if let note = snapshot.clockNote { out.string(note.text) } else { out.raw("null") }
    // null unless the keys file changed on disk and was refused: its FILE:LINE and rule; the keys before stay.
    out.raw(",\n  \"keys_file_problem\": ")
    if let problem = snapshot.keysFileProblem { out.string(problem) } else { out.raw("null") }
    // Primary or standby: scripts and the old primary's operators read it here (README "Running with a standby").
    role(snapshot.role ?? .primary, into: &out)
    if let bridge = snapshot.bridge { bridgeSummary(bridge, into: &out) }
    out.raw(",\n  \"total\": ")
    rollup(snapshot.rollups[0], into: &out)
    out.raw(",\n  \"groups\": [")
    for node in 1..<snapshot.groups.nodes.count {
      out.raw(node == 1 ? "\n    " : ",\n    ")
      out.bytes.append(contentsOf: fixed.groups[fixed.groupEnds[node - 1]..<fixed.groupEnds[node]])
      rollup(snapshot.rollups[node], into: &out)
      out.raw("}")
      emitIfFull()
    }
    out.raw("\n  ],\n  \"sites\": [")
    for index in snapshot.sites.indices {
      out.raw(index == 0 ? "\n    " : ",\n    ")
      out.bytes.append(contentsOf: fixed.sites[fixed.siteEnds[index]..<fixed.siteEnds[index + 1]])
      site(index, snapshot, into: &out)
      emitIfFull()
    }
    out.raw("\n  ],\n  \"counters\": ")
    counters(snapshot.counters, into: &out)
    out.raw("\n}\n")
    emit(out.bytes)
  }

  private static func rollup(_ rollup: Rollup, into out: inout JSONWriter) {
    out.raw("{\"sites\": ")
    out.int(rollup.siteCount)
    out.raw(", \"up\": ")
    out.int(rollup.sitesUp)
    for status in SiteStatus.allCases {
      out.raw(statusKeys[status.rawValue])
      out.int(rollup.statusCounts[status])
    }
    out.raw(", \"headcount\": ")
    out.int(rollup.reportedHeadcount)
    out.raw(", \"expected\": ")
    out.int(rollup.expectedHeadcount)
    out.raw(", \"attendance_percent\": ")
    if let percent = rollup.attendancePercent { out.number(percent, decimals: 1) } else { out.raw("null") }
    out.raw(", \"alerts\": ")
    out.int(rollup.unacknowledgedAlerts)
    out.raw(", \"help\": ")
    out.int(rollup.helpRequests)
    out.raw(", \"flapping\": ")
    out.int(rollup.flapping)
    out.raw(", \"count_file_problems\": ")
    out.int(rollup.countFileProblems)
    out.raw("}")
  }

  /// `, "online": ` and the like, made once.
  static let statusKeys = SiteStatus.allCases.map { ", \"\($0)\": " }
  static let statusValues = SiteStatus.allCases.map { ", \"status\": \"\($0)\", \"flags\": [" }

  /// A site's entry after its fixed part.
  private static func site(_ index: Int, _ snapshot: MonitorSnapshot, into out: inout JSONWriter) {
    let facts = snapshot.sites[index]
    let record = snapshot.records[index]
    out.raw(statusValues[record.status.rawValue])
    var first = true
    for (flag, name) in flagNames where record.flags.contains(flag) {
      out.raw(first ? "\"\(name)\"" : ", \"\(name)\"")
      first = false
    }
    if record.isAcknowledged {
      out.raw(first ? "\"acknowledged\"" : ", \"acknowledged\"")
      first = false
    }
    if record.countProblem != nil {
      out.raw(first ? "\"count_file_unreadable\"" : ", \"count_file_unreadable\"")
    }
    out.raw("], \"headcount\": ")
    if let count = record.headcount { out.int(count) } else { out.raw("null") }
    if let problem = record.countProblem {
      out.raw(", \"count_problem\": \"\(problem.word)\"")
    }
    out.raw(", \"headcount_source\": ")
    if let source = record.headcountSource { out.raw("\"\(source.rawValue)\"") } else { out.raw("null") }
    // Who typed a count set by hand or sent from the check-in page (docs/STATUS-FILE.md).
    if record.headcountSource?.isTypedByPerson == true, let setBy = record.headcountSetBy {
      out.raw(", \"headcount_by\": ")
      out.string(setBy.operatorName)
    }
    // Whether the count adds to the site's groups (only a site that is up counts): the groups' headcount is the sum
    // over the sites that say true.
    out.raw(record.status.isUp ? ", \"headcount_counted\": true" : ", \"headcount_counted\": false")
    out.raw(", \"expected\": ")
    out.int(facts.expected)
    out.raw(", \"age_seconds\": ")
    if let age = snapshot.ageSeconds(site: index) { out.number(age, decimals: 1) } else { out.raw("null") }
    out.raw(", \"loss_percent\": ")
    if let loss = record.lossPercent { out.number(loss, decimals: 1) } else { out.raw("null") }
    out.raw(", \"rtt_ms\": ")
    if let rtt = record.rttMilliseconds { out.int(rtt) } else { out.raw("null") }
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
    if let claim = record.claim {
      out.raw(", \"claimed_by\": ")
      out.string(claim.operatorName)
      out.raw(", \"claimed_at\": ")
      out.number(claim.unixSeconds, decimals: 3)
    }
    if let rejection = record.rejection {
      out.raw(", \"rejected\": {\"reason\": \"\(rejection.reason.rawValue)\", \"count\": ")
      out.int(rejection.count)
      out.raw(", \"at\": ")
      out.number(rejection.lastAt.unixSeconds, decimals: 3)
      out.raw(", \"from\": ")
      out.string(rejection.source)
      out.raw(", \"now\": \(record.isRejectedNow)}")
    }
    if let contact = facts.contact {
      out.raw(", \"contact\": ")
      out.string(contact)
    }
    if let probe = facts.probe {
      out.raw(", \"probe\": {\"target\": ")
      out.string(probe)
      out.raw(", \"result\": ")
      if let outcome = record.probeOutcome { out.string(outcome.word) } else { out.raw("null") }
      if let code = record.probeOutcome?.sipCode {
        out.raw(", \"code\": ")
        out.int(code)
      }
      if let at = record.probeAt {
        out.raw(", \"at\": ")
        out.number(at.unixSeconds, decimals: 3)
      }
      out.raw("}")
    }
    if let bridge = snapshot.bridge { bridgeSite(index, bridge, into: &out) }
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
      "}, \"acks_sent\": \(counters.acksSent), \"files_read\": \(counters.filesRead), \"file_errors\": \(counters.fileErrors), \"bad_files\": \(counters.badFiles)"
    )
    out.raw(
      ", \"probes_sent\": \(counters.probesSent), \"probe_answers\": \(counters.probeHeartbeats), \"probe_timeouts\": \(counters.probeTimeouts), \"probe_rejected\": {"
    )
    for (offset, reason) in ProbeRejection.allCases.enumerated() {
      out.raw(offset == 0 ? "" : ", ")
      out.raw("\"\(reason.rawValue)\": \(counters[probe: reason])")
    }
    out.raw("}}")
  }
}

/// Minimal JSON builder with correct string escaping, writing UTF-8 bytes straight into one buffer: 10,000 sites a
/// second must not cost a String append per fragment.
struct JSONWriter {
  var bytes: [UInt8] = []

  init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

  var text: String { String(decoding: bytes, as: UTF8.self) }

  mutating func raw(_ fragment: String) { bytes.append(contentsOf: fragment.utf8) }

  mutating func int<T: BinaryInteger>(_ value: T) {
    if value < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = UInt64(value.magnitude)
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
      var count = 0
      repeat {
        digits[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
        magnitude /= 10
        count += 1
      } while magnitude > 0
      for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(digits[index]) }
    }
  }

  mutating func string(_ value: String) {
    bytes.append(UInt8(ascii: "\""))
    var utf8 = value.utf8.makeIterator()
    var pending: UInt8? = nil
    while let byte = pending ?? utf8.next() {
      pending = nil
      switch byte {
      case UInt8(ascii: "\""): raw("\\\"")
      case UInt8(ascii: "\\"): raw("\\\\")
      case UInt8(ascii: "\n"): raw("\\n")
      case UInt8(ascii: "\r"): raw("\\r")
      case UInt8(ascii: "\t"): raw("\\t")
      case 0..<0x20, 0x7F: escape(UInt32(byte))
      case 0xC2:
        // U+0080...U+009F (C1 controls) are 0xC2 0x80...0x9F in UTF-8.
        guard let next = utf8.next() else {
          bytes.append(byte)
          break
        }
        if (0x80...0x9F).contains(next) {
          escape(UInt32(next))
        } else {
          bytes.append(byte)
          pending = next
        }
      default: bytes.append(byte)
      }
    }
    bytes.append(UInt8(ascii: "\""))
  }

  private mutating func escape(_ value: UInt32) {
    let digits = Array("0123456789abcdef".utf8)
    raw("\\u00")
    bytes.append(digits[Int(value >> 4)])
    bytes.append(digits[Int(value & 0xF)])
  }

  mutating func number(_ value: Double, decimals: Int) {
    guard value.isFinite else {
      raw("null")
      return
    }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value * scale).rounded()
    // Total: a value too large for the fixed-point digits below (no time or count of ours, but the writer must not
    // trap on any input) is written in the shortest form that reads back the same, which JSON also allows.
    guard abs(scaled) < 9e18 else {
      raw(value.description)
      return
    }
    let magnitude = Int64(abs(scaled))
    let whole = magnitude / Int64(scale)
    let fraction = magnitude % Int64(scale)
    if scaled < 0 { bytes.append(UInt8(ascii: "-")) }
    int(whole)
    if decimals > 0 {
      bytes.append(UInt8(ascii: "."))
      var divisor = Int64(scale) / 10
      while divisor > 0 {
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
        divisor /= 10
      }
    }
  }
}
