import Foundation
import Testing

@testable import BridgeCore

/// `bridges:` and `bridge_name` (issue 32): what is read, and every refusal at its file:line in the language of the
/// environment.
@Suite struct BridgeConfigTests {
  let say = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))

  func load(_ bridges: String, sites: String? = nil, files: [String: String] = [:]) throws -> (Result<LoadedConfig, ConfigErrors>, String) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bw-bridge-config-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for (name, text) in files {
      try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
      chmod(folder + "/" + name, 0o600)
    }
    let yaml =
      (sites
        ?? """
        sites:
          - {id: HB-TU, name: Tỉnh ủy, group: Hòa Bình, expected: 150, bridge_name: "Tỉnh ủy Hòa Bình"}
          - {id: HB-DB, name: Đà Bắc, group: Hòa Bình, expected: 40}
        """) + "\n" + bridges
    let path = folder + "/conference.yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    do {
      return (.success(try ConfigLoader.load(path: path)), path)
    } catch {
      return (.failure(error), path)
    }
  }

  func problems(_ result: Result<LoadedConfig, ConfigErrors>) -> [String] {
    guard case .failure(let errors) = result else { return [] }
    return errors.problems.map(\.description)
  }

  @Test func aJanusBridgeIsReadWithItsDefaults() throws {
    let (result, _) = try load(
      """
      bridges:
        - kind: janus
          url: http://127.0.0.1:8088/janus
          room: 1234
        - {kind: janus, url: "http://[::1]:9000/gw", room: 7, plugin: videoroom, poll: 2s, credentials_file: janus.secret}
      """, files: ["janus.secret": "api_secret: s3cret\n"])
    let config = try result.get().config
    #expect(config.bridges.count == 2)
    let first = config.bridges[0]
    #expect(first.host == "127.0.0.1" && first.port == 8088 && first.path == "/janus" && first.room == 1234)
    #expect(first.plugin == .audiobridge && first.poll == .seconds(5) && first.credentials == nil)
    let second = config.bridges[1]
    #expect(second.host == "::1" && second.port == 9000 && second.path == "/gw" && second.plugin == .videoroom)
    #expect(second.poll == .seconds(2) && second.credentials?.apiSecret == "s3cret")
    #expect(config.sites.map(\.bridgeMatchName) == ["Tỉnh ủy Hòa Bình", "HB-DB"])
  }

  /// CMS and Pexip serve their APIs over HTTPS only: an https url is read with port 443 by default, and `ca_file`
  /// names what its certificate must chain to, checked now at its line rather than at the first poll.
  @Test func anHTTPSBridgeIsReadWithItsCAFileAndAWrongOneIsSaidAtItsLine() throws {
    let certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    let account = "username: bw\npassword: s3cret\n"
    let (result, _) = try load(
      """
      bridges:
        - {kind: pexip, url: "https://pexip.example.vn", conference: HN, credentials_file: bridge.secret, ca_file: bridge-ca.pem}
        - {kind: cms, url: "https://10.0.0.5:445", conference: 2dcf, credentials_file: bridge.secret}
      """, files: ["bridge.secret": account, "bridge-ca.pem": certificate])
    let config = try result.get().config
    #expect(config.bridges.map(\.secure) == [true, true])
    #expect(config.bridges.map(\.port) == [443, 445])
    #expect(config.bridges.map(\.path) == ["/api/admin/status/v1", "/api/v1"])
    #expect(config.bridges[0].caFile?.hasSuffix("/bridge-ca.pem") == true && config.bridges[1].caFile == nil)

    let (refused, path) = try load(
      """
      bridges:
        - {kind: janus, url: "http://127.0.0.1:8088/janus", room: 1, ca_file: bridge-ca.pem}
        - {kind: pexip, url: "https://a.example", conference: A, credentials_file: bridge.secret, ca_file: missing.pem}
        - {kind: pexip, url: "https://b.example", conference: B, credentials_file: bridge.secret, ca_file: bridge.secret}
        - {kind: pexip, url: "https://c.example", conference: C, credentials_file: bridge.secret, ca_file: /dev/zero}
      """, files: ["bridge.secret": account, "bridge-ca.pem": certificate])
    let found = problems(refused)
    let folder = (path as NSString).deletingLastPathComponent
    #expect(found.contains("\(path):5: \(say(.bridgeCAFileNeedsHTTPS))"), "\(found)")
    #expect(
      found.contains { $0.hasPrefix("\(path):6: \(say(.bridgeCAFileBad, folder + "/missing.pem", "").dropLast(1))") }, "\(found)")
    #expect(
      found.contains("\(path):7: \(say(.bridgeCAFileBad, folder + "/bridge.secret", say(.bridgeCAFileNoCertificate)))"), "\(found)")
    // A device is refused before it is opened (a FIFO's open would wait for a writer, holding `check`).
    #expect(found.contains("\(path):8: \(say(.bridgeCAFileBad, "/dev/zero", say(.bridgeCAFileNotRegular)))"), "\(found)")
  }

  /// Janus's Admin API for each participant's audio: `admin_url` (its own port, /admin by default) with
  /// `admin_secret` from the credentials file; on another kind it is refused at its line.
  @Test func janusAdminURLAndSecretAreReadAndRefusedElsewhere() throws {
    let (result, _) = try load(
      """
      bridges:
        - {kind: janus, url: "http://127.0.0.1:8088/janus", room: 1, admin_url: "http://127.0.0.1:7088", credentials_file: j.secret}
      """, files: ["j.secret": "admin_secret: adm1n\n"])
    let bridge = try #require(try result.get().config.bridges.first)
    #expect(bridge.admin == BridgeSettings.AdminEndpoint(host: "127.0.0.1", port: 7088, path: "/admin", secure: false))
    #expect(bridge.credentials?.adminSecret == "adm1n" && bridge.credentials?.apiSecret == nil)
    let (refused, path) = try load(
      """
      bridges:
        - {kind: pexip, url: "https://p.example", conference: A, credentials_file: p.secret, admin_url: "http://p.example:7088"}
        - {kind: janus, url: "http://127.0.0.1:8088/janus", room: 2, admin_url: "ws://127.0.0.1:7188"}
      """, files: ["p.secret": "username: a\npassword: b\n"])
    #expect(problems(refused).contains("\(path):5: \(say(.bridgeAdminURLNotJanus))"), "\(problems(refused))")
    #expect(problems(refused).contains("\(path):6: \(say(.bridgeURLBad, "ws://127.0.0.1:7188"))"), "\(problems(refused))")
  }

  @Test func anUnknownKindIsRefusedAtItsLine() throws {
    let (result, path) = try load(
      """
      bridges:
        - kind: poly
          url: http://10.0.0.3/api
          room: 1
      """)
    #expect(problems(result).contains("\(path):5: \(say(.bridgeKindUnknown, "poly"))"))
  }

  @Test func everyFieldIsBoundedAndSaidAtItsLine() throws {
    let long = "http://127.0.0.1:8088/" + String(repeating: "a", count: 600)
    let (result, path) = try load(
      """
      bridges:
        - kind: janus
          url: ftp://janus.example/janus
          room: 0
          poll: 10m
          plugin: streaming
        - kind: janus
          url: \(long)
          room: 1
          events_listen: nowhere
        - {kind: janus, room: 2}
      """)
    let found = problems(result)
    #expect(found.contains("\(path):6: \(say(.bridgeURLBad, "ftp://janus.example/janus"))"))
    #expect(found.contains("\(path):7: \(say(.bridgeRoomBad, BridgeSettings.maximumRoom, "0"))"))
    #expect(found.contains("\(path):8: \(say(.bridgePollBad, "1s", "5m", "10m"))"))
    #expect(found.contains("\(path):9: \(say(.bridgePluginBad, "streaming"))"))
    #expect(found.contains("\(path):11: \(say(.bridgeURLTooLong, long.utf8.count, BridgeSettings.maximumURLBytes))"))
    #expect(found.contains("\(path):13: \(say(.bridgeListenBad, "nowhere"))"))
    #expect(found.contains("\(path):14: \(say(.bridgeMissing, "'url'"))"))
  }

  @Test func tooManyBridgesAndTheSameBridgeTwiceAreRefused() throws {
    let entry = "  - {kind: janus, url: \"http://127.0.0.1:8088/janus\", room: 1}\n"
    let (many, path) = try load("bridges:\n" + String(repeating: entry, count: BridgeSettings.maximumBridges + 1))
    #expect(
      problems(many).count == 1
        && problems(many)[0].hasPrefix("\(path):")
        && problems(many)[0].hasSuffix(say(.bridgesTooMany, BridgeSettings.maximumBridges, BridgeSettings.maximumBridges + 1)))
    let (twice, twicePath) = try load("bridges:\n" + entry + entry)
    #expect(problems(twice).contains { $0.hasPrefix("\(twicePath):6: ") && $0.contains("127.0.0.1:8088") })
  }

  @Test func eventsListenIsReadAndTwoBridgesCannotShareIt() throws {
    let (one, _) = try load(
      "bridges:\n  - {kind: janus, url: \"http://127.0.0.1:8088/janus\", room: 1, events_listen: \"127.0.0.1:8099\"}")
    let config = try one.get().config
    #expect(config.bridges.first?.eventsListen == "127.0.0.1:8099")
    #expect(try one.get().warnings.isEmpty)
    let (two, path) = try load(
      """
      bridges:
        - {kind: janus, url: "http://127.0.0.1:8088/janus", room: 1, events_listen: "127.0.0.1:8099"}
        - {kind: janus, url: "http://127.0.0.1:8088/janus", room: 2, events_listen: "127.0.0.1:8099"}
      """)
    let label = "janus audiobridge room 1 at 127.0.0.1:8088"
    #expect(
      problems(two).contains { $0.hasPrefix("\(path):6: ") && $0.hasSuffix(say(.bridgeListenTwice, "127.0.0.1:8099", label, "\(path):5")) })
  }

  @Test func twoSitesTheBridgeCannotTellApartAreRefused() throws {
    let (result, path) = try load(
      "bridges:\n  - {kind: janus, url: \"http://127.0.0.1:8088/janus\", room: 1}",
      sites: """
        sites:
          - {id: A, name: A, group: G, expected: 1, bridge_name: "Hòa Bình"}
          - {id: B, name: B, group: G, expected: 1, bridge_name: "Ho\u{300}a Bi\u{300}nh"}
          - {id: C, name: C, group: G, expected: 1, bridge_name: "  "}
        """)
    let found = problems(result)
    #expect(found.contains { $0.hasPrefix("\(path):3: ") && $0.contains("'B'") && $0.contains("'A'") })
    #expect(found.contains("\(path):4: \(say(.bridgeNameBad, "C", BridgeSettings.maximumBridgeNameLength))"))
  }

  @Test func theCredentialsFileFollowsTheKeysFileRules() throws {
    let bridges = "bridges:\n  - {kind: janus, url: \"http://127.0.0.1:8088/janus\", room: 1, credentials_file: janus.secret}"
    let (missing, path) = try load(bridges)
    #expect(problems(missing).contains { $0.hasPrefix("\(path):5: ") && $0.contains("janus.secret") })
    let (bad, _) = try load(bridges, files: ["janus.secret": "password: x\n"])
    #expect(problems(bad).contains { $0.contains("unknown key 'password'") })
    // Readable by others: loaded, with a warning.
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bw-bridge-cred-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try "token: abc\n".write(toFile: folder + "/janus.secret", atomically: true, encoding: .utf8)
    chmod(folder + "/janus.secret", 0o644)
    let yaml = "sites:\n  - {id: A, name: A, group: G, expected: 1}\n" + bridges
    try yaml.write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
    let loaded = try ConfigLoader.load(path: folder + "/c.yaml")
    #expect(loaded.config.bridges[0].credentials?.token == "abc")
    #expect(loaded.warnings.map(\.message) == [say(.bridgeCredentialsReadable, "644")])
  }
}
