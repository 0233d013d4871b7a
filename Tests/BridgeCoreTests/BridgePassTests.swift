import Foundation
import TestSupport
import Testing

@testable import BridgeCore

/// The bridge input reconciles a roster outside the monitor's lock and applies the result under it
/// (`BridgeBoard.passBase`, `prepare`, `apply(_: BridgePreparedPass)`): the board must end as the whole pass
/// applied at once (`apply(_:bridge:now:)`) leaves it, whatever was applied in between.
@Suite struct BridgePassTests {
  static let ids = (0..<40).map { "S\($0)" }

  static func config(bridges: Int) -> ConferenceConfig {
    let sites = ids.enumerated().map { index, id in
      BridgeRosterTests.site(id, bridgeName: index % 4 == 0 ? "Xã Hòa \(index)" : nil)
    }
    return BridgeRosterTests.config(sites, bridges: bridges)
  }

  /// A roster of some sites (by id or bridge name), some twice, and guests; or a failed poll.
  static func outcome(_ random: inout SeededGenerator) -> BridgePollOutcome {
    if Int.random(in: 0..<5, using: &random) == 0 { return .failed(problem: "Connection refused") }
    var roster: [BridgeParticipant] = []
    for index in ids.indices where Bool.random(using: &random) {
      let display = index % 4 == 0 ? "Xã Hòa \(index)" : ids[index]
      roster.append(BridgeParticipant(id: "p\(index)", display: display, muted: Bool.random(using: &random)))
      if Int.random(in: 0..<10, using: &random) == 0 { roster.append(BridgeParticipant(id: "q\(index)", display: display)) }
    }
    for guest in 0..<Int.random(in: 0..<3, using: &random) { roster.append(BridgeParticipant(id: "g\(guest)", display: "Khách \(guest)")) }
    return .roster(roster.shuffled(using: &random))
  }

  /// Everything the faces and the journal read of a board.
  static func expectSame(_ whole: inout BridgeBoard, _ split: inout BridgeBoard, seed: UInt64, step: Int) {
    #expect(whole.polls == split.polls, "seed \(seed) step \(step): poll states")
    for site in ids.indices {
      #expect(whole.state(site: site) == split.state(site: site), "seed \(seed) step \(step): site \(ids[site])")
    }
    #expect(whole.drainRecords() == split.drainRecords(), "seed \(seed) step \(step): journal records")
  }

  @Test(arguments: zip([1, 1, 2, 2, 3], [UInt64(1), 2, 3, 4, 5]))
  func aPassPreparedOutsideTheLockLeavesTheBoardAsTheWholePass(bridges: Int, seed: UInt64) {
    var random = SeededGenerator(state: seed)
    let config = Self.config(bridges: bridges)
    // A restarted monitor: the journal says two sites were in (taken back only with one bridge).
    let restored: [Double?] = Self.ids.indices.map { $0 == 1 || $0 == 4 ? 3 : nil }
    var whole = BridgeBoard(config: config, restoredSince: restored)
    var split = BridgeBoard(config: config, restoredSince: restored)
    var now = 10.0
    for step in 0..<300 {
      now += 5
      let bridge = Int.random(in: 0..<bridges, using: &random)
      let outcome = Self.outcome(&random)
      let renewed = Int.random(in: 0..<20, using: &random) == 0
      let base = split.passBase(bridge: bridge)!
      let prepared = BridgeBoard.prepare(base, outcome: outcome, now: now, sessionRenewed: renewed)
      // Sometimes another poll (of this bridge or another) is applied between the base and the apply.
      if Int.random(in: 0..<3, using: &random) == 0 {
        let other = Int.random(in: 0..<bridges, using: &random)
        let between = Self.outcome(&random)
        whole.apply(between, bridge: other, now: now - 1)
        split.apply(between, bridge: other, now: now - 1)
      }
      let expected = whole.apply(outcome, bridge: bridge, now: now, sessionRenewed: renewed)
      let got = split.apply(prepared)
      #expect(expected == got, "seed \(seed) step \(step): the pass's result")
      Self.expectSame(&whole, &split, seed: seed, step: step)
    }
    // The sequences did exercise joins, leaves and the unknown state.
    #expect(whole.polls.allSatisfy { $0.failures > 0 && $0.polls > 50 })
  }

  @Test func aPassFromAnOlderBaseIsReconciledAgainstTheCurrentRoster() {
    var board = BridgeBoard(config: BridgeRosterTests.config([BridgeRosterTests.site("A"), BridgeRosterTests.site("B")]))
    board.apply(.roster([BridgeParticipant(id: "1", display: "A")]), bridge: 0, now: 10)
    _ = board.drainRecords()
    let base = board.passBase(bridge: 0)!
    let prepared = BridgeBoard.prepare(base, outcome: .roster([]), now: 30)
    // Meanwhile B joined: the older pass, computed when only A was in, must still journal B's leave.
    board.apply(.roster([BridgeParticipant(id: "1", display: "A"), BridgeParticipant(id: "2", display: "B")]), bridge: 0, now: 20)
    #expect(board.drainRecords().map(\.site) == ["B"])
    let result = board.apply(prepared)
    #expect(result?.left == [0, 1])
    #expect(
      board.drainRecords() == [
        JournalRecord(unixSeconds: 30, site: "A", kind: .bridge(inBridge: false)),
        JournalRecord(unixSeconds: 30, site: "B", kind: .bridge(inBridge: false)),
      ])
    #expect(board.state(site: 0) == .notInBridge && board.state(site: 1) == .notInBridge)
  }

  @Test func aPassFromAnotherBoardIsReconciledAgainstThisOne() {
    let config = BridgeRosterTests.config([BridgeRosterTests.site("A"), BridgeRosterTests.site("B")])
    let old = BridgeBoard(config: config)
    // The monitor restored its board from the journal (A joined at 3) while the pass was prepared on the old one.
    var board = BridgeBoard(config: config, restoredSince: [3, nil])
    let prepared = BridgeBoard.prepare(old.passBase(bridge: 0)!, outcome: .roster([BridgeParticipant(id: "1", display: "A")]), now: 40)
    #expect(prepared.result?.joined == [0])
    let result = board.apply(prepared)
    // Against the restored board A was already in since 3: no join, and its time in kept.
    #expect(result?.joined == [])
    #expect(board.drainRecords().isEmpty)
    guard case .inBridge(let leg) = board.state(site: 0) else {
      Issue.record("A is not in the bridge")
      return
    }
    #expect(leg.since == 3)
  }
}
