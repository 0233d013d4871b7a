import Testing

@testable import BridgeCore

@Suite struct RollupTests {
  /// Sites at three group depths: province, district, commune cluster.
  static let groups = [
    "Hòa Bình", "Hòa Bình / Đà Bắc", "Hòa Bình / Đà Bắc", "Hòa Bình / Đà Bắc / Tú Lý",
    "Hòa Bình / Mai Châu", "Hòa Bình / Mai Châu / Pà Cò", "Sơn La", "Sơn La / Mộc Châu",
  ]

  @Test func treeHasEveryDepth() {
    let h = EngineHarness(groups: Self.groups)
    let tree = h.engine.groups
    #expect(tree.nodes.count == 1 + 7)
    let tuLy = tree.node(path: ["Hòa Bình", "Đà Bắc", "Tú Lý"])!
    #expect(tree.nodes[tuLy].depth == 3)
    #expect(tree.ancestorsOfSite[3] == [0, tree.node(path: ["Hòa Bình"])!, tree.node(path: ["Hòa Bình", "Đà Bắc"])!, tuLy])
    #expect(tree.sitesUnder(tree.node(path: ["Hòa Bình", "Đà Bắc"])!) == [1, 2, 3])
  }

  @Test func figuresAtThreeDepths() throws {
    var h = EngineHarness(groups: Self.groups)  // expected 10, 20, ... 80
    h.beat(1, count: 15)
    h.beat(2, count: 30)
    h.beat(3, count: 35)
    h.beat(6, count: 60)
    try h.engine.mark(site: 6, operatorName: "lan", reason: "power cut", now: h.now)
    let tree = h.engine.groups
    let province = h.engine.rollups[tree.node(path: ["Hòa Bình"])!]
    let daBac = h.engine.rollups[tree.node(path: ["Hòa Bình", "Đà Bắc"])!]
    let tuLy = h.engine.rollups[tree.node(path: ["Hòa Bình", "Đà Bắc", "Tú Lý"])!]
    let sonLa = h.engine.rollups[tree.node(path: ["Sơn La"])!]
    #expect(tuLy.siteCount == 1 && tuLy.reportedHeadcount == 35 && tuLy.expectedHeadcount == 40)
    #expect(daBac.siteCount == 3 && daBac.sitesUp == 3 && daBac.reportedHeadcount == 80 && daBac.expectedHeadcount == 90)
    #expect(province.siteCount == 6 && province.sitesUp == 3 && province.statusCounts[.unknown] == 3)
    #expect(province.expectedHeadcount == 10 + 20 + 30 + 40 + 50 + 60)
    #expect(abs(daBac.attendancePercent! - 80.0 / 90 * 100) < 1e-9)
    // The marked site's headcount does not count as attending.
    #expect(sonLa.statusCounts[.marked] == 1 && sonLa.reportedHeadcount == 0)
    #expect(sonLa.worstStatus == .marked)
    #expect(h.engine.total.siteCount == 8 && h.engine.total.reportedHeadcount == 80)
  }

  /// After any sequence of operations, incremental roll-ups equal a recount from scratch.
  @Test func incrementalRollupsMatchARecount() throws {
    var h = EngineHarness(groups: Self.groups)
    var generator = SplitMix(seed: 42)
    for step in 0..<3000 {
      let site = Int(generator.next() % 8)
      switch generator.next() % 9 {
      case 0, 1, 2:
        h.beat(site, seq: UInt64(step), count: Int(generator.next() % 100), state: [.ok, .help, .degraded][Int(generator.next() % 3)])
      case 3: h.beat(site)
      case 4: try? h.engine.mark(site: site, operatorName: "op", reason: "line down", now: h.now)
      case 5: try? h.engine.clearMark(site: site, operatorName: "op", now: h.now)
      case 6: try? h.engine.acknowledge(site: site, operatorName: "op", now: h.now)
      case 7: try? h.engine.setHeadcount(Int(generator.next() % 100), site: site, operatorName: "op", now: h.now)
      default: h.wait(.seconds(Int64(generator.next() % 20)))
      }
    }
    let recount = Self.recount(h.engine)
    #expect(recount == h.engine.rollups)
  }

