import Foundation
import TestSupport
import Testing

@testable import BridgeCore

/// A bridge's pushed events (issue 32, `events_listen`): Janus's sample event handler's bodies as Janus 1.1.2 sent
/// them (Tests/Fixtures/bridges/janus-1.1.2-sampleevh-bodies.*), admitted by the receiver's members and applied to
/// the board between polls; and the hostile bodies refused.
@Suite struct BridgeEventTests {
  static let bodies: [[UInt8]] = {
    let text =
      (try? String(contentsOfFile: Repository.path("Tests/Fixtures/bridges/janus-1.1.2-sampleevh-bodies.jsonl"), encoding: .utf8)) ?? ""
    return text.split(separator: "\n").map { Array($0.utf8) }
  }()

  static func parse(_ body: [UInt8], room: UInt64 = 1234) throws(BridgeEventRefusal) -> BridgeEventBatch {
    try JanusEventPayload.parse(body, room: room, plugin: .audiobridge)
  }

  @Test func janusBodiesAreReadAsJanusSentThem() throws {
    try #require(Self.bodies.count == 9)
    // 1: the core's "started": a restart, so a poll.
    #expect(try Self.parse(Self.bodies[0]).events == [.resync(reason: "Janus started")])
    // 2, 4: a session made: nothing.
    #expect(try Self.parse(Self.bodies[1]) == BridgeEventBatch(events: [], ignored: 1))
    // 3, 5: the joins, with their ids as the poll reads them.
    #expect(
      try Self.parse(Self.bodies[2]).events == [
        .joined(BridgeParticipant(id: "8769117489661044", display: "HB-S1", muted: false, mediaUp: false))
      ])
    #expect(
      try Self.parse(Self.bodies[4]).events == [
        .joined(BridgeParticipant(id: "4197583325313190", display: "Khách", muted: false, mediaUp: false))
      ])
    // 6: the kick, by id alone; 7: a session destroyed and a leave grouped in one body; 8: the kicked one's leave.
    #expect(try Self.parse(Self.bodies[5]).events == [.left(id: "8769117489661044", display: nil)])
    #expect(
      try Self.parse(Self.bodies[6]).events == [
        .resync(reason: "a session destroyed"), .left(id: "4197583325313190", display: "Khách"),
      ])
    #expect(try Self.parse(Self.bodies[7]).events == [.left(id: "8769117489661044", display: "HB-S1")])
    // 9: Janus stopping: a poll (which fails until it is back).
    #expect(try Self.parse(Self.bodies[8]).events == [.resync(reason: "Janus shutdown")])
    // Another room's events are acknowledged and ignored.
    #expect(try Self.parse(Self.bodies[2], room: 999) == BridgeEventBatch(events: [], ignored: 1))
    // A single event object (grouping = false) reads as a list of one.
    let single = Array(String(decoding: Self.bodies[2], as: UTF8.self).dropFirst().dropLast().utf8)
    #expect(try Self.parse(single).events.count == 1)
  }

  /// VideoRoom's bodies as Janus 1.1.2 sent them (Tests/Fixtures/bridges/janus-1.1.2-videoroom-sampleevh-bodies.*): a
  /// publisher's `joined`, `kicked` and `leaving`; and what an AudioBridge receiver makes of the same bodies
  /// (another plugin's events: nothing), and a VideoRoom receiver of AudioBridge's.
  @Test func janusVideoRoomBodiesAreReadAsJanusSentThem() throws {
    let text = try String(
      contentsOfFile: Repository.path("Tests/Fixtures/bridges/janus-1.1.2-videoroom-sampleevh-bodies.jsonl"), encoding: .utf8)
    let bodies = text.split(separator: "\n").map { Array($0.utf8) }
    try #require(bodies.count == 9)
    func parse(_ body: [UInt8], room: UInt64 = 1234) throws(BridgeEventRefusal) -> BridgeEventBatch {
      try JanusEventPayload.parse(body, room: room, plugin: .videoroom)
    }
    #expect(try parse(bodies[0]) == BridgeEventBatch(events: [], ignored: 1), "a session made")
    #expect(try parse(bodies[1]).events == [.joined(BridgeParticipant(id: "3356088333683605", display: "HB-S1", muted: nil, mediaUp: nil))])
    #expect(try parse(bodies[3]).events == [.joined(BridgeParticipant(id: "2515904574607788", display: "HB-S2", muted: nil, mediaUp: nil))])
    #expect(try parse(bodies[4]).events == [.left(id: "2515904574607788", display: nil)], "kicked")
    #expect(try parse(bodies[5]).events == [.left(id: "3356088333683605", display: nil)], "leaving")
    #expect(try parse(bodies[7]).events == [.resync(reason: "room 1234 destroyed")])
    #expect(try parse(bodies[8]).events == [.resync(reason: "Janus shutdown")])
    #expect(try parse(bodies[1], room: 999) == BridgeEventBatch(events: [], ignored: 1), "another room")
    // The other plugin's events change nothing on either receiver.
    #expect(try Self.parse(bodies[1]) == BridgeEventBatch(events: [], ignored: 1))
    #expect(try parse(Self.bodies[2]) == BridgeEventBatch(events: [], ignored: 1))
    // AudioBridge's word for a leave is not VideoRoom's, nor the other way round.
    let audioLeft = Array(#"[{"type":64,"event":{"plugin":"janus.plugin.videoroom","data":{"event":"left","room":1234,"id":5}}}]"#.utf8)
    #expect(try parse(audioLeft) == BridgeEventBatch(events: [], ignored: 1))
    let unpublished = Array(
      #"[{"type":64,"event":{"plugin":"janus.plugin.videoroom","data":{"event":"unpublished","room":1234,"id":5}}}]"#.utf8)
    #expect(try parse(unpublished) == BridgeEventBatch(events: [], ignored: 1), "a publisher that stops sending stays")
  }

  @Test func theBodiesPlayedThroughMembersAndBoardMoveTheRosterOnce() throws {
    let config = BridgeRosterTests.config([BridgeRosterTests.site("HB-S1"), BridgeRosterTests.site("HB-S2")])
    var board = BridgeBoard(config: config)
    var members = BridgeMembers()
    // Before any poll, the roster is not known: nothing is taken.
    let takenBeforeAnyPoll = board.apply(changes: [.joined(BridgeParticipant(id: "1", display: "HB-S2"))], bridge: 0, now: 5)
    #expect(!takenBeforeAnyPoll)
    // The poll: HB-S2 in.
    let polled = [BridgeParticipant(id: "77", display: "HB-S2")]
    board.apply(.roster(polled), bridge: 0, now: 10)
    members.replace(with: polled)
    #expect(board.drainRecords().map(\.site) == ["HB-S2"])

    var now = 11.0
    var resyncs = 0
    for body in Self.bodies {
      let batch = try Self.parse(body)
      resyncs += batch.events.count { if case .resync = $0 { true } else { false } }
      let changes = batch.events.compactMap { members.admit($0) }
      let taken = board.apply(changes: changes, bridge: 0, now: now)
      #expect(taken)
      now += 1
    }
    #expect(resyncs == 3)
    // HB-S1 joined (13) and was kicked (16): its later "left" changed nothing; the guest came and went.
    let records = board.drainRecords()
    #expect(records.map(\.site) == ["HB-S1", "HB-S1"])
    #expect(records.map(\.kind) == [.bridge(inBridge: true), .bridge(inBridge: false)])
    #expect(records.map(\.unixSeconds) == [13, 16])
    #expect(board.state(site: 0) == .notInBridge)
    #expect(BridgeRosterTests.isIn(board.state(site: 1)))
    #expect(board.polls[0].participants == 1)
    #expect(board.polls[0].unmatchedCount == 0)
    #expect(board.polls[0].unmatchedNames.isEmpty)
    #expect(members.count == 1)
  }

  @Test func aJoinAlreadyPolledOrALeaveNeverCountedChangesNothing() {
    let config = BridgeRosterTests.config([BridgeRosterTests.site("A")])
    var board = BridgeBoard(config: config)
    var members = BridgeMembers()
    let a = BridgeParticipant(id: "1", display: "A")
    board.apply(.roster([a]), bridge: 0, now: 1)
    members.replace(with: [a])
    _ = board.drainRecords()
    #expect(members.admit(.joined(a)) == nil)
    #expect(members.admit(.left(id: "2", display: "A")) == nil)
    // A second leg of the same site, then its first leaving: still in, one leg; the second leaving: out.
    let second = BridgeParticipant(id: "2", display: "A")
    let changes = [members.admit(.joined(second)), members.admit(.left(id: "1", display: nil))].compactMap { $0 }
    #expect(changes == [.joined(second), .left(a)])
    let tookBoth = board.apply(changes: changes, bridge: 0, now: 2)
    #expect(tookBoth)
    guard case .inBridge(let leg) = board.state(site: 0) else {
      Issue.record("A should be in")
      return
    }
    #expect(leg.legs == 1)
    #expect(board.drainRecords().isEmpty)
    let tookTheLast = board.apply(changes: [members.admit(.left(id: "2", display: nil))!], bridge: 0, now: 3)
    #expect(tookTheLast)
    #expect(board.state(site: 0) == .notInBridge)
    #expect(board.drainRecords().map(\.kind) == [.bridge(inBridge: false)])
    // A failed poll makes the roster unknown: events are not taken until a poll succeeds.
    board.apply(.failed(problem: "down"), bridge: 0, now: 4)
    let takenWhileUnknown = board.apply(changes: [.joined(a)], bridge: 0, now: 5)
    #expect(!takenWhileUnknown)
  }

  @Test func aPollPreparedBeforeAnEventIsReconciledAgainstIt() {
    // The roster read before a pushed join is applied after it: the poll is the truth, so the board ends as that
    // roster says (the join journaled, then its leave), never half of each.
    let config = BridgeRosterTests.config([BridgeRosterTests.site("A"), BridgeRosterTests.site("B")])
    var board = BridgeBoard(config: config)
    board.apply(.roster([BridgeParticipant(id: "1", display: "A")]), bridge: 0, now: 1)
    _ = board.drainRecords()
    let base = board.passBase(bridge: 0)!
    let prepared = BridgeBoard.prepare(base, outcome: .roster([BridgeParticipant(id: "1", display: "A")]), now: 3)
    let tookTheJoin = board.apply(changes: [.joined(BridgeParticipant(id: "2", display: "B"))], bridge: 0, now: 2)
    #expect(tookTheJoin)
    board.apply(prepared)
    #expect(board.state(site: 1) == .notInBridge)
    #expect(board.drainRecords().map(\.kind) == [.bridge(inBridge: true), .bridge(inBridge: false)])
  }

  @Test func hostileBodiesAreRefusedWithTheirReason() {
    func refusal(_ text: String) -> BridgeEventRefusal? {
      do throws(BridgeEventRefusal) {
        _ = try Self.parse(Array(text.utf8))
        return nil
      } catch {
        return error
      }
    }
    #expect(refusal("not json")?.status == 400)
    #expect(refusal("42")?.status == 400)
    #expect(refusal("[1]")?.reason == "event 0 is not an object")
    #expect(refusal(#"[{"type":"64"}]"#)?.reason == "event 0 has no numeric 'type'")
    #expect(refusal(#"[{"type":-1}]"#)?.reason == "event 0 has no numeric 'type'")
    let join = #"{"type":64,"event":{"plugin":"janus.plugin.audiobridge","data":{"event":"joined","room":1234"#
    #expect(refusal("[" + join + "}}}]")?.reason == "event 0: 'joined' without an id")
    #expect(refusal("[" + join + #","id":{"x":1}}}}]"#)?.reason == "event 0: 'joined' without an id")
    #expect(refusal("[" + join + #","id":1,"display":7}}}]"#)?.reason == "event 0: 'display' is not a text")
    #expect(refusal("[" + join + #","id":"\#(String(repeating: "9", count: 65))"}}}]"#) != nil)
    // Too many events, too large a body.
    let many = "[" + Array(repeating: #"{"type":2}"#, count: BridgeEventLimits.maximumEvents + 1).joined(separator: ",") + "]"
    #expect(refusal(many)?.reason.contains("events in one body") == true)
    let huge = [UInt8](repeating: UInt8(ascii: " "), count: BridgeEventLimits.maximumBodyBytes + 1)
    #expect(throws: BridgeEventRefusal.self) { try Self.parse(huge) }
    // A display name with terminal escapes and of 10,000 bytes is kept bounded (and sanitised where shown).
    let long = String(repeating: #"\u001b[2J"#, count: 2500)
    let batch = try? Self.parse(Array(("[" + join + #","id":5,"display":"\#(long)"}}}]"#).utf8))
    guard case .joined(let participant)? = batch?.events.first else {
      Issue.record("a long display name is still a join")
      return
    }
    #expect(participant.display.utf8.count <= BridgeParticipant.maximumDisplayBytes)
    // Wrong-typed fields that are not read (muted as a text) are ignored, not trusted.
    let muted = try? Self.parse(Array(("[" + join + #","id":5,"muted":"yes"}}}]"#).utf8))
    #expect(muted?.events == [.joined(BridgeParticipant(id: "5", display: "#5"))])
  }
}
