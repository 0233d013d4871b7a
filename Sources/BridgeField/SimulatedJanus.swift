import BridgeCore
import Foundation
import Synchronization

/// The simulator's conference bridge: a stand-in for Janus's HTTP API on loopback, speaking the part of it the
/// monitor's Janus input uses (`create`, `attach`, the AudioBridge's or VideoRoom's `listparticipants`, `keepalive`;
/// docs/BRIDGES.md "Janus") with the same JSON Janus 1.1.2 answers, so `sim` and `demo` show the bridge without
/// Janus installed.
/// Who is in the room comes from `roster` at each `listparticipants`. Served by a `LoopbackHTTPServer` (one
/// connection at a time, every read bounded).
public final class SimulatedJanus: Sendable {
  /// A participant as `listparticipants` lists it.
  public struct Participant: Sendable, Equatable {
    public var id: UInt64
    public var display: String
    public var muted: Bool
    /// Its audio reaches the room (the Admin API's `queue-in`, or a WebRTC medium's bytes in the last second).
    public var audioArriving: Bool
    /// A participant that joined over WebRTC: what Janus counts of the stream it receives from it (the Admin API's
    /// `webrtc.media`); nil for a plain-RTP one, of which Janus counts nothing.
    public var webrtc: WebRTCCounts?

    public init(id: UInt64, display: String, muted: Bool, audioArriving: Bool = true, webrtc: WebRTCCounts? = nil) {
      self.id = id
      self.display = display
      self.muted = muted
      self.audioArriving = audioArriving
      self.webrtc = webrtc
    }
  }

  /// Janus's running counts of a WebRTC participant's audio, as `handle_info` gives them (src/ice.c, src/rtcp.c).
  public struct WebRTCCounts: Sendable, Equatable {
    /// Packets found missing since the call began (`rtcp.main.lost`).
    public var lost: UInt64
    /// Packets received since the call began (`stats.in.packets`).
    public var received: UInt64
    /// `rtcp.main.jitter-local` and `rtcp.main.rtt`, in milliseconds.
    public var jitterMilliseconds: UInt64
    public var roundTripMilliseconds: UInt64

    public init(lost: UInt64, received: UInt64, jitterMilliseconds: UInt64, roundTripMilliseconds: UInt64) {
      self.lost = lost
      self.received = received
      self.jitterMilliseconds = jitterMilliseconds
      self.roundTripMilliseconds = roundTripMilliseconds
    }
  }

  public typealias ListenFailure = LoopbackHTTPServer.ListenFailure

  public let path: String
  public let room: UInt64
  /// AudioBridge (the demo's) or VideoRoom (`sim --play-bridge` on a config watching one).
  public let plugin: BridgeSettings.JanusPlugin
  private let server: LoopbackHTTPServer
  /// Sessions made, each with its one handle (the monitor keeps one session per bridge).
  private let sessions = Mutex<[UInt64: UInt64]>([:])
  /// Where the Admin API is played on the same port (`list_sessions`, `list_handles`, `handle_info`, no secret),
  /// nil: not played.
  public let adminPath: String?

  /// Listens on `host`:`port` (0: a free port, read back in `port`); serves nothing until `start`.
  public init(
    host: String = "127.0.0.1", port: Int = 0, path: String = "/janus", room: UInt64 = 1234,
    plugin: BridgeSettings.JanusPlugin = .audiobridge, adminPath: String? = nil
  ) throws {
    server = try LoopbackHTTPServer(host: host, port: port, threadName: "sim-janus")
    self.path = path
    self.room = room
    self.plugin = plugin
    self.adminPath = adminPath
  }

  public var host: String { server.host }
  public var port: Int { server.port }

  /// The `url` a config's `bridges:` entry names this bridge by.
  public var url: String { "http://\(host):\(port)\(path)" }

  /// Requests answered so far.
  public var requestsServed: Int { server.requestsServed }

  /// Serves until `stop`, asking `roster` for the room's participants at each `listparticipants`.
  public func start(roster: @escaping @Sendable () -> [Participant]) {
    let refused = LoopbackHTTPServer.Response(
      status: 400, body: Self.json(["janus": "error", "error": ["code": 454, "reason": "Too large, cut short or too slow"]]))
    server.start(refused: refused) { [self] request in
      guard request.method == "POST" else {
        return .init(status: 405, body: Self.json(["janus": "error", "error": ["code": 457, "reason": "Only POST is played"]]))
      }
      return .init(status: 200, body: answer(target: request.target, body: request.body, roster: roster))
    }
  }

  /// Stops serving and frees the port; a second call does nothing.
  public func stop() { server.stop() }

