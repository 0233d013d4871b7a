import BridgeCore
import Foundation

/// The events Janus 1.1.2 raises for what the simulation does, each as the sample event handler writes it
/// (src/events.c `janus_events_notify_handlers`: emitter, type, subtype, timestamp, session_id, handle_id, event; the
/// AudioBridge's own in src/plugins/janus_audiobridge.c), as captured in
/// Tests/Fixtures/bridges/janus-1.1.2-sampleevh-bodies.jsonl.
public enum JanusEventShape {
  /// The core's `started` (type 256, subtype 1), as Janus posts it once it runs.
  public static func started(unixMicroseconds: UInt64) -> [UInt8] {
    SimulatedJanus.json([
      "emitter": BridgeEventPusher.emitter, "type": 256, "subtype": 1, "timestamp": unixMicroseconds,
      "event": ["status": "started", "info": ["janus": "server_info", "name": "Janus WebRTC Server", "version_string": "1.1.2"]],
    ])
  }

  /// A session made over the HTTP transport (type 1, `created`), before its participant joins.
  public static func sessionCreated(session: UInt64, unixMicroseconds: UInt64) -> [UInt8] {
    SimulatedJanus.json([
      "emitter": BridgeEventPusher.emitter, "type": 1, "timestamp": unixMicroseconds, "session_id": session,
      "event": ["name": "created", "transport": ["transport": "janus.transport.http", "id": String(session &* 31)]],
    ])
  }

  /// The plugin's `joined` (type 64) in `room`, on the participant's session and handle: AudioBridge's with `setup`
  /// and `muted`, VideoRoom's with its `private_id` (Tests/Fixtures/bridges/janus-1.1.2-videoroom-sampleevh-bodies.*).
  public static func joined(
    _ participant: SimulatedJanus.Participant, room: UInt64, session: UInt64, handle: UInt64, unixMicroseconds: UInt64,
    plugin: BridgeSettings.JanusPlugin = .audiobridge
  ) -> [UInt8] {
    let data: [String: Any] =
      plugin == .audiobridge
      ? [
        "event": "joined", "room": room, "id": participant.id, "display": participant.display, "setup": false,
        "muted": participant.muted,
      ]
      : ["event": "joined", "room": room, "id": participant.id, "private_id": handle % (1 << 31), "display": participant.display]
    return SimulatedJanus.json([
      "emitter": BridgeEventPusher.emitter, "type": 64, "timestamp": unixMicroseconds, "session_id": session, "handle_id": handle,
      "event": ["plugin": plugin.packageName, "data": data],
    ])
  }

  /// A participant gone (type 64), raised once its session has gone: no session or handle. AudioBridge says `left`
  /// with the name, VideoRoom `leaving` with the id alone.
  public static func left(
    _ participant: SimulatedJanus.Participant, room: UInt64, unixMicroseconds: UInt64, plugin: BridgeSettings.JanusPlugin = .audiobridge
  ) -> [UInt8] {
    let data: [String: Any] =
      plugin == .audiobridge
      ? ["event": "left", "room": room, "id": participant.id, "display": participant.display]
      : ["event": "leaving", "room": room, "id": participant.id]
    return SimulatedJanus.json([
      "emitter": BridgeEventPusher.emitter, "type": 64, "timestamp": unixMicroseconds,
      "event": ["plugin": plugin.packageName, "data": data],
    ])
  }
}

/// Successive looks at the simulated room made into Janus's events: a participant not in the last look joins (its
/// session `created`, then `joined`), one gone from it `left`. Pure; the pusher's room thread keeps one.
public struct JanusRoomEvents: Sendable {
  public let room: UInt64
  public let plugin: BridgeSettings.JanusPlugin
  private var present: [UInt64: SimulatedJanus.Participant] = [:]
  private var previous: [SimulatedJanus.Participant] = []

  public init(room: UInt64, plugin: BridgeSettings.JanusPlugin = .audiobridge) {
    self.room = room
    self.plugin = plugin
  }

  /// The events since the last look, joins first then leaves, each in the room's order.
  public mutating func events(for roster: [SimulatedJanus.Participant], unixMicroseconds: UInt64) -> [[UInt8]] {
    var events: [[UInt8]] = []
    var now: [UInt64: SimulatedJanus.Participant] = [:]
    now.reserveCapacity(roster.count)
    for participant in roster {
      now[participant.id] = participant
      guard present[participant.id] == nil else { continue }
      // A session and handle of the participant's own, the same at each join (Janus's are random; these need only
      // differ between participants).
      let session = (participant.id &* 0x9E37_79B9_7F4A_7C15) % (1 << 53)
      let handle = (session &* 0xBF58_476D_1CE4_E5B9) % (1 << 53)
      events.append(JanusEventShape.sessionCreated(session: session, unixMicroseconds: unixMicroseconds))
      events.append(
        JanusEventShape.joined(
          participant, room: room, session: session, handle: handle, unixMicroseconds: unixMicroseconds, plugin: plugin))
    }
    for participant in previous where now[participant.id] == nil {
      events.append(JanusEventShape.left(participant, room: room, unixMicroseconds: unixMicroseconds, plugin: plugin))
    }
    present = now
    previous = roster
    return events
  }
}
