/// What the monitor believes about a site. Raw values index `StatusCounts`.
public enum SiteStatus: Int, CaseIterable, Sendable, CustomStringConvertible {
  case unknown, online, late, offline, marked

  public var description: String {
    switch self {
    case .unknown: "unknown"
    case .online: "online"
    case .late: "late"
    case .offline: "offline"
    case .marked: "marked"
    }
  }

  /// Higher is worse; used for a group's worst status and the severity sort.
  public var severity: Int {
    switch self {
    case .online: 0
    case .unknown: 1
    case .marked: 2
    case .late: 3
    case .offline: 4
    }
  }
}

/// How a heartbeat or headcount reached the monitor.
public enum HeartbeatSource: String, Sendable, Codable {
  /// `probe`: the monitor's own SIP OPTIONS, TCP connect or ICMP echo was answered. `checkin`: someone at the
  /// site sent the check-in page (a site without an agent).
  case udp, file, manual, probe, checkin

  /// A count a person typed (an operator, or the site's organiser on the check-in page): it carries who typed it,
  /// is journaled at once, and stands until a newer heartbeat reports a count.
  public var isTypedByPerson: Bool { self == .manual || self == .checkin }
}

public struct SiteFlags: OptionSet, Sendable, Hashable, Codable {
  public let rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  /// The site sent `state=help`.
  public static let helpRequested = SiteFlags(rawValue: 1 << 0)
  /// The site sent `state=degraded`.
  public static let degraded = SiteFlags(rawValue: 1 << 1)
  /// Many status changes in a short window.
  public static let flapping = SiteFlags(rawValue: 1 << 2)
  /// The heartbeat file exists but its content does not parse.
  public static let badHeartbeatFile = SiteFlags(rawValue: 1 << 3)
  /// The heartbeat file cannot be read (permission, directory, loop, too large).
  public static let heartbeatFileError = SiteFlags(rawValue: 1 << 4)
  /// Heartbeats arrived after an operator marked the site offline.
  public static let heardWhileMarked = SiteFlags(rawValue: 1 << 5)
}

/// An operator's override: the site is offline whatever heartbeats say, until cleared.
public struct OperatorMark: Sendable, Hashable, Codable {
  public var operatorName: String
  public var reason: String
  public var unixSeconds: Double

  public init(operatorName: String, reason: String, unixSeconds: Double) {
    self.operatorName = operatorName
    self.reason = reason
    self.unixSeconds = unixSeconds
  }

  enum CodingKeys: String, CodingKey { case operatorName = "operator", reason, unixSeconds = "at" }
}

/// Who made an operator decision that has no other fields (a headcount set by hand, a claim), and when (unix
/// seconds).
public struct OperatorStamp: Sendable, Hashable, Codable {
  public var operatorName: String
  public var unixSeconds: Double

  public init(operatorName: String, unixSeconds: Double) {
    self.operatorName = operatorName
    self.unixSeconds = unixSeconds
  }

  enum CodingKeys: String, CodingKey { case operatorName = "operator", unixSeconds = "at" }
}

/// One accepted heartbeat, already authenticated and attributed to a site.
public struct HeartbeatInput: Sendable, Hashable {
  public var source: HeartbeatSource
  public var sequence: UInt64?
  public var count: Int?
  public var state: ReportedState?
  public var rttMilliseconds: Int?
  /// The sender's `ts`, when it sent one.
  public var senderTimestamp: UInt64?
  /// The site's agent refused its count file (`count_problem=`).
  public var countProblem: CountFileProblem?

  public init(
    source: HeartbeatSource, sequence: UInt64? = nil, count: Int? = nil, state: ReportedState? = nil,
    rttMilliseconds: Int? = nil, senderTimestamp: UInt64? = nil, countProblem: CountFileProblem? = nil
  ) {
    self.countProblem = countProblem
    self.source = source
    self.sequence = sequence
    self.count = count
    self.state = state
    self.rttMilliseconds = rttMilliseconds
    self.senderTimestamp = senderTimestamp
  }
}

