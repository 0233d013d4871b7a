import Foundation

/// One change a bridge pushed between polls, read from its event receiver's body (docs/BRIDGES.md, "What is
/// pushed"). Not yet trusted: a join's display name is the caller's text, bounded as a polled one is.
public enum BridgeEvent: Sendable, Equatable {
  case joined(BridgeParticipant)
  /// The bridge's id of the leg that left, and its display name when the event gives one.
  case left(id: String, display: String?)
  /// What the receiver cannot apply by itself (the bridge restarted, a session or the room went, a sequence gap):
  /// the roster is polled again at once.
  case resync(reason: String)
}

/// Why a pushed body was refused: the HTTP status the receiver answers (400 for garbage, 413 for too much) and
/// the reason in a line, for the bridge's log and ours.
public struct BridgeEventRefusal: Error, Sendable, Equatable, CustomStringConvertible {
  public var status: Int
  public var reason: String
  public init(status: Int = 400, _ reason: String) {
    self.status = status
    self.reason = reason
  }
  public var description: String { reason }
}

/// A pushed body read: the events that concern the watched room, and how many others it carried (other rooms,
/// plugins, types), which are acknowledged and dropped.
public struct BridgeEventBatch: Sendable, Equatable {
  public var events: [BridgeEvent]
  public var ignored: Int
  public init(events: [BridgeEvent] = [], ignored: Int = 0) {
    self.events = events
    self.ignored = ignored
  }
}

/// The bounds every receiver reads within, whatever its kind.
public enum BridgeEventLimits {
  /// A body's bytes: Janus's sample handler groups at most 100 events a POST (janus_sampleevh.c, `max = 100`), a
  /// few KiB; a CMS CDR batch is tens of records.
  public static let maximumBodyBytes = 1 << 20
  /// Events (or records) in one body.
  public static let maximumEvents = 2000
}

/// The sample event handler of Janus 1.1.2 (`janus.eventhandler.sampleevh.jcfg`): a POST whose body is a JSON array
/// of events (`grouping = true`) or one event object (`grouping = false`), each built by `janus_events_notify_handlers`
/// (src/events.c): `type`, `timestamp`, `session_id`, `handle_id`, `event`. What is read (docs/BRIDGES.md):
/// - `type` 64 (`JANUS_EVENT_TYPE_PLUGIN`) with `event.plugin` the watched plugin and `event.data.room` the watched
///   room: AudioBridge's `data.event` `joined` (`id`, `display`, `muted`, `setup`), `left` (`id`, `display`),
///   `kicked` and `kicked_all` (`id`) (src/plugins/janus_audiobridge.c, each `gateway->notify_event`); VideoRoom's
///   `joined` (`id`, `display`: a publisher came into the room, as `listparticipants` lists it), `leaving` and
///   `kicked` (`id`) (src/plugins/janus_videoroom.c: the `join` handler and `janus_videoroom_leave_or_unpublish`;
///   `unpublished` stops a publisher's media, not its presence); for either, `destroyed` (the room went) is a resync;
/// - `type` 1 (`JANUS_EVENT_TYPE_SESSION`) with `event.name` `destroyed` or `timeout` (src/janus.c): a session went,
///   perhaps the poller's own: a resync;
/// - `type` 256 (`JANUS_EVENT_TYPE_CORE`) with `event.status` `started` or `shutdown` (src/janus.c): Janus restarted
///   or is stopping: a resync.
/// Everything else is acknowledged and ignored.
public enum JanusEventPayload {
  public static func parse(_ bytes: [UInt8], room: UInt64, plugin: BridgeSettings.JanusPlugin) throws(BridgeEventRefusal)
    -> BridgeEventBatch
  {
    guard bytes.count <= BridgeEventLimits.maximumBodyBytes else {
      throw BridgeEventRefusal(status: 413, "body of \(bytes.count) bytes; at most \(BridgeEventLimits.maximumBodyBytes)")
    }
    guard let parsed = try? JSONSerialization.jsonObject(with: Data(bytes)) else {
      throw BridgeEventRefusal("not JSON: the sample event handler posts a JSON array of events or one event")
    }
    let list: [Any]
    if let array = parsed as? [Any] {
      list = array
    } else if let object = parsed as? [String: Any] {
      list = [object]
    } else {
      throw BridgeEventRefusal("neither an array of events nor an event")
    }
    guard list.count <= BridgeEventLimits.maximumEvents else {
      throw BridgeEventRefusal("\(list.count) events in one body; at most \(BridgeEventLimits.maximumEvents)")
    }
    var batch = BridgeEventBatch()
    for (position, entry) in list.enumerated() {
      guard let event = entry as? [String: Any] else { throw BridgeEventRefusal("event \(position) is not an object") }
      guard let type = unsigned(event["type"]) else { throw BridgeEventRefusal("event \(position) has no numeric 'type'") }
      let body = event["event"] as? [String: Any]
      switch type {
      case 64:
        guard let body, body["plugin"] as? String == plugin.packageName,
          let data = body["data"] as? [String: Any], sameRoom(data["room"], room)
        else {
          batch.ignored += 1
          continue
        }
        guard let what = data["event"] as? String else {
          batch.ignored += 1
          continue
        }
        // The words each plugin uses for a participant going (a VideoRoom publisher that only stops publishing stays).
        let leaving: Set<String> = plugin == .audiobridge ? ["left", "kicked", "kicked_all"] : ["leaving", "kicked"]
        switch what {
        case "joined":
          guard let id = identifier(data["id"]) else { throw BridgeEventRefusal("event \(position): 'joined' without an id") }
          guard let display = optionalText(data["display"]) else {
            throw BridgeEventRefusal("event \(position): 'display' is not a text")
          }
          batch.events.append(
            .joined(
              BridgeParticipant(
                id: id, display: display ?? "#\(id)", muted: data["muted"] as? Bool, mediaUp: data["setup"] as? Bool)))
        case _ where leaving.contains(what):
          guard let id = identifier(data["id"]) else { throw BridgeEventRefusal("event \(position): '\(what)' without an id") }
          guard let display = optionalText(data["display"]) else {
            throw BridgeEventRefusal("event \(position): 'display' is not a text")
          }
          batch.events.append(.left(id: id, display: display))
        case "destroyed":
          batch.events.append(.resync(reason: "room \(room) destroyed"))
        default:
          batch.ignored += 1
        }
      case 1:
        let name = body?["name"] as? String
        if name == "destroyed" || name == "timeout" {
          batch.events.append(.resync(reason: "a session \(name!)"))
        } else {
          batch.ignored += 1
        }
      case 256:
        let status = body?["status"] as? String
        if status == "started" || status == "shutdown" {
          batch.events.append(.resync(reason: "Janus \(status!)"))
        } else {
          batch.ignored += 1
        }
      default:
        batch.ignored += 1
      }
    }
    return batch
  }

