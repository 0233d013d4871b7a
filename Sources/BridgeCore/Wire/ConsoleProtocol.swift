import Foundation

/// The console protocol (docs/CONSOLE-PROTOCOL.md): one JSON object per line over the monitor's Unix socket.
/// The console says hello; the monitor answers with a welcome (the facts), a snapshot, then a delta per publish.
/// Everything here is data and its codec; the sockets are in BridgeMonitor.
public enum ConsoleProtocol {
  /// Bumped on any change an older peer would misread.
  public static let version = 1
  /// The longest line a console may send (a request is a few hundred bytes).
  public static let maximumClientLine = 64 * 1024
  /// The longest line a monitor may send: a snapshot of a very large conference is one line.
  public static let maximumMonitorLine = 64 * 1024 * 1024

  /// Encodes a message as one line, newline included.
  public static func encode(_ message: ConsoleMessage) -> [UInt8] {
    var bytes = Array((try? lineEncoder.encode(message)) ?? Data())
    bytes.append(0x0A)
    return bytes
  }

  /// Decodes one line (without its newline).
  public static func decode(_ line: some Collection<UInt8>) throws(ConsoleProtocolError) -> ConsoleMessage {
    guard String(validating: line, as: UTF8.self) != nil else { throw .malformed("not UTF-8") }
    do {
      return try JSONDecoder().decode(ConsoleMessage.self, from: Data(line))
    } catch let error as ConsoleProtocolError {
      throw error
    } catch let DecodingError.dataCorrupted(context) {
      throw .malformed(context.debugDescription)
    } catch let DecodingError.keyNotFound(key, _) {
      throw .malformed("missing \"\(key.stringValue)\"")
    } catch let DecodingError.typeMismatch(_, context) {
      throw .malformed("wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
    } catch let DecodingError.valueNotFound(_, context) {
      throw .malformed("null at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
    } catch {
      throw .malformed("\(error)")
    }
  }

  /// The version a hello line states when it is not ours (whatever else it holds); nil otherwise.
  public static func otherVersion(_ line: some Collection<UInt8>) -> Int? {
    guard let stated = try? JSONDecoder().decode(StatedVersion.self, from: Data(line)), stated.version != version else { return nil }
    return stated.version
  }

  private struct StatedVersion: Decodable { var version: Int }

  private static let lineEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    // Never "\/": a path reads as written; keys in one order, so the same state is the same line.
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    return encoder
  }()
}

public enum ConsoleProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
  case malformed(String)
  case unknownType(String)
  case lineTooLong(limit: Int)

  public var description: String {
    switch self {
    case .malformed(let why): "malformed message: \(why)"
    case .unknownType(let type): "unknown message type \"\(type)\""
    case .lineTooLong(let limit): "message longer than \(limit) bytes"
    }
  }
}

/// Every message either side sends. A line's `type` says which.
public enum ConsoleMessage: Sendable, Equatable {
  /// Console → monitor, first: who it is and what it wants.
  case hello(ConsoleHello)
  /// Monitor → console, after a hello it accepts: the facts of the conference.
  case welcome(ConsoleWelcome)
  /// Monitor → console, then the connection closes: why the console cannot attach.
  case refused(ConsoleRefusal)
  /// Monitor → console: the whole state at a revision.
  case snapshot(ConsoleSnapshot)
  /// Monitor → console: what changed since the revision before.
  case delta(ConsoleDelta)
  /// Monitor → console: the last hour of the site the console asked about.
  case detail(ConsoleDetail)
  /// Console → monitor: an operator action; answered by an `answer` with the same id.
  case request(ConsoleRequest)
  case answer(ConsoleAnswer)
  /// Console → monitor: send the last hour of this site (nil: none) with every update.
  case show(ConsoleShow)
  /// Console → monitor: send a fresh snapshot (the console lost track of revisions).
  case resync
  /// Monitor → console (to `bridgewatch status`): the consoles attached.
  case consoles(ConsoleList)
  /// Monitor → standby: operator actions in order, or none as a keep-alive (every second).
  case actions(FollowActions)
  /// Monitor → standby: the whole operator state, when the standby's position has left the action log.
  case state(FollowState)
  /// Console → standby: become the primary (`bridgewatch promote`); answered by an `answer` with the same id.
  case promote(ConsolePromote)