  /// What Janus answers to one request (its HTTP status is 200 even for an error, as Janus's own is).
  func answer(target: String, body: [UInt8], roster: () -> [Participant]) -> [UInt8] {
    guard let request = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
      let kind = request["janus"] as? String
    else {
      return Self.json(["janus": "error", "error": ["code": 454, "reason": "Failed to parse JSON"]])
    }
    let transaction = (request["transaction"] as? String) ?? ""
    func error(_ code: Int, _ reason: String) -> [UInt8] {
      Self.json(["janus": "error", "transaction": transaction, "error": ["code": code, "reason": reason]])
    }
    let parts = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
    if let adminPath, parts == adminPath || parts.hasPrefix(adminPath + "/") {
      return admin(kind, ids: parts.dropFirst(adminPath.count).split(separator: "/").map { UInt64($0) }, transaction, roster())
    }
    guard parts == path || parts.hasPrefix(path + "/") else { return error(457, "Unhandled request at this path") }
    let ids = parts.dropFirst(path.count).split(separator: "/").map { UInt64($0) }
    if ids.contains(nil) || ids.count > 2 { return error(457, "Unhandled request at this path") }
    switch (kind, ids.count) {
    case ("create", 0):
      let session = UInt64.random(in: 1...(1 << 53))
      let handle = UInt64.random(in: 1...(1 << 53))
      // A monitor restarted many times leaves its sessions behind: keep at most 64 (Janus times them out).
      sessions.withLock { sessions in
        if sessions.count >= 64, let any = sessions.keys.first { sessions[any] = nil }
        sessions[session] = handle
      }
      return Self.json(["janus": "success", "transaction": transaction, "data": ["id": session]])
    case (_, 0):
      return error(457, "Unhandled request '\(kind.prefix(40))' at this path")
    default:
      break
    }
    let session = ids[0]!
    guard let handle = sessions.withLock({ $0[session] }) else { return error(458, "No such session \(session)") }
    switch (kind, ids.count) {
    case ("attach", 1):
      guard request["plugin"] as? String == plugin.packageName else { return error(460, "No such plugin") }
      return Self.json(["janus": "success", "session_id": session, "transaction": transaction, "data": ["id": handle]])
    case ("keepalive", 1):
      return Self.json(["janus": "ack", "session_id": session, "transaction": transaction])
    case ("message", 2):
      guard ids[1] == handle else { return error(459, "No such handle \(ids[1]!) in session \(session)") }
      let message = request["body"] as? [String: Any]
      // Each plugin's own words and codes (janus_audiobridge.c, janus_videoroom.c of 1.1.2).
      let name = plugin.rawValue
      let (unknownRequest, noSuchRoom) = plugin == .audiobridge ? (481, 485) : (423, 426)
      guard message?["request"] as? String == "listparticipants" else {
        return pluginData(session, handle, transaction, [name: "event", "error_code": unknownRequest, "error": "Unknown request"])
      }
      let asked = (message?["room"] as? NSNumber)?.uint64Value
      guard asked == room else {
        return pluginData(
          session, handle, transaction, [name: "event", "error_code": noSuchRoom, "error": "No such room (\(asked ?? 0))"])
      }
      // `setup` (AudioBridge) and `publisher` (VideoRoom): whether its WebRTC media is up, as a real Janus says it
      // of a participant that joined over WebRTC; a plain-RTP one has none.
      let participants: [[String: Any]] = roster().map { participant in
        plugin == .audiobridge
          ? ["id": participant.id, "display": participant.display, "setup": participant.webrtc != nil, "muted": participant.muted]
          : ["id": participant.id, "display": participant.display, "publisher": participant.webrtc != nil]
      }
      return pluginData(session, handle, transaction, [name: "participants", "room": room, "participants": participants])
    default:
      return error(457, "Unhandled request '\(kind.prefix(40))' at this path")
    }
  }

