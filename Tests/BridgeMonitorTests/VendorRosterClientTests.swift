import BridgeCore
import Foundation
import Glibc
import TestSupport
import Testing

@testable import BridgeMonitor

/// The CMS and Pexip adapters (issue 32) against a loopback HTTP server of the test's own that serves the guides'
/// payloads (Tests/Fixtures/bridges) behind HTTP Basic authentication, read through the same reconcile as Janus
/// (`BridgeBoard`): the sites in the bridge, the participants no site claims counted and listed, and each hostile
/// answer a problem the control room reads.
@Suite struct VendorRosterClientTests {
  static let user = "bridgewatch"
  static let password = "p@ss: word"
  static var basic: String { "Basic " + Data("\(user):\(password)".utf8).base64EncodedString() }
  static let coSpace = "2dcf2b7a-3410-4066-b638-46273698d469"
  static let callID = "527089d6-6581-4331-8417-971c05c9e274"
  static let conference = "Hội nghị toàn quốc"

  static func fixture(_ name: String) -> [UInt8] {
    (try? Array(Data(contentsOf: URL(fileURLWithPath: Repository.path("Tests/Fixtures/bridges/" + name))))) ?? []
  }

  /// Hà Nội matched by its display name, Hải Phòng by its SIP address, DN by its id, CT never joined.
  static func config(kind: BridgeSettings.Kind, port: Int, password: String = password) -> ConferenceConfig {
    let sites: [(String, String?)] = [("HN", "Hà Nội"), ("HP", "sip:haiphong@vc.example.com"), ("DN", nil), ("CT", nil)]
    var config = ConferenceConfig(
      sites: sites.map { entry in
        var site = SiteConfig(id: entry.0, name: entry.0, group: ["G"], expected: 1, heartbeatFile: "/x/\(entry.0).hb")
        site.bridgeName = entry.1
        return site
      })
    config.bridges = [
      BridgeSettings(
        kind: kind, url: "", host: "127.0.0.1", port: port, path: BridgeSettings.defaultPath(kind), room: 0,
        credentials: BridgeSettings.Credentials(username: user, password: password),
        conference: kind == .cms ? coSpace : conference)
    ]
    return config
  }

  func poll(_ config: ConferenceConfig) -> (BridgeBoard, BridgePollOutcome) {
    var board = BridgeBoard(config: config)
    let bridge = config.bridges[0]
    let outcome: BridgePollOutcome =
      switch bridge.kind {
      case .cms: CMSRosterClient(bridge: bridge, timeout: .seconds(120)).poll()
      case .pexip: PexipRosterClient(bridge: bridge, timeout: .seconds(120)).poll()
      case .janus: .failed(problem: "not here")
      }
    board.apply(outcome, bridge: 0, now: 1000)
    return (board, outcome)
  }

  func expectTheFixturesRoster(_ board: BridgeBoard) {
    let inBridge = (0..<4).map { site -> Bool in
      if case .inBridge = board.state(site: site) { return true }
      return false
    }
    #expect(inBridge == [true, true, true, false])
    #expect(board.state(site: 3) == .notInBridge)
    #expect(board.polls[0].participants == 4)
    #expect(board.polls[0].currentUnmatchedCount == 1)
    #expect(board.polls[0].unmatchedNames == ["guest@partner.example.org"])
  }

  static func cmsRoute(_ path: String) -> (status: Int, body: [UInt8]) {
    if path == "/api/v1/calls?coSpaceFilter=\(coSpace)&limit=\(CMSRosterClient.maximumCalls)" { return (200, fixture("cms-calls.xml")) }
    if path.hasPrefix("/api/v1/calls/\(callID)/callLegs?offset=0&") { return (200, fixture("cms-callLegs-page1.xml")) }
    if path.hasPrefix("/api/v1/calls/\(callID)/callLegs?offset=2&") { return (200, fixture("cms-callLegs-page2.xml")) }
    return (400, fixture("cms-failure.xml"))
  }

  static func pexipRoute(_ path: String) -> (status: Int, body: [UInt8]) {
    let first = "/api/admin/status/v1/participant/?conference=H%E1%BB%99i%20ngh%E1%BB%8B%20to%C3%A0n%20qu%E1%BB%91c&limit=500"
    if path == first { return (200, fixture("pexip-participants-page1.json")) }
    if path.hasSuffix("&limit=2&offset=2") { return (200, fixture("pexip-participants-page2.json")) }
    return (404, Array("{\"error\": \"not found\"}".utf8))
  }

  // MARK: CMS

  @Test func cmsTheCoSpacesCallLegsArePagedAndMatched() throws {
    let server = try FixtureHTTPServer(authorization: Self.basic, route: Self.cmsRoute)
    defer { server.stop() }
    let (board, _) = poll(Self.config(kind: .cms, port: server.port))
    expectTheFixturesRoster(board)
    #expect(board.polls[0].problem == nil)
    #expect(server.paths.count == 3)
    #expect(server.paths.last?.hasPrefix("/api/v1/calls/\(Self.callID)/callLegs?offset=2&limit=") == true)
  }

