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

  static func recount(_ engine: StatusEngine) -> [Rollup] {
    Rollup.recount(sites: engine.sites, records: engine.records, groups: engine.groups)
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