  /// The Admin API as Janus 1.1.2 answers it for the room's participants: a session and one handle each (the
  /// participant's id for both), `handle_info` with the plugin's `plugin_specific` (AudioBridge: `queue-in` while
  /// its audio arrives; VideoRoom: a publisher) and, for a WebRTC participant, `webrtc.media` with its counts.
  private func admin(_ kind: String, ids: [UInt64?], _ transaction: String, _ roster: [Participant]) -> [UInt8] {
    func error(_ code: Int, _ reason: String) -> [UInt8] {
      Self.json(["janus": "error", "transaction": transaction, "error": ["code": code, "reason": reason]])
    }
    guard !ids.contains(nil), ids.count <= 2 else { return error(457, "Unhandled request at this path") }
    let known = ids.first.flatMap { session in roster.first { $0.id == session } }
    switch (kind, ids.count) {
    case ("list_sessions", 0):
      return Self.json(["janus": "success", "transaction": transaction, "sessions": roster.map(\.id)])
    case ("list_handles", 1):
      guard let known else { return error(458, "No such session \(ids[0]!)") }
      return Self.json(["janus": "success", "transaction": transaction, "session_id": known.id, "handles": [known.id]])
    case ("handle_info", 2):
      guard let known else { return error(458, "No such session \(ids[0]!)") }
      guard ids[1] == known.id else { return error(459, "No such handle \(ids[1]!) in session \(known.id)") }
      var specific: [String: Any] = ["room": room, "id": known.id, "display": known.display]
      if plugin == .audiobridge {
        specific["muted"] = known.muted
        if known.audioArriving { specific["queue-in"] = 7 }
      } else {
        specific["type"] = "publisher"
      }
      var info: [String: Any] = ["session_id": known.id, "handle_id": known.id, "plugin": plugin.packageName, "plugin_specific": specific]
      if let counts = known.webrtc {
        info["webrtc"] = [
          "media": [
            "0": [
              "type": "audio", "mid": "0",
              "rtcp": [
                "main": [
                  "base": 48000, "lost": counts.lost, "jitter-local": counts.jitterMilliseconds, "rtt": counts.roundTripMilliseconds,
                ]
              ],
              "stats": ["in": ["packets": counts.received, "bytes_lastsec": known.audioArriving ? 4_000 : 0]],
            ]
          ]
        ]
      }
      return Self.json(["janus": "success", "transaction": transaction, "session_id": known.id, "handle_id": known.id, "info": info])
    default:
      return error(457, "Unhandled request '\(kind.prefix(40))' at this path")
    }
  }

  private func pluginData(_ session: UInt64, _ handle: UInt64, _ transaction: String, _ data: [String: Any]) -> [UInt8] {
    Self.json([
      "janus": "success", "session_id": session, "transaction": transaction, "sender": handle,
      "plugindata": ["plugin": plugin.packageName, "data": data],
    ])
  }

  static func json(_ object: [String: Any]) -> [UInt8] { LoopbackHTTPServer.json(object) }
}

extension SimulationPlan {
  /// Participants no site claims, always in the simulated bridge (the header's "in the bridge, not in the roster").
  public static let bridgeGuests = ["Khách mời 1", "Khách mời 2"]

  /// A third of the sites, and every site whose plan loses heartbeats, join the simulated room over WebRTC, and
  /// Janus counts their audio (50 packets a second since they connected): most lose 0.2% (a good call); one in nine
  /// 2% (degraded); a site whose plan loses heartbeats 8%, its jitter 45 ms (bad). Nil for the others (plain RTP:
  /// Janus counts nothing).
  func webrtcCounts(site index: Int, key: UInt64, at time: Double) -> SimulatedJanus.WebRTCCounts? {
    guard key % 3 == 0 || sites[index].lossPercent > 0 else { return nil }
    let site = sites[index]
    let lossPercent = site.lossPercent > 0 ? 8.0 : (key >> 8) % 9 == 1 ? 2.0 : 0.2
    let expected = UInt64(max(0, time - site.connectAt) * 50)
    let lost = UInt64(Double(expected) * lossPercent / 100)
    return SimulatedJanus.WebRTCCounts(
      lost: lost, received: expected - lost, jitterMilliseconds: site.lossPercent > 0 ? 45 : 4 + key % 12,
      roundTripMilliseconds: UInt64(site.rttBase) * 2)
  }

  /// The simulated bridge's room at simulated time `time`: each site `isInBridge` has in it, under its name in the
  /// bridge (`names`, the sites' `bridge_name`), with an id of its own for the run; then the guests. With
  /// `secondBridgePlayed`, the sites the second bridge carries (`isOnSecondBridge`) are in that one instead.
  public func bridgeRoster(names: [String], at time: Double, secondBridgePlayed: Bool = false) -> [SimulatedJanus.Participant] {
    var roster: [SimulatedJanus.Participant] = []
    for site in names.indices
    where site < sites.count && !(secondBridgePlayed && Self.isOnSecondBridge(site: site)) && isInBridge(site: site, at: time) {
      let key = SimRandom.hash(seed, 70, UInt64(site))
      roster.append(
        SimulatedJanus.Participant(
          id: key % (1 << 53), display: names[site], muted: key % 7 == 0, audioArriving: key % 17 != 3,
          webrtc: webrtcCounts(site: site, key: key, at: time)))
    }
    for (offset, guest) in Self.bridgeGuests.enumerated() {
      roster.append(SimulatedJanus.Participant(id: UInt64(offset + 1), display: guest, muted: true))
    }
    return roster
  }
}
