import BridgeCore
import Foundation
import Testing

/// Operator actions as data: conflicts answered with who did what and what the site is now, never overwritten;
/// claims ("I'm on it").
@Suite struct OperatorRequestTests {
  static let sites = ["HB-TU", "HB-DB-TULY"].map {
    SiteConfig(id: $0, name: "Điểm \($0)", group: GroupPath.parse("Hòa Bình")!, expected: 50, heartbeatFile: "/tmp/\($0).hb")
  }
  let lan = OperatorIdentity(name: "lan")
  let minh = OperatorIdentity(name: "minh", unixUser: "ops")
  /// 09:12 at UTC+7.
  static let start = ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: 1_763_863_920)

  func engineWithOnlineSites() -> StatusEngine {
    let now = Self.start
    var engine = StatusEngine(sites: Self.sites, timing: Timing())
    for index in Self.sites.indices {
      engine.heartbeat(
        HeartbeatInput(source: .udp, sequence: 1, count: 40, state: .ok, rttMilliseconds: nil, senderTimestamp: nil), site: index,
        heardAt: now, now: now)
    }
    _ = engine.drainEvents()
    return engine
  }

  func refusal(_ body: () throws(OperatorActionError) -> Void) -> OperatorActionError? {
    do throws(OperatorActionError) {
      try body()
      return nil
    } catch {
      return error
    }
  }

  /// What a request caused comes back from `apply`: the events the journal, the metrics and the event log take,
  /// each naming its action; they are also drained with the rest.
  @Test func applyReturnsTheEventsTheRequestCaused() throws {
    let now = Self.start
    var engine = engineWithOnlineSites()
    let marked = try engine.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "line down")), by: lan, now: now)
    #expect(marked.map(\.kind) == [.statusChanged(from: .online, to: .marked, cause: .marked(operatorName: "lan", reason: "line down"))])
    #expect(marked.compactMap(OperatorActionKind.init) == [.mark])
    let claimed = try engine.apply(OperatorRequest(site: "HB-DB-TULY", action: .claim), by: minh, now: now)
    #expect(claimed.map(\.siteIndex) == [1] && claimed.compactMap(OperatorActionKind.init) == [.claim])
    #expect(engine.drainEvents() == marked + claimed)
    let cleared = try engine.apply(OperatorRequest(site: "HB-TU", action: .clear), by: lan, now: now)
    #expect(cleared.compactMap(OperatorActionKind.init) == [.clear])
    for action in [OperatorRequest.Action.mark(reason: "x"), .clear, .acknowledge, .setHeadcount(1), .claim, .release(force: true)] {
      #expect(OperatorActionKind.allCases.contains(action.kind))
    }
  }

  @Test func aSecondMarkIsRefusedWithWhoMarkedItWhenAndWhy() throws {
    let now = Self.start
    var engine = engineWithOnlineSites()
    try engine.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "line down")), by: lan, now: now)
    let second = refusal { () throws(OperatorActionError) in
      try engine.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "power cut")), by: minh, now: now)
    }
    #expect(second == .alreadyMarked(OperatorMark(operatorName: "lan", reason: "line down", unixSeconds: now.unixSeconds)))
    #expect(second?.describe(utcOffsetSeconds: 7 * 3600) == "already marked by lan at 09:12 (line down)")
    #expect(engine.records[0].mark?.reason == "line down", "the first mark stands")
    let events = engine.drainEvents()
    #expect(events.count == 1, "only the first mark made an event: \(events)")
  }

  /// What a face says after an action is made from the answer: the events the apply returned, in the event log's
  /// words. A second mark on a marked site makes no event, and the answer says nothing was done, with who marked
  /// it, when and why, in both languages; an apply that caused no event says nothing changed.
  @Test func aSecondMarkMakesNoEventAndItsAnswerSaysNothingChanged() throws {
    let now = Self.start
    var engine = engineWithOnlineSites()
    let first = try engine.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "line down")), by: lan, now: now)
    _ = engine.drainEvents()
    let second = try #require(
      refusal { () throws(OperatorActionError) in
        try engine.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "power cut")), by: minh, now: now.advanced(by: .seconds(60)))
      })
    #expect(engine.drainEvents().isEmpty, "the second mark changed no state")
    func said(_ outcome: ConsoleAnswer.Outcome, _ language: Language) -> (text: String, isProblem: Bool) {
      AnswerText.describe(outcome, site: "HB-TU", sites: Self.sites, strings: Strings(language), utcOffsetSeconds: 7 * 3600)
    }
    #expect(said(.refused(second), .en) == ("not done: already marked by lan at 09:12 (line down)", true))
    #expect(said(.refused(second), .vi) == ("chưa thực hiện: đã được lan đánh dấu lúc 09:12 (line down)", true))
    // The first mark is said as the event log says its event, in the screen's language.
    #expect(said(.applied(events: first), .en) == ("HB-TU Điểm HB-TU: online -> marked (marked by lan: line down)", false))
    #expect(said(.applied(events: first), .vi).text == EventText.describe(first[0], sites: Self.sites, strings: Strings(.vi)))
    #expect(said(.applied(events: []), .en) == ("HB-TU: nothing changed", false))
    #expect(said(.applied(events: []), .vi) == ("HB-TU: không có gì thay đổi", false))
  }

  /// A forced release names whose claim it ended, in the event (and so the journal, the event log and the answer);
  /// the journal keeps reading releases written before it said so.
  @Test func aForcedReleaseNamesWhoseClaimItEnded() throws {
    let now = Self.start
    var engine = engineWithOnlineSites()
    try engine.apply(OperatorRequest(site: "HB-TU", action: .claim), by: lan, now: now)
    let released = try engine.apply(OperatorRequest(site: "HB-TU", action: .release(force: true)), by: minh, now: now)
    #expect(released.map(\.kind) == [.claimReleased(operatorName: "minh (ops)", claimedBy: "lan")])
    let answer = AnswerText.describe(
      .applied(events: released), site: "HB-TU", sites: Self.sites, strings: .english, utcOffsetSeconds: 7 * 3600)
    #expect(answer.text == "HB-TU Điểm HB-TU: minh (ops) ended the claim of lan")
    #expect(
      EventText.describe(released[0], sites: Self.sites, strings: Strings(.vi))
        == "HB-TU Điểm HB-TU: minh (ops) đã kết thúc lượt xử lý của lan")
    let record = try #require(JournalRecord.records(for: released[0], sites: Self.sites).first)
    #expect(
      JournalCodec.encode(record) == #"{"t":1763863920.000,"type":"release","site":"HB-TU","operator":"minh (ops)","claimed_by":"lan"}"#)
    #expect(try JournalCodec.decode(Substring(JournalCodec.encode(record))).get() == record)
    let older = try JournalCodec.decode(#"{"t":1763863920.000,"type":"release","site":"HB-TU","operator":"minh (ops)"}"#).get()
    #expect(older.kind == .release(operatorName: "minh (ops)", claimedBy: nil))
    // One's own release reads as before.
    try engine.apply(OperatorRequest(site: "HB-TU", action: .claim), by: lan, now: now)
    let own = try engine.apply(OperatorRequest(site: "HB-TU", action: .release(force: false)), by: lan, now: now)
    #expect(EventText.describe(own[0], sites: Self.sites) == "HB-TU Điểm HB-TU: released by lan")
  }

  @Test func actionsOnAStatusThatChangedMeanwhileSayWhatItIsNow() throws {
    var now = Self.start
    var engine = engineWithOnlineSites()
    // Seen offline, but it came back meanwhile.
    let stale = refusal { () throws(OperatorActionError) in
      try engine.apply(OperatorRequest(site: "HB-TU", action: .acknowledge, seenStatus: .offline), by: lan, now: now)
    }
    #expect(stale == .changedMeanwhile(now: .online))
    #expect(stale?.description == "the site changed meanwhile: it is online now")
    let clear = refusal { () throws(OperatorActionError) in
      try engine.apply(OperatorRequest(site: "HB-TU", action: .clear), by: lan, now: now)
    }
    #expect(clear == .notMarked)
    // An acknowledgement twice says by whom.
    now = now.advanced(by: .seconds(120))
    engine.tick(now: now)
    try engine.apply(OperatorRequest(site: "HB-TU", action: .acknowledge, seenStatus: .offline), by: minh, now: now)
    let again = refusal { () throws(OperatorActionError) in
      try engine.apply(OperatorRequest(site: "HB-TU", action: .acknowledge), by: lan, now: now)
    }
    #expect(again?.description == "already acknowledged by minh (ops)")
    #expect(
      refusal { () throws(OperatorActionError) in try engine.apply(OperatorRequest(site: "HB-NONE", action: .clear), by: lan, now: now) }
        == .noSuchSite)
  }

  @Test func aClaimIsSharedReleasedByItsOwnerOrWithForceAndEndsWhenTheSiteIsBack() throws {
    var now = Self.start
    var engine = engineWithOnlineSites()
    now = now.advanced(by: .seconds(120))
    engine.tick(now: now)
    _ = engine.drainEvents()
    try engine.apply(OperatorRequest(site: "HB-DB-TULY", action: .claim), by: lan, now: now)
    #expect(engine.records[1].claim == SiteClaim(operatorName: "lan", unixSeconds: now.unixSeconds))
    let taken = refusal { () throws(OperatorActionError) in
      try engine.apply(OperatorRequest(site: "HB-DB-TULY", action: .claim), by: minh, now: now)
    }
    #expect(taken?.describe(utcOffsetSeconds: 7 * 3600) == "lan has been on it since 09:14")
    let notYours = refusal { () throws(OperatorActionError) in
      try engine.apply(OperatorRequest(site: "HB-DB-TULY", action: .release(force: false)), by: minh, now: now)
    }
    #expect(notYours == .claimedByAnother(SiteClaim(operatorName: "lan", unixSeconds: now.unixSeconds)))
    try engine.apply(OperatorRequest(site: "HB-DB-TULY", action: .release(force: true)), by: minh, now: now)
    #expect(engine.records[1].claim == nil)
    #expect(
      refusal { () throws(OperatorActionError) in
        try engine.apply(OperatorRequest(site: "HB-DB-TULY", action: .release(force: false)), by: lan, now: now)
      } == .notClaimed)
    try engine.apply(OperatorRequest(site: "HB-DB-TULY", action: .claim), by: lan, now: now)
    // Back online: the claim ends by itself, and says so.
    for sequence in 2...4 {
      now = now.advanced(by: .seconds(5))
      engine.heartbeat(
        HeartbeatInput(source: .udp, sequence: UInt64(sequence), count: 40, state: .ok, rttMilliseconds: nil, senderTimestamp: nil),
        site: 1, heardAt: now, now: now)
    }
    #expect(engine.records[1].status == .online && engine.records[1].claim == nil)
    let events = engine.drainEvents()
    let kinds = events.map(\.kind)
    #expect(kinds.contains(.claimed(operatorName: "lan")))
    #expect(kinds.contains(.claimReleased(operatorName: "minh (ops)", claimedBy: "lan")))
    #expect(kinds.last == .claimReleased(operatorName: nil, claimedBy: "lan"))
    // Each goes to the journal.
    let journaled = events.flatMap { JournalRecord.records(for: $0, sites: Self.sites) }.map(\.kind)
    #expect(journaled.contains(.claim(operatorName: "lan")) && journaled.last == .release(operatorName: nil, claimedBy: "lan"))
  }

  @Test func claimsAreJournaledAndComeBackAfterARestart() throws {
    let now = Self.start
    let claim = JournalRecord(unixSeconds: 10, site: "HB-TU", kind: .claim(operatorName: "lan (ops)"))
    let released = JournalRecord(unixSeconds: 20, site: "HB-TU", kind: .release(operatorName: nil))
    #expect(JournalCodec.encode(claim) == #"{"t":10.000,"type":"claim","site":"HB-TU","operator":"lan (ops)"}"#)
    #expect(JournalCodec.encode(released) == #"{"t":20.000,"type":"release","site":"HB-TU"}"#)
    for record in [claim, released] { #expect(try JournalCodec.decode(Substring(JournalCodec.encode(record))).get() == record) }
    #expect(claim.isOperatorAction && !released.isOperatorAction)
    let index = ["HB-TU": 0, "HB-DB-TULY": 1]
    let open = RestoredSite.replay([claim], siteIndex: { index[$0] }, siteCount: 2)
    #expect(open[0].claim == SiteClaim(operatorName: "lan (ops)", unixSeconds: 10))
    #expect(RestoredSite.replay([claim, released], siteIndex: { index[$0] }, siteCount: 2)[0].claim == nil)
    var engine = StatusEngine(sites: Self.sites, timing: Timing())
    engine.restore(open[0], site: 0, now: now)
    #expect(engine.records[0].claim?.operatorName == "lan (ops)")
  }

  @Test func requestsAreDataThatCrossesAWire() throws {
    let request = OperatorRequest(site: "HB-TU", action: .release(force: true), seenStatus: .offline)
    let data = try JSONEncoder().encode(request)
    #expect(try JSONDecoder().decode(OperatorRequest.self, from: data) == request)
    #expect(OperatorIdentity(name: "lan", unixUser: "ops").displayName == "lan (ops)")
    #expect(OperatorIdentity(name: "lan", unixUser: "lan").displayName == "lan")
  }
}
