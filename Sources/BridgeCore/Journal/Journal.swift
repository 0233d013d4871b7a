import Foundation
import Synchronization

/// One line of the journal (docs/JOURNAL.md is the contract): a status change, an operator action, a headcount
/// sample, or the monitor starting and stopping.
public struct JournalRecord: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    case start(sites: Int)
    case stop
    /// `source`: how the heartbeat that caused it came (`udp`, `file`, `probe`), when `cause` is `heartbeat`.
    case status(from: SiteStatus, to: SiteStatus, cause: String, source: HeartbeatSource? = nil)
    case mark(operatorName: String, reason: String)
    case clear(operatorName: String)
    case acknowledge(operatorName: String)
    /// `operatorName` only for a headcount set by hand. `peak`: the highest count reported since the previous
    /// sample when it was above `count` (samples are at most one per 10 s; the peak must not fall between them).
    case headcount(count: Int, source: HeartbeatSource, operatorName: String?, peak: Int? = nil)
    case claim(operatorName: String)
    /// `operatorName` nil: ended by itself, the site back online.
    case release(operatorName: String?)
    case flapping(Bool)
    case help(Bool)
    /// `dropped` status changes and headcount samples, from this record's time to `until`, could not be written
    /// (the journal's disk was full or the file was gone) and were dropped to keep the backlog bounded.
    case gap(dropped: Int, until: Double)
    /// The monitor's wall clock stepped by `step` seconds (positive: forward) just before this record's time. The
    /// report re-bases the run's earlier times onto the clock after the step.
    case clock(step: Double)
    /// The monitor's role from here on (standby at a start with --follow, primary when promoted, replaced when it
    /// learns its standby was promoted), and why: `report --journal A --journal B` takes each stretch from the
    /// monitor that was primary.
    case role(String, note: String)
  }

  public var unixSeconds: Double
  /// The site id; nil for start and stop.
  public var site: String?
  public var kind: Kind
  /// When the operator made this action, for one journaled later than that (`made_at`): a standby that learns of
  /// it in a resync, or catches up after its link was down, journals it at its own time so its journal never
  /// goes back in time, and keeps the original time here.
  public var madeAt: Double?

  public init(unixSeconds: Double, site: String?, kind: Kind, madeAt: Double? = nil) {
    self.unixSeconds = unixSeconds
    self.site = site
    self.kind = kind
    self.madeAt = madeAt
  }

  /// When the action was made: `made_at` if it was journaled later, else its time.
  public var actionTime: Double { madeAt ?? unixSeconds }

  /// The record as it was journaled where the action was made (at its own time): the same action copied later by a
  /// standby compares equal to the primary's.
  public var asMade: JournalRecord { JournalRecord(unixSeconds: actionTime, site: site, kind: kind) }

  /// The values of a `role` record.
  public static let roles: Set<String> = ["primary", "standby", "replaced"]

  /// Operator actions are fsynced before the screen confirms them; the rest may wait for the next batch.
  public var isOperatorAction: Bool {
    switch kind {
    case .mark, .clear, .acknowledge, .claim: true
    case .release(let operatorName): operatorName != nil
    case .headcount(_, let source, _, _): source == .manual
    default: false
    }
  }

  /// Never dropped from a full backlog: operator actions, and what the report needs to place everything else in
  /// time (starts, stops, clock steps).
  public var isNeverDropped: Bool {
    switch kind {
    case .start, .stop, .clock, .role: true
    default: isOperatorAction
    }
  }

  /// The journal records for an engine event, if it is one the journal keeps. `heardBy`: how the site was last
  /// heard, recorded with a status change a heartbeat caused.
  public static func records(for event: EngineEvent, sites: [SiteConfig], heardBy: HeartbeatSource? = nil) -> [JournalRecord] {
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
      let source = cause == .heartbeat ? heardBy : nil
      records.append(JournalRecord(unixSeconds: time, site: site, kind: .status(from: from, to: to, cause: causeName, source: source)))
      return records
    case .acknowledged(let operatorName):
      return [JournalRecord(unixSeconds: time, site: site, kind: .acknowledge(operatorName: operatorName))]
    case .headcountSet(let count, let operatorName):
      return [JournalRecord(unixSeconds: time, site: site, kind: .headcount(count: count, source: .manual, operatorName: operatorName))]
    case .claimed(let operatorName):
      return [JournalRecord(unixSeconds: time, site: site, kind: .claim(operatorName: operatorName))]
    case .claimReleased(let operatorName):
      return [JournalRecord(unixSeconds: time, site: site, kind: .release(operatorName: operatorName))]
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
    case .release(let operatorName):
      if let operatorName {
        out.raw(",\"operator\":")
        out.string(OperatorText.clamped(operatorName, as: .operatorName))
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
    }
  }

  /// Decodes one line; the error says what is wrong with it.
  public static func decode(_ line: Substring) -> Result<JournalRecord, JournalLineError> {
    var line = line
    return line.withUTF8 { decode(bytes: $0) }
  }

  /// Decodes one line's bytes (without its line break).
  public static func decode(bytes line: UnsafeBufferPointer<UInt8>) -> Result<JournalRecord, JournalLineError> {
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
    case .release: kind = .release(operatorName: operatorName)
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

/// Reads a journal a piece at a time, handing over each record as its line completes: a journal of two national
/// days (two million lines) is never held in memory whole, as bytes or as records. What was wrong with it is
/// kept apart, counted, with the first few lines named.
public struct JournalScanner: Sendable {
  /// Longer lines are bad lines and are not buffered: a hostile file must not make the reader grow without bound.
  public static let maximumLineLength = 1 << 16
  /// Bad and unknown-type lines named; the rest are only counted.
  public static let namedLineLimit = 20

  public private(set) var lineCount = 0
  public private(set) var recordCount = 0
  /// Complete lines that could not be decoded: line number and reason (the first `namedLineLimit`).
  public private(set) var badLines: [(line: Int, error: JournalLineError)] = []
  public private(set) var badLineCount = 0
  /// Lines of record types this version does not know (a newer monitor wrote them); the first few.
  public private(set) var unknownTypeLines: [(line: Int, error: JournalLineError)] = []
  public private(set) var unknownTypeLineCount = 0
  /// Bytes after the last line break that do not decode: a write cut short (a power cut). Its line number.
  public private(set) var tornLine: Int?
  /// Where the whole lines end; a torn tail starts here.
  public private(set) var validLength = 0
  /// The last record is whole but has no line break after it.
  public private(set) var endsWithoutLineBreak = false
  public private(set) var bytesRead = 0
  /// Bytes of the line in progress, when it spans pieces.
  private var partial: [UInt8] = []
  private var partialTooLong = false

  public init() {}

  /// Takes the next piece of the file; `visit` gets each record whose line ends in it.
  public mutating func feed(_ piece: UnsafeBufferPointer<UInt8>, _ visit: (JournalRecord) -> Void) {
    guard let base = piece.baseAddress else { return }
    var lineStart = 0
    while lineStart < piece.count {
      guard let found = memchr(base + lineStart, 0x0A, piece.count - lineStart) else { break }
      let end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
      if partial.isEmpty && !partialTooLong {
        takeLine(UnsafeBufferPointer(rebasing: piece[lineStart..<end]), visit)
      } else {
        keepPartial(UnsafeBufferPointer(rebasing: piece[lineStart..<end]))
        takePartialLine(visit)
      }
      lineStart = end + 1
      validLength = bytesRead + lineStart
    }
    keepPartial(UnsafeBufferPointer(rebasing: piece[lineStart...]))
    bytesRead += piece.count
  }

  /// The end of the file: a last line without a line break is kept if whole, else set apart as torn.
  public mutating func finish(_ visit: (JournalRecord) -> Void) {
    guard !partial.isEmpty || partialTooLong else { return }
    lineCount += 1
    let decoded = partialTooLong ? nil : partial.withUnsafeBufferPointer { try? JournalCodec.decode(bytes: $0).get() }
    if let decoded {
      recordCount += 1
      visit(decoded)
      validLength = bytesRead
      endsWithoutLineBreak = true
    } else {
      tornLine = lineCount
    }
    partial = []
    partialTooLong = false
  }

  private mutating func keepPartial(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard !bytes.isEmpty, !partialTooLong else { return }
    if partial.count + bytes.count > Self.maximumLineLength {
      partialTooLong = true
      partial = []
    } else {
      partial.append(contentsOf: bytes)
    }
  }

  private mutating func takePartialLine(_ visit: (JournalRecord) -> Void) {
    if partialTooLong {
      lineCount += 1
      noteBad(JournalLineError("longer than \(NumberText.grouped(Self.maximumLineLength)) bytes"))
    } else {
      partial.withUnsafeBufferPointer { takeLine($0, visit) }
    }
    partial.removeAll(keepingCapacity: true)
    partialTooLong = false
  }

  private mutating func takeLine(_ line: UnsafeBufferPointer<UInt8>, _ visit: (JournalRecord) -> Void) {
    lineCount += 1
    if line.isEmpty { return }
    if line.count > Self.maximumLineLength {
      noteBad(JournalLineError("longer than \(NumberText.grouped(Self.maximumLineLength)) bytes"))
      return
    }
    switch JournalCodec.decode(bytes: line) {
    case .success(let record):
      recordCount += 1
      visit(record)
    case .failure(let error) where error.isUnknownType:
      unknownTypeLineCount += 1
      if unknownTypeLines.count < Self.namedLineLimit { unknownTypeLines.append((lineCount, error)) }
    case .failure(let error): noteBad(error)
    }
  }

  private mutating func noteBad(_ error: JournalLineError) {
    badLineCount += 1
    if badLines.count < Self.namedLineLimit { badLines.append((lineCount, error)) }
  }

  /// Reads the whole of `fd`, a megabyte at a time. `progress` gets the bytes read so far after each piece.
  /// Returns errno if a read fails.
  public mutating func read(fd: Int32, visit: (JournalRecord) -> Void, progress: (Int) -> Void = { _ in }) -> Int32? {
    var total = 0
    return read(fd: fd, from: 0, to: .max, visit: visit) { count in
      total += count
      progress(total)
    }
  }
}

/// Something computed from a journal's records in order, that can be computed for consecutive stretches of the
/// journal apart (on all cores) and joined: `a` over the first stretch, then `append(b)` over the next, is the
/// same as one fold over both.
public protocol JournalFold: Sendable {
  mutating func take(_ record: JournalRecord)
  mutating func append(_ later: Self)
}

extension JournalScanner {
  /// This scan followed by `later`, the scan of the bytes right after the ones this one read (which end with a
  /// line break).
  public mutating func append(_ later: JournalScanner) {
    let lines = lineCount
    for (line, error) in later.badLines where badLines.count < Self.namedLineLimit { badLines.append((line + lines, error)) }
    for (line, error) in later.unknownTypeLines where unknownTypeLines.count < Self.namedLineLimit {
      unknownTypeLines.append((line + lines, error))
    }
    badLineCount += later.badLineCount
    unknownTypeLineCount += later.unknownTypeLineCount
    tornLine = later.tornLine.map { $0 + lines }
    validLength = bytesRead + later.validLength
    if later.bytesRead > 0 { endsWithoutLineBreak = later.endsWithoutLineBreak }
    bytesRead += later.bytesRead
    lineCount += later.lineCount
    recordCount += later.recordCount
  }

  /// Reads the `size` bytes of `fd` as `stretches` stretches split at line breaks, each on its own thread with
  /// its own copy of `fold`, and joins them in order. `progress` gets the bytes read so far, from one thread.
  /// Returns errno if a read fails.
  public static func read<Fold: JournalFold>(
    fd: Int32, size: Int, stretches: Int, fold: Fold, progress: @escaping @Sendable (Int) -> Void = { _ in }
  ) -> Result<(JournalScanner, Fold), ReadError> {
    // Each stretch starts right after a line break, so no line is split between two readers.
    var bounds = [0]
    for part in 1..<max(stretches, 1) {
      guard let next = lineStart(fd: fd, after: max(size * part / stretches, bounds.last!), size: size) else { break }
      if next > bounds.last! && next < size { bounds.append(next) }
    }
    bounds.append(size)
    let count = bounds.count - 1
    let starts = bounds
    let results = Mutex<[Int: (JournalScanner, Fold, Int32?)]>([:])
    let total = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: count) { part in
      var scanner = JournalScanner()
      var mine = fold
      let failure = scanner.read(fd: fd, from: starts[part], to: starts[part + 1], visit: { mine.take($0) }) { read in
        let sum = total.add(read, ordering: .relaxed).newValue
        if part == 0 { progress(sum) }
      }
      results.withLock { $0[part] = (scanner, mine, failure) }
    }
    return results.withLock { parts -> Result<(JournalScanner, Fold), ReadError> in
      var (scanner, joined, failure) = parts[0]!
      if let failure { return .failure(ReadError(errno: failure)) }
      for part in 1..<count {
        let (later, laterFold, laterFailure) = parts[part]!
        if let laterFailure { return .failure(ReadError(errno: laterFailure)) }
        scanner.append(later)
        joined.append(laterFold)
      }
      return .success((scanner, joined))
    }
  }

  public struct ReadError: Error, Sendable {
    public var errno: Int32
  }

  /// Where the first line starting after `offset` begins, or nil when a read fails.
  private static func lineStart(fd: Int32, after offset: Int, size: Int) -> Int? {
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var position = offset
    while position < size {
      let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(position)) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return count == 0 ? size : nil }
      if let index = buffer[0..<count].firstIndex(of: 0x0A) { return position + index + 1 }
      position += count
    }
    return size
  }

  /// Reads bytes `start..<end` of `fd` (or to its end) with pread, a megabyte at a time; `progress` gets the bytes
  /// just read.
  mutating func read(fd: Int32, from start: Int, to end: Int, visit: (JournalRecord) -> Void, progress: (Int) -> Void) -> Int32? {
    let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 20)
    defer { buffer.deallocate() }
    var position = start
    while position < end {
      let count = pread(fd, buffer.baseAddress, min(buffer.count, end - position), off_t(position))
      if count < 0 && errno == EINTR { continue }
      if count < 0 { return errno }
      if count == 0 { break }
      feed(UnsafeBufferPointer(rebasing: buffer[0..<count]), visit)
      position += count
      progress(count)
    }
    finish(visit)
    return nil
  }
}

