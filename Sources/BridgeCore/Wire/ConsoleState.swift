/// The whole state at `revision`: every site, in the facts' order.
public struct ConsoleSnapshot: Sendable, Equatable, Codable {
  public var revision: UInt64
  public var taken: ConsoleClock
  public var sites: [ConsoleSite]
  public var status: ConsoleMonitorStatus
  /// The monitor's latest events, oldest first, so a console attaching mid-conference starts with a log.
  public var events: [ConsoleEvent]?
  /// The conference bridges (absent without `bridges:`, and from monitors before it): `ConsoleBridge`.
  public var bridge: ConsoleBridge?

  public init(
    revision: UInt64, taken: ConsoleClock, sites: [ConsoleSite], status: ConsoleMonitorStatus, events: [ConsoleEvent]? = nil,
    bridge: ConsoleBridge? = nil
  ) {
    self.revision = revision
    self.taken = taken
    self.sites = sites
    self.status = status
    self.events = events
    self.bridge = bridge
  }

  enum CodingKeys: String, CodingKey { case revision, taken, sites, rows, status, events, bridge }

  /// For a console that reads rows (`ConsoleRows`), the sites a row holds travel in `rows`, the rest in `sites`;
  /// decoded, `sites` holds them all again, in the facts' order.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    revision = try container.decode(UInt64.self, forKey: .revision)
    taken = try container.decode(ConsoleClock.self, forKey: .taken)
    sites = try container.decode([ConsoleSite].self, forKey: .sites)
    if let rows = try container.decodeIfPresent(String.self, forKey: .rows) {
      switch ConsoleRows.decodeRecords(rows) {
      case .success(let fromRows):
        sites += fromRows
        sites.sort { $0.index < $1.index }
      case .failure(let problem):
        throw DecodingError.dataCorruptedError(forKey: .rows, in: container, debugDescription: problem.description)
      }
    }
    status = try container.decode(ConsoleMonitorStatus.self, forKey: .status)
    events = try container.decodeIfPresent([ConsoleEvent].self, forKey: .events)
    bridge = try container.decodeIfPresent(ConsoleBridge.self, forKey: .bridge)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(revision, forKey: .revision)
    try container.encode(taken, forKey: .taken)
    if ConsoleRows.wanted(by: encoder) {
      let fitting = sites.map(ConsoleRows.fits)
      try container.encode(zip(sites, fitting).filter { !$0.1 }.map(\.0), forKey: .sites)
      let rows = ConsoleRows.encode(records: zip(sites, fitting).lazy.filter(\.1).map(\.0), count: fitting.count { $0 })
      try container.encode(rows, forKey: .rows)
    } else {
      try container.encode(sites, forKey: .sites)
    }
    try container.encode(status, forKey: .status)
    try container.encodeIfPresent(events, forKey: .events)
    try container.encodeIfPresent(bridge, forKey: .bridge)
  }
}

/// What changed from `base` to `revision`: sites whose state changed (whole), sites only heard again (`beats`,
/// compact: a national conference hears every site every second), and the events in between.
public struct ConsoleDelta: Sendable, Equatable, Codable {
  public var revision: UInt64
  public var base: UInt64
  public var taken: ConsoleClock
  public var sites: [ConsoleSite]
  public var beats: ConsoleBeats
  public var events: [ConsoleEvent]
  public var status: ConsoleMonitorStatus
  /// What of the bridges changed since `base` (absent: nothing).
  public var bridge: ConsoleBridge?

  public init(
    revision: UInt64, base: UInt64, taken: ConsoleClock, sites: [ConsoleSite], beats: ConsoleBeats, events: [ConsoleEvent],
    status: ConsoleMonitorStatus, bridge: ConsoleBridge? = nil
  ) {
    self.bridge = bridge
    self.revision = revision
    self.base = base
    self.taken = taken
    self.sites = sites
    self.beats = beats
    self.events = events
    self.status = status
  }
}

/// The monitor's own state beside the sites': ingest counters, journal trouble, the clock.
public struct ConsoleMonitorStatus: Sendable, Equatable, Codable {
  public var counters: IngestCounters
  public var journalProblem: String?
  public var clockNote: ClockNote?
  /// Consoles attached now.
  public var consoles: Int
  public var role: MonitorRole?

  public init(counters: IngestCounters, journalProblem: String?, clockNote: ClockNote?, consoles: Int, role: MonitorRole? = nil) {
    self.counters = counters
    self.journalProblem = journalProblem
    self.clockNote = clockNote
    self.consoles = consoles
    self.role = role
  }

  enum CodingKeys: String, CodingKey { case counters, journalProblem = "journal_problem", clockNote = "clock", consoles, role }
}

public struct ConsoleDetail: Sendable, Equatable, Codable {
  public var history: SiteHistoryView?
  public init(history: SiteHistoryView?) { self.history = history }
}

/// A reading of the monitor's clocks, as `[monotonic nanoseconds, unix seconds]`.
public struct ConsoleClock: Sendable, Equatable, Codable {
  public var reading: ClockReading
  public init(_ reading: ClockReading) { self.reading = reading }

  /// Monotonic readings are nanoseconds since boot: far below this, so that differences of two never overflow.
  public static let monotonicLimit: Int64 = 1 << 62

  public init(from decoder: any Decoder) throws {
    var container = try decoder.unkeyedContainer()
    let nanos = try container.decode(Int64.self)
    guard (0...Self.monotonicLimit).contains(nanos) else {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "monotonic time \(nanos) out of range")
    }
    reading = ClockReading(monotonicNanos: nanos, unixSeconds: try container.decode(UnixTime.self).seconds)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.unkeyedContainer()
    try container.encode(reading.monotonicNanos)
    try container.encode(reading.unixSeconds)
  }
}

/// An event as sent: the site by its index in the facts.
public struct ConsoleEvent: Sendable, Equatable, Codable {
  public var event: EngineEvent
  public init(_ event: EngineEvent) { self.event = event }

  enum CodingKeys: String, CodingKey { case site, time, kind }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    event = EngineEvent(
      time: try container.decode(ConsoleClock.self, forKey: .time).reading, siteIndex: try container.decode(Int.self, forKey: .site),
      kind: try container.decode(EngineEvent.Kind.self, forKey: .kind))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(event.siteIndex, forKey: .site)
    try container.encode(ConsoleClock(event.time), forKey: .time)
    try container.encode(event.kind, forKey: .kind)
  }
}
