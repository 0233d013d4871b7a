import Foundation

/// Why a bridge's answer gives no roster: one line, in the environment's language, for the bridge's problem text
/// (the detail pane, the status file, the log). Never holds the answer's own text unsanitised.
public struct BridgePayloadProblem: Error, Sendable, Equatable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = TextSanitizer.printable(String(description.prefix(300))) }
}

/// Cisco Meeting Server's API answers (XML), as the "Cisco Meeting Server API Reference Guide" (release 2.0)
/// documents them: `GET /calls` (section 8.1.1 "Retrieving Information on Active Calls": `<calls total="N">` of
/// `<call id="...">`) and `GET /calls/<call id>/callLegs` (section 8.3.1: `<callLegs total="N">` of
/// `<callLeg id="...">` with `name`, `remoteParty`, `call`, `alarms`). Pure: bytes in, ids or legs out.
public enum CMSPayload {
  /// A page's elements: the guide's collections are paged, so one answer is small; this bounds a hostile one.
  public static let maximumElements = 200_000
  public static let maximumDepth = 16

  /// The ids of the active calls, and the `total` the bridge states.
  public static func calls(_ bytes: [UInt8], request: String, say: Strings) throws(BridgePayloadProblem) -> (total: Int, ids: [String]) {
    let root = try document(bytes, request: request, say: say)
    guard root.name == "calls" else { throw missing("<calls>", request, say) }
    let total = try totalAttribute(root, request: request, say: say)
    var ids: [String] = []
    for call in root.children where call.name == "call" {
      guard let id = call.attributes["id"], !id.isEmpty else { throw missing("<call id>", request, say) }
      ids.append(id)
    }
    return (total, ids)
  }

  /// One page of call legs: each leg's display name (`name`) and SIP address (`remoteParty`); the stated `total`.
  public static func callLegs(_ bytes: [UInt8], request: String, say: Strings) throws(BridgePayloadProblem) -> (
    total: Int, legs: [BridgeParticipant]
  ) {
    let root = try document(bytes, request: request, say: say)
    guard root.name == "callLegs" else { throw missing("<callLegs>", request, say) }
    let total = try totalAttribute(root, request: request, say: say)
    var legs: [BridgeParticipant] = []
    for leg in root.children where leg.name == "callLeg" {
      guard let id = leg.attributes["id"], !id.isEmpty else { throw missing("<callLeg id>", request, say) }
      let remote = leg.child("remoteParty")?.text.trimmingCharacters(in: .whitespaces)
      let address = remote.flatMap { $0.isEmpty ? nil : $0 }
      let name = leg.child("name")?.text.trimmingCharacters(in: .whitespaces) ?? ""
      // A leg without a display name (an endpoint that sends none) is still in the call: matched by its address,
      // else listed by it, or by its id.
      let display = name.isEmpty ? (address ?? "#\(id)") : name
      // The leg's active alarms (section 8.3.1: "<alarms>" holds one element per alarm): CMS believes the leg may
      // be degraded. Names it does not document are not kept.
      let alarms = leg.child("alarms")?.children.map(\.name) ?? []
      legs.append(BridgeParticipant(id: id, display: display, address: address, quality: BridgeQuality(alarms: alarms)))
    }
    return (total, legs)
  }

  /// A leg's media figures from `GET /callLegs/<call leg id>` (section 8.3.3; the status is Appendix A.1.2 "Call
  /// leg status": `<status>` with `rxAudio`, `txAudio`, `rxVideo`, `txVideo` sections, several video sections told
  /// apart by `role`, each with `packetLossPercentage` and `jitter`, and `roundTripTime` where CMS measured it).
  /// Loss and jitter are the worst of the sections CMS receives (rx: the site's media reaching the bridge); the round
  /// trip the worst of any section. A figure that is not a number is refused, naming it.
  public static func callLegStatus(_ bytes: [UInt8], request: String, say: Strings) throws(BridgePayloadProblem) -> BridgeQuality {
    let root = try document(bytes, request: request, say: say)
    guard root.name == "callLeg" else { throw missing("<callLeg>", request, say) }
    guard let status = root.child("status") else { throw missing("<status>", request, say) }
    var loss: Double?
    var jitter: Double?
    var roundTrip: Double?
    func number(_ section: BoundedXML.Element, _ field: String) throws(BridgePayloadProblem) -> Double? {
      guard let text = section.child(field)?.text.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
      guard let value = Double(text), value.isFinite, value >= 0 else {
        throw BridgePayloadProblem(say(.vendorFieldWrongType, "CMS", request, "\(section.name).\(field)", "a number"))
      }
      return value
    }
    for section in status.children where ["rxAudio", "rxVideo", "txAudio", "txVideo"].contains(section.name) {
      if section.name.hasPrefix("rx") {
        if let value = try number(section, "packetLossPercentage") { loss = max(loss ?? value, value) }
        if let value = try number(section, "jitter") { jitter = max(jitter ?? value, value) }
      }
      if let value = try number(section, "roundTripTime") { roundTrip = max(roundTrip ?? value, value) }
    }
    return BridgeQuality(lossPercent: loss, jitterMilliseconds: jitter, roundTripMilliseconds: roundTrip)
  }