extension RestoredSite.Replay: JournalFold {
  public mutating func take(_ record: JournalRecord) { take(record, siteIndex: record.site.flatMap { siteIndex[$0] }) }
}

/// A journal's content held whole: for tests and small files. Large journals go through `JournalScanner`.
public struct JournalContent: Sendable {
  public var records: [JournalRecord] = []
  public var badLines: [(line: Int, error: JournalLineError)] = []
  public var unknownTypeLines: [(line: Int, error: JournalLineError)] = []
  public var tornLine: Int?
  public var validLength: Int = 0

  public init() {}

  public static func parse(_ bytes: [UInt8]) -> JournalContent {
    var content = JournalContent()
    var scanner = JournalScanner()
    bytes.withUnsafeBufferPointer { scanner.feed($0) { content.records.append($0) } }
    scanner.finish { content.records.append($0) }
    content.badLines = scanner.badLines
    content.unknownTypeLines = scanner.unknownTypeLines
    content.tornLine = scanner.tornLine
    content.validLength = scanner.validLength
    return content
  }
}

/// What a restarted monitor takes back from the journal: per site, the mark, the acknowledgement, and a
/// headcount set by hand that no heartbeat has replaced.
public struct RestoredSite: Sendable, Equatable {
  public var mark: OperatorMark?
  public var acknowledgedBy: String?
  public var manualHeadcount: Int?
  /// Who set it and when (nil in journals from before that was kept).
  public var manualHeadcountBy: OperatorStamp?
  /// The site was heard in an earlier run: if it stays silent after the restart, it is an outage, not `unknown`.
  public var wasHeard: Bool
  /// Someone was on the site and had not released it.
  public var claim: SiteClaim?

