import Foundation
import Testing

@testable import BridgeCore

/// The conference bridge's roster, reconciled against the sites (issue 32): matching, joins and leaves, the
/// participants no site claims, the board's unknown state and the two disagreements.
@Suite struct BridgeRosterTests {
  static func site(_ id: String, bridgeName: String? = nil) -> SiteConfig {
    var site = SiteConfig(id: id, name: id, group: ["Hòa Bình"], expected: 10, heartbeatFile: "/x/\(id).hb")
    site.bridgeName = bridgeName
    return site
  }

  static func isIn(_ state: BridgeSiteState) -> Bool {
    if case .inBridge = state { return true }
    return false
  }

  static func config(_ sites: [SiteConfig], bridges: Int = 1) -> ConferenceConfig {
    var config = ConferenceConfig(sites: sites)
    config.bridges = (0..<bridges).map { index in
      BridgeSettings(url: "http://127.0.0.1:8088/janus", host: "127.0.0.1", port: 8088, path: "/janus", room: UInt64(1234 + index))
    }
    return config
  }

  @Test func aSiteIsMatchedByItsBridgeNameOrIdExactlyAfterNFC() {
    // bridge_name written precomposed; the bridge's display name arrives decomposed (NFD): the same name.
    let sites = [Self.site("HB-TU", bridgeName: "Tỉnh ủy Hòa Bình"), Self.site("HB-DB-TULY")]
    let index = BridgeNameIndex(sites: sites)
    let decomposed = "Ti\u{309}nh u\u{309}y Ho\u{300}a Bi\u{300}nh"
    #expect(Array(decomposed.utf8) != Array("Tỉnh ủy Hòa Bình".utf8))
    #expect(index.site(named: decomposed) == 0)
    #expect(index.site(named: "HB-DB-TULY") == 1)
    // The id of a site with a bridge_name is not its name in the bridge; case and spaces count.
    #expect(index.site(named: "HB-TU") == nil)
    #expect(index.site(named: "hb-db-tuly") == nil)
    #expect(index.site(named: "HB-DB-TULY ") == nil)
  }

  @Test func aPassSaysWhoJoinedAndLeftAndKeepsWhenASiteJoined() {
    let index = BridgeNameIndex(sites: ["A", "B", "C"].map { Self.site($0) })
    let first = BridgeReconcile.reconcile(
      previous: [nil, nil, nil], roster: [BridgeParticipant(id: "1", display: "A"), BridgeParticipant(id: "2", display: "B")],
      index: index, now: 100)
    #expect(first.joined == [0, 1])
    #expect(first.left == [])
    #expect(first.presence[0]?.since == 100)
    let second = BridgeReconcile.reconcile(
      previous: first.presence, roster: [BridgeParticipant(id: "1", display: "A", muted: true), BridgeParticipant(id: "3", display: "C")],
      index: index, now: 105)
    #expect(second.joined == [2])
    #expect(second.left == [1])
    #expect(second.presence[0]?.since == 100)
    #expect(second.presence[0]?.muted == true)
    #expect(second.presence[1] == nil)
    #expect(second.presence[2]?.since == 105)
  }

  @Test func aNameMatchesWhicheverFormTheConfigAndTheBridgeWriteItIn() {
    let precomposed = "Xã Hòa Bình"
    let decomposed = precomposed.decomposedStringWithCanonicalMapping
    #expect(Array(precomposed.utf8) != Array(decomposed.utf8))
    for (configured, sent) in [(precomposed, precomposed), (precomposed, decomposed), (decomposed, precomposed), (decomposed, decomposed)] {
      let index = BridgeNameIndex(sites: [Self.site("A"), Self.site("B", bridgeName: configured)])
      #expect(index.site(named: sent) == 1)
      #expect(index.site(named: sent + " ") == nil)
    }
  }

