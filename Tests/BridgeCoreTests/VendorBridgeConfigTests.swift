import Foundation
import Testing

@testable import BridgeCore

/// `bridges:` entries of kind cms and pexip (issue 32): what is read, and every refusal at its file:line.
@Suite struct VendorBridgeConfigTests {
  let say = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))
  let account = ["cms.secret": "username: bridgewatch\npassword: \"p@ss: word\"\n"]

  func load(_ bridges: String, files: [String: String] = [:], sites: String? = nil) throws -> (Result<LoadedConfig, ConfigErrors>, String) {
    try BridgeConfigTests().load(bridges, sites: sites, files: files)
  }

  func problems(_ result: Result<LoadedConfig, ConfigErrors>) -> [String] { BridgeConfigTests().problems(result) }

  @Test func cmsAndPexipBridgesAreReadWithTheirDefaultPaths() throws {
    let (result, _) = try load(
      """
      bridges:
        - kind: cms
          url: http://127.0.0.1:8445
          conference: 2dcf2b7a-3410-4066-b638-46273698d469
          credentials_file: cms.secret
        - {kind: pexip, url: "http://127.0.0.1:8446/api/admin/status/v1", conference: "Hội nghị toàn quốc", credentials_file: cms.secret, poll: 10s}
      """, files: account)
    let config = try result.get().config
    #expect(config.bridges.map(\.kind) == [.cms, .pexip])
    #expect(config.bridges.map(\.path) == ["/api/v1", "/api/admin/status/v1"])
    #expect(config.bridges[0].conference == "2dcf2b7a-3410-4066-b638-46273698d469")
    #expect(config.bridges[1].conference == "Hội nghị toàn quốc" && config.bridges[1].poll == .seconds(10))
    #expect(config.bridges[0].credentials?.username == "bridgewatch" && config.bridges[0].credentials?.password == "p@ss: word")
    #expect(config.bridges[0].label == "cms coSpace 2dcf2b7a-3410-4066-b638-46273698d469 at 127.0.0.1:8445")
    #expect(config.bridges[1].label == "pexip conference Hội nghị toàn quốc at 127.0.0.1:8446")
  }

  @Test func eachKindsKeysAreRefusedOnTheOtherAtTheirLine() throws {
    let (result, path) = try load(
      """
      bridges:
        - kind: cms
          url: http://127.0.0.1:8445
          room: 1234
          plugin: videoroom
        - kind: janus
          url: http://127.0.0.1:8088/janus
          room: 1
          conference: x
        - {kind: pexip, url: "http://127.0.0.1:8446", conference: "  ", credentials_file: cms.secret}
        - {kind: pexip, url: "http://127.0.0.1:8447", conference: "a\\u001B[2Jb", credentials_file: cms.secret}
      """, files: account)
    let found = problems(result)
    #expect(found.contains("\(path):5: \(say(.bridgeMissing, "'conference', 'credentials_file'"))"))
    #expect(found.contains("\(path):7: \(say(.vendorJanusOnly, "room", "cms"))"))
    #expect(found.contains("\(path):8: \(say(.vendorJanusOnly, "plugin", "cms"))"))
    #expect(found.contains("\(path):12: \(say(.vendorConferenceNotJanus))"))
    #expect(found.contains("\(path):13: \(say(.vendorConferenceBad, BridgeSettings.maximumConferenceLength, "  "))"))
    // The escape is named, never printed.
    #expect(found.contains { $0.hasPrefix("\(path):14: ") && !$0.contains("\u{1B}") })
  }

  @Test func theAccountMustHaveAUsernameAndAPassword() throws {
    let bridge = "bridges:\n  - {kind: cms, url: \"http://127.0.0.1:8445\", conference: c, credentials_file: cms.secret}"
    for bad in ["username: bw\n", "api_secret: x\n", "username: \"a:b\"\npassword: x\n", "- not a mapping\n"] {
      let (result, _) = try load(bridge, files: ["cms.secret": bad])
      #expect(problems(result).contains { $0.contains(say(.vendorCredentialsBad)) || $0.contains("unknown key 'api_secret'") }, "\(bad)")
    }
    let (missing, path) = try load(bridge)
    #expect(problems(missing).contains { $0.hasPrefix("\(path):5: ") && $0.contains("cms.secret") })
  }

  @Test func twoSitesWithTheSameSIPAddressAreRefused() throws {
    let (result, path) = try load(
      "bridges:\n  - {kind: cms, url: \"http://127.0.0.1:8445\", conference: c, credentials_file: cms.secret}",
      files: account,
      sites: """
        sites:
          - {id: A, name: A, group: G, expected: 1, bridge_name: "sip:hanoi@vc.example.com"}
          - {id: B, name: B, group: G, expected: 1, bridge_name: "HaNoi@VC.example.com;transport=tls"}
        """)
    #expect(problems(result).contains { $0.hasPrefix("\(path):3: ") && $0.contains("'B'") && $0.contains("'A'") })
  }
}
