import Foundation
import TestSupport
import Testing

@testable import BridgeCore

/// CMS's CDR receiver and Pexip's event sinks (issue 32): the guides' payloads (Tests/Fixtures/bridges/cms-cdr-*,
/// pexip-eventsink-*), read into joins and leaves for the watched coSpace or conference, with replays ignored,
/// gaps and restarts polling again, and the hostile variants refused.
@Suite struct VendorEventTests {
  static func fixture(_ name: String) -> [UInt8] {
    (try? Array(Data(contentsOf: URL(fileURLWithPath: Repository.path("Tests/Fixtures/bridges/" + name))))) ?? []
  }

  static let coSpace = "50605235-60cf-484a-9fa1-278ad0646243"
  static let conference = "Hội nghị toàn quốc"

  static func resyncs(_ batch: BridgeEventBatch) -> Int { batch.events.count { if case .resync = $0 { true } else { false } } }

  @Test func theCDRGuidesTrafficFlowJoinsTwoLegsAndTakesOneOut() throws {
    var tracker = CMSRecordTracker(coSpace: Self.coSpace)
    var events: [BridgeEvent] = []
    for post in 1...5 {
      let read = try CMSRecordsPayload.parse(Self.fixture("cms-cdr-post\(post).xml"))
      #expect(read.session == "a865433a-4926-4549-a701-9bb5b93c75e6")
      events += tracker.events(for: read).events
    }
    let first = BridgeParticipant(
      id: "fc9c85ca-8c41-4a1a-9252-b16977d1e4e1", display: "sipclient1@example.com", address: "sipclient1@example.com")
    let second = BridgeParticipant(
      id: "9cfdb064-3ae9-4b08-a003-6478187f375f", display: "sipclient2@example.com", address: "sipclient2@example.com")
    #expect(events == [.joined(first), .joined(second), .left(id: second.id, display: nil)])
    // CMS retries a post until it is answered 200: the same post again is a replay, and changes nothing.
    let again = tracker.events(for: try CMSRecordsPayload.parse(Self.fixture("cms-cdr-post4.xml")))
    #expect(again == BridgeEventBatch(events: [], ignored: 1))
    // Played through members and the board: a site whose bridge_name is sipclient1's address is in; the other
    // leg was nobody's and is counted, then uncounted.
    var config = ConferenceConfig(sites: [BridgeRosterTests.site("HN", bridgeName: "sip:sipclient1@example.com")])
    config.bridges = [
      BridgeSettings(kind: .cms, url: "", host: "127.0.0.1", port: 1, path: "/api/v1", room: 0, conference: Self.coSpace)
    ]
    var board = BridgeBoard(config: config)
    board.apply(.roster([]), bridge: 0, now: 1)
    var members = BridgeMembers()
    let taken = board.apply(changes: events.compactMap { members.admit($0) }, bridge: 0, now: 2)
    #expect(taken)
    #expect(BridgeRosterTests.isIn(board.state(site: 0)))
    #expect(board.polls[0].participants == 1 && board.polls[0].unmatchedCount == 0)
  }

  @Test func aCMSLegOrCallNotPlacedAndARecordIndexGapPollAgain() throws {
    // The monitor started after the call's callStart: the leg's update names a call it does not know.
    var tracker = CMSRecordTracker(coSpace: Self.coSpace)
    let update = tracker.events(for: try CMSRecordsPayload.parse(Self.fixture("cms-cdr-post4.xml")))
    // A first record whose index is not the session's first may follow records missed: a poll too.
    #expect(Self.resyncs(update) == 2)
    #expect(!update.events.contains { if case .joined = $0 { true } else { false } })
    // Another coSpace's call: its legs are dropped without a poll.
    var other = CMSRecordTracker(coSpace: "another")
    var batches: [BridgeEventBatch] = []
    for post in 1...4 { batches.append(other.events(for: try CMSRecordsPayload.parse(Self.fixture("cms-cdr-post\(post).xml")))) }
    #expect(batches.map(Self.resyncs) == [0, 0, 0, 0])
    #expect(batches.allSatisfy { !$0.events.contains { if case .joined = $0 { true } else { false } } })
    // Records 1 and 2, then 5: a gap.
    var gapped = CMSRecordTracker(coSpace: Self.coSpace)
    _ = gapped.events(for: try CMSRecordsPayload.parse(Self.fixture("cms-cdr-post1.xml")))
    let jumped = gapped.events(for: try CMSRecordsPayload.parse(Self.fixture("cms-cdr-post4.xml")))
    #expect(Self.resyncs(jumped) >= 1)
  }

