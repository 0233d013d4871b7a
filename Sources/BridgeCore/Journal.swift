import Foundation

/// One line of the journal (docs/JOURNAL.md is the contract): a status change, an operator action, a headcount
/// sample, or the monitor starting and stopping.
public struct JournalRecord: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    case start(sites: Int)
    case stop
    case status(from: SiteStatus, to: SiteStatus, cause: String)
    case mark(operatorName: String, reason: String)
    case clear(operatorName: String)
    case acknowledge(operatorName: String)
    /// `operatorName` only for a headcount set by hand. `peak`: the highest count reported since the previous
    /// sample when it was above `count` (samples are at most one per 10 s; the peak must not fall between them).
    case headcount(count: Int, source: HeartbeatSource, operatorName: String?, peak: Int? = nil)
    case flapping(Bool)
    case help(Bool)
    /// `dropped` status changes and headcount samples, from this record's time to `until`, could not be written
    /// (the journal's disk was full or the file was gone) and were dropped to keep the backlog bounded.
    case gap(dropped: Int, until: Double)
  }

  public var unixSeconds: Double
  /// The site id; nil for start and stop.
  public var site: String?
  public var kind: Kind

  public init(unixSeconds: Double, site: String?, kind: Kind) {
    self.unixSeconds = unixSeconds
    self.site = site
    self.kind = kind
  }

  /// Operator actions are fsynced before the screen confirms them; the rest may wait for the next batch.
  public var isOperatorAction: Bool {
    switch kind {
    case .mark, .clear, .acknowledge: true
    case .headcount(_, let source, _, _): source == .manual
    default: false
    }
  }

  /// The journal records for an engine event, if it is one the journal keeps.
  public static func records(for event: EngineEvent, sites: [SiteConfig]) -> [JournalRecord] {
    let site = sites[event.siteIndex].id
    let time = event.time.unixSeconds
    switch event.kind {
    case .statusChanged(let from, let to, let cause):
      var records: [JournalRecord] = []
      let causeName: String
      switch cause {
      case .heartbeat: causeName = "heartbeat"
      case .silence: causeName = "silence"
      case .marked(let operatorName, let reason):
        causeName = "mark"
        records.append(JournalRecord(unixSeconds: time, site: site, kind: .mark(operatorName: operatorName, reason: reason)))
      case .markCleared(let operatorName):
        causeName = "clear"
        records.append(JournalRecord(unixSeconds: time, site: site, kind: .clear(operatorName: operatorName)))
      }
      records.append(JournalRecord(unixSeconds: time, site: site, kind: .status(from: from, to: to, cause: causeName)))
      return records
    case .acknowledged(let operatorName):
      return [JournalRecord(unixSeconds: time, site: site, kind: .acknowledge(operatorName: operatorName))]
    case .headcountSet(let count, let operatorName):
      return [JournalRecord(unixSeconds: time, site: site, kind: .headcount(count: count, source: .manual, operatorName: operatorName))]
    case .flappingChanged(let isFlapping):
      return [JournalRecord(unixSeconds: time, site: site, kind: .flapping(isFlapping))]
    case .helpRequestChanged(let isRequested):
      return [JournalRecord(unixSeconds: time, site: site, kind: .help(isRequested))]
    case .heardWhileMarked:
      return []
    }
  }
}

/// Writes and reads journal lines. One JSON object per line, keys in a fixed order.
public enum JournalCodec {
  public static let version = 1

  public static func encode(_ record: JournalRecord) -> String {
    var out = JSONWriter()
    out.raw("{\"t\":")
    out.number(record.unixSeconds, decimals: 3)
    out.raw(",\"type\":")
    if let site = record.site {
      out.string(typeName(record.kind))
      out.raw(",\"site\":")
      out.string(site)
    } else {
      out.string(typeName(record.kind))
    }
    switch record.kind {
    case .start(let sites): out.raw(",\"v\":\(version),\"sites\":\(sites)")
    case .stop: break
    case .gap(let dropped, let until):
      out.raw(",\"dropped\":\(dropped),\"until\":")
      out.number(until, decimals: 3)
    case .status(let from, let to, let cause):
      out.raw(",\"from\":")
      out.string(from.description)
      out.raw(",\"to\":")
      out.string(to.description)
      out.raw(",\"cause\":")
      out.string(cause)
    case .mark(let operatorName, let reason):
      out.raw(",\"operator\":")
      out.string(operatorName)
      out.raw(",\"reason\":")
      out.string(reason)
    case .clear(let operatorName), .acknowledge(let operatorName):
      out.raw(",\"operator\":")
      out.string(operatorName)
    case .headcount(let count, let source, let operatorName, let peak):
      out.raw(",\"count\":\(count),\"source\":")
      out.string(source.rawValue)
      if let operatorName {
        out.raw(",\"operator\":")
        out.string(operatorName)
      }
      if let peak { out.raw(",\"peak\":\(peak)") }
    case .flapping(let on), .help(let on):
      out.raw(",\"on\":\(on)")
    }
    out.raw("}")
    return out.text
  }

