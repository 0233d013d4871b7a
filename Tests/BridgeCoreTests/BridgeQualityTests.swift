import Foundation
import TestSupport
import Testing

@testable import BridgeCore

/// The bridges' call quality (issue 32, item 3) as the vendors' guides print it (Tests/Fixtures/bridges): CMS's call
/// leg status and alarms, Pexip's `call_quality`; hostile variants refused with a line or dropped, never trusted.
@Suite struct VendorPayloadQualityTests {
  let say = Strings(.en)

  func fixture(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: Repository.path("Tests/Fixtures/bridges/" + name))))
  }

  func statusProblem(_ text: String) -> String? {
    do {
      _ = try CMSPayload.callLegStatus(Array(text.utf8), request: "GET /api/v1/callLegs/x", say: say)
      return nil
    } catch {
      return error.description
    }
  }

  @Test func theGuidesCallLegStatusGivesTheWorstReceivedStreamAndTheRoundTrip() throws {
    let quality = try CMSPayload.callLegStatus(fixture("cms-callLeg-status.xml"), request: "GET", say: say)
    // The main video received: 2.5% and 41 ms; what CMS sends (txVideo's 7% and 90 ms) is the far end's, not read.
    #expect(quality.lossPercent == 2.5)
    #expect(quality.jitterMilliseconds == 41)
    #expect(quality.roundTripMilliseconds == 66)
    #expect(quality.verdict == .degraded)
  }

  @Test func theListsAlarmsAreKeptAndUndocumentedOnesDropped() throws {
    let page = try CMSPayload.callLegs(fixture("cms-callLegs-page1.xml"), request: "GET", say: say)
    #expect(page.legs[0].quality == nil, "a leg without alarms says nothing of its quality")
    #expect(page.legs[1].quality?.alarms == ["packetLoss"])
    #expect(page.legs[1].quality?.verdict == .degraded)
    let odd = try CMSPayload.callLegs(
      Array(
        #"<callLegs total="1"><callLeg id="a"><name>x</name><alarms><cosmicRays/><highRoundTripTime/></alarms></callLeg></callLegs>"#.utf8),
      request: "GET", say: say)
    #expect(odd.legs[0].quality?.alarms == ["highRoundTripTime"])
  }

  @Test func hostileCallLegStatusesAreRefusedWithALine() {
    #expect(statusProblem("<callLegs total=\"0\"/>")?.contains("<callLeg>") == true)
    #expect(statusProblem("<callLeg id=\"a\"></callLeg>")?.contains("<status>") == true)
    #expect(
      statusProblem("<callLeg id=\"a\"><status><rxAudio><jitter>fast</jitter></rxAudio></status></callLeg>")?.contains("rxAudio.jitter")
        == true)
    #expect(
      statusProblem("<callLeg id=\"a\"><status><rxAudio><packetLossPercentage>-3</packetLossPercentage></rxAudio></status></callLeg>")?
        .contains("rxAudio.packetLossPercentage") == true)
    #expect(statusProblem("<!DOCTYPE x [<!ENTITY a \"b\">]><callLeg/>") != nil)
    let deep = String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40)
    #expect(statusProblem("<callLeg id=\"a\"><status>\(deep)</status></callLeg>") != nil)
    // A figure no call can have is dropped, not believed (NaN is not a number CMS sends; 1e9 % is no loss).
    let huge = try? CMSPayload.callLegStatus(
      Array("<callLeg id=\"a\"><status><rxAudio><packetLossPercentage>1e9</packetLossPercentage></rxAudio></status></callLeg>".utf8),
      request: "GET", say: say)
    #expect(huge?.lossPercent == nil && huge?.verdict == nil)
  }

  @Test func pexipsCallQualityIsItsOwnVerdict() throws {
    let page = try PexipPayload.participants(fixture("pexip-participants-page1.json"), request: "GET", say: say)
    #expect(page.participants.map { $0.quality?.bridgeWord } == ["1_good", "3_bad"])
    #expect(page.participants.map { $0.quality?.verdict } == [.good, .bad])
    func quality(_ value: String) throws -> BridgeQuality? {
      let text = #"{"meta": {"next": null}, "objects": [{"id": "a", "display_name": "x", "call_quality": \#(value)}]}"#
      return try PexipPayload.participants(Array(text.utf8), request: "GET", say: say).participants.first?.quality
    }
    #expect(try quality("\"0_unknown\"") == nil, "unknown: nothing to judge by")
    #expect(try quality("\"5_excellent\"") == nil, "a word Pexip may add later reads as none")
    #expect(try quality("null") == nil)
    #expect(try quality("\"2_ok\"")?.verdict == .degraded)
    #expect(try quality("\"4_terrible\"")?.verdict == .bad)
    #expect(throws: BridgePayloadProblem.self) { try quality("3") }
  }
}