  /// Janus ids are unsigned integers (or texts with `string_ids`), kept as text as the poller keeps them.
  static func identifier(_ value: Any?) -> String? {
    if let number = unsigned(value) { return String(number) }
    if let text = value as? String, !text.isEmpty, text.utf8.count <= BridgeParticipant.maximumIDBytes { return text }
    return nil
  }

  /// nil: present but not a text; .some(nil): absent or null.
  static func optionalText(_ value: Any?) -> String?? {
    switch value {
    case nil, is NSNull: .some(nil)
    case let text as String: .some(text)
    default: nil
    }
  }

  /// A room id as Janus gives it (an event's `data.room`, a handle's `plugin_specific.room`): a number, or text
  /// with `string_ids`.
  public static func sameRoom(_ value: Any?, _ room: UInt64) -> Bool {
    if let number = unsigned(value) { return number == room }
    return (value as? String) == String(room)
  }

  static func unsigned(_ value: Any?) -> UInt64? {
    guard let number = value as? NSNumber else { return nil }
    let double = number.doubleValue
    guard double >= 0, double < 1.8e19, double == double.rounded() else { return nil }
    return number.uint64Value
  }
}

/// Who a bridge's receiver counts as in, by the bridge's id: the last polled roster, then each pushed join and
/// leave. It decides what an event changes, so that a join already counted (the poll saw it before its event came)
/// or a leave of a leg never counted changes nothing. Pure; the receiver keeps one per bridge.
public struct BridgeMembers: Sendable {
  private var byID: [String: BridgeParticipant] = [:]
  public init() {}

  public var count: Int { byID.count }

  /// The polled roster replaces what the events built.
  public mutating func replace(with roster: [BridgeParticipant]) {
    byID = Dictionary(roster.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// What an event changes on the board: a join of a leg not counted yet, a leave of one counted (with the
  /// participant as it joined, so it is matched as it was); nil for nothing.
  public mutating func admit(_ event: BridgeEvent) -> BridgeRosterChange? {
    switch event {
    case .joined(let participant):
      guard byID[participant.id] == nil else { return nil }
      byID[participant.id] = participant
      return .joined(participant)
    case .left(let id, _):
      guard let participant = byID.removeValue(forKey: id) else { return nil }
      return .left(participant)
    case .resync:
      return nil
    }
  }
}

/// A change to one bridge's roster between polls (`BridgeBoard.apply(changes:bridge:now:)`).
public enum BridgeRosterChange: Sendable, Equatable {
  case joined(BridgeParticipant)
  case left(BridgeParticipant)
}
