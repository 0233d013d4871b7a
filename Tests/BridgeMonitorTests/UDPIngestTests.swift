import BridgeCore
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import BridgeMonitor

/// Real sockets on loopback. A valid "barrier" heartbeat sent after a rejected one proves the rejected one was
/// processed (one socket to one socket on loopback keeps order) and that it got no reply: the first datagram
/// back must be the barrier's ack.
@Suite struct UDPIngestTests {
  @Test func acceptsHeartbeatsFromSeveralSitesAndAcks() async throws {
    let fixture = try await MonitorFixture.start()
    try await stopping(fixture.stop) { () async throws in
      let client = UDPTestSocket()
      client.send("BW1 site=HB-TU seq=1 count=148 state=ok\n", port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-TU seq=1")
      client.send("BW1 site=HB-DB-HU seq=7 count=90 rtt=35", port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-DB-HU seq=7")
      client.send("BW1 site=HB-DB-TULY seq=3 count=41 state=help\r\n", port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-DB-TULY seq=3")

      let snapshot = try await fixture.snapshot()
      #expect(snapshot.records.map(\.status) == [.online, .online, .online])
      #expect(snapshot.records.map(\.headcount) == [148, 90, 41])
      #expect(snapshot.records[1].rttMilliseconds == 35)
      #expect(snapshot.records[2].flags.contains(.helpRequested))
      #expect(snapshot.rollups[0].reportedHeadcount == 279)
      #expect(snapshot.counters.datagramsReceived == 3 && snapshot.counters.datagramsAccepted == 3 && snapshot.counters.acksSent == 3)
    }
  }

  /// Bursts from several senders arrive in batches of up to 64: every sender gets exactly the acks for its own
  /// heartbeats (an ack must go to the address its heartbeat came from), and a datagram longer than the receive
  /// slot is rejected as too large, not truncated into a valid heartbeat.
  @Test func burstsFromManySendersAreBatchedAndEachSenderGetsItsOwnAcks() async throws {
    let fixture = try await MonitorFixture.start()
    try await stopping(fixture.stop) { () async throws in
      let sites = ["HB-TU", "HB-DB-HU", "HB-DB-TULY"]
      let senders = sites.map { _ in UDPTestSocket() }
      let perSender = 150
      for round in 1...perSender {
        for (index, sender) in senders.enumerated() {
          sender.send("BW1 site=\(sites[index]) seq=\(UInt64.max - UInt64(perSender) + UInt64(round)) count=\(round)", port: fixture.port)
        }
      }
      let valid = "BW1 site=HB-TU seq=1 count=5 "
      senders[0].send(Array(valid.utf8) + Array(repeating: UInt8(ascii: " "), count: 4000 - valid.utf8.count), port: fixture.port)
      for (index, sender) in senders.enumerated() {
        var acks: [String] = []
        while acks.count < perSender, let ack = sender.receive() { acks.append(ack) }
        let expected = (1...perSender).map { "BW1 ack site=\(sites[index]) seq=\(UInt64.max - UInt64(perSender) + UInt64($0))" }
        #expect(acks == expected, "acks to \(sites[index])")
      }
      #expect(senders[0].receive(timeoutMilliseconds: 300) == nil, "no ack for the oversized datagram")
      let snapshot = try await fixture.snapshot()
      #expect(snapshot.counters.datagramsAccepted == UInt64(perSender * sites.count))
      #expect(snapshot.counters[.tooLarge] == 1)
      #expect(snapshot.records.map(\.headcount) == [perSender, perSender, perSender])
    }
  }

  static let secret = "tu-ly-secret-0123456789"

  func signed(_ line: String) -> String { HeartbeatAuthenticator.sign(line, secret: Array(Self.secret.utf8)) }

  @Test func everyRejectionReasonIsCountedAndNeverAnswered() async throws {
    let fixture = try await MonitorFixture.start(keys: ["HB-DB-TULY": Self.secret])
    try await stopping(fixture.stop) { () async throws in
      let client = UDPTestSocket()
      let now = fixture.unixNow
      let cases: [(bytes: [UInt8], reason: RejectionReason)] = [
        (Array(repeating: UInt8(ascii: "x"), count: 1500), .tooLarge),
        (Array("BW1 site=HB-TU seq=1 seq=2".utf8), .malformed),
        (Array("GET / HTTP/1.1\r\n\r\n".utf8), .malformed),
        (Array("BW1 site=NOWHERE seq=1".utf8), .unknownSite),
        (Array("BW1 site=HB-DB-TULY seq=1 count=40".utf8), .unauthenticated),
        (Array((HeartbeatAuthenticator.sign("BW1 site=HB-DB-TULY seq=1 ts=\(now)", secret: Array("wrong-key-000000".utf8))).utf8), .badMAC),
        (Array(signed("BW1 site=HB-DB-TULY seq=1 ts=\(now - 121)").utf8), .stale),
        (Array(signed("BW1 site=HB-DB-TULY seq=1 ts=\(now + 121)").utf8), .stale),
      ]
      for (index, item) in cases.enumerated() {
        client.send(item.bytes, port: fixture.port)
        client.send("BW1 site=HB-TU seq=\(index + 1)", port: fixture.port)
        #expect(client.receive() == "BW1 ack site=HB-TU seq=\(index + 1)", "case \(index): \(item.reason)")
      }
      let counters = try await fixture.snapshot().counters
      for reason in RejectionReason.allCases where reason != .replayed {
        let expected = UInt64(cases.filter { $0.reason == reason }.count)
        #expect(counters[reason] == expected, "\(reason)")
      }
      #expect(counters.datagramsRejected == UInt64(cases.count))
      #expect(counters.acksSent == UInt64(cases.count))
      #expect(try await fixture.record("HB-DB-TULY").status == .unknown)
    }
  }

  @Test func signedHeartbeatsRejectReplaysAndAcceptAnAgentRestart() async throws {
    let fixture = try await MonitorFixture.start(keys: ["HB-DB-TULY": Self.secret])
    try await stopping(fixture.stop) { () async throws in
      let client = UDPTestSocket()
      let now = fixture.unixNow
      // Captured before the monitor started (within the skew window): a replay across the restart, refused.
      client.send(signed("BW1 site=HB-DB-TULY seq=900 count=9 ts=\(now - 10)"), port: fixture.port)
      let first = signed("BW1 site=HB-DB-TULY seq=41 count=40 ts=\(now)")
      client.send(first, port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-DB-TULY seq=41")
      client.send(signed("BW1 site=HB-DB-TULY seq=42 count=42 ts=\(now)"), port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-DB-TULY seq=42")
      // The same datagram again, and an older pair: replays, not answered.
      client.send(first, port: fixture.port)
      client.send(signed("BW1 site=HB-DB-TULY seq=40 count=1 ts=\(now)"), port: fixture.port)
      client.send("BW1 site=HB-TU seq=1", port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-TU seq=1")
      #expect(try await fixture.snapshot().counters[.replayed] == 3)
      #expect(try await fixture.record("HB-DB-TULY").headcount == 42)
      // The agent restarts: seq back to 1, but its ts is newer.
      client.send(signed("BW1 site=HB-DB-TULY seq=1 count=43 ts=\(now + 5)"), port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-DB-TULY seq=1")
      #expect(try await fixture.record("HB-DB-TULY").headcount == 43)
    }
  }

  @Test func requireAuthRejectsSitesWithoutKeys() async throws {
    let fixture = try await MonitorFixture.start(keys: ["HB-DB-TULY": Self.secret], requireAuth: true)
    try await stopping(fixture.stop) { () async throws in
      let client = UDPTestSocket()
      client.send("BW1 site=HB-TU seq=1", port: fixture.port)
      client.send(signed("BW1 site=HB-DB-TULY seq=1 ts=\(fixture.unixNow)"), port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-DB-TULY seq=1")
      #expect(try await fixture.snapshot().counters[.unauthenticated] == 1)
    }
  }

  @Test func silenceTurnsSitesLateThenOfflineAndTheStatusFileShowsIt() async throws {
    let fixture = try await MonitorFixture.start()
    try await stopping(fixture.stop) { () async throws in
      let client = UDPTestSocket()
      client.send("BW1 site=HB-TU seq=1 count=148", port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-TU seq=1")
      client.send("BW1 site=HB-DB-HU seq=1 count=90 state=help", port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-DB-HU seq=1")
      client.send("BW1 site=HB-DB-HU seq=3 count=95", port: fixture.port)  // seq 2 lost
      #expect(client.receive() == "BW1 ack site=HB-DB-HU seq=3")
      fixture.clock.advance(by: .seconds(13))
      try await fixture.monitor.tickNow()
      #expect(try await fixture.record("HB-TU").status == .late)
      client.send("BW1 site=HB-DB-HU seq=4 count=96", port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-DB-HU seq=4")
      fixture.clock.advance(by: .seconds(20))
      try await fixture.monitor.withEngineForTests { engine, now in
        try engine.mark(site: 2, operatorName: "lan", reason: "mất điện", now: now)
      }
      try await fixture.monitor.tickNow()
      #expect(try await fixture.record("HB-TU").status == .offline)

      // The status file is written off the loop; wait for the write that reflects the offline site.
      var json: [String: Any] = [:]
      for _ in 0..<100 {
        if let data = FileManager.default.contents(atPath: fixture.directory + "/status.json"),
          let parsed = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          (parsed["total"] as? [String: Any])?["offline"] as? Int == 1
        {
          json = parsed
          break
        }
        try await Task.sleep(for: .milliseconds(20))
      }
      let total = try #require(json["total"] as? [String: Any])
      // HB-TU silent for 33 s: offline; HB-DB-HU silent for 20 s: late; HB-DB-TULY marked.
      #expect(total["sites"] as? Int == 3 && total["online"] as? Int == 0 && total["late"] as? Int == 1)
      #expect(total["offline"] as? Int == 1 && total["marked"] as? Int == 1)
      // Live attendance counts only the late site's 96: the offline site's 148 stays on its entry, not counted.
      #expect(total["headcount"] as? Int == 96 && total["expected"] as? Int == 150)
      #expect(total["alerts"] as? Int == 2)
      let sites = try #require(json["sites"] as? [[String: Any]])
      #expect(sites.map { $0["id"] as? String } == ["HB-TU", "HB-DB-HU", "HB-DB-TULY"])
      #expect(sites[0]["status"] as? String == "offline" && sites[0]["headcount"] as? Int == 148)
      #expect(sites[0]["headcount_counted"] as? Bool == false && sites[1]["headcount_counted"] as? Bool == true)
      #expect(abs((sites[0]["age_seconds"] as? Double ?? 0) - 33) < 0.01)
      #expect(sites[1]["status"] as? String == "late" && sites[1]["loss_percent"] as? Double == 25.0)
      // Later heartbeats without state=help withdrew the request.
      #expect(sites[1]["flags"] as? [String] == [])
      #expect(sites[1]["source"] as? String == "udp" && sites[1]["name"] as? String == "Điểm HB-DB-HU")
      let mark = try #require(sites[2]["mark"] as? [String: Any])
      #expect(mark["operator"] as? String == "lan" && mark["reason"] as? String == "mất điện")
      let groups = try #require(json["groups"] as? [[String: Any]])
      #expect(groups.map { $0["path"] as? String } == ["Hòa Bình", "Hòa Bình / Đà Bắc"])
      let counters = try #require(json["counters"] as? [String: Any])
      #expect(counters["datagrams_accepted"] as? Int == 4)
      #expect((counters["rejected"] as? [String: Any])?["unknown_site"] as? Int == 0)
    }
  }

  /// The wall clock stepped an hour ahead while the sites' clocks are right: every signed heartbeat is refused as
  /// stale. Ages do not jump (they run on the monotonic clock); the faces say the clock stepped and looks off.
  @Test func aWallClockStepIsSaidAndSignedSitesRefusedAsStalePointAtTheClock() async throws {
    let fixture = try await MonitorFixture.start(keys: ["HB-DB-TULY": Self.secret, "HB-TU": Self.secret], requireAuth: true)
    try await stopping(fixture.stop) { () async throws in
      let client = UDPTestSocket()
      let siteClock = fixture.unixNow
      client.send(signed("BW1 site=HB-TU seq=1 ts=\(siteClock)"), port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-TU seq=1")
      try await fixture.monitor.tickNow()
      #expect(try await fixture.snapshot().clockNote == nil)

      fixture.clock.stepWall(by: 3600)
      try await fixture.monitor.tickNow()
      let stepped = try await fixture.snapshot()
      #expect(stepped.clockNote?.step?.seconds == 3600)
      #expect(stepped.clockNote?.clockLooksOff == false)
      #expect(try await fixture.record("HB-TU").status == .online, "a wall step alone must not age a site")

      for sequence in 2..<8 {
        client.send(signed("BW1 site=HB-TU seq=\(sequence) ts=\(siteClock + UInt64(sequence))"), port: fixture.port)
        client.send(signed("BW1 site=HB-DB-TULY seq=\(sequence) ts=\(siteClock + UInt64(sequence))"), port: fixture.port)
      }
      #expect(client.receive(timeoutMilliseconds: 300) == nil, "stale heartbeats are never answered")
      try await fixture.monitor.tickNow()
      let off = try #require(try await fixture.snapshot().clockNote)
      // The one accepted before the step is in the window too when the timer's own tick came before it.
      #expect(off.clockLooksOff && off.staleSigned == 12 && off.acceptedSigned <= 1)
      #expect(off.text.contains("monitor clock off? 12 of \(12 + off.acceptedSigned) signed heartbeats"))
      var problem: String?
      for _ in 0..<100 {
        if let data = FileManager.default.contents(atPath: fixture.directory + "/status.json"),
          let parsed = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let text = parsed["clock_problem"] as? String, text.contains("clock off?")
        {
          problem = text
          break
        }
        try await Task.sleep(for: .milliseconds(20))
      }
      #expect(problem?.contains("stepped +1 h 0 min 0 s") == true, "\(problem ?? "no clock_problem in the status file")")
    }
  }

  /// The receive buffer asked for follows the roster (a second and more of heartbeats at one per site per
  /// second), and the monitor says at start when the kernel's cap leaves it under a second, with the command that
  /// raises the cap; a granted buffer, or a small roster's 8 MiB, says nothing.
  @Test func theReceiveBufferFollowsTheRosterAndACapThatStarvesItIsSaid() throws {
    #expect(UDPInput.receiveBufferAsked(sites: 7_400) == 8 << 20)
    #expect(UDPInput.receiveBufferAsked(sites: 100_000) == 49_920_000)
    #expect(UDPInput.receiveBufferAsked(sites: 2_000_000) == 256 << 20)
    // The kernel counts twice what is asked; with rmem_max at 4 MiB it grants 8 MiB of its count.
    #expect(UDPInput.receiveBufferNote(asked: 8 << 20, granted: 8 << 20, sites: 7_400) == nil, "1.36 s of heartbeats")
    let asked = UDPInput.receiveBufferAsked(sites: 31_097)
    #expect(UDPInput.receiveBufferNote(asked: asked, granted: 2 * Int(asked), sites: 31_097) == nil, "granted in full")
    let note = try #require(UDPInput.receiveBufferNote(asked: asked, granted: 8 << 20, sites: 31_097))
    #expect(note.contains("holds 8 MiB of the 29 MiB asked"), "\(note)")
    #expect(note.contains("about 324 ms of heartbeats") && note.contains("for 31,097 sites"), "\(note)")
    #expect(note.contains("sysctl -w net.core.rmem_max=\(asked)"), "\(note)")
  }
}

/// A monitor where nothing happens does not rebuild its status file: it touches it every 5 s (the monitor is alive)
/// and rewrites it every minute; a file removed meanwhile is written again at the next refresh.
@Suite struct QuietStatusFileTests {
  struct Seen: Equatable {
    var inode: UInt64
    var modifiedAt: Int
    var generatedAt: Double
  }

  static func seen(_ path: String) -> Seen? {
    var info = stat()
    guard stat(path, &info) == 0, let data = FileManager.default.contents(atPath: path),
      let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let generated = json["generated_at"] as? Double
    else { return nil }
    return Seen(inode: UInt64(info.st_ino), modifiedAt: info.st_mtim.tv_sec, generatedAt: generated)
  }

  /// Waits (the file is written off the loop) until the file shows something other than `old`.
  static func change(_ path: String, from old: Seen?) async throws -> Seen? {
    for _ in 0..<500 {
      if let seen = seen(path), seen != old { return seen }
      try await Task.sleep(for: .milliseconds(20))
    }
    return nil
  }

  /// Ticks until the file changes from `old`: a tick that finds the last write or touch still in flight leaves
  /// the file alone, and the next one, at the same time, does what it skipped.
  static func tick(_ fixture: MonitorFixture, until path: String, changesFrom old: Seen?, where wanted: (Seen) -> Bool = { _ in true })
    async throws -> Seen?
  {
    var seen = old
    for _ in 0..<4 {
      try await fixture.monitor.tickNow()
      seen = try await change(path, from: seen)
      if let seen, wanted(seen) { return seen }
    }
    return nil
  }

  @Test func aQuietMonitorTouchesItsStatusFileAndRewritesItEveryMinute() async throws {
    let fixture = try await MonitorFixture.start()
    try await stopping(fixture.stop) { () async throws in
      let path = fixture.directory + "/status.json"
      try await fixture.monitor.tickNow()
      let first = try #require(try await Self.change(path, from: nil))
      // Backdated, so a touch shows whatever the file system's time resolution.
      setModificationTime(path, unixSeconds: fixture.clock.now().unixSeconds - 3600)
      let backdated = try #require(Self.seen(path))

      fixture.clock.advance(by: .seconds(5))
      let touched = try #require(try await Self.tick(fixture, until: path, changesFrom: backdated))
      #expect(touched.inode == first.inode, "touched, not rewritten")
      #expect(touched.generatedAt == first.generatedAt)
      // Set to the real now: an hour after the backdated time, not in the future (a loaded machine may take seconds
      // between the touch and this line, so no tighter bound).
      #expect(touched.modifiedAt > backdated.modifiedAt + 3000 && Double(touched.modifiedAt) <= Date().timeIntervalSince1970 + 1)

      // 60 s after the last write: written again, with the time of now.
      for _ in 0..<10 {
        fixture.clock.advance(by: .seconds(5))
        try await fixture.monitor.tickNow()
        try await Task.sleep(for: .milliseconds(50))
      }
      fixture.clock.advance(by: .seconds(5))
      let rewritten = try #require(try await Self.tick(fixture, until: path, changesFrom: touched) { $0.inode != touched.inode })
      #expect(rewritten.inode != first.inode)
      #expect(abs(rewritten.generatedAt - first.generatedAt - 60) < 0.01)

      // Removed by someone: the next refresh writes it rather than touching nothing.
      try FileManager.default.removeItem(atPath: path)
      fixture.clock.advance(by: .seconds(5))
      let restored = try #require(try await Self.tick(fixture, until: path, changesFrom: nil))
      #expect(abs(restored.generatedAt - first.generatedAt - 65) < 0.01)
    }
  }
}

/// One publisher, many subscribers: each gets every update, with the detail pane it asked for.
@Suite struct MonitorSubscriptionTests {
  /// The updates a subscriber has received so far.
  final class Inbox: Sendable {
    let updates = Mutex<[MonitorUpdate]>([])
    func post(_ update: MonitorUpdate) { updates.withLock { $0.append(update) } }
    var last: MonitorUpdate? { updates.withLock { $0.last } }
    var count: Int { updates.withLock { $0.count } }
  }

  @Test func everySubscriberGetsTheUpdateWithItsOwnDetailPane() async throws {
    let fixture = try await MonitorFixture.start()
    try await stopping(fixture.stop) { () async throws in
      let wall = Inbox()
      let province = Inbox()
      let wallSubscription = fixture.monitor.subscribe { wall.post($0) }
      let provinceSubscription = fixture.monitor.subscribe { province.post($0) }
      #expect(fixture.monitor.subscriberCount == 2)
      provinceSubscription.showDetail(site: 2)
      let client = UDPTestSocket()
      client.send("BW1 site=HB-DB-TULY seq=1 count=40", port: fixture.port)
      #expect(client.receive() == "BW1 ack site=HB-DB-TULY seq=1")
      try await fixture.monitor.tickNow()
      #expect(wall.last?.snapshot.detail == nil)
      #expect(province.last?.snapshot.detail != nil)
      #expect(province.last?.snapshot.records[2].status == .online && wall.last?.snapshot.records[2].status == .online)
      // The status change went to both, in whichever update drained it (the timer's tick or ours).
      for inbox in [wall, province] {
        #expect(inbox.updates.withLock { $0.contains { $0.events.contains { $0.siteIndex == 2 } } })
      }
      // A cancelled subscriber hears nothing more; the other goes on.
      wallSubscription.cancel()
      #expect(fixture.monitor.subscriberCount == 1)
      let wallSoFar = wall.count
      let provinceSoFar = province.count
      try await fixture.monitor.tickNow()
      #expect(wall.count == wallSoFar)
      #expect(province.count > provinceSoFar)
    }
  }

  @Test func anActionIsPublishedToEverySubscriberBeforeItReturnsAndAConflictIsRefused() async throws {
    let fixture = try await MonitorFixture.start()
    try await stopping(fixture.stop) { () async throws in
      let first = Inbox()
      let second = Inbox()
      _ = fixture.monitor.subscribe { first.post($0) }
      _ = fixture.monitor.subscribe { second.post($0) }
      try await fixture.monitor.apply(
        OperatorRequest(site: "HB-DB-HU", action: .mark(reason: "mất điện")), by: OperatorIdentity(name: "lan", unixUser: "ops"))
      for inbox in [first, second] {
        // Delivered before `apply` returned; a tick may have published again since, so look at every update.
        let updates = inbox.updates.withLock { $0 }
        #expect(try #require(updates.last).snapshot.records[1].status == .marked)
        #expect(
          updates.flatMap(\.events).contains {
            $0.kind == .statusChanged(from: .unknown, to: .marked, cause: .marked(operatorName: "lan (ops)", reason: "mất điện"))
          })
      }
      do {
        try await fixture.monitor.apply(
          OperatorRequest(site: "HB-DB-HU", action: .mark(reason: "again")), by: OperatorIdentity(name: "minh"))
        Issue.record("a second mark was applied over the first")
      } catch let refused as OperatorActionError {
        guard case .alreadyMarked(let mark) = refused else { throw refused }
        #expect(mark.operatorName == "lan (ops)" && mark.reason == "mất điện")
      }
      #expect(try await fixture.record("HB-DB-HU").mark?.reason == "mất điện")
    }
  }
}