  public init(
    mark: OperatorMark? = nil, acknowledgedBy: String? = nil, manualHeadcount: Int? = nil, wasHeard: Bool = false,
    claim: SiteClaim? = nil, manualHeadcountBy: OperatorStamp? = nil
  ) {
    self.mark = mark
    self.acknowledgedBy = acknowledgedBy
    self.manualHeadcount = manualHeadcount
    self.manualHeadcountBy = manualHeadcountBy
    self.wasHeard = wasHeard
    self.claim = claim
  }

  /// Replays the records in order; sites no longer in the config are ignored (see `orphanMarks`).
  public static func replay(_ records: [JournalRecord], siteIndex: (String) -> Int?, siteCount: Int) -> [RestoredSite] {
    var replay = Replay(siteCount: siteCount)
    for record in records { replay.take(record, siteIndex: record.site.flatMap(siteIndex)) }
    return replay.sites
  }

  /// The replay one record at a time, as the journal is read. Each site keeps the last change of each thing a
  /// record can change, so the replays of two consecutive stretches of the journal compose (`append`): a long
  /// journal is read in pieces on all cores and the pieces' replays joined in order.
  public struct Replay: Sendable {
    /// The last value a stretch of the journal gave, or nothing (the value from before it stands).
    enum Change<Value: Sendable>: Sendable {
      case unchanged
      case set(Value)