  public var typeName: String {
    switch self {
    case .hello: "hello"
    case .welcome: "welcome"
    case .refused: "refused"
    case .snapshot: "snapshot"
    case .delta: "delta"
    case .detail: "detail"
    case .request: "request"
    case .answer: "answer"
    case .show: "show"
    case .resync: "resync"
    case .consoles: "consoles"
    case .actions: "actions"
    case .state: "state"
    case .promote: "promote"
    }
  }
}

extension ConsoleMessage: Codable {
  private enum TypeKey: String, CodingKey { case type }

  public init(from decoder: any Decoder) throws {
    let type = try decoder.container(keyedBy: TypeKey.self).decode(String.self, forKey: .type)
    switch type {
    case "hello": self = .hello(try ConsoleHello(from: decoder))
    case "welcome": self = .welcome(try ConsoleWelcome(from: decoder))
    case "refused": self = .refused(try ConsoleRefusal(from: decoder))
    case "snapshot": self = .snapshot(try ConsoleSnapshot(from: decoder))
    case "delta": self = .delta(try ConsoleDelta(from: decoder))
    case "detail": self = .detail(try ConsoleDetail(from: decoder))
    case "request": self = .request(try ConsoleRequest(from: decoder))
    case "answer": self = .answer(try ConsoleAnswer(from: decoder))
    case "show": self = .show(try ConsoleShow(from: decoder))
    case "resync": self = .resync
    case "consoles": self = .consoles(try ConsoleList(from: decoder))
    case "actions": self = .actions(try FollowActions(from: decoder))
    case "state": self = .state(try FollowState(from: decoder))
    case "promote": self = .promote(try ConsolePromote(from: decoder))
    default: throw ConsoleProtocolError.unknownType(String(type.prefix(40)))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: TypeKey.self)
    try container.encode(typeName, forKey: .type)
    switch self {
    case .hello(let body): try body.encode(to: encoder)
    case .welcome(let body): try body.encode(to: encoder)
    case .refused(let body): try body.encode(to: encoder)
    case .snapshot(let body): try body.encode(to: encoder)
    case .delta(let body): try body.encode(to: encoder)
    case .detail(let body): try body.encode(to: encoder)
    case .request(let body): try body.encode(to: encoder)
    case .answer(let body): try body.encode(to: encoder)
    case .show(let body): try body.encode(to: encoder)
    case .resync: break
    case .consoles(let body): try body.encode(to: encoder)
    case .actions(let body): try body.encode(to: encoder)
    case .state(let body): try body.encode(to: encoder)
    case .promote(let body): try body.encode(to: encoder)
    }
  }
}

public struct ConsoleHello: Sendable, Equatable, Codable {
  public enum Purpose: String, Sendable, Codable {
    /// A dashboard: snapshot, deltas, requests.
    case console
    /// `bridgewatch status`: one snapshot and the list of consoles, then goodbye.
    case status
    /// A standby (`run --follow`): operator actions from `follow` on, then every new one, and a keep-alive.
    case follow
    /// Another monitor asking who this one is (`run --peer`): the welcome, with the role, then goodbye.
    case peer
  }
  public var version: Int
  /// The name the operator gave (`--operator`); the monitor adds the Unix user it reads from the socket.
  public var operatorName: String
  public var readOnly: Bool
  /// The group the console shows (for the list of consoles; the console filters itself).
  public var group: String?
  public var purpose: Purpose
  /// A standby's position in this primary's actions (nil: it wants the whole state first).
  public var follow: FollowPosition?

  public init(
    version: Int = ConsoleProtocol.version, operatorName: String, readOnly: Bool, group: String?, purpose: Purpose,
    follow: FollowPosition? = nil
  ) {
    self.version = version
    self.operatorName = operatorName
    self.readOnly = readOnly
    self.group = group
    self.purpose = purpose
    self.follow = follow
  }