  @Test func cmsACoSpaceWithNoCallHasNobodyIn() throws {
    let server = try FixtureHTTPServer(authorization: Self.basic) { _ in
      (200, Array("<?xml version=\"1.0\"?><calls total=\"0\"></calls>".utf8))
    }
    defer { server.stop() }
    let (board, outcome) = poll(Self.config(kind: .cms, port: server.port))
    #expect(outcome == .roster([]))
    #expect(board.state(site: 0) == .notInBridge)
  }

  @Test func cmsAWrongPasswordAndARefusalAreProblemsTheControlRoomReads() throws {
    let say = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))
    let server = try FixtureHTTPServer(authorization: Self.basic, route: Self.cmsRoute)
    defer { server.stop() }
    let (board, _) = poll(Self.config(kind: .cms, port: server.port, password: "wrong"))
    #expect(board.polls[0].problem == say(.vendorUnauthorized, "CMS", 401))
    #expect(board.state(site: 0) == .unknown)
    var config = Self.config(kind: .cms, port: server.port)
    config.bridges[0].path = "/api/v2"
    let (refused, _) = poll(config)
    #expect(refused.polls[0].problem == say(.vendorCMSFailure, "GET /api/v2/calls", "coSpaceDoesNotExist"))
  }

  @Test func cmsMorePagesThanAllowedAreRefused() throws {
    let say = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))
    // One new leg a page, and a total that never ends: the page cap stops it.
    let server = try FixtureHTTPServer(authorization: Self.basic) { path in
      if path.contains("coSpaceFilter") { return (200, Self.fixture("cms-calls.xml")) }
      let offset = path.split(separator: "offset=").last.map { $0.prefix { $0.isNumber } } ?? ""
      return (200, Array("<callLegs total=\"100000\"><callLeg id=\"leg\(offset)\"><name>x</name></callLeg></callLegs>".utf8))
    }
    defer { server.stop() }
    let (board, _) = poll(Self.config(kind: .cms, port: server.port))
    #expect(board.polls[0].problem == say(.vendorTooManyPages, CMSRosterClient.maximumPages))
    #expect(server.paths.count == CMSRosterClient.maximumPages + 1)
  }

  @Test func cmsAHugeOrTooLargeAnswerIsRefused() throws {
    let say = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))
    let huge = [UInt8](repeating: UInt8(ascii: " "), count: VendorHTTP.maximumResponseBytes + 1)
    let server = try FixtureHTTPServer(authorization: Self.basic) { path in
      path.contains("coSpaceFilter") ? (200, huge) : (200, [])
    }
    defer { server.stop() }
    let (board, _) = poll(Self.config(kind: .cms, port: server.port))
    #expect(board.polls[0].problem?.contains("larger than") == true)
    let many = try FixtureHTTPServer(authorization: Self.basic) { _ in (200, Array("<calls total=\"9\"></calls>".utf8)) }
    defer { many.stop() }
    let (calls, _) = poll(Self.config(kind: .cms, port: many.port))
    #expect(calls.polls[0].problem == say(.vendorTooManyCalls, Self.coSpace, 9, CMSRosterClient.maximumCalls))
  }

  // MARK: Pexip

  @Test func pexipTheConferencesParticipantsFollowMetaNextAndAreMatched() throws {
    let server = try FixtureHTTPServer(authorization: Self.basic, route: Self.pexipRoute)
    defer { server.stop() }
    let (board, _) = poll(Self.config(kind: .pexip, port: server.port))
    expectTheFixturesRoster(board)
    #expect(board.polls[0].problem == nil)
    #expect(server.paths.count == 2)
  }

  @Test func pexipANextPageOnAnotherHostIsNeverFollowed() throws {
    let say = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))
    let server = try FixtureHTTPServer(authorization: Self.basic) { _ in
      (200, Array("{\"meta\": {\"next\": \"http://198.51.100.1/steal\"}, \"objects\": []}".utf8))
    }
    defer { server.stop() }
    let (board, _) = poll(Self.config(kind: .pexip, port: server.port))
    #expect(board.polls[0].problem == say(.vendorNextNotPath, "http://198.51.100.1/steal"))
    #expect(server.paths.count == 1)
  }

  @Test func pexipANextThatNeverEndsAndAWrongPasswordAreRefused() throws {
    let say = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))
    let server = try FixtureHTTPServer(authorization: Self.basic) { _ in
      (200, Array("{\"meta\": {\"next\": \"/api/admin/status/v1/participant/?offset=1\"}, \"objects\": [{\"id\": \"a\"}]}".utf8))
    }
    defer { server.stop() }
    let (board, _) = poll(Self.config(kind: .pexip, port: server.port))
    #expect(board.polls[0].problem == say(.vendorTooManyPages, PexipRosterClient.maximumPages))
    let (refused, _) = poll(Self.config(kind: .pexip, port: server.port, password: "wrong"))
    #expect(refused.polls[0].problem == say(.vendorUnauthorized, "Pexip", 401))
  }

  @Test func aBridgeThatIsNotThereIsAProblemNotAHang() throws {
    // A port nothing listens on: bound, then closed.
    let server = try FixtureHTTPServer(authorization: Self.basic) { _ in (200, []) }
    let port = server.port
    server.stop()
    let (board, _) = poll(Self.config(kind: .pexip, port: port))
    #expect(board.polls[0].problem?.contains("cannot connect") == true)
  }
}
