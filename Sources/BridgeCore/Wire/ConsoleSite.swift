/// One site's record as a console gets it. Short keys and absent nils: a 7,400-site snapshot stays near two
/// megabytes.
public struct ConsoleSite: Sendable, Equatable, Codable {
  public var index: Int
  public var status: SiteStatus
  public var heartbeatStatus: SiteStatus
  public var since: ConsoleClock?
  public var heard: ConsoleClock?
  public var awaited: ConsoleClock?
  public var source: HeartbeatSource?
  public var count: Int?
  public var countSource: HeartbeatSource?
  public var countAt: ConsoleClock?
  public var sequence: UInt64?
  public var senderTimestamp: UInt64?
  public var rtt: Int?
  public var flags: SiteFlags
  public var mark: OperatorMark?
  public var acknowledgedBy: String?
  public var claim: SiteClaim?
  public var received: UInt32
  public var missed: UInt32
  public var streak: Int
  /// A probed site's last probe: its outcome as a word (`answered` with `probe_code`, `connected`...) and when.
  public var probe: String?
  public var probeCode: Int?
  public var probeAt: ConsoleClock?
  /// Datagrams naming the site that were refused (absent from monitors before it).
  public var rejected: SiteRejection?
  /// The agent's count file problem as its word (absent when none, and from monitors before it); a word this
  /// console does not know reads as `other`.
  public var countProblem: String?

  enum CodingKeys: String, CodingKey {
    case index = "i", status, heartbeatStatus = "hb", since, heard, awaited, source, count, countSource = "count_source"
    case countAt = "count_at", sequence = "seq", senderTimestamp = "ts", rtt, flags, mark, acknowledgedBy = "ack", claim
    case received, missed, streak, probe, probeCode = "probe_code", probeAt = "probe_at", rejected
    case countProblem = "count_problem"
  }

  public init(_ record: SiteRecord, index: Int) {
    self.index = index
    status = record.status
    heartbeatStatus = record.heartbeatStatus
    since = record.statusSince.map(ConsoleClock.init)
    heard = record.lastHeard.map(ConsoleClock.init)
    awaited = record.awaitedSince.map(ConsoleClock.init)
    source = record.lastSource
    count = record.headcount
    countSource = record.headcountSource
    countAt = record.headcountAt.map(ConsoleClock.init)
    sequence = record.lastSequence
    senderTimestamp = record.lastSenderTimestamp
    rtt = record.rttMilliseconds
    flags = record.flags
    mark = record.mark
    acknowledgedBy = record.acknowledgedBy
    claim = record.claim
    received = record.receivedCount
    missed = record.missedCount
    streak = record.recoveryStreak
    probe = record.probeOutcome?.word
    probeCode = record.probeOutcome?.sipCode
    probeAt = record.probeAt.map(ConsoleClock.init)
    rejected = record.rejection
    countProblem = record.countProblem?.word
  }

  public var record: SiteRecord {
    var record = SiteRecord()
    record.status = status
    record.heartbeatStatus = heartbeatStatus
    record.statusSince = since?.reading
    record.lastHeard = heard?.reading
    record.awaitedSince = awaited?.reading
    record.lastSource = source
    record.headcount = count
    record.headcountSource = countSource
    record.headcountAt = countAt?.reading
    record.lastSequence = sequence
    record.lastSenderTimestamp = senderTimestamp
    record.rttMilliseconds = rtt
    record.flags = flags
    record.mark = mark
    record.acknowledgedBy = acknowledgedBy
    record.claim = claim
    record.receivedCount = received
    record.missedCount = missed
    record.recoveryStreak = streak
    record.probeOutcome = probe.flatMap { ProbeOutcome(word: $0, code: probeCode) }
    record.probeAt = probeAt?.reading
    record.rejection = rejected
    record.countProblem = countProblem.map { CountFileProblem(word: $0) }
    return record
  }

  /// How a site changed between two publishes, for a delta.
  public enum Change: Equatable {
    case none
    /// Only heard again: it travels in the compact beats.
    case beat
    /// Anything a person reads besides the beat: the whole record travels.
    case whole
  }

  public static func change(from old: SiteRecord, to new: SiteRecord) -> Change {
    if old.status != new.status || old.heartbeatStatus != new.heartbeatStatus || old.statusSince != new.statusSince
      || old.awaitedSince != new.awaitedSince || old.lastSource != new.lastSource || old.headcount != new.headcount
      || old.headcountSource != new.headcountSource || old.flags != new.flags || old.mark != new.mark
      || old.acknowledgedBy != new.acknowledgedBy || old.claim != new.claim || old.recoveryStreak != new.recoveryStreak
      || old.probeOutcome != new.probeOutcome || old.rejection != new.rejection || old.countProblem != new.countProblem
    {
      return .whole
    }
    // A headcount refreshed by this beat travels in the beat; set at any other time, it travels whole.
    if old.headcountAt != new.headcountAt && new.headcountAt != new.lastHeard { return .whole }
    if old.lastHeard != new.lastHeard || old.lastSequence != new.lastSequence || old.rttMilliseconds != new.rttMilliseconds
      || old.receivedCount != new.receivedCount || old.missedCount != new.missedCount
    {
      return new.lastHeard == nil ? .whole : .beat
    }
    return .none
  }
}

