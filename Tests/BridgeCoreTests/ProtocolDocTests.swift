import Foundation
import TestSupport
import Testing

@testable import BridgeCore

@Suite struct ProtocolDocTests {
  @Test func theDocumentedExampleMACIsRight() throws {
    let doc = try String(contentsOfFile: Repository.path("docs/PROTOCOL.md"), encoding: .utf8)
    func field(_ name: String) throws -> String {
      let line = try #require(doc.split(separator: "\n").first { $0.hasPrefix(name + ":") })
      return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }
    let secret = try field("secret")
    let signed = try field("signed")
    let datagram = try field("datagram")
    #expect(datagram.hasPrefix(signed + " mac="))
    #expect(HeartbeatAuthenticator.sign(signed, secret: Array(secret.utf8)) == datagram)

    // And the monitor's rules accept it at its own ts.
    let config = ConferenceConfig(sites: [SiteConfig(id: "HB-TU", name: "Tỉnh ủy", group: ["Hòa Bình"], expected: 150, heartbeatFile: "/x")]
    )
    let authenticator = HeartbeatAuthenticator(sites: config.sites, keys: ["HB-TU": Array(secret.utf8)], requireAuth: true)
    let bytes = Array(datagram.utf8)
    let heartbeat = try HeartbeatCodec.decode(bytes).get()
    let verdict = bytes.withUnsafeBytes {
      authenticator.check(heartbeat, bytes: $0, site: 0, last: nil, nowUnixSeconds: 1_763_800_030)
    }
    #expect(verdict == nil)
    let tampered = Array(datagram.replacingOccurrences(of: "count=148", with: "count=149").utf8)
    let tamperedVerdict = tampered.withUnsafeBytes {
      authenticator.check(try! HeartbeatCodec.decode(tampered).get(), bytes: $0, site: 0, last: nil, nowUnixSeconds: 1_763_800_030)
    }
    #expect(tamperedVerdict == .badMAC)
  }
}