  @Test func participantsNoSiteClaimsAreCountedAndListedNeverDropped() {
    let index = BridgeNameIndex(sites: [Self.site("A")])
    let roster = [
      BridgeParticipant(id: "1", display: "A"), BridgeParticipant(id: "2", display: "Guest"),
      BridgeParticipant(id: "3", display: "A"), BridgeParticipant(id: "4", display: "\u{1b}[31mX"),
    ]
    let result = BridgeReconcile.reconcile(previous: [nil], roster: roster, index: index, now: 1)
    #expect(result.unmatchedCount == 2)
    #expect(result.unmatchedNames == ["Guest", "\u{1b}[31mX"])
    // The same site twice: in, with two legs.
    #expect(result.presence[0]?.legs == 2)
  }

  @Test func aNationalRosterIsOnePassWithEveryParticipantAccountedFor() {
    let sites = (0..<7_400).map { Self.site("S\($0)") }
    let index = BridgeNameIndex(sites: sites)
    // 31,097 legs: every site once, 23,697 more legs that no site claims (viewers, duplicates by name).
    var roster = sites.map { BridgeParticipant(id: $0.id, display: $0.id) }
    roster += (0..<(31_097 - 7_400)).map { BridgeParticipant(id: "g\($0)", display: "Viewer \($0)") }
    let result = BridgeReconcile.reconcile(
      previous: Array(repeating: nil, count: sites.count), roster: roster, index: index, now: 1)
    #expect(result.joined.count == 7_400)
    #expect(result.unmatchedCount == 23_697)
    #expect(result.unmatchedNames.count == BridgeReconcile.maximumUnmatchedNames)
    #expect(result.presence.allSatisfy { $0 != nil })
  }

  @Test func aFailedPollMakesTheRosterUnknownWithoutForgettingIt() {
    var board = BridgeBoard(config: Self.config(["A", "B"].map { Self.site($0) }))
    #expect(board.state(site: 0) == .unknown)
    board.apply(.roster([BridgeParticipant(id: "1", display: "A"), BridgeParticipant(id: "9", display: "Khách")]), bridge: 0, now: 10)
    #expect(board.polls[0].currentUnmatchedCount == 1)
    guard case .inBridge(let leg) = board.state(site: 0) else {
      Issue.record("A is not in the bridge")
      return
    }
    #expect(leg.since == 10)
    #expect(board.state(site: 1) == .notInBridge)
    board.apply(.failed(problem: "cannot connect"), bridge: 0, now: 15)
    #expect(board.state(site: 0) == .unknown)
    #expect(board.state(site: 1) == .unknown)
    #expect(board.polls[0].problem == "cannot connect")
    // Its guest is not counted while the bridge is not read: the header, status file and metrics all say 0.
    #expect(board.polls[0].currentUnmatchedCount == 0 && board.polls[0].unmatchedCount == 1)
    // Back: the roster is reconciled against the one before the failure, so A's join time stands, no new record.
    _ = board.drainRecords()
    board.apply(.roster([BridgeParticipant(id: "1", display: "A")]), bridge: 0, now: 20)
    #expect(board.state(site: 0) == .inBridge(leg))
    #expect(board.drainRecords().isEmpty)
    #expect(board.polls[0].polls == 3 && board.polls[0].failures == 1)
  }

