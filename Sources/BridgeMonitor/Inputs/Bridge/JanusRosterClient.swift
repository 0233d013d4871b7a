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
  /// Why the last poll's Admin API read failed (the audio then unknown), nil when it succeeded or is not asked.
  public private(set) var adminProblem: String?
  /// Each WebRTC handle's recent media counts, by handle id (`JanusMediaStats.read`): a loss is over the last
  /// `lossWindow`. Only the handles of the last read are kept (at most `maximumAdminRequests`), and kept when a
  /// read fails (the next one goes on from them).
  private var mediaHistory: [UInt64: [String: [JanusMediaStats.Sample]]] = [:]
  /// `JanusMediaStats.lossWindowSeconds`; shorter only in tests.
  private let lossWindow: Double
  private let started = ContinuousClock.now

  /// A roster of this many participants is refused (a national conference has about 11,000 points).
  public static let maximumParticipants = 100_000
  public static let maximumResponseBytes = 16 * 1024 * 1024

  private let resolver: HostResolver
  private let tls: BridgeTLS
  private let say: Strings

  public init(
    bridge: BridgeSettings, timeout: Duration, resolver: HostResolver = .system,
    say: Strings = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment)),
    lossWindow: Double = JanusMediaStats.lossWindowSeconds
  ) {
    self.lossWindow = lossWindow
    self.bridge = bridge
    self.timeout = timeout
    self.resolver = resolver
    self.tls = BridgeTLS(bridge, say: say)
    self.say = say
  }

  /// One poll: the roster or why not, and whether a new session had to replace an old one.
  public mutating func poll() -> (outcome: BridgePollOutcome, sessionRenewed: Bool) {
    var renewed = false
    adminProblem = nil
    pollDeadline = ContinuousClock.now + timeout
    for attempt in 0..<2 {
      do throws(JanusProblem) {
        if session == nil, try openSession() { renewed = true }
        var roster = try listParticipants()
        if bridge.admin != nil { adminProblem = readMedia(into: &roster) }
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

  /// At most this many Admin API requests a poll (the session list, each session's handles, each handle's info: about
  /// two a participant): a larger room has its audio left unread rather than a poll that never ends.
  public static let maximumAdminRequests = 2_000

  /// Each participant's audio and, for a WebRTC participant, its call quality, from Janus's Admin API
  /// (docs/BRIDGES.md "Media through the Admin API", "Call quality"): `list_sessions`, each session's
  /// `list_handles`, each handle's `handle_info`; a handle of this plugin in this room (a VideoRoom's: a publisher)
  /// names its participant (`plugin_specific.id`). An AudioBridge participant's audio is arriving while its jitter
  /// buffer holds packets (`queue-in`, which Janus 1.1.2 leaves out once the buffer is empty); a VideoRoom
  /// publisher's while its audio medium received bytes in the last second. Its `webrtc.media` gives loss, jitter and
  /// round trip (`JanusMediaStats`). Whatever fails here leaves every participant's audio and quality unknown (nil),
  /// never the roster unread.
  private mutating func readMedia(into roster: inout [BridgeParticipant]) -> String? {
    guard let admin = bridge.admin else { return nil }
    var arriving: [String: Bool] = [:]
    var quality: [String: BridgeQuality] = [:]
    var history: [UInt64: [String: [JanusMediaStats.Sample]]] = [:]
    let elapsed = ContinuousClock.now - started
    let now = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    do throws(JanusProblem) {
      var requests = 1
      let sessions = try request(path: admin.path, ["janus": "list_sessions"], admin: admin)["sessions"] as? [Any] ?? []
      for case let session as NSNumber in sessions {
        requests += 1
        guard requests <= Self.maximumAdminRequests else { return say(.janusAdminTooMany, Self.maximumAdminRequests) }
        let handles: [Any]
        do throws(JanusProblem) {
          handles =
            try request(path: "\(admin.path)/\(session.uint64Value)", ["janus": "list_handles"], admin: admin)["handles"] as? [Any] ?? []
        } catch {
          // A session gone between the list and its handles (a participant leaving): skipped, as a handle is below.
          if case .sessionGone = error { continue }
          throw error
        }
        for case let handle as NSNumber in handles {
          requests += 1
          guard requests <= Self.maximumAdminRequests else { return say(.janusAdminTooMany, Self.maximumAdminRequests) }
          let answer: [String: Any]
          do throws(JanusProblem) {
            answer = try request(
              path: "\(admin.path)/\(session.uint64Value)/\(handle.uint64Value)", ["janus": "handle_info"], admin: admin)
          } catch {
            // A handle gone between the lists and its info: skipped, not a failure.
            if case .sessionGone = error { continue }
            throw error
          }
          guard let info = answer["info"] as? [String: Any], info["plugin"] as? String == bridge.plugin.packageName,
            let specific = info["plugin_specific"] as? [String: Any], JanusEventPayload.sameRoom(specific["room"], bridge.room),
            bridge.plugin == .audiobridge || specific["type"] as? String == "publisher"
          else { continue }
          let id: String? =
            if let number = Self.unsigned(specific["id"]) { String(number) } else { specific["id"] as? String }
          guard let id else { continue }
          switch bridge.plugin {
          case .audiobridge: arriving[id] = (Self.unsigned(specific["queue-in"]) ?? 0) > 0
          case .videoroom: arriving[id] = JanusMediaStats.audioArriving(webrtc: info["webrtc"])
          }
          let media = JanusMediaStats.read(
            webrtc: info["webrtc"], history: mediaHistory[handle.uint64Value] ?? [:], now: now, window: lossWindow)
          if !media.history.isEmpty { history[handle.uint64Value] = media.history }
          quality[id] = media.quality
        }
      }
    } catch {
      return error.text(say)
    }
    mediaHistory = history
    for index in roster.indices {
      roster[index].audioArriving = arriving[roster[index].id]
      roster[index].quality = quality[roster[index].id]
    }
    return nil
  }

  private func request(path: String, _ fields: [String: Any], admin: BridgeSettings.AdminEndpoint? = nil) throws(JanusProblem)
    -> [String: Any]
  {
    var body = fields
    body["transaction"] = "bw" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    if admin != nil {
      if let secret = bridge.credentials?.adminSecret { body["admin_secret"] = secret }
    } else {
      if let secret = bridge.credentials?.apiSecret { body["apisecret"] = secret }
      if let token = bridge.credentials?.token { body["token"] = token }
    }
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
        tls: try tls.context(secure: admin?.secure ?? bridge.secure))
      answer = try http.post(host: admin?.host ?? bridge.host, port: admin?.port ?? bridge.port, path: path, body: bytes)
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
