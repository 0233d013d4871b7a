import BridgeCore
import BridgeField
import Testing

@Suite struct AgentSessionTests {
  let start = ClockReading(monotonicNanos: 5_000_000_000, unixSeconds: 1_763_800_000)

  @Test func measuresTheRoundTripAndReportsItInTheNextHeartbeat() {
    var session = AgentSession(site: "HB-TU", secret: nil)
    #expect(session.nextHeartbeat(count: 148, now: start) == "BW1 site=HB-TU seq=1 count=148")
    #expect(session.lineState(now: start, interval: .seconds(5)) == .waitingForFirstAck)
    let later = start.advanced(by: .milliseconds(23))
    #expect(session.receive(Array("BW1 ack site=HB-TU seq=1".utf8), now: later) == 23)
    #expect(session.nextHeartbeat(count: 150, now: later) == "BW1 site=HB-TU seq=2 count=150 rtt=23")
    #expect(session.lineState(now: later.advanced(by: .seconds(15)), interval: .seconds(5)) == .connected)
    #expect(session.lineState(now: later.advanced(by: .seconds(16)), interval: .seconds(5)) == .noAck(sinceSeconds: 16))
  }

  @Test func ignoresAcksThatAreNotForItsHeartbeats() {
    var session = AgentSession(site: "HB-TU", secret: nil)
    _ = session.nextHeartbeat(count: nil, now: start)
    for noise in ["BW1 ack site=HB-DB seq=1", "BW1 ack site=HB-TU seq=2", "BW1 ack site=HB-TU seq=-1", "BW1 ack site=HB-TU seq=", "hello"] {
      #expect(session.receive(Array(noise.utf8), now: start) == nil, "\(noise)")
    }
    #expect(session.receive(Array("BW1 ack site=HB-TU seq=1\n".utf8), now: start) == 0)
    // The same ack again is a duplicate.
    #expect(session.receive(Array("BW1 ack site=HB-TU seq=1".utf8), now: start) == nil)
    #expect(session.ackedCount == 1)
  }

  @Test func signedHeartbeatsPassTheMonitorsAuthenticator() {
    let secret = Array("hoa-binh-province-hall-secret".utf8)
    var session = AgentSession(site: "HB-TU", secret: secret)
    let line = session.nextHeartbeat(count: 148, now: start)
    #expect(line.hasPrefix("BW1 site=HB-TU seq=1 count=148 ts=1763800000 mac="))
    let site = SiteConfig(id: "HB-TU", name: "Tỉnh ủy", group: ["Hòa Bình"], expected: 150, heartbeatFile: "/tmp/x")
    let authenticator = HeartbeatAuthenticator(sites: [site], keys: ["HB-TU": secret], requireAuth: true)
    let bytes = Array(line.utf8)
    let heartbeat = try! HeartbeatCodec.decode(bytes).get()
    let verdict = bytes.withUnsafeBytes {
      authenticator.check(heartbeat, bytes: $0, site: 0, last: nil, nowUnixSeconds: start.unixSeconds)
    }
    #expect(verdict == nil)
  }

  @Test func keepsABoundedNumberOfUnacknowledgedHeartbeats() {
    var session = AgentSession(site: "HB-TU", secret: nil)
    for _ in 0..<1000 { _ = session.nextHeartbeat(count: nil, now: start) }
    #expect(session.receive(Array("BW1 ack site=HB-TU seq=1".utf8), now: start) == nil)
    #expect(session.receive(Array("BW1 ack site=HB-TU seq=1000".utf8), now: start) == 0)
  }

  @Test func tracksEachMonitorsAcksAndCountsAHeartbeatOnceWhenBothAck() {
    var session = AgentSession(site: "HB-TU", secret: nil, monitors: 2)
    #expect(session.nextHeartbeats(count: 10, now: start) == ["BW1 site=HB-TU seq=1 count=10", "BW1 site=HB-TU seq=1 count=10"])
    let ack = Array("BW1 ack site=HB-TU seq=1".utf8)
    #expect(session.receive(ack, from: 1, now: start.advanced(by: .milliseconds(40))) == 40)
    #expect(session.lines[0].state(now: start, interval: .seconds(5)) == .waitingForFirstAck)
    #expect(session.lineState(now: start, interval: .seconds(5)) == .connected)
    #expect(session.receive(ack, from: 0, now: start.advanced(by: .milliseconds(7))) == 7)
    #expect(session.ackedCount == 1)
    #expect(session.lines.map(\.ackedCount) == [1, 1])
    // Each monitor's heartbeat carries its own round trip.
    #expect(
      session.nextHeartbeats(count: 10, now: start) == ["BW1 site=HB-TU seq=2 count=10 rtt=7", "BW1 site=HB-TU seq=2 count=10 rtt=40"])
    // The first monitor goes quiet: the site stays connected through the second; each line says its own state.
    let later = start.advanced(by: .seconds(30))
    #expect(session.receive(Array("BW1 ack site=HB-TU seq=2".utf8), from: 1, now: later) != nil)
    #expect(session.lines[0].state(now: later, interval: .seconds(5)) == .noAck(sinceSeconds: 29.993))
    #expect(session.lineState(now: later, interval: .seconds(5)) == .connected)
    #expect(session.ackedCount == 2)
    // An ack for monitor 0's line arriving as monitor 5's is noise.
    #expect(session.receive(Array("BW1 ack site=HB-TU seq=2".utf8), from: 5, now: later) == nil)
  }
}
