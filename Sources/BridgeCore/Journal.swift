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
    /// `operatorName` only for a headcount set by hand.
    case headcount(count: Int, source: HeartbeatSource, operatorName: String?)
    case flapping(Bool)
    case help(Bool)
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
    case .headcount(_, let source, _): source == .manual
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
    case .headcount(let count, let source, let operatorName):
      out.raw(",\"count\":\(count),\"source\":")
      out.string(source.rawValue)
      if let operatorName {
        out.raw(",\"operator\":")
        out.string(operatorName)
      }
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
        kind = .headcount(count: count, source: source, operatorName: text("operator"))
      } else {
        kind = nil
      }
    case "flapping": kind = flag("on").map { .flapping($0) }
    case "help": kind = flag("on").map { .help($0) }
    default: return .failure(JournalLineError("unknown type \"\(TextSanitizer.printable(String(type.prefix(40))))\""))
    }
    guard let kind else { return .failure(JournalLineError("a \"\(type)\" record with missing or bad fields")) }
    let needsSite: Bool =
      switch kind {
      case .start, .stop: false
      default: true
      }
    if needsSite && site == nil { return .failure(JournalLineError("a \"\(type)\" record without \"site\"")) }
    return .success(JournalRecord(unixSeconds: time, site: needsSite ? site : nil, kind: kind))
  }
}

public struct JournalLineError: Error, Sendable, Equatable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

extension SiteStatus {
  static func named(_ name: String) -> SiteStatus? { allCases.first { $0.description == name } }
}

/// A journal file's content, split into records; what was wrong with it is kept apart.
public struct JournalContent: Sendable {
  public var records: [JournalRecord] = []
  /// Complete lines that could not be decoded: line number and reason.
  public var badLines: [(line: Int, error: JournalLineError)] = []
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

  public init(mark: OperatorMark? = nil, acknowledgedBy: String? = nil, manualHeadcount: Int? = nil) {
    self.mark = mark
    self.acknowledgedBy = acknowledgedBy
    self.manualHeadcount = manualHeadcount
  }

  /// Replays the records in order; sites no longer in the config are ignored.
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
      case .status(_, .online, _):
        sites[index].acknowledgedBy = nil
      case .headcount(let count, let source, _):
        sites[index].manualHeadcount = source == .manual ? count : nil
      default: break
      }
    }
    return sites
  }
}
