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

  /// Encodes a message as one line, newline included; the roster as rows when the console reads them
  /// (`ConsoleHello.readsRows`).
  public static func encode(_ message: ConsoleMessage, rows: Bool = false) -> [UInt8] {
    let data = (try? (rows ? rowsEncoder : lineEncoder).encode(message)) ?? Data()
    // Room for the newline at once: a snapshot is megabytes, and appending it to a full array copies them again.
    var bytes: [UInt8] = []
    bytes.reserveCapacity(data.count + 1)
    bytes.append(contentsOf: data)
    bytes.append(0x0A)
    return bytes
  }

  /// The facts as a welcome carries them, for `encodeWelcome`.
  public static func encode(facts: ConsoleFacts, rows: Bool) -> [UInt8] {
    Array((try? (rows ? rowsEncoder : lineEncoder).encode(facts)) ?? Data())
  }

  /// A welcome whose facts were encoded once (`encode(facts:rows:)`, in the same form): they are the roster, the
  /// same for every console and megabytes at national scale, while the rest is the console's own. Byte for byte
  /// the line `encode(.welcome(welcome), rows:)` writes: keys are sorted, so `facts` comes first.
  public static func encodeWelcome(_ welcome: ConsoleWelcome, facts encodedFacts: [UInt8], rows: Bool) -> [UInt8] {
    var bare = welcome
    bare.facts.sites = []
    bare.facts.sessions = []
    let prefix = Array(#"{"facts":"#.utf8) + encode(facts: bare.facts, rows: rows)
    let line = encode(.welcome(bare), rows: rows)
    guard line.starts(with: prefix) else { return encode(.welcome(welcome), rows: rows) }
    let opening = #"{"facts":"#.utf8
    var spliced: [UInt8] = []
    spliced.reserveCapacity(opening.count + encodedFacts.count + line.count - prefix.count)
    spliced.append(contentsOf: opening)
    spliced.append(contentsOf: encodedFacts)
    spliced.append(contentsOf: line[prefix.count...])
    return spliced
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

  private static let lineEncoder = makeEncoder(rows: false)
  private static let rowsEncoder = makeEncoder(rows: true)

  private static func makeEncoder(rows: Bool) -> JSONEncoder {
    let encoder = JSONEncoder()
    // Never "\/": a path reads as written; keys in one order, so the same state is the same line.
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    if rows { encoder.userInfo[ConsoleRows.userInfoKey] = true }
    return encoder
  }
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
    /// Applied, with the events it caused (the monitor's site indexes, like a delta's), which say what changed: none
    /// when nothing did. Nil from a monitor older than the field (it said only that it applied the request).
    case applied(events: [EngineEvent]?)
    case refused(OperatorActionError)
    /// Applied, but the journal could not take it yet: it waits in the backlog.
    case unsaved(String)
    /// Not applied: the console may not act (read-only) or the monitor is stopping.
    case notAllowed(String)

    public var isApplied: Bool {
      if case .applied = self { return true }
      return false
    }
  }
  public var id: Int
  public var outcome: Outcome
  /// The most events an answer may carry (decode refuses more): one request causes a few (a clear that brings a
  /// claimed site back online causes two, the status and the claim's end).
  public static let maximumEvents = 16

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