  /// Lương Sơn as it was seen: six rows late read `6/6 up`; a district wholly offline still added its last
  /// headcounts; a marked site's count stayed on its row while the group left it out. Live attendance counts only
  /// sites that are up, and each status is counted apart.
  @Test func liveAttendanceCountsOnlySitesThatAreUp() throws {
    let district = Array(repeating: "Hòa Bình / Lương Sơn", count: 6)
    var h = EngineHarness(groups: district + ["Hòa Bình / Kim Bôi", "Hòa Bình / Kim Bôi"])  // expected 10 ... 80
    for site in 0..<6 { h.beat(site, count: 5 + site) }
    h.beat(6, count: 60)
    h.wait(.seconds(13))  // all late
    let luongSon = try #require(h.engine.groups.node(path: ["Hòa Bình", "Lương Sơn"]))
    var rollup = h.engine.rollups[luongSon]
    #expect(rollup.statusCounts[.late] == 6 && rollup.statusCounts[.online] == 0 && rollup.sitesUp == 6)
    #expect(rollup.reportedHeadcount == 5 + 6 + 7 + 8 + 9 + 10, "late sites are still up: their counts count")

    h.wait(.seconds(20))  // all offline
    rollup = h.engine.rollups[luongSon]
    #expect(rollup.statusCounts[.offline] == 6 && rollup.sitesUp == 0)
    #expect(rollup.reportedHeadcount == 0, "an offline site's last count is not live attendance")
    #expect(rollup.expectedHeadcount == 10 + 20 + 30 + 40 + 50 + 60, "expected keeps every site")
    #expect(rollup.attendancePercent == 0)

    // Kim Bôi: one site online then marked; one never heard with a count phoned in.
    let kimBoi = try #require(h.engine.groups.node(path: ["Hòa Bình", "Kim Bôi"]))
    h.beat(6, count: 60)
    try h.engine.mark(site: 6, operatorName: "lan", reason: "line down", now: h.now)
    try h.engine.setHeadcount(70, site: 7, operatorName: "lan", now: h.now)
    rollup = h.engine.rollups[kimBoi]
    #expect(rollup.statusCounts[.marked] == 1 && rollup.neverHeard == 1 && rollup.reportedHeadcount == 0)
    #expect(RollupContribution(h.engine.records[6]).uncountedHeadcount == 60)
    #expect(RollupContribution(h.engine.records[7]).uncountedHeadcount == 70)
    #expect(h.engine.total.reportedHeadcount == 0)

    // Back up (two fresh heartbeats: recover_after): counted again, with the count it had.
    for _ in 0..<2 { for site in 0..<2 { h.beat(site) } }
    rollup = h.engine.rollups[luongSon]
    #expect(rollup.statusCounts[.online] == 2 && rollup.reportedHeadcount == 5 + 6)
    #expect(Self.recount(h.engine) == h.engine.rollups)
  }

  /// For random records in every status, each group's figures are the sum over the sites under it, by a rule the
  /// test states on its own (a count counts while its site is online or late), and its headcount never exceeds
  /// what its rows show.
  @Test func aGroupIsTheSumOfItsRowsForRandomRecords() {
    var generator = SplitMix(seed: 29)
    for round in 0..<200 {
      let groups = (0..<12).map { _ in Self.groups[Int(generator.next() % UInt64(Self.groups.count))] }
      var h = EngineHarness(groups: groups)
      for step in 0..<60 {
        let site = Int(generator.next() % 12)
        switch generator.next() % 8 {
        case 0, 1: h.beat(site, seq: UInt64(step), count: Int(generator.next() % 90), state: generator.next() % 5 == 0 ? .help : .ok)
        case 2: try? h.engine.mark(site: site, operatorName: "op", reason: "line down", now: h.now)
        case 3: try? h.engine.clearMark(site: site, operatorName: "op", now: h.now)
        case 4: try? h.engine.setHeadcount(Int(generator.next() % 90), site: site, operatorName: "op", now: h.now)
        case 5: try? h.engine.acknowledge(site: site, operatorName: "op", now: h.now)
        default: h.wait(.seconds(Int64(generator.next() % 25)))
        }
      }
      let engine = h.engine
      for (node, rollup) in engine.rollups.enumerated() {
        let under = engine.groups.sitesUnder(node)
        let records = under.map { engine.records[$0] }
        for status in SiteStatus.allCases {
          #expect(rollup.statusCounts[status] == records.filter { $0.status == status }.count, "round \(round) \(status)")
        }
        let up = records.filter { $0.status == .online || $0.status == .late }
        #expect(rollup.sitesUp == up.count)
        #expect(rollup.reportedHeadcount == up.reduce(0) { $0 + ($1.headcount ?? 0) }, "round \(round) node \(node)")
        #expect(rollup.reportedHeadcount <= records.reduce(0) { $0 + ($1.headcount ?? 0) })
        #expect(rollup.expectedHeadcount == under.reduce(0) { $0 + engine.sites[$1].expected })
        let contributions = records.map(RollupContribution.init)
        #expect(rollup.reportedHeadcount == contributions.reduce(0) { $0 + $1.countedHeadcount })
        #expect(rollup.unacknowledgedAlerts == contributions.filter(\.alert).count)
        #expect(rollup.helpRequests == contributions.filter(\.help).count)
        // Every count a row shows is either counted or shown as not counted, never both.
        for (record, contribution) in zip(records, contributions) {
          #expect((record.headcount ?? 0) == contribution.countedHeadcount + (contribution.uncountedHeadcount ?? 0))
        }
      }
      #expect(Self.recount(engine) == engine.rollups)
    }
  }

  static func recount(_ engine: StatusEngine) -> [Rollup] {
    Rollup.recount(sites: engine.sites, records: engine.records.all, groups: engine.groups)
  }
}

/// A tiny deterministic generator for reproducible random tests.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