  static func typeName(_ kind: JournalRecord.Kind) -> String {
    switch kind {
    case .start: "start"
    case .stop: "stop"
    case .status: "status"
    case .mark: "mark"
    case .clear: "clear"
    case .acknowledge: "ack"
    case .headcount: "headcount"
    case .flapping: "flapping"
    case .help: "help"
    case .gap: "gap"
    }
  }

  /// Decodes one line; the error says what is wrong with it.
  public static func decode(_ line: Substring) -> Result<JournalRecord, JournalLineError> {
    guard let data = line.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
      let fields = object as? [String: Any]
    else { return .failure(JournalLineError("not a JSON object")) }
    guard let time = (fields["t"] as? NSNumber)?.doubleValue, time.isFinite, time > 0 else {
      return .failure(JournalLineError("missing or bad \"t\""))
    }
    guard let type = fields["type"] as? String else { return .failure(JournalLineError("missing \"type\"")) }
    func text(_ key: String) -> String? { fields[key] as? String }
    func flag(_ key: String) -> Bool? { fields[key] as? Bool }
    let site = text("site")
    let kind: JournalRecord.Kind?
    switch type {
    case "start": kind = (fields["sites"] as? Int).map { .start(sites: $0) }
    case "stop": kind = .stop
    case "status":
      if let from = text("from").flatMap(SiteStatus.named), let to = text("to").flatMap(SiteStatus.named), let cause = text("cause") {
        kind = .status(from: from, to: to, cause: cause)
      } else {
        kind = nil
      }
    case "mark": kind = text("operator").flatMap { name in text("reason").map { .mark(operatorName: name, reason: $0) } }
    case "clear": kind = text("operator").map { .clear(operatorName: $0) }
    case "ack": kind = text("operator").map { .acknowledge(operatorName: $0) }
    case "headcount":
      if let count = fields["count"] as? Int, (0...HeartbeatCodec.maximumCount).contains(count),
        let source = text("source").flatMap(HeartbeatSource.init(rawValue:))
      {
        let peak = (fields["peak"] as? Int).flatMap { (0...HeartbeatCodec.maximumCount).contains($0) ? $0 : nil }
        kind = .headcount(count: count, source: source, operatorName: text("operator"), peak: peak)
      } else {
        kind = nil
      }
    case "flapping": kind = flag("on").map { .flapping($0) }
    case "help": kind = flag("on").map { .help($0) }
    case "gap":
      if let dropped = fields["dropped"] as? Int, dropped >= 0, let until = (fields["until"] as? NSNumber)?.doubleValue, until.isFinite {
        kind = .gap(dropped: dropped, until: until)
      } else {
        kind = nil
      }
    default:
      return .failure(JournalLineError("unknown record type \"\(TextSanitizer.printable(String(type.prefix(40))))\"", isUnknownType: true))
    }
    guard let kind else { return .failure(JournalLineError("a \"\(type)\" record with missing or bad fields")) }
    let needsSite: Bool =
      switch kind {
      case .start, .stop, .gap: false
      default: true
      }
    if needsSite && site == nil { return .failure(JournalLineError("a \"\(type)\" record without \"site\"")) }
    return .success(JournalRecord(unixSeconds: time, site: needsSite ? site : nil, kind: kind))
  }
}

public struct JournalLineError: Error, Sendable, Equatable, CustomStringConvertible {
  public var description: String
  /// A well-formed record of a type this version does not know (written by a newer monitor): skipped with a note,
  /// never a reason to refuse the journal.
  public var isUnknownType: Bool
  public init(_ description: String, isUnknownType: Bool = false) {
    self.description = description
    self.isUnknownType = isUnknownType
  }
}

extension SiteStatus {
  static func named(_ name: String) -> SiteStatus? { allCases.first { $0.description == name } }
}

/// A journal file's content, split into records; what was wrong with it is kept apart.
public struct JournalContent: Sendable {
  public var records: [JournalRecord] = []
  /// Complete lines that could not be decoded: line number and reason.
  public var badLines: [(line: Int, error: JournalLineError)] = []
  /// Lines of record types this version does not know (a newer monitor wrote them): line number and reason.
  public var unknownTypeLines: [(line: Int, error: JournalLineError)] = []
  /// Bytes after the last line break that do not decode: a write cut short (a power cut). Its line number.
  public var tornLine: Int?
  /// Where the complete lines end; a torn tail starts here.
  public var validLength: Int = 0

  public init() {}

  public static func parse(_ bytes: [UInt8]) -> JournalContent {
    var content = JournalContent()
    var lineStart = 0
    var lineNumber = 0
    for index in bytes.indices where bytes[index] == 0x0A {
      lineNumber += 1
      content.take(bytes[lineStart..<index], line: lineNumber)
      lineStart = index + 1
    }
    content.validLength = lineStart
    if lineStart < bytes.count {
      lineNumber += 1
      // A last line with no line break was being written when the machine stopped. Keep it if it is whole.
      if case .success(let record) = decodeLine(bytes[lineStart...]) {
        content.records.append(record)
        content.validLength = bytes.count
      } else {
        content.tornLine = lineNumber
      }
    }
    return content
  }

