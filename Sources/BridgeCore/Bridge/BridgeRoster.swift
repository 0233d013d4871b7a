import Foundation

/// One leg in a conference bridge's roster, as its API gave it: bounded and not yet trusted (the display name is
/// whatever the caller typed; it is sanitised where it is shown).
public struct BridgeParticipant: Sendable, Hashable {
  /// The bridge's id for the leg, as text.
  public var id: String
  /// The display name the site is matched by.
  public var display: String
  /// What Janus says about the leg's media, where it says it (AudioBridge: `muted`, `talking`, `setup`).
  public var muted: Bool?
  public var talking: Bool?
  /// The leg's media is set up (an RTP or WebRTC peer is connected).
  public var mediaUp: Bool?
  /// Janus's Admin API: the participant's audio is arriving (its jitter buffer holds packets), or not (docs/BRIDGES.md
  /// "Media through the Admin API"); nil where it is not read.
  public var audioArriving: Bool?
  /// The caller's SIP address where the kind gives one (CMS `remoteParty`, Pexip `remote_alias`): a site is
  /// matched by it when its display name matches no site.
  public var address: String?
  /// What the bridge says of the leg's media quality, where it says it (CMS, Pexip): docs/BRIDGES.md "Call quality".
  public var quality: BridgeQuality?

  public static let maximumIDBytes = 64
  public static let maximumDisplayBytes = 256

  public init(
    id: String, display: String, muted: Bool? = nil, talking: Bool? = nil, mediaUp: Bool? = nil, address: String? = nil,
    quality: BridgeQuality? = nil, audioArriving: Bool? = nil
  ) {
    self.audioArriving = audioArriving
    self.quality = quality.flatMap { $0.isEmpty ? nil : $0 }
    self.id = Self.bounded(id, bytes: Self.maximumIDBytes)
    self.display = Self.bounded(display, bytes: Self.maximumDisplayBytes)
    self.muted = muted
    self.talking = talking
    self.mediaUp = mediaUp
    self.address = address.map { Self.bounded($0, bytes: Self.maximumDisplayBytes) }
  }

  /// At most `bytes` of UTF-8, cut at a character boundary.
  public static func bounded(_ text: String, bytes: Int) -> String {
    guard text.utf8.count > bytes else { return text }
    var out = ""
    for character in text {
      if out.utf8.count + character.utf8.count > bytes { break }
      out.append(character)
    }
    return out
  }
}

/// Site by bridge name: each site's `bridge_name` (or id). Swift compares and hashes strings by Unicode canonical
/// equivalence, so a lookup is an exact match after NFC ("Hòa" typed precomposed or decomposed is one name); case,
/// spaces and accents otherwise count. A `bridge_name` that is a SIP address (`sip:hanoi@vc.gov.vn`, or
/// `hanoi@vc.gov.vn`) also matches a participant whose address is that one (`sipKey`), when its display name
/// matches no site: the one matching rule, docs/BRIDGES.md "How matching works".
public struct BridgeNameIndex: Sendable {
  private let siteByName: [String: Int]
  /// The same names by their NFC UTF-8 bytes, looked up without allocating or normalising (`SiteNameTable`); a
  /// name sent in another form (decomposed) misses there and is found in `siteByName`.
  private let siteByBytes: SiteNameTable
  private let siteByAddress: [String: Int]

  public init(sites: [SiteConfig]) {
    var siteByName: [String: Int] = [:]
    var siteByAddress: [String: Int] = [:]
    var siteByBytes = SiteNameTable(capacity: sites.count)
    siteByName.reserveCapacity(sites.count)
    for (index, site) in sites.enumerated() {
      if siteByName[site.bridgeMatchName] == nil { siteByName[site.bridgeMatchName] = index }
      let name = site.bridgeMatchName
      siteByBytes.insert(BridgeNameIndex.isCertainlyNFC(name) ? name : Self.normalized(name), site: index)
      if name.utf8.contains(UInt8(ascii: "@")), let key = Self.sipKey(name), siteByAddress[key] == nil { siteByAddress[key] = index }
    }
    self.siteByName = siteByName
    self.siteByBytes = siteByBytes
    self.siteByAddress = siteByAddress
  }

  /// True when `text` is certainly in NFC by its scalars alone: each is below U+0300 (all starters, none changed
  /// by NFC) or a precomposed letter of Latin Extended Additional (U+1E00–U+1EFF, where Vietnamese letters with two
  /// marks live). Such a text that misses the table names no site in any form; anything else (a combining mark, a
  /// script beyond these) is looked up the slow way.
  static func isCertainlyNFC(_ text: String) -> Bool {
    for scalar in text.unicodeScalars {
      let value = scalar.value
      if value < 0x300 || (0x1E00...0x1EFF).contains(value) { continue }
      return false
    }
    return true
  }

  public func site(named display: String) -> Int? {
    if let site = siteByBytes.site(exactly: display) { return site }
    // A name already in NFC that is not in the table is no site's in any form: skip the normalising lookup.
    return BridgeNameIndex.isCertainlyNFC(display) ? nil : siteByName[display]
  }

  /// The participant's site: by its display name, else by its SIP address where it has one.
  public func site(for participant: BridgeParticipant) -> Int? {
    if let site = site(named: participant.display) { return site }
    guard !siteByAddress.isEmpty, let address = participant.address, let key = Self.sipKey(address) else { return nil }
    return siteByAddress[key]
  }