  @Test func joinsAndLeavesBecomeJournalRecordsWithSourceBridge() throws {
    var board = BridgeBoard(config: Self.config(["A", "B"].map { Self.site($0) }))
    board.apply(.roster([BridgeParticipant(id: "1", display: "A")]), bridge: 0, now: 10)
    board.apply(.roster([BridgeParticipant(id: "2", display: "B")]), bridge: 0, now: 20)
    let records = board.drainRecords()
    #expect(
      records == [
        JournalRecord(unixSeconds: 10, site: "A", kind: .bridge(inBridge: true)),
        JournalRecord(unixSeconds: 20, site: "B", kind: .bridge(inBridge: true)),
        JournalRecord(unixSeconds: 20, site: "A", kind: .bridge(inBridge: false)),
      ])
    let line = JournalCodec.encode(records[2])
    #expect(line.contains("\"type\":\"bridge\"") && line.contains("\"on\":false") && line.contains("\"source\":\"bridge\""))
    #expect(try JournalCodec.decode(line[...]).get() == records[2])
    #expect(board.drainRecords().isEmpty)
  }

  @Test func aRestartKeepsWhenASiteJoinedIfTheFirstPollStillFindsIt() {
    let config = Self.config(["A", "B"].map { Self.site($0) })
    let journal = [
      JournalRecord(unixSeconds: 5, site: "A", kind: .bridge(inBridge: true)),
      JournalRecord(unixSeconds: 6, site: "B", kind: .bridge(inBridge: true)),
      JournalRecord(unixSeconds: 7, site: "A", kind: .bridge(inBridge: true)),
    ]
    let restored = RestoredSite.replay(journal, siteIndex: { ["A": 0, "B": 1][$0] }, siteCount: 2)
    #expect(restored.map(\.bridgeSince) == [5, 6])
    var board = BridgeBoard(config: config, restoredSince: restored.map(\.bridgeSince))
    board.apply(.roster([BridgeParticipant(id: "1", display: "A")]), bridge: 0, now: 50)
    guard case .inBridge(let leg) = board.state(site: 0) else {
      Issue.record("A is not in the bridge")
      return
    }
    #expect(leg.since == 5)
    // B was in when the last run ended and is not now: a leave; A continues: nothing.
    #expect(board.drainRecords() == [JournalRecord(unixSeconds: 50, site: "B", kind: .bridge(inBridge: false))])
  }

  @Test func aJournalMadeAnewStartsWithWhoIsInAndSinceWhen() {
    let config = Self.config(["A", "B"].map { Self.site($0) })
    var board = BridgeBoard(config: config)
    board.apply(.roster([BridgeParticipant(id: "1", display: "B")]), bridge: 0, now: 30)
    board.apply(.roster([BridgeParticipant(id: "1", display: "B")]), bridge: 0, now: 40)
    let checkpoint = board.checkpointRecords(unixSeconds: 45)
    #expect(checkpoint == [JournalRecord(unixSeconds: 45, site: "B", kind: .bridge(inBridge: true), madeAt: 30)])
    let restored = RestoredSite.replay(checkpoint, siteIndex: { ["A": 0, "B": 1][$0] }, siteCount: 2)
    #expect(restored.map(\.bridgeSince) == [nil, 30])
    // A roster not known now says nothing.
    board.apply(.failed(problem: "down"), bridge: 0, now: 50)
    #expect(board.checkpointRecords(unixSeconds: 55).isEmpty)
  }

  @Test func theTwoDisagreementsFollowTheStatusRules() {
    let leg = BridgeLeg(participantID: "1", since: 1, legs: 1)
    #expect(BridgeBoard.disagreement(.inBridge(leg), heartbeatStatus: .offline) == .inBridgeAgentSilent)
    #expect(BridgeBoard.disagreement(.inBridge(leg), heartbeatStatus: .unknown) == .inBridgeAgentSilent)
    #expect(BridgeBoard.disagreement(.inBridge(leg), heartbeatStatus: .online) == nil)
    #expect(BridgeBoard.disagreement(.inBridge(leg), heartbeatStatus: .late) == nil)
    #expect(BridgeBoard.disagreement(.notInBridge, heartbeatStatus: .online) == .aliveNotInBridge)
    #expect(BridgeBoard.disagreement(.notInBridge, heartbeatStatus: .late) == .aliveNotInBridge)
    #expect(BridgeBoard.disagreement(.notInBridge, heartbeatStatus: .offline) == nil)
    // A roster not known raises neither.
    #expect(BridgeBoard.disagreement(.unknown, heartbeatStatus: .online) == nil)
    #expect(BridgeBoard.disagreement(.unknown, heartbeatStatus: .offline) == nil)
  }

  @Test func withTwoBridgesASiteIsOutOnlyWhenBothRostersAreKnown() {
    var board = BridgeBoard(config: Self.config(["A", "B"].map { Self.site($0) }, bridges: 2))
    board.apply(.roster([BridgeParticipant(id: "1", display: "A")]), bridge: 0, now: 10)
    #expect(board.state(site: 1) == .unknown)
    board.apply(.roster([]), bridge: 1, now: 10)
    #expect(board.state(site: 1) == .notInBridge)
    #expect(Self.isIn(board.state(site: 0)))
  }

  /// Two bridges: a site that leaves one while still in the other has not left; the journal says it left only
  /// when it is in neither, and joined only when it came into the first of them. The report reads the journal.
  @Test func withTwoBridgesTheJournalSaysASiteLeftOnlyWhenItLeavesTheLastOne() throws {
    let config = Self.config(["A", "B"].map { Self.site($0) }, bridges: 2)
    var board = BridgeBoard(config: config)
    let inBoth = [BridgeParticipant(id: "1", display: "A")]
    board.apply(.roster(inBoth), bridge: 0, now: 10)
    board.apply(.roster(inBoth), bridge: 1, now: 20)
    #expect(board.drainRecords() == [JournalRecord(unixSeconds: 10, site: "A", kind: .bridge(inBridge: true))])
    // A leaves bridge 1, still in bridge 0: in, nothing journaled.
    board.apply(.roster([]), bridge: 1, now: 30)
    #expect(Self.isIn(board.state(site: 0)))
    #expect(board.drainRecords().isEmpty)
    // Back into bridge 1 while in bridge 0: still nothing; then out of bridge 0 while in bridge 1: nothing.
    board.apply(.roster(inBoth), bridge: 1, now: 40)
    board.apply(.roster([]), bridge: 0, now: 50)
    #expect(Self.isIn(board.state(site: 0)))
    #expect(board.drainRecords().isEmpty)
    // Out of the last one: the leave.
    board.apply(.roster([]), bridge: 1, now: 60)
    #expect(board.state(site: 0) == .notInBridge)
    #expect(board.drainRecords() == [JournalRecord(unixSeconds: 60, site: "A", kind: .bridge(inBridge: false))])
  }

  /// A journal deleted under the running monitor starts again with a checkpoint: its bridge joins are written at
  /// the checkpoint's time with the join's time in `made_at`, so its lines are in time order from its `start`, a
  /// restart still takes back when each site joined, and the report of the new journal spans from its `start`.
  @Test func aRecreatedJournalsBridgeJoinsAreAtItsStartWithTheJoinTimeInMadeAt() throws {
    let config = Self.config(["A", "B"].map { Self.site($0) })
    var board = BridgeBoard(config: config)
    board.apply(.roster([BridgeParticipant(id: "1", display: "A")]), bridge: 0, now: 1_795_394_000)
    let start = 1_795_394_600.0
    let records =
      JournalRecord.checkpoint([SiteRecord(), SiteRecord()], sites: config.sites, unixSeconds: start)
      + board.checkpointRecords(unixSeconds: start)
    let decoded = try records.map { try JournalCodec.decode(JournalCodec.encode($0)[...]).get() }
    #expect(decoded == records)
    #expect(JournalCodec.encode(records[1]).contains("\"made_at\":1795394000"))
    #expect(decoded.map(\.unixSeconds) == decoded.map(\.unixSeconds).sorted())
    #expect(decoded.allSatisfy { $0.unixSeconds >= start })
    let restored = RestoredSite.replay(decoded, siteIndex: { ["A": 0, "B": 1][$0] }, siteCount: 2)
    #expect(restored.map(\.bridgeSince) == [1_795_394_000, nil])
    let report = try ConferenceReport.build(
      config: config, records: decoded + [JournalRecord(unixSeconds: start + 60, site: nil, kind: .stop)])
    #expect(report.sessions.first?.start == start)
  }
}