      func after(_ earlier: Change) -> Change {
        if case .set = self { return self }
        return earlier
      }

      func value(or fallback: Value) -> Value {
        if case .set(let value) = self { return value }
        return fallback
      }
    }

    struct SiteChanges: Sendable {
      var mark = Change<OperatorMark?>.unchanged
      var acknowledgedBy = Change<String?>.unchanged
      var manualHeadcount = Change<Int?>.unchanged
      var manualHeadcountBy = Change<OperatorStamp?>.unchanged
      var wasHeard = false
      var claim = Change<SiteClaim?>.unchanged

      func after(_ earlier: SiteChanges) -> SiteChanges {
        SiteChanges(
          mark: mark.after(earlier.mark), acknowledgedBy: acknowledgedBy.after(earlier.acknowledgedBy),
          manualHeadcount: manualHeadcount.after(earlier.manualHeadcount),
          manualHeadcountBy: manualHeadcountBy.after(earlier.manualHeadcountBy), wasHeard: wasHeard || earlier.wasHeard,
          claim: claim.after(earlier.claim))
      }
    }

    private var changes: [SiteChanges]
    private var orphans: [String: Change<OperatorMark?>] = [:]
    private var orphanOrder: [String] = []
    /// Each site id's place in the config, for `take(_:)`.
    let siteIndex: [String: Int]