  /// A SIP address as it is compared: without angle brackets, the `sip:`/`sips:` scheme, parameters (`;transport=tls`)
  /// and headers (`?...`), lowercased (endpoints differ in case; RFC 3261's case-sensitive user part is not worth two
  /// sites told apart by case alone). Nil for text that is not `user@host`.
  public static func sipKey(_ text: String) -> String? {
    var rest = Substring(text.trimmingCharacters(in: .whitespaces))
    if rest.hasPrefix("<"), rest.hasSuffix(">") { rest = rest.dropFirst().dropLast() }
    let lowered = rest.lowercased()
    var body = Substring(lowered)
    if body.hasPrefix("sips:") { body = body.dropFirst(5) } else if body.hasPrefix("sip:") { body = body.dropFirst(4) }
    if let cut = body.firstIndex(where: { $0 == ";" || $0 == "?" }) { body = body[..<cut] }
    guard let at = body.firstIndex(of: "@"), at != body.startIndex, body.index(after: at) != body.endIndex,
      !body.contains(where: { $0 == " " || $0 == "<" || $0 == ">" })
    else { return nil }
    return String(body)
  }

  /// The form two names are compared in (NFC), for messages and tests.
  public static func normalized(_ text: String) -> String {
    text.precomposedStringWithCanonicalMapping
  }
}

/// A site in one bridge's roster: since when (the poll that first saw it, or the journal's join before a restart),
/// and the media figures of its leg. `legs` > 1: the site is in the bridge more than once.
public struct BridgeLeg: Sendable, Hashable {
  public var participantID: String
  public var since: Double
  public var muted: Bool?
  public var talking: Bool?
  public var mediaUp: Bool?
  public var legs: Int
  /// The leg's call quality, as the bridge last said it (nil: it says nothing of it).
  public var quality: BridgeQuality? = nil
  /// Whether its audio is arriving, where the bridge says (Janus's Admin API).
  public var audioArriving: Bool? = nil

  public init(
    participantID: String, since: Double, muted: Bool? = nil, talking: Bool? = nil, mediaUp: Bool? = nil, legs: Int,
    quality: BridgeQuality? = nil, audioArriving: Bool? = nil
  ) {
    self.audioArriving = audioArriving
    self.participantID = participantID
    self.since = since
    self.muted = muted
    self.talking = talking
    self.mediaUp = mediaUp
    self.legs = legs
    self.quality = quality
  }
}

/// A polled roster reconciled against what the previous one said: who is in, who joined, who left, and the
/// participants no site claims. Pure and one pass over the roster plus one over the sites.
public struct BridgeReconcile: Sendable, Equatable {
  /// Per site (config order): its leg, or nil when the site is not in this roster.
  public var presence: [BridgeLeg?]
  public var joined: [Int]
  public var left: [Int]
  /// Participants matched to no site, counted whole; their names kept up to `maximumUnmatchedNames`.
  public var unmatchedCount: Int
  public var unmatchedNames: [String]
  /// Sites in this roster and the previous one whose call-quality verdict changed (for the journal).
  public var verdictChanged: [Int] = []

  public static let maximumUnmatchedNames = 50

  /// `previous`: the presence the last successful poll left (nil entries for sites not in it); `restoredSince`:
  /// for a monitor that restarted, when the journal says each site joined (kept when the site is still in).
  public static func reconcile(
    previous: [BridgeLeg?], roster: [BridgeParticipant], index: BridgeNameIndex, now: Double, restoredSince: [Double?] = []
  ) -> BridgeReconcile {
    var presence = [BridgeLeg?](repeating: nil, count: previous.count)
    var unmatchedCount = 0
    var unmatchedNames: [String] = []
    for participant in roster {
      guard let site = index.site(for: participant), site < presence.count else {
        unmatchedCount += 1
        if unmatchedNames.count < maximumUnmatchedNames { unmatchedNames.append(participant.display) }
        continue
      }
      if presence[site] != nil {
        presence[site]!.legs += 1
        // The same site twice: its worst leg's quality is the site's.
        if let quality = participant.quality, (quality.verdict ?? .good) > (presence[site]!.quality?.verdict ?? .good) {
          presence[site]!.quality = quality
        }
        continue
      }
      let since = previous[site]?.since ?? (site < restoredSince.count ? restoredSince[site] : nil) ?? now
      presence[site] = BridgeLeg(
        participantID: participant.id, since: since, muted: participant.muted, talking: participant.talking,
        mediaUp: participant.mediaUp, legs: 1, quality: participant.quality, audioArriving: participant.audioArriving)
    }
    var joined: [Int] = []
    var left: [Int] = []
    var verdictChanged: [Int] = []
    for site in presence.indices {
      let wasIn = previous[site] != nil || (site < restoredSince.count && restoredSince[site] != nil)
      let isIn = presence[site] != nil
      if isIn && !wasIn { joined.append(site) } else if wasIn && !isIn { left.append(site) }
      if let now = presence[site], now.quality?.verdict != previous[site]?.quality?.verdict,
        now.quality?.verdict != nil || previous[site] != nil
      {
        verdictChanged.append(site)
      }
    }
    return BridgeReconcile(
      presence: presence, joined: joined, left: left, unmatchedCount: unmatchedCount, unmatchedNames: unmatchedNames,
      verdictChanged: verdictChanged)
  }
}