  enum CodingKeys: String, CodingKey {
    case version, operatorName = "operator", readOnly = "read_only", group, purpose, follow
  }
}

public struct ConsoleWelcome: Sendable, Equatable, Codable {
  public var version: Int
  public var pid: Int
  /// The Unix user the monitor read from the connection: what it records with this console's actions.
  public var unixUser: String
  public var facts: ConsoleFacts
  /// True when the monitor made this console read-only (its Unix user is in `console.read_only_users`), whatever
  /// the hello asked; absent otherwise.
  public var readOnly: Bool?
  /// Primary or standby, and what the monitor knows of its pair (absent from monitors before standbys).
  public var role: MonitorRole?

  public init(
    version: Int = ConsoleProtocol.version, pid: Int, unixUser: String, facts: ConsoleFacts, readOnly: Bool? = nil, role: MonitorRole? = nil
  ) {
    self.version = version
    self.pid = pid
    self.unixUser = unixUser
    self.facts = facts
    self.readOnly = readOnly
    self.role = role
  }

  enum CodingKeys: String, CodingKey { case version, pid, unixUser = "unix_user", facts, readOnly = "read_only", role }
}

public struct ConsoleRefusal: Sendable, Equatable, Codable {
  public var version: Int
  public var reason: String

  public init(version: Int = ConsoleProtocol.version, reason: String) {
    self.version = version
    self.reason = reason
  }
}

/// What a face needs to know about the conference, once: never the config, never a key.
public struct ConsoleFacts: Sendable, Equatable, Codable {
  public struct Site: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var group: [String]
    public var expected: Int
    public var heartbeatFile: String
    /// The site signs its heartbeats (it has a key); the key itself never leaves the monitor.
    public var signs: Bool
    /// The monitor probes it: `sip://10.0.0.5:5060` and the like (absent from monitors before probes).
    public var probe: String?
    /// Whom to call at the site (absent when the config names nobody, and from monitors before contacts).
    public var contact: String?

    public init(
      id: String, name: String, group: [String], expected: Int, heartbeatFile: String, signs: Bool, probe: String? = nil,
      contact: String? = nil
    ) {
      self.id = id
      self.name = name
      self.group = group
      self.expected = expected
      self.heartbeatFile = heartbeatFile
      self.signs = signs
      self.probe = probe
      self.contact = contact
    }

    enum CodingKeys: String, CodingKey { case id, name, group, expected, heartbeatFile = "heartbeat_file", signs, probe, contact }
  }

  public struct Session: Sendable, Equatable, Codable {
    public var name: String
    public var start: Double
    public var end: Double

    enum CodingKeys: String, CodingKey { case name, start, end }

    init(name: String, start: Double, end: Double) {
      self.name = name
      self.start = start
      self.end = end
    }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      name = try container.decode(String.self, forKey: .name)
      start = try container.decodeTime(forKey: .start)
      end = try container.decodeTime(forKey: .end)
    }
  }

  public var title: String
  public var sites: [Site]
  public var sessions: [Session]
  public var utcOffsetSeconds: Int
  public var recoverAfter: Int
  /// Where the monitor listens for heartbeats, for the header.
  public var listenAddress: String
  /// The config's colour theme, for a console that names none.
  public var theme: String
  /// What an operator types on the monitor's machine to promote it, for a standby's PRIMARY SILENT banner (absent
  /// from monitors before it: consoles then say `bridgewatch promote CONFIG`).
  public var promoteCommand: String?

  public init(config: ConferenceConfig, listenAddress: String) {
    title = config.title
    sites = config.sites.map {
      Site(
        id: $0.id, name: $0.name, group: $0.group, expected: $0.expected, heartbeatFile: $0.heartbeatFile, signs: config.keys[$0.id] != nil,
        probe: $0.probe?.description, contact: $0.contact)
    }
    sessions = config.schedule.sessions.map { Session(name: $0.name, start: $0.start, end: $0.end) }
    utcOffsetSeconds = config.schedule.utcOffsetSeconds
    recoverAfter = config.timing.recoverAfter
    self.listenAddress = listenAddress
    theme = config.theme
    promoteCommand = MonitorRole.promoteCommand(configPath: config.path)
  }

  public var siteConfigs: [SiteConfig] {
    sites.map {
      SiteConfig(
        id: $0.id, name: $0.name, group: $0.group, expected: $0.expected, heartbeatFile: $0.heartbeatFile,
        probe: $0.probe.flatMap { try? ProbeTarget.parse($0).get() }, contact: $0.contact)
    }
  }

  public var schedule: Schedule {
    var schedule = Schedule()
    schedule.utcOffsetSeconds = utcOffsetSeconds
    schedule.sessions = sessions.map { ScheduleSession(name: $0.name, start: $0.start, end: $0.end) }
    return schedule
  }

  public var signedSites: Set<String> { Set(sites.filter(\.signs).map(\.id)) }

  enum CodingKeys: String, CodingKey {
    case title, sites, sessions, utcOffsetSeconds = "utc_offset", recoverAfter = "recover_after", listenAddress = "listen", theme
    case promoteCommand = "promote_command"
  }
}