/// The one rule of a site's verdict, and its journal records: one per change, none while it holds.
@Suite struct BridgeRosterQualityTests {
  @Test func theVerdictIsTheBridgesOwnElseTheWorstFigureByTheDocumentedThresholds() {
    #expect(BridgeQuality().verdict == nil)
    #expect(BridgeQuality(lossPercent: 0.5, jitterMilliseconds: 10, roundTripMilliseconds: 100).verdict == .good)
    #expect(BridgeQuality(lossPercent: 1.0).verdict == .degraded)
    #expect(BridgeQuality(lossPercent: 5.0).verdict == .bad)
    #expect(BridgeQuality(jitterMilliseconds: 30).verdict == .degraded)
    #expect(BridgeQuality(jitterMilliseconds: 60).verdict == .bad)
    #expect(BridgeQuality(roundTripMilliseconds: 300).verdict == .degraded)
    #expect(BridgeQuality(roundTripMilliseconds: 800).verdict == .bad)
    #expect(BridgeQuality(lossPercent: 0, roundTripMilliseconds: 900).verdict == .bad, "the worst figure decides")
    #expect(BridgeQuality(lossPercent: 0, alarms: ["excessiveJitter"]).verdict == .degraded, "an alarm is degraded at least")
    #expect(BridgeQuality(lossPercent: 9, alarms: ["packetLoss"]).verdict == .bad)
    #expect(BridgeQuality(lossPercent: 9, bridgeWord: "1_good").verdict == .good, "the bridge's own verdict first")
    #expect(BridgeQuality(lossPercent: .nan, jitterMilliseconds: -1, roundTripMilliseconds: .infinity).isEmpty)
  }

  static func participant(_ site: String, loss: Double?) -> BridgeParticipant {
    BridgeParticipant(id: site, display: site, quality: loss.map { BridgeQuality(lossPercent: $0) })
  }

  @Test func aVerdictChangeIsJournaledOnceAndShownEverywhereTheSiteIs() throws {
    var config = ConferenceConfig(
      sites: ["A", "B"].map { SiteConfig(id: $0, name: $0, group: ["G"], expected: 1, heartbeatFile: "/x/\($0).hb") })
    config.bridges = [BridgeSettings(url: "http://127.0.0.1:8088/janus", host: "127.0.0.1", port: 8088, path: "/janus", room: 1)]
    var board = BridgeBoard(config: config)
    func poll(_ a: Double?, _ b: Double?, at now: Double) -> [JournalRecord] {
      board.apply(.roster([Self.participant("A", loss: a), Self.participant("B", loss: b)]), bridge: 0, now: now)
      return board.drainRecords().filter { if case .bridgeQuality = $0.kind { true } else { false } }
    }
    // B joins without a figure: no quality record; A's first verdict is one.
    #expect(poll(0.2, nil, at: 10).map(\.kind) == [.bridgeQuality(verdict: "good")])
    #expect(poll(0.4, nil, at: 15).isEmpty, "the same verdict, other figures: nothing")
    let worse = poll(2, 7, at: 20)
    #expect(worse.map(\.site) == ["A", "B"])
    #expect(worse.map(\.kind) == [.bridgeQuality(verdict: "degraded"), .bridgeQuality(verdict: "bad")])
    #expect(poll(nil, 7, at: 25).map(\.kind) == [.bridgeQuality(verdict: nil)], "the bridge no longer says: journaled as none")

    let records = SiteRecord()
    let view = board.view(records: [records, records])
    #expect(view.verdict(site: 1) == .bad && view.verdict(site: 0) == nil)
    #expect(view.verdictCount(.bad) == 1 && view.verdictCount(.good) == 0)

    // The journal line reads back as written, and a verdict this build does not know is refused.
    for kind in [JournalRecord.Kind.bridgeQuality(verdict: "degraded"), .bridgeQuality(verdict: nil)] {
      let line = JournalCodec.encode(JournalRecord(unixSeconds: 20, site: "A", kind: kind))
      #expect(line.contains(#""type":"bridge_quality""#) && line.contains(#""source":"bridge""#))
      #expect(try JournalCodec.decode(Substring(line)).get().kind == kind)
    }
    let odd = #"{"t":20,"type":"bridge_quality","site":"A","to":"superb","source":"bridge"}"#
    #expect(throws: JournalLineError.self) { try JournalCodec.decode(Substring(odd)).get() }
  }
}