  /// What a refusal says (`<failureDetails><coSpaceDoesNotExist /></failureDetails>`, the guide's "Failure
  /// reasons"): the first reason's name, or nil when the body is not that.
  public static func failureReason(_ bytes: [UInt8]) -> String? {
    guard let root = try? BoundedXML.parse(bytes, maximumDepth: 4, maximumElements: 64), root.name == "failureDetails" else {
      return nil
    }
    return root.children.first.map { TextSanitizer.printable(String($0.name.prefix(64))) }
  }

  private static func document(_ bytes: [UInt8], request: String, say: Strings) throws(BridgePayloadProblem) -> BoundedXML.Element {
    do {
      return try BoundedXML.parse(bytes, maximumDepth: maximumDepth, maximumElements: maximumElements)
    } catch {
      throw BridgePayloadProblem(say(.vendorNotXML, "CMS", request, error.describe(say)))
    }
  }

  private static func totalAttribute(_ root: BoundedXML.Element, request: String, say: Strings) throws(BridgePayloadProblem) -> Int {
    guard let text = root.attributes["total"] else { throw missing("total=", request, say) }
    guard let total = Int(text), (0...100_000_000).contains(total) else {
      throw BridgePayloadProblem(say(.vendorFieldWrongType, "CMS", request, "total=\"\(text.prefix(20))\"", "a count"))
    }
    return total
  }

  private static func missing(_ what: String, _ request: String, _ say: Strings) -> BridgePayloadProblem {
    BridgePayloadProblem(say(.vendorFieldMissing, "CMS", request, what))
  }
}

/// Pexip Infinity's status API answer for `GET /api/admin/status/v1/participant/?conference=<name>` (JSON, as the
/// "Pexip Infinity Management API" guide's Status API section documents it): `meta` (`next`: the path of the next
/// page or null, `total_count`) and `objects`, each participant with `id`, `display_name`, `remote_alias` (else
/// `source_alias`), `call_quality`. Pure: bytes in, participants out.
public enum PexipPayload {
  public struct Page: Sendable, Equatable {
    public var next: String?
    public var totalCount: Int?
    public var participants: [BridgeParticipant]
  }

  public static func participants(_ bytes: [UInt8], request: String, say: Strings) throws(BridgePayloadProblem) -> Page {
    func missing(_ field: String) -> BridgePayloadProblem { BridgePayloadProblem(say(.vendorFieldMissing, "Pexip", request, field)) }
    func wrong(_ field: String, _ expected: String) -> BridgePayloadProblem {
      BridgePayloadProblem(say(.vendorFieldWrongType, "Pexip", request, field, expected))
    }
    guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
      throw BridgePayloadProblem(say(.vendorNotJSON, "Pexip", request))
    }
    guard let metaValue = object["meta"] else { throw missing("meta") }
    guard let meta = metaValue as? [String: Any] else { throw wrong("meta", "an object") }
    var next: String?
    switch meta["next"] {
    case nil, is NSNull: next = nil
    case let text as String: next = text.isEmpty ? nil : text
    default: throw wrong("meta.next", "a path or null")
    }
    var totalCount: Int?
    if let value = meta["total_count"], !(value is NSNull) {
      guard let number = value as? NSNumber, number.doubleValue >= 0, number.doubleValue <= 1e8 else {
        throw wrong("meta.total_count", "a count")
      }
      totalCount = number.intValue
    }
    guard let objectsValue = object["objects"] else { throw missing("objects") }
    guard let objects = objectsValue as? [Any] else { throw wrong("objects", "a list") }
    var participants: [BridgeParticipant] = []
    participants.reserveCapacity(objects.count)
    for (index, entry) in objects.enumerated() {
      guard let fields = entry as? [String: Any] else { throw wrong("objects[\(index)]", "an object") }
      guard let idValue = fields["id"] else { throw missing("objects[\(index)].id") }
      guard let id = idValue as? String, !id.isEmpty else { throw wrong("objects[\(index)].id", "a text") }
      var texts: [String: String] = [:]
      for key in ["display_name", "remote_alias", "source_alias"] {
        switch fields[key] {
        case nil, is NSNull: continue
        case let text as String: texts[key] = text.trimmingCharacters(in: .whitespaces)
        default: throw wrong("objects[\(index)].\(key)", "a text")
        }
      }
      let address = [texts["remote_alias"], texts["source_alias"]].compactMap { $0 }.first { !$0.isEmpty }
      let name = texts["display_name"] ?? ""
      let display = name.isEmpty ? (address ?? "#\(id)") : name
      // Pexip's own verdict on the call (`0_unknown` ... `4_terrible`): a word it may add later reads as none.
      var callQuality: String?
      switch fields["call_quality"] {
      case nil, is NSNull: break
      case let text as String: callQuality = String(text.prefix(32))
      default: throw wrong("objects[\(index)].call_quality", "a text")
      }
      participants.append(
        BridgeParticipant(id: id, display: display, address: address, quality: BridgeQuality(bridgeWord: callQuality)))
    }
    return Page(next: next, totalCount: totalCount, participants: participants)
  }
}
