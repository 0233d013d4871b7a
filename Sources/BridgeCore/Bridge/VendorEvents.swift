import Foundation

/// What a receiver makes of a sequence number it is handed (Pexip's per-node `seq`, CMS's per-session
/// `recordIndex`): the next one; a replay or one older than the last (ignored); one past a gap (applied, and the
/// roster polled again for what the gap held); the sender's series begun again (applied, and polled again).
public enum BridgeSequenceVerdict: Sendable, Equatable {
  case next, replay, gap, restarted
}

/// The last sequence number seen from each sender (a Pexip Conferencing Node, a CMS CDR session): at most
/// `maximumSenders` are kept (past that the oldest is forgotten: its next event reads as a first one, which polls).
public struct BridgeSequences: Sendable {
  public static let maximumSenders = 256
  private var last: [String: UInt64] = [:]
  private var order: [String] = []
  public init() {}

  /// `startsAtOne`: the sender's series begins at 1 (Pexip's `seq`), so a 1 after more is a restart; a first event
  /// from a sender not seen is `next` when it is its series' first, a `gap` otherwise (events before it may have
  /// been missed; the poll reads them).
  public mutating func admit(sender: String, sequence: UInt64, startsAtOne: Bool = true) -> BridgeSequenceVerdict {
    guard let previous = last[sender] else {
      remember(sender, sequence)
      return startsAtOne && sequence == 1 ? .next : .gap
    }
    if startsAtOne && sequence == 1 && previous > 1 {
      last[sender] = sequence
      return .restarted
    }
    guard sequence > previous else { return .replay }
    last[sender] = sequence
    return sequence == previous + 1 ? .next : .gap
  }

  private mutating func remember(_ sender: String, _ sequence: UInt64) {
    if order.count >= Self.maximumSenders {
      last[order.removeFirst()] = nil
    }
    order.append(sender)
    last[sender] = sequence
  }
}

/// Pexip Infinity's event sink (the "Pexip Infinity Administrator Guide", "Event sink API"): one JSON object a POST,
/// `{"node", "seq", "version", "time", "event", "data"}`, `seq` counted per Conferencing Node from 1 (again from 1
/// when the sink restarts). Read: `participant_connected` and `participant_disconnected` (their `data.uuid`,
/// `data.conference`, `data.display_name`, `data.remote_alias` else `data.source_alias`), for the watched
/// conference; `participant_updated` is read as a connect (a participant already counted changes nothing);
/// `eventsink_started` polls again. Everything else is acknowledged and dropped. Pure.
public enum PexipEventPayload {
  public struct Read: Sendable, Equatable {
    public var node: String
    public var sequence: UInt64
    public var batch: BridgeEventBatch
  }

  public static func parse(_ bytes: [UInt8], conference: String) throws(BridgeEventRefusal) -> Read {
    guard bytes.count <= BridgeEventLimits.maximumBodyBytes else {
      throw BridgeEventRefusal(status: 413, "body of \(bytes.count) bytes; at most \(BridgeEventLimits.maximumBodyBytes)")
    }
    guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
      throw BridgeEventRefusal("not a JSON object: an event sink posts one event object")
    }
    guard let node = object["node"] as? String, !node.isEmpty, node.utf8.count <= 256 else {
      throw BridgeEventRefusal("'node' missing or not a text")
    }
    guard let sequence = JanusEventPayload.unsigned(object["seq"]), sequence >= 1 else {
      throw BridgeEventRefusal("'seq' missing or not a whole number from 1")
    }
    guard let event = object["event"] as? String else { throw BridgeEventRefusal("'event' missing or not a text") }
    var batch = BridgeEventBatch()
    switch event {
    case "participant_connected", "participant_updated", "participant_disconnected":
      guard let data = object["data"] as? [String: Any] else { throw BridgeEventRefusal("'data' missing or not an object") }
      guard let id = data["uuid"] as? String, !id.isEmpty, id.utf8.count <= BridgeParticipant.maximumIDBytes else {
        throw BridgeEventRefusal("'data.uuid' missing or not a text")
      }
      var texts: [String: String] = [:]
      for key in ["conference", "display_name", "remote_alias", "source_alias"] {
        guard let value = JanusEventPayload.optionalText(data[key]) else { throw BridgeEventRefusal("'data.\(key)' is not a text") }
        if let value { texts[key] = value.trimmingCharacters(in: .whitespaces) }
      }
      guard let named = texts["conference"] else { throw BridgeEventRefusal("'data.conference' missing") }
      guard BridgeNameIndex.normalized(named) == BridgeNameIndex.normalized(conference) else {
        batch.ignored = 1
        break
      }
      if event == "participant_disconnected" {
        batch.events = [.left(id: id, display: texts["display_name"])]
      } else {
        let address = [texts["remote_alias"], texts["source_alias"]].compactMap { $0 }.first { !$0.isEmpty }
        let name = texts["display_name"] ?? ""
        batch.events = [.joined(BridgeParticipant(id: id, display: name.isEmpty ? (address ?? "#\(id)") : name, address: address))]
      }
    case "eventsink_started":
      batch.events = [.resync(reason: "the event sink started")]
    default:
      batch.ignored = 1
    }
    return Read(node: node, sequence: sequence, batch: batch)
  }
}

