import Foundation
import Synchronization
import TestSupport
import Testing

/// The real `bridgewatch` polling a Cisco Meeting Server and a Pexip Infinity bridge (issue 32), played by a loopback
/// HTTP server that serves the payloads of Tests/Fixtures/bridges behind HTTP Basic authentication: no bridge of
/// either kind can run here.
@Suite struct VendorBridgeEndToEndTests {
  static let account = "username: bridgewatch\npassword: s3cret\n"
  static let basic = "Basic " + Data("bridgewatch:s3cret".utf8).base64EncodedString()
  static let coSpace = "2dcf2b7a-3410-4066-b638-46273698d469"

  final class Flag: Sendable { let value = Atomic<Bool>(false) }

  static func fixture(_ name: String) -> [UInt8] {
    (try? Array(Data(contentsOf: URL(fileURLWithPath: Repository.path("Tests/Fixtures/bridges/" + name))))) ?? []
  }

  @Test func bothVendorsRostersReachTheStatusFileAndARefusedAccountIsSaid() throws {
    // Once `refuseCMS` is set, the CMS paths answer 401 as a CMS does to a wrong password.
    let refuseCMS = Flag()
    let server = try FixtureHTTPServer(authorization: Self.basic) { path in
      if path.hasPrefix("/api/v1/"), refuseCMS.value.load(ordering: .acquiring) { return (401, []) }
      if path.hasPrefix("/api/v1/calls?coSpaceFilter=\(Self.coSpace)&") { return (200, Self.fixture("cms-calls.xml")) }
      if path.contains("/callLegs?offset=0&") { return (200, Self.fixture("cms-callLegs-page1.xml")) }
      if path.contains("/callLegs?offset=2&") { return (200, Self.fixture("cms-callLegs-page2.xml")) }
      if path.hasPrefix("/api/admin/status/v1/participant/?conference=") {
        return (200, Self.fixture(path.hasSuffix("offset=2") ? "pexip-participants-page2.json" : "pexip-participants-page1.json"))
      }
      return (404, [])
    }
    defer { server.stop() }
    let config = """
      title: Vendor bridges
      status_file: status.json
      sites:
        - {id: HN, name: Hà Nội, group: G, expected: 10, bridge_name: "Hà Nội"}
        - {id: HP, name: Hải Phòng, group: G, expected: 10, bridge_name: "sip:haiphong@vc.example.com"}
        - {id: DN, name: Đà Nẵng, group: G, expected: 10}
        - {id: CT, name: Cần Thơ, group: G, expected: 10}
      bridges:
        - {kind: cms, url: "http://127.0.0.1:\(server.port)", conference: \(Self.coSpace), credentials_file: bridge.secret, poll: 1s}
        - {kind: pexip, url: "http://127.0.0.1:\(server.port)", conference: "Hội nghị toàn quốc", credentials_file: bridge.secret, poll: 1s}
      """
    let monitor = try HeadlessMonitor(config: config, files: ["bridge.secret": Self.account])
    defer { _ = monitor.stop() }
    func state(_ json: [String: Any], _ id: String) -> String? {
      (monitor.site(id, in: json)?["bridge"] as? [String: Any])?["state"] as? String
    }
    func polls(_ json: [String: Any]) -> [[String: Any]] { (json["bridges"] as? [String: Any])?["polls"] as? [[String: Any]] ?? [] }

    let read = try #require(
      monitor.waitForStatus(seconds: 30) { json in
        ["HN", "HP", "DN"].allSatisfy { state(json, $0) == "in" } && state(json, "CT") == "out"
      }, "\(monitor.log)\n\(server.paths.suffix(10))")
    #expect((read["bridges"] as? [String: Any])?["in_bridge"] as? Int == 3)
    #expect((read["bridges"] as? [String: Any])?["unmatched"] as? Int == 2)
    #expect(polls(read).map { $0["participants"] as? Int } == [4, 4])
    #expect(polls(read).map { $0["unmatched_names"] as? [String] } == [["guest@partner.example.org"], ["guest@partner.example.org"]])
    #expect(polls(read).allSatisfy { $0["problem"] is NSNull })

    // The CMS account refused: that bridge is not read and says why; Pexip still has the three sites.
    refuseCMS.value.store(true, ordering: .releasing)
    let refused = try #require(
      monitor.waitForStatus(seconds: 30) { json in polls(json).first?["problem"] is String },
      "\(monitor.log)")
    let problem = polls(refused)[0]["problem"] as? String ?? ""
    #expect(problem.contains("CMS refused the account of credentials_file (HTTP 401)") || problem.contains("CMS từ chối"), "\(problem)")
    #expect(["HN", "HP", "DN"].allSatisfy { state(refused, $0) == "in" })
    #expect(monitor.log.contains("bridge cms coSpace \(Self.coSpace) at 127.0.0.1:\(server.port): cannot read the roster"))
  }

  @Test func checkNamesTheVendorBridgesAndRefusesAJanusKeyInTheOperatorsLanguage() throws {
    let folder = try makeScratchDirectory("bw-vendor-check")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.account.write(toFile: folder + "/cms.secret", atomically: true, encoding: .utf8)
    chmod(folder + "/cms.secret", 0o600)
    try """
    sites:
      - {id: A, name: A, group: G, expected: 1}
    bridges:
      - {kind: cms, url: "http://127.0.0.1:8445", conference: \(Self.coSpace), credentials_file: cms.secret}
      - {kind: pexip, url: "http://127.0.0.1:8446", conference: "Hội nghị", credentials_file: cms.secret, poll: 10s}
    """.write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
    let good = try Binary.run(["check", folder + "/c.yaml"], environment: ["LANG": "C.UTF-8", "LC_ALL": ""])
    #expect(good.status == 0, "\(good.stderr)")
    #expect(good.stdout.contains("bridge: cms coSpace \(Self.coSpace) at 127.0.0.1:8445, roster read every 5s"), "\(good.stdout)")
    #expect(good.stdout.contains("bridge: pexip conference Hội nghị at 127.0.0.1:8446, roster read every 10s"), "\(good.stdout)")
    try """
    sites:
      - {id: A, name: A, group: G, expected: 1}
    bridges:
      - {kind: cms, url: "http://127.0.0.1:8445", room: 1, conference: c, credentials_file: cms.secret}
    """.write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
    let vietnamese = try Binary.run(["check", folder + "/c.yaml"], environment: ["LANG": "vi_VN.UTF-8", "LC_ALL": ""])
    #expect(vietnamese.status != 0)
    #expect(
      vietnamese.stderr.contains("\(folder)/c.yaml:4: error: 'room' chỉ dùng cho cầu janus; cầu cms ghi 'conference'"),
      "\(vietnamese.stderr)")
    let english = try Binary.run(["check", folder + "/c.yaml"], environment: ["LANG": "C.UTF-8", "LC_ALL": ""])
    #expect(
      english.stderr.contains("\(folder)/c.yaml:4: error: bridge 'room' is for a janus bridge; a cms bridge names its 'conference'"),
      "\(english.stderr)")
  }
}