  @Test func hostileCDRBodiesAreRefused() {
    func refusal(_ text: String) -> BridgeEventRefusal? {
      do throws(BridgeEventRefusal) {
        _ = try CMSRecordsPayload.parse(Array(text.utf8))
        return nil
      } catch {
        return error
      }
    }
    #expect(refusal("not xml")?.status == 400)
    #expect(refusal("<calls/>")?.reason.contains("not <records>") == true)
    #expect(refusal("<records><record type=\"callLegEnd\" recordIndex=\"1\"/></records>")?.reason == "<records> without its 'session'")
    #expect(refusal(#"<records session="s"><record recordIndex="1"/></records>"#)?.reason == "record 0 without its 'type'")
    #expect(
      refusal(#"<records session="s"><record type="callLegEnd" recordIndex="one"/></records>"#)?.reason
        == "record 0 without a whole-number 'recordIndex'")
    #expect(
      refusal(#"<records session="s"><record type="callLegEnd" recordIndex="1"><callLeg/></record></records>"#)?.reason
        == "record 0 (callLegEnd) without its id")
    // An entity bomb, too deep, too large.
    #expect(refusal(#"<!DOCTYPE r [<!ENTITY a "aaaa">]><records session="s">&a;</records>"#)?.reason.hasPrefix("not the XML") == true)
    #expect(refusal("<records session=\"s\">" + String(repeating: "<a>", count: 50) + "</records>") != nil)
    let huge = "<records session=\"s\">" + String(repeating: " ", count: BridgeEventLimits.maximumBodyBytes) + "</records>"
    #expect(refusal(huge)?.status == 413)
  }

