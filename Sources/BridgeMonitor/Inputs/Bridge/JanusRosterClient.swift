import BridgeCore
import Foundation

/// Reads one Janus room's roster over Janus's HTTP API: a session (`create`), a handle on the plugin (`attach`),
/// then per poll `listparticipants` on the handle and a `keepalive` on the session. When Janus says the session or
/// handle is gone (codes 458 and 459: Janus restarted, or the session timed out) it makes them again at once and
/// asks once more. Runs on the bridge input's thread; one client per bridge, never shared.
public struct JanusRosterClient {
  public let bridge: BridgeSettings
  /// For a whole poll, however many requests it takes: a stop waits for one poll at most.
  private let timeout: Duration
  private var pollDeadline = ContinuousClock.now
  private var session: UInt64?
  private var handle: UInt64?
  /// A session was made before: the next one replaces it (counted, as a restart of Janus would make it).
  private var hadSession = false

  /// A roster of this many participants is refused (a national conference has about 11,000 points).
  public static let maximumParticipants = 100_000
  public static let maximumResponseBytes = 16 * 1024 * 1024

  private let resolver: HostResolver
  private let tls: BridgeTLS
  private let say: Strings

  public init(
    bridge: BridgeSettings, timeout: Duration, resolver: HostResolver = .system,
    say: Strings = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))
  ) {
    self.bridge = bridge
    self.timeout = timeout
    self.resolver = resolver
    self.tls = BridgeTLS(bridge, say: say)
    self.say = say
  }

  /// One poll: the roster or why not, and whether a new session had to replace an old one.
  public mutating func poll() -> (outcome: BridgePollOutcome, sessionRenewed: Bool) {
    var renewed = false
    pollDeadline = ContinuousClock.now + timeout
    for attempt in 0..<2 {
      do throws(JanusProblem) {
        if session == nil, try openSession() { renewed = true }
        let roster = try listParticipants()
        return (.roster(roster), renewed)
      } catch {
        // A session Janus no longer has is made again at once, once; any other failure keeps the session for
        // the next poll (Janus may only have been out of reach).
        guard case .sessionGone = error else { return (.failed(problem: error.text(say)), renewed) }
        session = nil
        handle = nil
        if attempt == 1 { return (.failed(problem: error.text(say)), renewed) }
      }
    }
    return (.failed(problem: say(.janusNoRoster)), renewed)
  }

  enum JanusProblem: Error {
    case sessionGone(String)
    case failed(String)

    func text(_ say: Strings) -> String {
      switch self {
      case .sessionGone(let reason): say(.janusSessionGone, reason)
      case .failed(let reason): reason
      }
    }
  }

  /// Creates a session and attaches the plugin; true when it replaces an earlier session.
  private mutating func openSession() throws(JanusProblem) -> Bool {
    let created = try request(path: bridge.path, ["janus": "create"])
    guard let id = Self.unsigned((created["data"] as? [String: Any])?["id"]) else {
      throw .failed(say(.janusNoSessionID))
    }
    let attached = try request(path: "\(bridge.path)/\(id)", ["janus": "attach", "plugin": bridge.plugin.packageName])
    guard let handleID = Self.unsigned((attached["data"] as? [String: Any])?["id"]) else {
      throw .failed(say(.janusNoHandleID))
    }
    let replaced = hadSession
    session = id
    handle = handleID
    hadSession = true
    return replaced
  }

  private mutating func listParticipants() throws(JanusProblem) -> [BridgeParticipant] {
    guard let session, let handle else { throw .failed(say(.janusNoSession)) }
    let answer = try request(
      path: "\(bridge.path)/\(session)/\(handle)",
      ["janus": "message", "body": ["request": "listparticipants", "room": Int(bridge.room)]])
    guard let pluginData = (answer["plugindata"] as? [String: Any])?["data"] as? [String: Any] else {
      throw .failed(say(.janusNoPluginData))
    }
    if let code = pluginData["error_code"] {
      let reason = (pluginData["error"] as? String).map { String($0.prefix(120)) } ?? say(.janusNoReason)
      throw .failed(say(.janusRefusedList, bridge.room, "\(code)", reason))
    }
    guard let list = pluginData["participants"] as? [Any] else { throw .failed(say(.janusNoParticipants)) }
    guard list.count <= Self.maximumParticipants else {
      throw .failed(say(.vendorTooManyParticipants, list.count, Self.maximumParticipants))
    }
    var roster: [BridgeParticipant] = []
    roster.reserveCapacity(list.count)
    for case let entry as [String: Any] in list {
      let id: String =
        if let number = Self.unsigned(entry["id"]) { String(number) } else { (entry["id"] as? String) ?? "" }
      // A participant without a display name (a WebRTC user who gave none) is still in the bridge: it is
      // unmatched, listed by its id.
      let display = (entry["display"] as? String) ?? "#\(id)"
      roster.append(
        BridgeParticipant(
          id: id, display: display, muted: entry["muted"] as? Bool, talking: entry["talking"] as? Bool,
          mediaUp: (entry["setup"] as? Bool) ?? (entry["publisher"] as? Bool)))
    }
    // The session outlives the poll period (Janus's session_timeout is 60 s by default; a poll is at most 5 min
    // apart, so the keepalive is what keeps it).
    _ = try request(path: "\(bridge.path)/\(session)", ["janus": "keepalive"])
    return roster
  }

  private func request(path: String, _ fields: [String: Any]) throws(JanusProblem) -> [String: Any] {
    var body = fields
    body["transaction"] = "bw" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    if let secret = bridge.credentials?.apiSecret { body["apisecret"] = secret }
    if let token = bridge.credentials?.token { body["token"] = token }
    let bytes: [UInt8]
    do {
      bytes = Array(try JSONSerialization.data(withJSONObject: body))
    } catch {
      throw .failed(say(.janusCannotEncode, "\(error)"))
    }
    let answer: (status: Int, body: [UInt8])
    let left = pollDeadline - ContinuousClock.now
    guard left > .zero else { throw .failed(say(.httpNoAnswerWithin, DurationText.format(timeout))) }
    do {
      let http = BoundedHTTPClient(
        timeout: left, maximumResponseBytes: Self.maximumResponseBytes, statedTimeout: timeout, resolver: resolver, say: say,
        tls: try tls.context())
      answer = try http.post(host: bridge.host, port: bridge.port, path: path, body: bytes)
    } catch {
      throw .failed(error.description)
    }
    guard let object = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any] else {
      throw .failed(say(.janusNotJSON, answer.status))
    }
    let kind = object["janus"] as? String
    if kind == "error" {
      let error = object["error"] as? [String: Any]
      let code = Self.unsigned(error?["code"]) ?? 0
      let reason = TextSanitizer.printable(String(((error?["reason"] as? String) ?? say(.janusNoReason)).prefix(120)))
      // 458: no such session; 459: no such handle (Janus's API reference).
      if code == 458 || code == 459 { throw .sessionGone("\(code) \(reason)") }
      throw .failed(say(.janusError, code, reason))
    }
    guard kind == "success" || kind == "ack" else {
      throw .failed(say(.janusUnexpected, TextSanitizer.printable(String((kind ?? "none").prefix(40))), answer.status))
    }
    return object
  }

  static func unsigned(_ value: Any?) -> UInt64? {
    if let number = value as? NSNumber, number.doubleValue >= 0, number.doubleValue < 1.9e19 { return number.uint64Value }
    return nil
  }
}
