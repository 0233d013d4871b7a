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

    public init(id: UInt64, display: String, muted: Bool) {
      self.id = id
      self.display = display
      self.muted = muted
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

  /// Listens on `host`:`port` (0: a free port, read back in `port`); serves nothing until `start`.
  public init(
    host: String = "127.0.0.1", port: Int = 0, path: String = "/janus", room: UInt64 = 1234,
    plugin: BridgeSettings.JanusPlugin = .audiobridge
  ) throws {
    server = try LoopbackHTTPServer(host: host, port: port, threadName: "sim-janus")
    self.path = path
    self.room = room
    self.plugin = plugin
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
      // A VideoRoom lists publishers with `publisher` (whether they send media: none here, as no WebRTC is played).
      let participants: [[String: Any]] = roster().map { participant in
        plugin == .audiobridge
          ? ["id": participant.id, "display": participant.display, "setup": false, "muted": participant.muted]
          : ["id": participant.id, "display": participant.display, "publisher": false]
      }
      return pluginData(session, handle, transaction, [name: "participants", "room": room, "participants": participants])
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

  /// The simulated bridge's room at simulated time `time`: each site `isInBridge` has in it, under its name in the
  /// bridge (`names`, the sites' `bridge_name`), with an id of its own for the run; then the guests. With
  /// `secondBridgePlayed`, the sites the second bridge carries (`isOnSecondBridge`) are in that one instead.
  public func bridgeRoster(names: [String], at time: Double, secondBridgePlayed: Bool = false) -> [SimulatedJanus.Participant] {
    var roster: [SimulatedJanus.Participant] = []
    for site in names.indices
    where site < sites.count && !(secondBridgePlayed && Self.isOnSecondBridge(site: site)) && isInBridge(site: site, at: time) {
      let key = SimRandom.hash(seed, 70, UInt64(site))
      roster.append(SimulatedJanus.Participant(id: key % (1 << 53), display: names[site], muted: key % 7 == 0))
    }
    for (offset, guest) in Self.bridgeGuests.enumerated() {
      roster.append(SimulatedJanus.Participant(id: UInt64(offset + 1), display: guest, muted: true))
    }
    return roster
  }
}