/// The whole state at `revision`: every site, in the facts' order.
public struct ConsoleSnapshot: Sendable, Equatable, Codable {
  public var revision: UInt64
  public var taken: ConsoleClock
  public var sites: [ConsoleSite]
  public var status: ConsoleMonitorStatus
  /// The monitor's latest events, oldest first, so a console attaching mid-conference starts with a log.
  public var events: [ConsoleEvent]?

  public init(
    revision: UInt64, taken: ConsoleClock, sites: [ConsoleSite], status: ConsoleMonitorStatus, events: [ConsoleEvent]? = nil
  ) {
    self.revision = revision
    self.taken = taken
    self.sites = sites
    self.status = status
    self.events = events
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

  public init(
    revision: UInt64, base: UInt64, taken: ConsoleClock, sites: [ConsoleSite], beats: ConsoleBeats, events: [ConsoleEvent],
    status: ConsoleMonitorStatus
  ) {
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

public struct ConsoleRequest: Sendable, Equatable, Codable {
  public var id: Int
  public var request: OperatorRequest
  public init(id: Int, request: OperatorRequest) {
    self.id = id
    self.request = request
  }

  enum CodingKeys: String, CodingKey { case id, request }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    id = try ConsoleRequestID.decode(container, forKey: .id)
    request = try container.decode(OperatorRequest.self, forKey: .request)
  }
}

public struct ConsoleAnswer: Sendable, Equatable {
  public enum Outcome: Sendable, Equatable {
    case applied
    case refused(OperatorActionError)
    /// Applied, but the journal could not take it yet: it waits in the backlog.
    case unsaved(String)
    /// Not applied: the console may not act (read-only) or the monitor is stopping.
    case notAllowed(String)
  }
  public var id: Int
  public var outcome: Outcome
  public init(id: Int, outcome: Outcome) {
    self.id = id
    self.outcome = outcome
  }
}

public struct ConsolePromote: Sendable, Equatable, Codable {
  public var id: Int
  public init(id: Int) { self.id = id }

  enum CodingKeys: String, CodingKey { case id }

  public init(from decoder: any Decoder) throws {
    id = try ConsoleRequestID.decode(try decoder.container(keyedBy: CodingKeys.self), forKey: .id)
  }
}

public struct ConsoleShow: Sendable, Equatable, Codable {
  public var site: String?
  public init(site: String?) { self.site = site }
}

public struct ConsoleList: Sendable, Equatable, Codable {
  public struct Entry: Sendable, Equatable, Codable {
    public var unixUser: String
    public var operatorName: String
    public var readOnly: Bool
    public var group: String?
    public var since: Double

    public init(unixUser: String, operatorName: String, readOnly: Bool, group: String?, since: Double) {
      self.unixUser = unixUser
      self.operatorName = operatorName
      self.readOnly = readOnly
      self.group = group
      self.since = since
    }

    enum CodingKeys: String, CodingKey { case unixUser = "unix_user", operatorName = "operator", readOnly = "read_only", group, since }
  }
  public var consoles: [Entry]
  public init(consoles: [Entry]) { self.consoles = consoles }
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
