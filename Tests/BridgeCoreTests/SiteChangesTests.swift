import BridgeCore
import TestSupport
import Testing

/// The engine says which sites it wrote since the last publish, so that a console's delta and the journal's
/// headcount samples look at those sites only: no record may change without its site being in the list.
@Suite struct SiteChangesTests {
  static let sites = (0..<40).map { index in
    SiteConfig(
      id: "S\(index)", name: "Điểm \(index)", group: GroupPath.parse(index < 20 ? "Hòa Bình" : "Bắc Kạn")!, expected: 60,
      heartbeatFile: "/nonexistent/S\(index).hb")
  }

  /// Every field of a record the faces can see, as text: two records with the same text show the same.
  static func seen(_ record: SiteRecord) -> String {
    "\(record.status) \(record.heartbeatStatus) \(String(describing: record.statusSince)) \(String(describing: record.lastHeard))"
      + " \(String(describing: record.awaitedSince)) \(String(describing: record.lastSource)) \(String(describing: record.headcount))"
      + " \(String(describing: record.headcountSource)) \(String(describing: record.headcountAt))"
      + " \(String(describing: record.lastSequence)) \(String(describing: record.lastSenderTimestamp))"
      + " \(String(describing: record.rttMilliseconds)) \(String(describing: record.probeOutcome))"
      + " \(String(describing: record.probeAt)) \(String(describing: record.countProblem)) \(record.flags.rawValue)"
      + " \(String(describing: record.mark)) \(String(describing: record.acknowledgedBy))"
      + " \(String(describing: record.headcountSetBy)) \(String(describing: record.claim))"
      + " \(String(describing: record.rejection)) \(record.receivedCount) \(record.missedCount) \(record.recoveryStreak)"
  }

  /// Thousands of heartbeats, probes, silences, rejections, file problems and operator actions in a random order,
  /// with a publish every few: between two publishes, a site not in the list has not changed in anything a face
  /// sees, and the lists chain from one publish's revision to the next.
  @Test func everySiteWhoseRecordChangedIsInTheNextPublishsList() {
    var random = SeededGenerator(state: 2026)
    var engine = StatusEngine(sites: Self.sites, timing: Timing())
    var now = ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: 1_770_000_000)
    var published = engine.records.all
    _ = engine.takeChangedSites()
    var publishedRevision = engine.recordsRevision
    var sequences = Array(repeating: UInt64(0), count: Self.sites.count)
    var listed = 0
    var changedSeen = 0
    let lan = OperatorIdentity(name: "lan")
    for step in 0..<3000 {
      let site = Int.random(in: 0..<Self.sites.count, using: &random)
      switch Int.random(in: 0..<100, using: &random) {
      case 0..<55:
        sequences[site] += UInt64.random(in: 1...3, using: &random)
        let state: ReportedState? = [.ok, .help, .degraded, nil].randomElement(using: &random)!
        engine.heartbeat(
          HeartbeatInput(
            source: .udp, sequence: sequences[site], count: Bool.random(using: &random) ? Int.random(in: 0...80, using: &random) : nil,
            state: state, rttMilliseconds: Int.random(in: 5...90, using: &random)), site: site, heardAt: now, now: now)
      case 55..<62:
        let outcome: ProbeOutcome = [.icmpReply, .timedOut, .tcpConnected, .unreachable].randomElement(using: &random)!
        engine.probeResult(outcome, rttMilliseconds: outcome.isAlive ? 12 : nil, site: site, sentAt: now, now: now)
      case 62..<70: engine.noteRejection(.badMAC, site: site, at: now, from: "192.0.2.7:5000")
      case 70..<76: engine.setFileFlags(Bool.random(using: &random) ? [.badHeartbeatFile] : [], site: site)
      case 76..<90:
        let actions: [OperatorRequest.Action] = [
          .mark(reason: "mất điện"), .clear, .acknowledge, .setHeadcount(Int.random(in: 1...60, using: &random)), .claim,
          .release(force: true),
        ]
        _ = try? engine.apply(OperatorRequest(site: "S\(site)", action: actions.randomElement(using: &random)!), by: lan, now: now)
      default:
        now = now.advanced(by: .milliseconds(Int64.random(in: 100...9000, using: &random)))
        engine.tick(now: now)
      }
      guard step % 7 == 6 else { continue }
      let changes = engine.takeChangedSites()
      #expect(changes.baseRevision == publishedRevision, "the lists must chain from one publish to the next")
      #expect(changes.sites == Array(Set(changes.sites)).sorted(), "ascending, each once")
      let current = engine.records.all
      for index in current.indices where !changes.sites.contains(Int32(index)) {
        #expect(Self.seen(current[index]) == Self.seen(published[index]), "site \(index) changed unlisted at step \(step)")
      }
      changedSeen += current.indices.filter { Self.seen(current[$0]) != Self.seen(published[$0]) }.count
      listed += changes.sites.count
      published = current
      publishedRevision = engine.recordsRevision
    }
    // The run did change records, and the lists are not the whole roster every time.
    #expect(changedSeen > 500)
    #expect(listed < (3000 / 7) * Self.sites.count / 4)
  }

  @Test func aPublishWithNothingWrittenListsNoSite() {
    var engine = StatusEngine(sites: Self.sites, timing: Timing())
    let now = ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: 1_770_000_000)
    engine.heartbeat(HeartbeatInput(source: .udp, sequence: 1), site: 3, heardAt: now, now: now)
    engine.heartbeat(HeartbeatInput(source: .udp, sequence: 1), site: 1, heardAt: now, now: now)
    engine.heartbeat(HeartbeatInput(source: .udp, sequence: 2), site: 3, heardAt: now, now: now)
    #expect(engine.takeChangedSites().sites == [1, 3])
    let revision = engine.recordsRevision
    let nothing = engine.takeChangedSites()
    #expect(nothing.sites.isEmpty && nothing.baseRevision == revision)
  }

  @Test func twoSpansJoinOnlyWhereOneEndsAndTheNextBegins() {
    let first = SiteChanges(baseRevision: 10, sites: [1, 4, 9])
    let second = SiteChanges(baseRevision: 17, sites: [0, 4, 12])
    #expect(first.followed(by: second, endingAt: 17) == SiteChanges(baseRevision: 10, sites: [0, 1, 4, 9, 12]))
    #expect(first.followed(by: second, endingAt: 16) == nil, "a span missing in between")
    #expect(first.followed(by: nil, endingAt: 17) == nil, "a later update that does not say")
  }

  @Test func anIndexSetHoldsEachOnceAndEmptiesForReuse() {
    var set = SiteIndexSet(siteCount: 130)
    for index in [129, 0, 64, 63, 129, 0] { set.insert(index) }
    #expect(set.count == 4 && set.contains(64) && !set.contains(65))
    #expect(set.removeAll() == [0, 63, 64, 129])
    #expect(set.isEmpty && !set.contains(129))
    set.insert(129)
    #expect(set.removeAll() == [129])
  }
}
