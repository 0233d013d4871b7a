import BridgeCore
import Foundation
import Synchronization

/// A GET on a CMS or Pexip API with the account of `credentials_file` (HTTP Basic), under the poll's one deadline;
/// any answer but 200 is a problem in the environment's language.
struct VendorHTTP {
  let bridge: BridgeSettings
  let vendor: String
  let timeout: Duration
  let deadline: ContinuousClock.Instant
  let say: Strings
  let resolver: HostResolver
  let tls: BridgeTLS

  static let maximumResponseBytes = 16 * 1024 * 1024

  /// One poll of a vendor's roster, every request of it within `timeout`: what `read` makes of it, or its problem.
  static func poll(
    bridge: BridgeSettings, vendor: String, timeout: Duration, say: Strings, resolver: HostResolver, tls: BridgeTLS,
    read: (VendorHTTP) throws(BridgePayloadProblem) -> [BridgeParticipant]
  ) -> BridgePollOutcome {
    let http = VendorHTTP(
      bridge: bridge, vendor: vendor, timeout: timeout, deadline: ContinuousClock.now + timeout, say: say, resolver: resolver,
      tls: tls)
    do throws(BridgePayloadProblem) {
      return .roster(try read(http))
    } catch {
      return .failed(problem: error.description)
    }
  }

  func get(_ path: String) throws(BridgePayloadProblem) -> [UInt8] {
    let left = deadline - ContinuousClock.now
    guard left > .zero else { throw BridgePayloadProblem(say(.httpNoAnswerWithin, DurationText.format(timeout))) }
    let account = "\(bridge.credentials?.username ?? ""):\(bridge.credentials?.password ?? "")"
    let answer: (status: Int, body: [UInt8])
    do {
      let http = BoundedHTTPClient(
        timeout: left, maximumResponseBytes: Self.maximumResponseBytes, statedTimeout: timeout, resolver: resolver, say: say,
        tls: try tls.context(secure: bridge.secure))
      answer = try http.get(
        host: bridge.host, port: bridge.port, path: path,
        headers: [("Authorization", "Basic " + Data(account.utf8).base64EncodedString()), ("Accept", "*/*")])
    } catch {
      throw BridgePayloadProblem(error.description)
    }
    let request = Self.requestName(path)
    switch answer.status {
    case 200: return answer.body
    case 401, 403: throw BridgePayloadProblem(say(.vendorUnauthorized, vendor, answer.status))
    default:
      if vendor == "CMS", let reason = CMSPayload.failureReason(answer.body) {
        throw BridgePayloadProblem(say(.vendorCMSFailure, request, reason))
      }
      throw BridgePayloadProblem(say(.vendorHTTPStatus, vendor, answer.status, request))
    }
  }

  /// "GET /api/v1/calls": how a problem names the request (without its query).
  static func requestName(_ path: String) -> String {
    "GET " + String(path.prefix { $0 != "?" }.prefix(120))
  }

  /// `text` for a query value: unreserved characters kept, every other byte percent-encoded.
  static func queryValue(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
      let character = Character(Unicode.Scalar(byte))
      if byte < 0x80, character.isLetter || character.isNumber || "-._~".contains(character) {
        out.append(character)
      } else {
        out += String(format: "%%%02X", byte)
      }
    }
    return out
  }
}

/// Reads one coSpace's call legs from a Cisco Meeting Server: `GET <base>/calls?coSpaceFilter=<conference>` finds the
/// coSpace's active call (none: the roster is empty), then `GET <base>/calls/<call id>/callLegs?offset=&limit=` page by
/// page until the stated `total` is read (the guide's "Using limit and offset at the Collections level"). Legs are
/// matched by `name`, else `remoteParty`. Runs on the bridge input's thread; one client per bridge.
public struct CMSRosterClient {
  public let bridge: BridgeSettings
  private let timeout: Duration