/// Cisco Meeting Server's CDRs (the "Cisco Meeting Server Call Detail Records Guide", sections 2 "General
/// Mechanism", 3 "Record Types", 4 "Record Details", 6 "Example Traffic Flow"): a POST of
/// `<records session="..." callBridge="...">` holding `<record type="..." time="..." recordIndex="N"
/// correlatorIndex="N">`, retried by CMS until it is answered 200. Read, keeping what ties a leg to the watched
/// coSpace (`CMSRecordTracker`): `callStart` (`<call id>` with its `<coSpace>`), `callEnd`, `callLegStart`
/// (`<callLeg id>` with `<displayName>`, `<remoteParty>`), `callLegUpdate` (`<callLeg id>` with its `<call>`),
/// `callLegEnd`. The XML is read by `BoundedXML` (no DOCTYPE, bounded depth and size). Pure.
public enum CMSRecordsPayload {
  public struct Record: Sendable, Equatable {
    public var type: String
    public var index: UInt64
    /// The `<call id>` or `<callLeg id>` the record is about.
    public var id: String
    /// `<coSpace>` (callStart), `<call>` (callLegUpdate), `<displayName>` and `<remoteParty>` (callLegStart).
    public var coSpace: String?
    public var call: String?
    public var displayName: String?
    public var remoteParty: String?
  }

  public struct Read: Sendable, Equatable {
    public var session: String
    public var records: [Record]
  }

  public static func parse(_ bytes: [UInt8]) throws(BridgeEventRefusal) -> Read {
    guard bytes.count <= BridgeEventLimits.maximumBodyBytes else {
      throw BridgeEventRefusal(status: 413, "body of \(bytes.count) bytes; at most \(BridgeEventLimits.maximumBodyBytes)")
    }
    let root: BoundedXML.Element
    do {
      root = try BoundedXML.parse(bytes, maximumDepth: 8, maximumElements: 100_000)
    } catch {
      throw BridgeEventRefusal("not the XML CMS posts: \(error.describe(Strings(.en)))")
    }
    guard root.name == "records" else { throw BridgeEventRefusal("the root element is <\(root.name.prefix(40))>, not <records>") }
    guard let session = root.attributes["session"], !session.isEmpty, session.utf8.count <= 128 else {
      throw BridgeEventRefusal("<records> without its 'session'")
    }
    let elements = root.children.filter { $0.name == "record" }
    guard elements.count <= BridgeEventLimits.maximumEvents else {
      throw BridgeEventRefusal("\(elements.count) records in one body; at most \(BridgeEventLimits.maximumEvents)")
    }
    var records: [Record] = []
    for (position, element) in elements.enumerated() {
      guard let type = element.attributes["type"], !type.isEmpty else {
        throw BridgeEventRefusal("record \(position) without its 'type'")
      }
      guard let indexText = element.attributes["recordIndex"], let index = UInt64(indexText) else {
        throw BridgeEventRefusal("record \(position) without a whole-number 'recordIndex'")
      }
      let subject = element.child("callLeg") ?? element.child("call")
      func text(_ name: String) -> String? {
        guard let value = subject?.child(name)?.text.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
          return nil
        }
        return value
      }
      let id = subject?.attributes["id"] ?? ""
      let needsID = ["callStart", "callEnd", "callLegStart", "callLegUpdate", "callLegEnd"].contains(type)
      guard !needsID || (!id.isEmpty && id.utf8.count <= BridgeParticipant.maximumIDBytes) else {
        throw BridgeEventRefusal("record \(position) (\(type.prefix(40))) without its id")
      }
      records.append(
        Record(
          type: type, index: index, id: id, coSpace: text("coSpace"), call: text("call"), displayName: text("displayName"),
          remoteParty: text("remoteParty")))
    }
    return Read(session: session, records: records)
  }
}