    public init(siteCount: Int) {
      changes = Array(repeating: SiteChanges(), count: siteCount)
      siteIndex = [:]
    }

    /// A replay for the config's `sites`, looking each record's site up by its id.
    public init(sites: [SiteConfig]) {
      changes = Array(repeating: SiteChanges(), count: sites.count)
      var index: [String: Int] = [:]
      for (position, site) in sites.enumerated() { index[site.id] = position }
      siteIndex = index
    }

    public var sites: [RestoredSite] {
      changes.map { site in
        RestoredSite(
          mark: site.mark.value(or: nil), acknowledgedBy: site.acknowledgedBy.value(or: nil),
          manualHeadcount: site.manualHeadcount.value(or: nil), wasHeard: site.wasHeard, claim: site.claim.value(or: nil),
          manualHeadcountBy: site.manualHeadcountBy.value(or: nil))
      }
    }

    /// Marks in force for sites the config no longer has, in the order they were made.
    public var orphanMarks: [(site: String, mark: OperatorMark)] {
      orphanOrder.compactMap { id in orphans[id].flatMap { $0.value(or: nil) }.map { (id, $0) } }
    }

    /// `siteIndex`: the record's site in the config, nil if it has none or the config no longer has it.
    public mutating func take(_ record: JournalRecord, siteIndex: Int?) {
      guard let index = siteIndex else {
        guard let id = record.site else { return }
        switch record.kind {
        case .mark(let operatorName, let reason):
          if !orphanOrder.contains(id) { orphanOrder.append(id) }
          orphans[id] = .set(OperatorMark(operatorName: operatorName, reason: reason, unixSeconds: record.actionTime))
        case .clear:
          if !orphanOrder.contains(id) { orphanOrder.append(id) }
          orphans[id] = .set(nil)
        default: break
        }
        return
      }
      switch record.kind {
      case .mark(let operatorName, let reason):
        changes[index].mark = .set(OperatorMark(operatorName: operatorName, reason: reason, unixSeconds: record.actionTime))
        changes[index].acknowledgedBy = .set(nil)
      case .clear:
        changes[index].mark = .set(nil)
      case .acknowledge(let operatorName):
        changes[index].acknowledgedBy = .set(operatorName)
      case .status(_, let to, _, _):
        if to == .online { changes[index].acknowledgedBy = .set(nil) }
        if to == .online || to == .late || to == .offline { changes[index].wasHeard = true }
      case .headcount(let count, let source, let operatorName, _):
        changes[index].manualHeadcount = .set(source == .manual ? count : nil)
        changes[index].manualHeadcountBy = .set(
          source == .manual ? operatorName.map { OperatorStamp(operatorName: $0, unixSeconds: record.actionTime) } : nil)
        if source != .manual { changes[index].wasHeard = true }
      case .claim(let operatorName):
        changes[index].claim = .set(SiteClaim(operatorName: operatorName, unixSeconds: record.actionTime))
      case .release:
        changes[index].claim = .set(nil)
      default: break
      }
    }

    /// This replay followed by `later`, the replay of the stretch of journal right after this one's.
    public mutating func append(_ later: Replay) {
      precondition(later.changes.count == changes.count, "replays of different configs")
      for index in changes.indices { changes[index] = later.changes[index].after(changes[index]) }
      for id in later.orphanOrder {
        if !orphanOrder.contains(id) { orphanOrder.append(id) }
        orphans[id] = (later.orphans[id] ?? .unchanged).after(orphans[id] ?? .unchanged)
      }
    }
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
      if let claim = record.claim {
        out.append(JournalRecord(unixSeconds: claim.unixSeconds, site: id, kind: .claim(operatorName: claim.operatorName)))
      }
    }
    return out
  }
}