  public static let maximumParticipants = 100_000
  /// Pages of one poll: at `pageSize` each, well over `maximumParticipants`; a bridge that pages on past it is refused.
  public static let maximumPages = 1_000
  public static let pageSize = 200
  /// A coSpace has one call at a time; a few more are read (a call being replaced), no further.
  public static let maximumCalls = 8

  private let resolver: HostResolver
  private let tls: BridgeTLS
  private let say: Strings
  /// The sites' names: a leg's status is asked for only when it is a site's (docs/BRIDGES.md "Call quality").
  private let sites: BridgeNameIndex?
  private let statuses = CMSLegStatuses()

  public init(
    bridge: BridgeSettings, timeout: Duration, resolver: HostResolver = .system,
    say: Strings = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment)), sites: BridgeNameIndex? = nil
  ) {
    self.bridge = bridge
    self.timeout = timeout
    self.resolver = resolver
    self.tls = BridgeTLS(bridge, say: say)
    self.say = say
    self.sites = sites
  }

  public func poll() -> BridgePollOutcome {
    VendorHTTP.poll(bridge: bridge, vendor: "CMS", timeout: timeout, say: say, resolver: resolver, tls: tls) {
      http throws(BridgePayloadProblem) in
      statuses.fill(try readRoster(http, say: say), sites: sites, http: http, say: say)
    }
  }

  private func readRoster(_ http: VendorHTTP, say: Strings) throws(BridgePayloadProblem) -> [BridgeParticipant] {
    let coSpace = bridge.conference ?? ""
    let callsPath = "\(bridge.path)/calls?coSpaceFilter=\(VendorHTTP.queryValue(coSpace))&limit=\(Self.maximumCalls)"
    let calls = try CMSPayload.calls(http.get(callsPath), request: VendorHTTP.requestName(callsPath), say: say)
    guard calls.total <= Self.maximumCalls else {
      throw BridgePayloadProblem(say(.vendorTooManyCalls, coSpace, calls.total, Self.maximumCalls))
    }
    var roster: [BridgeParticipant] = []
    var seen = Set<String>()
    var pages = 0
    for call in calls.ids {
      var offset = 0
      while true {
        pages += 1
        guard pages <= Self.maximumPages else { throw BridgePayloadProblem(say(.vendorTooManyPages, Self.maximumPages)) }
        let path = "\(bridge.path)/calls/\(VendorHTTP.queryValue(call))/callLegs?offset=\(offset)&limit=\(Self.pageSize)"
        let page = try CMSPayload.callLegs(http.get(path), request: VendorHTTP.requestName(path), say: say)
        guard page.total <= Self.maximumParticipants else {
          throw BridgePayloadProblem(say(.vendorTooManyParticipants, page.total, Self.maximumParticipants))
        }
        // A leg seen on two pages (the list moved while it was read) counts once.
        for leg in page.legs where seen.insert(leg.id).inserted { roster.append(leg) }
        guard roster.count <= Self.maximumParticipants else {
          throw BridgePayloadProblem(say(.vendorTooManyParticipants, roster.count, Self.maximumParticipants))
        }
        offset += page.legs.count
        // Done when the stated total is read, or when a page comes back empty (the call shrank while it was read).
        if page.legs.isEmpty || offset >= page.total { break }
      }
    }
    return roster
  }
}

/// Reads one conference's participants from Pexip Infinity's status API: `GET <base>/participant/?conference=<name>
/// &limit=`, then each `meta.next` (a path on the same Management Node) until it is null. Participants are matched by
/// `display_name`, else `remote_alias` (`source_alias` when there is none). One client per bridge.
public struct PexipRosterClient {
  public let bridge: BridgeSettings
  private let timeout: Duration

  public static let maximumParticipants = 100_000
  public static let maximumPages = 1_000
  public static let pageSize = 500
  static let maximumNextBytes = 2048

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

  public func poll() -> BridgePollOutcome {
    VendorHTTP.poll(bridge: bridge, vendor: "Pexip", timeout: timeout, say: say, resolver: resolver, tls: tls) {
      http throws(BridgePayloadProblem) in
      try readRoster(http, say: say)
    }
  }

