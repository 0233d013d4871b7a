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

  /// CMS and Pexip serve their APIs over HTTPS only. Both behind real TLS (socat with a certificate from a test CA):
  /// the bridge whose `ca_file` names that CA is read; the one trusting the system's store is refused with X.509's
  /// reason, sends no password, and `check` says what each trusts.
  @Test func anHTTPSBridgeIsReadThroughItsCAFileAndAnUntrustedOneSaysWhy() throws {
    let folder = try makeScratchDirectory("bw-vendor-tls")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let server = try FixtureHTTPServer(authorization: Self.basic) { path in
      if path.hasPrefix("/api/v1/calls?coSpaceFilter=\(Self.coSpace)&") { return (200, Self.fixture("cms-calls.xml")) }
      if path.hasPrefix("/api/admin/status/v1/participant/?conference=") {
        return (200, Self.fixture(path.hasSuffix("offset=2") ? "pexip-participants-page2.json" : "pexip-participants-page1.json"))
      }
      return (404, [])
    }
    defer { server.stop() }
    let front = try TLSFront(backend: server.port, folder: folder)
    defer { front.stop() }
    let config = """
      title: Bridges over HTTPS
      status_file: status.json
      sites:
        - {id: HN, name: Hà Nội, group: G, expected: 10, bridge_name: "Hà Nội"}
        - {id: DN, name: Đà Nẵng, group: G, expected: 10}
        - {id: CT, name: Cần Thơ, group: G, expected: 10}
      bridges:
        - {kind: pexip, url: "https://127.0.0.1:\(front.port)", conference: "Hội nghị toàn quốc", credentials_file: bridge.secret, poll: 1s, ca_file: \(front.caFile)}
        - {kind: cms, url: "https://localhost:\(front.port)", conference: \(Self.coSpace), credentials_file: bridge.secret, poll: 1s}
      """
    try config.write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
    try Self.account.write(toFile: folder + "/bridge.secret", atomically: true, encoding: .utf8)
    chmod(folder + "/bridge.secret", 0o600)
    let check = try Binary.run(["check", folder + "/c.yaml"], environment: ["LANG": "C.UTF-8", "LC_ALL": ""])
    #expect(check.status == 0, "\(check.stderr)")
    #expect(check.stdout.contains("roster read every 1s, over HTTPS trusting \(front.caFile)"), "\(check.stdout)")
    #expect(check.stdout.contains("roster read every 1s, over HTTPS trusting the system's certificates"), "\(check.stdout)")

    let monitor = try HeadlessMonitor(config: config, files: ["bridge.secret": Self.account])
    defer { _ = monitor.stop() }
    func polls(_ json: [String: Any]) -> [[String: Any]] { (json["bridges"] as? [String: Any])?["polls"] as? [[String: Any]] ?? [] }
    // Cần Thơ is in neither roster, but CMS's is not read: it might be there, so it is unknown, not out.
    let read = try #require(
      monitor.waitForStatus(seconds: 30) { json in
        let state = { (id: String) in (monitor.site(id, in: json)?["bridge"] as? [String: Any])?["state"] as? String }
        return state("HN") == "in" && state("DN") == "in" && state("CT") == "unknown" && polls(json).count == 2
          && polls(json)[1]["problem"] is String
      }, "\(monitor.log)\n\(server.paths.suffix(10))\n\(monitor.statusFile().map { "\($0)" } ?? "")")
    #expect(polls(read)[0]["problem"] is NSNull)
    #expect(
      polls(read)[1]["problem"] as? String == "the certificate of localhost is not trusted: unable to get local issuer certificate",
      "\(polls(read)[1])")
    // Every request that reached the server came through the trusted bridge's TLS; none was CMS's.
    #expect(!server.paths.isEmpty && server.paths.allSatisfy { $0.hasPrefix("/api/admin/status/v1/") }, "\(server.paths)")
  }
}
