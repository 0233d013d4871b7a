import BridgeCore
import Foundation
import Testing

/// The bridge's call quality in the status file (issue 32, docs/STATUS-FILE.md): each site's `bridge.quality`, the
/// `bridges.quality` counts, and a change of verdict written at once (its figures wait for the refresh).
@Suite struct StatusFileBridgeQualityTests {
  static let now = ClockReading(monotonicNanos: 10_000_000_000, unixSeconds: 1_795_000_000)

  static func state(_ roster: [BridgeParticipant]) -> MonitorState {
    var config = ConferenceConfig(
      sites: ["A", "B", "C"].map { SiteConfig(id: $0, name: $0, group: ["G"], expected: 1, heartbeatFile: "/x/\($0).hb") })
    config.bridges = [BridgeSettings(url: "http://127.0.0.1:8088/janus", host: "127.0.0.1", port: 8088, path: "/janus", room: 1)]
    var state = MonitorState(config: config)
    state.receiveBridgePoll(.roster(roster), bridge: 0, now: now)
    return state
  }

  static func json(_ snapshot: MonitorSnapshot) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(StatusFileEncoder.encode(snapshot).utf8)) as? [String: Any])
  }

  @Test func eachSitesQualityAndTheCountsByVerdict() throws {
    let state = Self.state([
      BridgeParticipant(id: "1", display: "A", quality: BridgeQuality(lossPercent: 2.5, jitterMilliseconds: 41, roundTripMilliseconds: 66)),
      BridgeParticipant(id: "2", display: "B", quality: BridgeQuality(bridgeWord: "4_terrible", alarms: ["packetLoss"])),
    ])
    let json = try Self.json(state.snapshot(now: Self.now, title: "t"))
    let sites = try #require(json["sites"] as? [[String: Any]])
    let a = try #require((sites[0]["bridge"] as? [String: Any])?["quality"] as? [String: Any])
    #expect(a["verdict"] as? String == "degraded")
    #expect(a["loss_percent"] as? Double == 2.5 && a["jitter_ms"] as? Double == 41 && a["rtt_ms"] as? Double == 66)
    #expect(a["bridge_verdict"] is NSNull && (a["alarms"] as? [String])?.isEmpty == true)
    let b = try #require((sites[1]["bridge"] as? [String: Any])?["quality"] as? [String: Any])
    #expect(b["verdict"] as? String == "bad" && b["bridge_verdict"] as? String == "4_terrible")
    #expect(b["loss_percent"] is NSNull && b["alarms"] as? [String] == ["packetLoss"])
    #expect((sites[2]["bridge"] as? [String: Any])?["quality"] == nil, "a site out of the bridge has no quality")
    let counts = try #require((json["bridges"] as? [String: Any])?["quality"] as? [String: Int])
    #expect(counts == ["good": 0, "degraded": 1, "bad": 1])
  }

  @Test func aChangeOfVerdictIsWrittenAtOnceItsFiguresWaitForTheRefresh() {
    var schedule = StatusFileSchedule()
    var state = Self.state([BridgeParticipant(id: "1", display: "A", quality: BridgeQuality(lossPercent: 0.2))])
    let first = state.snapshot(now: Self.now, title: "t")
    schedule.writing(first)
    let later = ClockReading(monotonicNanos: Self.now.monotonicNanos + 1_000_000_000, unixSeconds: Self.now.unixSeconds + 1)
    state.receiveBridgePoll(
      .roster([BridgeParticipant(id: "1", display: "A", quality: BridgeQuality(lossPercent: 0.4))]), bridge: 0, now: later)
    #expect(schedule.action(for: state.snapshot(now: later, title: "t"), hadEvents: false) == .none, "the same verdict: the refresh")
    state.receiveBridgePoll(
      .roster([BridgeParticipant(id: "1", display: "A", quality: BridgeQuality(lossPercent: 6))]), bridge: 0, now: later)
    #expect(schedule.action(for: state.snapshot(now: later, title: "t"), hadEvents: false) == .write, "bad now: at once")
  }
}
