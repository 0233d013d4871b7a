import Foundation

/// Writes and reads journal lines. One JSON object per line, keys in a fixed order.
public enum JournalCodec {
  public static let version = 1

  public static func encode(_ record: JournalRecord) -> String {
    var out = JSONWriter()
    out.raw("{\"t\":")
    out.number(writableTime(record.unixSeconds), decimals: 3)
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
      out.number(writableTime(until), decimals: 3)
    case .clock(let step):
      out.raw(",\"step\":")
      out.number(step.isFinite ? min(max(step, -UnixTime.maximumStep), UnixTime.maximumStep) : 0, decimals: 3)
    case .status(let from, let to, let cause, let source):
      out.raw(",\"from\":")
      out.string(from.description)
      out.raw(",\"to\":")
      out.string(to.description)
      out.raw(",\"cause\":")
      out.string(cause)
      if let source {
        out.raw(",\"source\":")
        out.string(source.rawValue)
      }
    case .mark(let operatorName, let reason):
      out.raw(",\"operator\":")
      out.string(OperatorText.clamped(operatorName, as: .operatorName))
      out.raw(",\"reason\":")
      out.string(OperatorText.clamped(reason, as: .reason))
    case .clear(let operatorName), .acknowledge(let operatorName), .claim(let operatorName):
      out.raw(",\"operator\":")
      out.string(OperatorText.clamped(operatorName, as: .operatorName))
    case .release(let operatorName, let claimedBy):
      if let operatorName {
        out.raw(",\"operator\":")
        out.string(OperatorText.clamped(operatorName, as: .operatorName))
      }
      if let claimedBy {
        out.raw(",\"claimed_by\":")
        out.string(OperatorText.clamped(claimedBy, as: .operatorName))
      }
    case .headcount(let count, let source, let operatorName, let peak):
      out.raw(",\"count\":\(count),\"source\":")
      out.string(source.rawValue)
      if let operatorName {
        out.raw(",\"operator\":")
        out.string(OperatorText.clamped(operatorName, as: .operatorName))
      }
      if let peak { out.raw(",\"peak\":\(peak)") }
    case .flapping(let on), .help(let on):
      out.raw(",\"on\":\(on)")
    case .bridge(let inBridge):
      out.raw(",\"on\":\(inBridge),\"source\":\"bridge\"")
    case .bridgeQuality(let verdict):
      if let verdict {
        out.raw(",\"to\":")
        out.string(verdict)
      }
      out.raw(",\"source\":\"bridge\"")
    case .bridgeDisagreement(let disagreement):
      if let disagreement {
        out.raw(",\"to\":")
        out.string(disagreement)
      }
      out.raw(",\"source\":\"bridge\"")
    case .countFile(let problem):
      out.raw(",\"on\":\(problem != nil)")
      if let problem {
        out.raw(",\"reason\":")
        out.string(OperatorText.clamped(problem, as: .note))
      }
    case .role(let role, let note):
      out.raw(",\"role\":")
      out.string(OperatorText.clamped(role, as: .note))
      out.raw(",\"reason\":")
      out.string(OperatorText.clamped(note, as: .note))
    }
    if let madeAt = record.madeAt {
      out.raw(",\"made_at\":")
      out.number(writableTime(madeAt), decimals: 3)
    }
    out.raw("}")
    return out.text
  }

  /// The writer's last guard, never reached by a time from the monitor's own clock or from a door (they check
  /// `UnixTime`): a time the reader would refuse is written as the nearest one it takes, so no line is lost.
  static func writableTime(_ seconds: Double) -> Double {
    guard seconds.isFinite else { return 0.001 }
    return min(max(seconds, 0.001), UnixTime.latest)
  }

  static func typeName(_ kind: JournalRecord.Kind) -> String {
    switch kind {
    case .start: "start"
    case .stop: "stop"
    case .status: "status"
    case .mark: "mark"
    case .clear: "clear"
    case .acknowledge: "ack"
    case .claim: "claim"
    case .release: "release"
    case .headcount: "headcount"
    case .flapping: "flapping"
    case .help: "help"
    case .gap: "gap"
    case .clock: "clock"
    case .role: "role"
    case .bridge: "bridge"
    case .bridgeQuality: "bridge_quality"
    case .bridgeDisagreement: "bridge_disagreement"
    case .countFile: "count_file"
    }
  }

  /// Decodes one line; the error says what is wrong with it.
  public static func decode(_ line: Substring) -> Result<JournalRecord, JournalLineError> {
    var line = line
    return line.withUTF8 { decode(bytes: $0) }
  }

  /// Decodes one line's bytes (without its line break).
  public static func decode(bytes line: UnsafeBufferPointer<UInt8>) -> Result<JournalRecord, JournalLineError> {
    if let common = JournalCommonLines.decode(line) { return .success(common.record) }
    return decodeInGeneral(line)
  }

  /// Decodes any line, through the general reader (the common lines' exact form is read apart, to the same record).
  static func decodeInGeneral(_ line: UnsafeBufferPointer<UInt8>) -> Result<JournalRecord, JournalLineError> {
    var fields = JournalLineFields()
    if let problem = JournalLineReader.read(line, into: &fields) { return .failure(JournalLineError(problem)) }
    guard let time = fields.time else { return .failure(JournalLineError("missing or bad \"t\"")) }
    // Inside UnixTime's window, so that the report's and the dashboard's arithmetic on it is total.
    guard time > 0, UnixTime(seconds: time) != nil else {
      return .failure(JournalLineError("\"t\": \(UnixTime.problem(time) ?? "not after 1970")"))
    }
    guard let type = fields.type else { return .failure(JournalLineError("missing \"type\"")) }
    let kind: JournalRecord.Kind?
    // Texts written before OperatorText's rule (or by hand) are kept, made to fit it: nothing read from a journal
    // can be longer or less printable than what a console may send.
    let operatorName = fields.operatorName.map { OperatorText.clamped($0, as: .operatorName) }
    let reason = fields.reason.map { OperatorText.clamped($0, as: .reason) }
    func inRange(_ value: Int?) -> Int? { value.flatMap { (0...HeartbeatCodec.maximumCount).contains($0) ? $0 : nil } }
    // By the type's place in the reader's vocabulary: comparing the name with each type's took a tenth of the time.
    guard let recordType = fields.typeIndex.flatMap(JournalLineReader.RecordType.init(rawValue:)) else {
      return .failure(JournalLineError("unknown record type \"\(TextSanitizer.printable(String(type.prefix(40))))\"", isUnknownType: true))
    }
    switch recordType {
    case .start: kind = fields.sites.map { .start(sites: $0) }
    case .stop: kind = .stop
    case .status:
      if let from = fields.from.flatMap(SiteStatus.named), let to = fields.to.flatMap(SiteStatus.named), let cause = fields.cause {
        // `source` was added later: older journals have none, and a newer source than this build knows is ignored.
        kind = .status(from: from, to: to, cause: cause, source: fields.source.flatMap(HeartbeatSource.init(rawValue:)))
      } else {
        kind = nil
      }
    case .mark: kind = operatorName.flatMap { name in reason.map { .mark(operatorName: name, reason: $0) } }
    case .clear: kind = operatorName.map { .clear(operatorName: $0) }
    case .ack: kind = operatorName.map { .acknowledge(operatorName: $0) }
    case .claim: kind = operatorName.map { .claim(operatorName: $0) }
    // `claimed_by` was added later: older journals have none.
    case .release:
      kind = .release(operatorName: operatorName, claimedBy: fields.claimedBy.map { OperatorText.clamped($0, as: .operatorName) })
    case .headcount:
      if let count = inRange(fields.count), let source = fields.source.flatMap(HeartbeatSource.init(rawValue:)) {
        kind = .headcount(count: count, source: source, operatorName: operatorName, peak: inRange(fields.peak))
      } else {
        kind = nil
      }
    case .flapping: kind = fields.on.map { .flapping($0) }
    case .help: kind = fields.on.map { .help($0) }
    case .gap:
      if let dropped = fields.dropped, dropped >= 0, let until = fields.until, UnixTime(seconds: until) != nil {
        kind = .gap(dropped: dropped, until: until)
      } else {
        kind = nil
      }
    case .clock: kind = fields.step.flatMap { abs($0) <= UnixTime.maximumStep ? .clock(step: $0) : nil }
    case .bridge:
      // Written with `source: bridge`; a line without it is taken too (only the bridge writes this type).
      kind = fields.on.map { .bridge(inBridge: $0) }
    case .bridgeQuality:
      // A verdict this build does not know is refused as a bad field, not guessed at.
      if let word = fields.to {
        kind = BridgeVerdict(rawValue: word).map { .bridgeQuality(verdict: $0.rawValue) }
      } else {
        kind = .bridgeQuality(verdict: nil)
      }
    case .bridgeDisagreement:
      // A disagreement this build does not know is refused as a bad field, not guessed at.
      if let word = fields.to {
        kind = BridgeDisagreement(journalWord: word).map { .bridgeDisagreement($0.journalWord) }
      } else {
        kind = .bridgeDisagreement(nil)
      }
    case .countFile:
      // The reason is the agent's word for the problem (a `CountFileProblem`); one this build does not know is kept.
      kind = fields.on.map { .countFile(problem: $0 ? OperatorText.clamped(fields.reason ?? "other", as: .note) : nil) }
    case .role:
      // The merge of two journals decides who spoke from these: a value it does not know cannot be guessed at.
      if let role = fields.role, !JournalRecord.roles.contains(role) {
        return .failure(
          JournalLineError("unknown role \"\(TextSanitizer.printable(String(role.prefix(40))))\" (known: primary, standby, replaced)"))
      }
      kind = fields.role.map { .role($0, note: OperatorText.clamped(fields.reason ?? "", as: .note)) }
    }
    if let madeAt = fields.madeAt, !(madeAt > 0 && UnixTime(seconds: madeAt) != nil) {
      return .failure(JournalLineError("\"made_at\": \(UnixTime.problem(madeAt) ?? "not after 1970")"))
    }
    guard let kind else { return .failure(JournalLineError("a \"\(type)\" record with missing or bad fields")) }
    let needsSite: Bool =
      switch kind {
      case .start, .stop, .gap, .clock, .role: false
      default: true
      }
    if needsSite && fields.site == nil { return .failure(JournalLineError("a \"\(type)\" record without \"site\"")) }
    return .success(JournalRecord(unixSeconds: time, site: needsSite ? fields.site : nil, kind: kind, madeAt: fields.madeAt))
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
  static func named(_ name: String) -> SiteStatus? {
    switch name {
    case "unknown": .unknown
    case "online": .online
    case "late": .late
    case "offline": .offline
    case "marked": .marked
    default: nil
    }
  }
}