  private func readRoster(_ http: VendorHTTP, say: Strings) throws(BridgePayloadProblem) -> [BridgeParticipant] {
    var path: String? =
      "\(bridge.path)/participant/?conference=\(VendorHTTP.queryValue(bridge.conference ?? ""))&limit=\(Self.pageSize)"
    var roster: [BridgeParticipant] = []
    var seen = Set<String>()
    var pages = 0
    while let current = path {
      pages += 1
      guard pages <= Self.maximumPages else { throw BridgePayloadProblem(say(.vendorTooManyPages, Self.maximumPages)) }
      let page = try PexipPayload.participants(http.get(current), request: VendorHTTP.requestName(current), say: say)
      if let total = page.totalCount, total > Self.maximumParticipants {
        throw BridgePayloadProblem(say(.vendorTooManyParticipants, total, Self.maximumParticipants))
      }
      for participant in page.participants where seen.insert(participant.id).inserted { roster.append(participant) }
      guard roster.count <= Self.maximumParticipants else {
        throw BridgePayloadProblem(say(.vendorTooManyParticipants, roster.count, Self.maximumParticipants))
      }
      path = try page.next.map { next throws(BridgePayloadProblem) in try Self.checkedNext(next, say: say) }
    }
    return roster
  }

  /// `meta.next` is followed only as a path on the same bridge: never to another host, never with a space or a
  /// line break that would change the request.
  static func checkedNext(_ next: String, say: Strings) throws(BridgePayloadProblem) -> String {
    guard next.hasPrefix("/"), !next.hasPrefix("//"), next.utf8.count <= maximumNextBytes,
      next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
    else { throw BridgePayloadProblem(say(.vendorNextNotPath, String(next.prefix(80)))) }
    return next
  }
}

// MARK: Bridge call quality (issue 32)

/// The CMS legs' media figures (`GET /callLegs/<id>`), asked for at most `maximumPerPoll` legs a poll, only legs a
/// site has (a guest's quality is nobody's to watch), the longest unasked first: with more sites in the call than
/// that, each leg is asked every few polls, and keeps its last figures in between. A leg whose status cannot be read
/// (it left meanwhile, a refusal, the poll's deadline) keeps its last figures and never fails the roster.
final class CMSLegStatuses: Sendable {
  static let maximumPerPoll = 20
  private struct Known { var quality: BridgeQuality; var askedAt: UInt64 }
  private let state = Mutex<(known: [String: Known], polls: UInt64)>(([:], 0))

  func fill(_ roster: [BridgeParticipant], sites: BridgeNameIndex?, http: VendorHTTP, say: Strings) -> [BridgeParticipant] {
    var (known, polls) = state.withLock { $0 }
    polls += 1
    let present = Set(roster.map(\.id))
    known = known.filter { present.contains($0.key) }
    let wanted = roster.filter { sites?.site(for: $0) != nil }
      .sorted { (known[$0.id]?.askedAt ?? 0, $0.id) < (known[$1.id]?.askedAt ?? 0, $1.id) }
      .prefix(Self.maximumPerPoll)
    for leg in wanted {
      guard ContinuousClock.now < http.deadline else { break }
      let path = "\(http.bridge.path)/callLegs/\(VendorHTTP.queryValue(leg.id))"
      do throws(BridgePayloadProblem) {
        let quality = try CMSPayload.callLegStatus(http.get(path), request: VendorHTTP.requestName(path), say: say)
        known[leg.id] = Known(quality: quality, askedAt: polls)
      } catch {
        if var stale = known[leg.id] {
          stale.askedAt = polls
          known[leg.id] = stale
        } else {
          known[leg.id] = Known(quality: BridgeQuality(), askedAt: polls)
        }
      }
    }
    state.withLock { $0 = (known, polls) }
    return roster.map { leg in
      guard let figures = known[leg.id]?.quality, !figures.isEmpty else { return leg }
      var leg = leg
      leg.quality = (leg.quality ?? BridgeQuality()).merged(with: figures)
      return leg
    }
  }
}