/// Sites heard again since the last delta, eight integers each (index, heard at in monotonic nanoseconds and in unix
/// milliseconds, sequence, round trip in milliseconds, received, missed, 1 when the beat refreshed the headcount
/// else 0; -1 for none) in one string: a national
/// conference hears every site every second, and decoding 7,400 objects a second would cost each console more
/// than drawing.
public struct ConsoleBeats: Sendable, Equatable, Codable {
  public struct Beat: Sendable, Equatable {
    public var index: Int
    public var heard: ClockReading
    public var sequence: UInt64?
    public var rtt: Int?
    public var received: UInt32
    public var missed: UInt32
    /// The beat carried the headcount the site already had: its time moves to `heard`.
    public var refreshedCount: Bool

    public init(
      index: Int, heard: ClockReading, sequence: UInt64?, rtt: Int?, received: UInt32, missed: UInt32, refreshedCount: Bool = false
    ) {
      self.index = index
      self.heard = heard
      self.sequence = sequence
      self.rtt = rtt
      self.received = received
      self.missed = missed
      self.refreshedCount = refreshedCount
    }
  }

  static let fieldsPerBeat = 8
  /// The encoded form: comma-separated integers.
  public private(set) var text: String

  public init() { text = "" }

  public init(_ beats: [Beat]) {
    var writer = IntegerWriter(capacity: beats.count * 48)
    for beat in beats {
      writer.append(Int64(beat.index))
      writer.append(ConsoleClock(beat.heard))
      writer.append(beat.sequence.map { Int64(clamping: $0) } ?? -1)
      writer.append(Int64(beat.rtt ?? -1))
      writer.append(Int64(beat.received))
      writer.append(Int64(beat.missed))
      writer.append(beat.refreshedCount ? 1 : 0)
    }
    text = writer.text
  }

  public init(from decoder: any Decoder) throws {
    text = try decoder.singleValueContainer().decode(String.self)
    guard beats() != nil else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "beats are not groups of eight integers"))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(text)
  }

  public var isEmpty: Bool { text.isEmpty }

  /// The beats, or nil when the text is not groups of eight integers in range.
  public func beats() -> [Beat]? {
    var values: [Int64] = []
    guard ConsoleRows.parseIntegers(text, into: &values) == nil else { return nil }
    guard values.count % Self.fieldsPerBeat == 0 else { return nil }
    var beats: [Beat] = []
    beats.reserveCapacity(values.count / Self.fieldsPerBeat)
    for start in stride(from: 0, to: values.count, by: Self.fieldsPerBeat) {
      let v = Array(values[start..<start + Self.fieldsPerBeat])
      guard v[0] >= 0, v[0] <= Int64(Int32.max), v[4] >= -1, v[4] <= Int64(Int32.max), v[5] >= 0, v[5] <= Int64(UInt32.max),
        v[6] >= 0, v[6] <= Int64(UInt32.max), v[3] >= -1, v[7] == 0 || v[7] == 1,
        (0...ConsoleClock.monotonicLimit).contains(v[1]), UnixTime(seconds: Double(v[2]) / 1000) != nil
      else { return nil }
      beats.append(
        Beat(
          index: Int(v[0]), heard: ClockReading(monotonicNanos: v[1], unixSeconds: Double(v[2]) / 1000),
          sequence: v[3] < 0 ? nil : UInt64(v[3]), rtt: v[4] < 0 ? nil : Int(v[4]), received: UInt32(v[5]), missed: UInt32(v[6]),
          refreshedCount: v[7] == 1))
    }
    return beats
  }
}

extension ConsoleBeats.Beat {
  /// Sets what the beat carries on `record`.
  public func apply(to record: inout SiteRecord) {
    record.lastHeard = heard
    record.lastSequence = sequence
    record.rttMilliseconds = rtt
    record.receivedCount = received
    record.missedCount = missed
    if refreshedCount { record.headcountAt = heard }
  }

  public init(_ record: SiteRecord, index: Int) {
    self.init(
      index: index, heard: record.lastHeard ?? ClockReading(monotonicNanos: 0, unixSeconds: 0), sequence: record.lastSequence,
      rtt: record.rttMilliseconds, received: record.receivedCount, missed: record.missedCount,
      refreshedCount: record.headcountAt != nil && record.headcountAt == record.lastHeard)
  }
}