  @Test func pexipEventsAreReadForTheWatchedConference() throws {
    let started = try PexipEventPayload.parse(Self.fixture("pexip-eventsink-started.json"), conference: Self.conference)
    #expect(started.node == "10.44.99.2" && started.sequence == 1)
    #expect(started.batch.events == [.resync(reason: "the event sink started")])
    let hanoi = try PexipEventPayload.parse(Self.fixture("pexip-eventsink-connected-hn.json"), conference: Self.conference)
    #expect(
      hanoi.batch.events == [
        .joined(
          BridgeParticipant(id: "8d0a5c2e-1f4b-4a47-9c11-3b1f7e6a2d01", display: "Hà Nội", address: "sip:hanoi@vc.example.com"))
      ])
    let haiphong = try PexipEventPayload.parse(Self.fixture("pexip-eventsink-connected-hp.json"), conference: Self.conference)
    #expect(
      haiphong.batch.events == [
        .joined(
          BridgeParticipant(
            id: "41c3e7aa-02d9-4e37-8b5f-6a0c9d7b1e22", display: "sip:haiphong@vc.example.com", address: "sip:haiphong@vc.example.com"))
      ])
    let left = try PexipEventPayload.parse(Self.fixture("pexip-eventsink-disconnected-hn.json"), conference: Self.conference)
    #expect(left.batch.events == [.left(id: "8d0a5c2e-1f4b-4a47-9c11-3b1f7e6a2d01", display: "Hà Nội")])
    let other = try PexipEventPayload.parse(Self.fixture("pexip-eventsink-other-conference.json"), conference: Self.conference)
    #expect(other.batch == BridgeEventBatch(events: [], ignored: 1))
    // The conference named decomposed (NFD) is the same conference.
    let decomposed = try PexipEventPayload.parse(
      Self.fixture("pexip-eventsink-connected-hn.json"), conference: Self.conference.decomposedStringWithCanonicalMapping)
    #expect(decomposed.batch.events.count == 1)
  }

  @Test func sequencesTellTheNextAReplayAGapAndARestart() {
    var sequences = BridgeSequences()
    #expect(sequences.admit(sender: "10.44.99.2", sequence: 1) == .next)
    #expect(sequences.admit(sender: "10.44.99.2", sequence: 2) == .next)
    #expect(sequences.admit(sender: "10.44.99.2", sequence: 2) == .replay)
    #expect(sequences.admit(sender: "10.44.99.2", sequence: 5) == .gap)
    // Out of order: 4 comes after 5 (its gap already polled): ignored.
    #expect(sequences.admit(sender: "10.44.99.2", sequence: 4) == .replay)
    #expect(sequences.admit(sender: "10.44.99.2", sequence: 1) == .restarted)
    #expect(sequences.admit(sender: "10.44.99.2", sequence: 2) == .next)
    // Each node counts its own; a first event that is not its node's first may follow missed ones.
    #expect(sequences.admit(sender: "10.44.99.3", sequence: 1) == .next)
    #expect(sequences.admit(sender: "10.44.99.4", sequence: 40) == .gap)
    // Bounded: past the cap, the oldest node is forgotten.
    for node in 0..<BridgeSequences.maximumSenders { _ = sequences.admit(sender: "n\(node)", sequence: 1) }
    #expect(sequences.admit(sender: "10.44.99.2", sequence: 3) == .gap)
  }

  @Test func hostilePexipBodiesAreRefused() {
    func refusal(_ text: String) -> BridgeEventRefusal? {
      do throws(BridgeEventRefusal) {
        _ = try PexipEventPayload.parse(Array(text.utf8), conference: Self.conference)
        return nil
      } catch {
        return error
      }
    }
    #expect(refusal("[]")?.reason.hasPrefix("not a JSON object") == true)
    #expect(refusal(#"{"seq": 1, "event": "x"}"#)?.reason == "'node' missing or not a text")
    #expect(refusal(#"{"node": "n", "seq": "1", "event": "x"}"#)?.reason == "'seq' missing or not a whole number from 1")
    #expect(refusal(#"{"node": "n", "seq": 0, "event": "x"}"#)?.reason == "'seq' missing or not a whole number from 1")
    #expect(refusal(#"{"node": "n", "seq": 1.5, "event": "x"}"#) != nil)
    #expect(refusal(#"{"node": "n", "seq": 1, "event": 7}"#)?.reason == "'event' missing or not a text")
    #expect(refusal(#"{"node": "n", "seq": 1, "event": "participant_connected"}"#)?.reason == "'data' missing or not an object")
    #expect(
      refusal(#"{"node": "n", "seq": 1, "event": "participant_connected", "data": {"conference": "x"}}"#)?.reason
        == "'data.uuid' missing or not a text")
    #expect(
      refusal(#"{"node": "n", "seq": 1, "event": "participant_connected", "data": {"uuid": "u", "display_name": 5, "conference": "x"}}"#)?
        .reason == "'data.display_name' is not a text")
    #expect(
      refusal(#"{"node": "n", "seq": 1, "event": "participant_connected", "data": {"uuid": "u"}}"#)?.reason == "'data.conference' missing")
    let huge = Array(repeating: UInt8(ascii: " "), count: BridgeEventLimits.maximumBodyBytes + 1)
    #expect(throws: BridgeEventRefusal.self) { try PexipEventPayload.parse(huge, conference: "x") }
  }
}