  private mutating func take(_ line: ArraySlice<UInt8>, line number: Int) {
    if line.isEmpty { return }
    switch Self.decodeLine(line) {
    case .success(let record): records.append(record)
    case .failure(let error) where error.isUnknownType: unknownTypeLines.append((number, error))
    case .failure(let error): badLines.append((number, error))
    }
  }

  private static func decodeLine(_ line: ArraySlice<UInt8>) -> Result<JournalRecord, JournalLineError> {
    guard let text = String(validating: line, as: UTF8.self) else { return .failure(JournalLineError("not UTF-8")) }
    return JournalCodec.decode(Substring(text))
  }
}

/// What a restarted monitor takes back from the journal: per site, the mark, the acknowledgement, and a
/// headcount set by hand that no heartbeat has replaced.
public struct RestoredSite: Sendable, Equatable {
  public var mark: OperatorMark?
  public var acknowledgedBy: String?
  public var manualHeadcount: Int?
  /// The site was heard in an earlier run: if it stays silent after the restart, it is an outage, not `unknown`.
  public var wasHeard: Bool

  public init(mark: OperatorMark? = nil, acknowledgedBy: String? = nil, manualHeadcount: Int? = nil, wasHeard: Bool = false) {
    self.mark = mark
    self.acknowledgedBy = acknowledgedBy
    self.manualHeadcount = manualHeadcount
    self.wasHeard = wasHeard
  }

  /// Marks still in force for site ids the config no longer has (the replay skips them; the operator must hear
  /// of it), in the order they were made.
  public static func orphanMarks(_ records: [JournalRecord], siteIndex: (String) -> Int?) -> [(site: String, mark: OperatorMark)] {
    var marks: [String: OperatorMark] = [:]
    var order: [String] = []
    for record in records {
      guard let id = record.site, siteIndex(id) == nil else { continue }
      switch record.kind {
      case .mark(let operatorName, let reason):
        if marks[id] == nil { order.append(id) }
        marks[id] = OperatorMark(operatorName: operatorName, reason: reason, unixSeconds: record.unixSeconds)
      case .clear: marks[id] = nil
      default: break
      }
    }
    return order.compactMap { id in marks[id].map { (id, $0) } }
  }

  /// Replays the records in order; sites no longer in the config are ignored (see `orphanMarks`).
  public static func replay(_ records: [JournalRecord], siteIndex: (String) -> Int?, siteCount: Int) -> [RestoredSite] {
    var sites = [RestoredSite](repeating: RestoredSite(), count: siteCount)
    for record in records {
      guard let id = record.site, let index = siteIndex(id) else { continue }
      switch record.kind {
      case .mark(let operatorName, let reason):
        sites[index].mark = OperatorMark(operatorName: operatorName, reason: reason, unixSeconds: record.unixSeconds)
        sites[index].acknowledgedBy = nil
      case .clear:
        sites[index].mark = nil
      case .acknowledge(let operatorName):
        sites[index].acknowledgedBy = operatorName
      case .status(_, let to, _):
        if to == .online { sites[index].acknowledgedBy = nil }
        if to == .online || to == .late || to == .offline { sites[index].wasHeard = true }
      case .headcount(let count, let source, _, _):
        sites[index].manualHeadcount = source == .manual ? count : nil
        if source != .manual { sites[index].wasHeard = true }
      default: break
      }
    }
    return sites
  }
}

extension JournalRecord {
  /// A `start` and what alone restores the monitor's present state: each site's status, mark, acknowledgement
  /// and headcount. Written first into a journal created anew (the old file was deleted under the monitor).
  public static func checkpoint(_ records: [SiteRecord], sites: [SiteConfig], unixSeconds: Double) -> [JournalRecord] {
    var out = [JournalRecord(unixSeconds: unixSeconds, site: nil, kind: .start(sites: sites.count))]
    for (index, record) in records.enumerated() {
      let id = sites[index].id
      if let mark = record.mark {
        out.append(
          JournalRecord(unixSeconds: mark.unixSeconds, site: id, kind: .mark(operatorName: mark.operatorName, reason: mark.reason)))
      }
      // What heartbeats say, then the mark over it: a later restart must know the site was heard.
      if record.heartbeatStatus != .unknown {
        out.append(
          JournalRecord(unixSeconds: unixSeconds, site: id, kind: .status(from: .unknown, to: record.heartbeatStatus, cause: "checkpoint")))
      }
      if record.status == .marked {
        out.append(
          JournalRecord(unixSeconds: unixSeconds, site: id, kind: .status(from: record.heartbeatStatus, to: .marked, cause: "mark")))
      }
      if let name = record.acknowledgedBy {
        out.append(JournalRecord(unixSeconds: unixSeconds, site: id, kind: .acknowledge(operatorName: name)))
      }
      if let count = record.headcount, let source = record.headcountSource {
        out.append(JournalRecord(unixSeconds: unixSeconds, site: id, kind: .headcount(count: count, source: source, operatorName: nil)))
      }
    }
    return out
  }
}