/// What ties CMS's records to the watched coSpace, record after record: the calls of that coSpace (from
/// `callStart`), the calls of others, and each leg's name and address (from `callLegStart`) until its
/// `callLegUpdate` says which call it is in. A leg is in once an update puts it in one of the coSpace's calls; its
/// `callLegEnd` takes it out. A leg or call it cannot place (the monitor started after its start record) asks for
/// a poll instead. Bounded: past `maximumKept` of either, it starts again empty (and polls).
public struct CMSRecordTracker: Sendable {
  public static let maximumKept = 100_000
  private let coSpace: String
  private var ours: Set<String> = []
  private var others: Set<String> = []
  private var pendingLegs: [String: BridgeParticipant] = [:]
  private var sequences = BridgeSequences()

  public init(coSpace: String) { self.coSpace = coSpace.lowercased() }

  /// The events a body's records make, with a resync where a record could not be placed or the record index
  /// jumped; a body already taken (every record a replay) makes nothing.
  public mutating func events(for read: CMSRecordsPayload.Read) -> BridgeEventBatch {
    var batch = BridgeEventBatch()
    for record in read.records {
      // A session's records are numbered from 1 (the guide's example traffic flow); a new session is a new sender.
      switch sequences.admit(sender: read.session, sequence: record.index) {
      case .replay:
        batch.ignored += 1
        continue
      case .gap, .restarted:
        batch.events.append(.resync(reason: "CMS record \(record.index) of session \(read.session.prefix(40)) follows a gap"))
      case .next: break
      }
      if ours.count + others.count + pendingLegs.count > Self.maximumKept {
        self = CMSRecordTracker(coSpace: coSpace)
        batch.events.append(.resync(reason: "too many calls and legs kept"))
      }
      switch record.type {
      case "callStart":
        if record.coSpace?.lowercased() == coSpace { ours.insert(record.id) } else { others.insert(record.id) }
      case "callEnd":
        ours.remove(record.id)
        others.remove(record.id)
      case "callLegStart":
        let address = record.remoteParty
        let name = record.displayName ?? address ?? "#\(record.id)"
        pendingLegs[record.id] = BridgeParticipant(id: record.id, display: name, address: address)
      case "callLegUpdate":
        guard let call = record.call else {
          batch.ignored += 1
          continue
        }
        if ours.contains(call) {
          if let participant = pendingLegs.removeValue(forKey: record.id) {
            batch.events.append(.joined(participant))
          } else {
            batch.ignored += 1  // already placed (a later update), or its start was before the monitor: the poll has it
          }
        } else if others.contains(call) {
          pendingLegs[record.id] = nil
          batch.ignored += 1
        } else {
          pendingLegs[record.id] = nil
          batch.events.append(.resync(reason: "CMS call \(call.prefix(40)) not known"))
        }
      case "callLegEnd":
        pendingLegs[record.id] = nil
        batch.events.append(.left(id: record.id, display: nil))
      default:
        batch.ignored += 1
      }
    }
    return batch
  }
}