/// Everything the engine tracks for one site. Read-only outside the engine.
public struct SiteRecord: Sendable {
  public internal(set) var status: SiteStatus = .unknown
  /// The status heartbeats alone imply; equals `status` unless the site is marked.
  public internal(set) var heartbeatStatus: SiteStatus = .unknown
  public internal(set) var statusSince: ClockReading?
  public internal(set) var lastHeard: ClockReading?
  /// Set for a site heard before a restart and not since: its silence counts from the restart, so a site that
  /// died with the old run becomes offline (an alert) instead of staying `unknown` for ever.
  public internal(set) var awaitedSince: ClockReading?
  public internal(set) var lastSource: HeartbeatSource?
  public internal(set) var headcount: Int?
  public internal(set) var headcountSource: HeartbeatSource?
  public internal(set) var headcountAt: ClockReading?
  public internal(set) var lastSequence: UInt64?
  public internal(set) var lastSenderTimestamp: UInt64?
  public internal(set) var rttMilliseconds: Int?
  /// What the last probe of a probed site found, and when it was sent.
  public internal(set) var probeOutcome: ProbeOutcome?
  public internal(set) var probeAt: ClockReading?
  /// The site's agent cannot use its count file ("count file unreadable"), and why, as its latest heartbeat said;
  /// inline (one byte), not in `rare`, since an agent may say it in every heartbeat.
  public internal(set) var countProblem: CountFileProblem?
  public internal(set) var flags: SiteFlags = []
  public internal(set) var mark: OperatorMark? {
    get { rare?.fields.mark }
    set { if newValue != mark { changeRare { $0.mark = newValue } } }
  }
  public internal(set) var acknowledgedBy: String? {
    get { rare?.fields.acknowledgedBy }
    set { if newValue != acknowledgedBy { changeRare { $0.acknowledgedBy = newValue } } }
  }
  /// Who set the headcount by hand and when, while `headcountSource` is `manual` (nil for a count restored from a
  /// journal written before that was kept).
  public internal(set) var headcountSetBy: OperatorStamp? {
    get { rare?.fields.headcountSetBy }
    set { if newValue != headcountSetBy { changeRare { $0.headcountSetBy = newValue } } }
  }
  /// Who is handling the site ("I'm on it"), until released or the site is back online.
  public internal(set) var claim: SiteClaim? {
    get { rare?.fields.claim }
    set { if newValue != claim { changeRare { $0.claim = newValue } } }
  }
  /// Datagrams that named this site and were refused (a wrong key, a replay, a clock far off).
  public internal(set) var rejection: SiteRejection? {
    get { rare?.fields.rejection }
    set { if newValue != rejection { changeRare { $0.rejection = newValue } } }
  }
  /// Heartbeats received and implied missing (by sequence gaps) over a recent, decaying window.
  public internal(set) var receivedCount: UInt32 = 0
  public internal(set) var missedCount: UInt32 = 0
  /// Fresh heartbeats so far towards leaving offline.
  public internal(set) var recoveryStreak: Int = 0
  var flapTimes: FlapHistory {
    get { rare?.fields.flapTimes ?? FlapHistory() }
    set { changeRare { $0.flapTimes = newValue } }
  }
  /// The fields that hold heap storage and change rarely (an operator's action, a status change), in one shared
  /// box, nil while they are all empty. The records are copied whole after each snapshot (7,400 at national
  /// scale, every second at load); with these inline, each copy retained up to five references.
  private var rare: RareSiteFields?

  public init() {}

  private mutating func changeRare(_ change: (inout RareSiteFields.Fields) -> Void) {
    var fields = rare?.fields ?? RareSiteFields.Fields()
    change(&fields)
    rare = fields.isEmpty ? nil : RareSiteFields(fields)
  }

  /// Loss in percent implied by sequence gaps, nil before two sequenced heartbeats.
  public var lossPercent: Double? {
    let total = receivedCount + missedCount
    guard total >= 2 else { return nil }
    return Double(missedCount) * 100 / Double(total)
  }

  public var isAcknowledged: Bool { acknowledgedBy != nil }

  /// The site's latest datagrams are refused: it tries to connect and fails (a rejection since it was last heard).
  public var isRejectedNow: Bool {
    guard let rejection else { return false }
    return lastHeard.map { rejection.lastAt.monotonicNanos > $0.monotonicNanos } ?? true
  }
}

/// Datagrams that named a site of the roster and were refused: the site is trying, and the control room must see
/// that it fails and why, on its row, not only as a counter.
public struct SiteRejection: Sendable, Hashable, Codable {
  public var reason: RejectionReason
  /// Refused since the monitor started (saturating).
  public var count: UInt32
  public var lastAt: ClockReading
  /// The sender's address, as the monitor saw it.
  public var source: String

  public init(reason: RejectionReason, count: UInt32, lastAt: ClockReading, source: String) {
    self.reason = reason
    self.count = count
    self.lastAt = lastAt
    self.source = source
  }

  enum CodingKeys: String, CodingKey { case reason, count, lastAt = "at", source = "from" }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    reason = try container.decode(RejectionReason.self, forKey: .reason)
    count = try container.decode(UInt32.self, forKey: .count)
    lastAt = try container.decode(ConsoleClock.self, forKey: .lastAt).reading
    source = String(TextSanitizer.printable(try container.decode(String.self, forKey: .source)).prefix(64))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(reason, forKey: .reason)
    try container.encode(count, forKey: .count)
    try container.encode(ConsoleClock(lastAt), forKey: .lastAt)
    try container.encode(source, forKey: .source)
  }
}

/// A record's rarely set fields, immutable: a change makes a new box, so copies of the record never share a
/// mutation.
final class RareSiteFields: Sendable {
  struct Fields: Sendable {
    var mark: OperatorMark?
    var acknowledgedBy: String?
    var claim: SiteClaim?
    var headcountSetBy: OperatorStamp?
    var flapTimes = FlapHistory()
    var rejection: SiteRejection?

    var isEmpty: Bool {
      mark == nil && acknowledgedBy == nil && claim == nil && headcountSetBy == nil && flapTimes.isEmpty && rejection == nil
    }
  }

  let fields: Fields

  init(_ fields: Fields) { self.fields = fields }
}

/// Times of the latest status changes, newest last, in a fixed-size ring.
struct FlapHistory: Sendable {
  static let capacity = StatusEngine.maximumFlapChanges
  private var times: [Int64] = []
  private var next = 0

  mutating func record(_ nanos: Int64) {
    if times.count < Self.capacity {
      times.append(nanos)
    } else {
      times[next] = nanos
      next = (next + 1) % Self.capacity
    }
  }

  func count(since nanos: Int64) -> Int { times.reduce(0) { $0 + ($1 >= nanos ? 1 : 0) } }

  var isEmpty: Bool { times.isEmpty }
}
