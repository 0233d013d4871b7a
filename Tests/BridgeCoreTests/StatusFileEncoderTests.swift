import Foundation
import Testing

@testable import BridgeCore

@Suite struct StatusFileEncoderTests {
  static let config = ConferenceConfig(sites: [
    SiteConfig(id: "HB-TU", name: "Tỉnh ủy \"Hòa Bình\"\\", group: ["Hòa Bình"], expected: 150, heartbeatFile: "/x/a.hb"),
    SiteConfig(
      id: "HB-X", name: "tab\tnew\nline\u{1B}[31mred\u{85}", group: ["Hòa Bình", "Đà Bắc"], expected: 40, heartbeatFile: "/x/b.hb"),
  ])

  func snapshot(_ state: MonitorState, at seconds: Int64) -> MonitorSnapshot {
    state.snapshot(
      now: ClockReading(monotonicNanos: seconds * 1_000_000_000, unixSeconds: 1_795_000_000 + Double(seconds)), title: "Hội nghị")
  }

  @Test func namesAreEscapedOnceAndAReusedBufferWritesTheSameDocument() throws {
    var state = MonitorState(config: Self.config)
    let first = snapshot(state, at: 1)
    let fixed = StatusFileEncoder.FixedParts(first)
    var buffer: [UInt8] = []
    StatusFileEncoder.encode(first, fixed: fixed, into: &buffer)
    #expect(buffer == StatusFileEncoder.encodeBytes(first))

    let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer)) as? [String: Any])
    let sites = try #require(json["sites"] as? [[String: Any]])
    #expect(sites.map { $0["name"] as? String } == [Self.config.sites[0].name, Self.config.sites[1].name])
    #expect(sites.map { $0["group"] as? String } == ["Hòa Bình", "Hòa Bình / Đà Bắc"])
    // Control characters never reach a reader raw (a terminal `cat`ing the file must not obey them).
    #expect(!buffer.contains(0x1B) && !buffer.contains(0x09) && !String(decoding: buffer, as: UTF8.self).contains("\u{85}"))
    let groups = try #require(json["groups"] as? [[String: Any]])
    #expect(groups.map { $0["path"] as? String } == ["Hòa Bình", "Hòa Bình / Đà Bắc"])
    #expect(groups.map { $0["depth"] as? Int } == [1, 2])

    // The same buffer again, after a heartbeat: a document of its own, not the old one with the new appended.
    let bytes = Array("BW1 site=HB-X seq=1 count=39".utf8)
    _ = bytes.withUnsafeBytes { state.receiveDatagram($0, now: ClockReading(monotonicNanos: 2_000_000_000, unixSeconds: 1_795_000_002)) }
    let second = snapshot(state, at: 3)
    StatusFileEncoder.encode(second, fixed: fixed, into: &buffer)
    #expect(buffer == StatusFileEncoder.encodeBytes(second))
    let again = try #require(try JSONSerialization.jsonObject(with: Data(buffer)) as? [String: Any])
    let secondSites = try #require(again["sites"] as? [[String: Any]])
    #expect(secondSites[1]["headcount"] as? Int == 39 && secondSites[1]["status"] as? String == "online")
    #expect(secondSites[1]["age_seconds"] as? Double == 1.0)

    // The monitor writes it in chunks: the same document, cut where a chunk is full.
    var chunks: [[UInt8]] = []
    StatusFileEncoder.encode(second, fixed: fixed, chunkBytes: 100) { chunks.append($0) }
    #expect(chunks.count > 2)
    #expect(chunks.dropLast().allSatisfy { $0.count >= 100 })
    #expect(Array(chunks.joined()) == buffer)
  }
}
