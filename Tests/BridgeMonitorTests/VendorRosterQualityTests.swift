import BridgeCore
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import BridgeMonitor

/// CMS's call-leg statuses (issue 32, docs/BRIDGES.md "Call quality") against a loopback server of the test's own:
/// asked only for the legs a site has, at most `CMSLegStatuses.maximumPerPoll` a poll, the longest unasked first;
/// a status that cannot be read keeps the leg's last figures and never fails the roster.
@Suite struct VendorRosterClientQualityTests {
  typealias Fixtures = VendorRosterClientTests

  func poll(_ client: CMSRosterClient, _ board: inout BridgeBoard, at now: Double) {
    board.apply(client.poll(), bridge: 0, now: now)
  }

  static func isIn(_ board: BridgeBoard, _ site: Int) -> BridgeLeg? {
    if case .inBridge(let leg) = board.state(site: site) { return leg }
    return nil
  }

  @Test func theGuidesStatusReachesTheSitesLegAndNoGuestIsAsked() throws {
    let statusPath = "/api/v1/callLegs/976dacd8-bd2a-4e3c-9e5c-1a1c7d4d2e02"
    let server = try FixtureHTTPServer(authorization: Fixtures.basic) { path in
      path == statusPath ? (200, Fixtures.fixture("cms-callLeg-status.xml")) : Fixtures.cmsRoute(path)
    }
    defer { server.stop() }
    let config = Fixtures.config(kind: .cms, port: server.port)
    let client = CMSRosterClient(bridge: config.bridges[0], timeout: .seconds(120), sites: BridgeNameIndex(sites: config.sites))
    var board = BridgeBoard(config: config)
    poll(client, &board, at: 1000)
    #expect(board.polls[0].problem == nil)
    // HP (matched by its SIP address): the guide's figures and the list's packetLoss alarm.
    let quality = try #require(Self.isIn(board, 1)?.quality)
    #expect(quality.lossPercent == 2.5 && quality.jitterMilliseconds == 41 && quality.roundTripMilliseconds == 66)
    #expect(quality.alarms == ["packetLoss"])
    #expect(quality.verdict == .degraded)
    // HN's and DN's statuses were refused (the fixture's failure): in the bridge, nothing to judge by.
    #expect(Self.isIn(board, 0)?.quality == nil)
    let statuses = server.paths.filter { $0.hasPrefix("/api/v1/callLegs/") }
    #expect(statuses.count == 3, "\(statuses)")
    #expect(!statuses.contains { $0.hasSuffix("2e04") || $0.contains("guest") }, "the guest's leg is nobody's to watch: \(statuses)")
  }

  @Test func atMostTwentyStatusesAPollTheLongestUnaskedFirstAndLastFiguresKept() throws {
    let count = 45
    let sites = (1...count).map { String(format: "S%02d", $0) }
    let failing = Atomic<Bool>(false)
    let legs = sites.map { #"<callLeg id="leg-\#($0)"><name>\#($0)</name></callLeg>"# }.joined()
    let server = try FixtureHTTPServer(authorization: Fixtures.basic) { path in
      if path.contains("coSpaceFilter") { return (200, Fixtures.fixture("cms-calls.xml")) }
      if path.contains("/callLegs?offset=0") { return (200, Array(#"<callLegs total="\#(count)">\#(legs)</callLegs>"#.utf8)) }
      if path.hasPrefix("/api/v1/callLegs/leg-S") {
        if failing.load(ordering: .acquiring) {
          return (200, Array("<callLeg id=\"x\"><status><rxAudio><jitter>?</jitter></rxAudio></status></callLeg>".utf8))
        }
        let number = Double(path.suffix(2)) ?? 0
        return (
          200,
          Array(
            "<callLeg id=\"x\"><status><rxAudio><packetLossPercentage>\(number / 10)</packetLossPercentage></rxAudio></status></callLeg>"
              .utf8)
        )
      }
      return (400, Fixtures.fixture("cms-failure.xml"))
    }
    defer { server.stop() }
    var config = Fixtures.config(kind: .cms, port: server.port)
    config.sites = sites.map { SiteConfig(id: $0, name: $0, group: ["G"], expected: 1, heartbeatFile: "/x/\($0).hb") }
    let client = CMSRosterClient(bridge: config.bridges[0], timeout: .seconds(120), sites: BridgeNameIndex(sites: config.sites))
    var board = BridgeBoard(config: config)
    func withFigures() -> Int { (0..<count).filter { Self.isIn(board, $0)?.quality?.lossPercent != nil }.count }
    func asked() -> Set<String> { Set(server.paths.filter { $0.hasPrefix("/api/v1/callLegs/") }) }

    poll(client, &board, at: 1000)
    #expect(asked().count == 20)
    #expect(withFigures() == 20)
    poll(client, &board, at: 1005)
    #expect(asked().count == 40, "the second poll asks the twenty not asked yet")
    #expect(withFigures() == 40, "the first twenty keep their figures while others are asked")
    poll(client, &board, at: 1010)
    #expect(asked().count == 45)
    #expect(withFigures() == 45)
    #expect(Self.isIn(board, 24)?.quality?.lossPercent == 2.5)
    #expect(Self.isIn(board, 24)?.quality?.verdict == .degraded)

    // Statuses CMS now answers with a figure that is no number: the roster stands, every leg keeps its figures.
    failing.store(true, ordering: .releasing)
    let before = server.paths.count
    poll(client, &board, at: 1015)
    #expect(board.polls[0].problem == nil)
    #expect(server.paths.count == before + 2 + 20)
    #expect(withFigures() == 45)
  }
}
