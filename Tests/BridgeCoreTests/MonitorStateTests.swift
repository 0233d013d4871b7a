import Testing

@testable import BridgeCore

@Suite struct MonitorStateTests {
  @Test func socatLine() {
    let config = ConferenceConfig(sites: [SiteConfig(id: "HB-TU", name: "T", group: ["P"], expected: 1, heartbeatFile: "/x")])
    var state = MonitorState(config: config)
    let bytes = Array("BW1 site=HB-TU seq=1 count=148 state=ok\n".utf8)
    let outcome = bytes.withUnsafeBytes { state.receiveDatagram($0, now: ManualClock().now()) }
    #expect(outcome == .accepted(site: 0, sequence: 1))
  }
}
