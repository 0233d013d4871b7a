import Testing

@testable import BridgeCore

/// The report's step log in blocks: what goes in comes out in order, across the blocks' seams, through joins of
/// logs of any length, and grouped by site exactly as a stable sort by site, then by time, would group it.
@Suite struct StepLogTests {
  struct Step: TimedStep, Sendable, Equatable {
    var time: Double
    var site: Int32
    var order: Int
  }

  /// Steps in journal order: times mostly rising, some equal within a site, some a little back (actions are
  /// written before the tick's batch).
  static func steps(_ count: Int, sites: Int, seed: UInt64) -> [Step] {
    var random = SplitMix(seed: seed)
    var time = 1_000.0
    return (0..<count).map { order in
      switch random.next() % 10 {
      case 0: time -= Double(random.next() % 3)
      case 1, 2: break
      default: time += 1
      }
      return Step(time: time, site: Int32(random.next() % UInt64(sites)), order: order)
    }
  }

  static func log(_ steps: some Sequence<Step>, blockShift: Int) -> StepLog<Step> {
    var log = StepLog<Step>(blockShift: blockShift)
    for step in steps { log.append(step) }
    return log
  }

  static func contents(_ log: StepLog<Step>) -> [Step] { (0..<log.count).map { log[$0] } }

  @Test(arguments: [0, 1, 3, 21])
  func stepsComeOutInOrderAcrossBlocksAndJoins(blockShift: Int) {
    let steps = Self.steps(1_000, sites: 7, seed: 5)
    var one = Self.log(steps, blockShift: blockShift)
    #expect(Self.contents(one) == steps)
    #expect(one.blocks.allSatisfy { $0.count <= 1 << blockShift })
    one[417].time = -1
    #expect(one[417].time == -1 && one[416] == steps[416] && one[418] == steps[418])
    one[417] = steps[417]

    for cut in [0, 1, 7, 8, 9, 500, 999, 1_000] {
      var first = Self.log(steps[..<cut], blockShift: blockShift)
      var later = Self.log(steps[cut...], blockShift: blockShift)
      first.append(draining: &later)
      #expect(Self.contents(first) == steps, "cut at \(cut)")
      #expect(later.isEmpty && later.blocks.isEmpty)
      #expect(first.blocks.dropLast().allSatisfy { $0.count == 1 << blockShift }, "full blocks but the last")
    }
  }

  @Test(arguments: [0, 2, 4, 21])
  func groupingIsAStableSortBySiteThenTime(blockShift: Int) {
    for sites in [1, 3, 40] {
      let steps = Self.steps(2_000, sites: sites, seed: UInt64(sites))
      var log = Self.log(steps, blockShift: blockShift)
      let grouped = StepsBySite(grouping: &log, siteCount: sites + 2)
      #expect(log.isEmpty && log.blocks.isEmpty, "the log is given back")
      for site in 0..<sites + 2 {
        let expected = steps.filter { $0.site == site }.enumerated()
          .sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        #expect(Array(grouped[site]) == expected, "site \(site) of \(sites), blocks of \(1 << blockShift)")
      }
    }
    var empty = StepLog<Step>(blockShift: blockShift)
    let none = StepsBySite(grouping: &empty, siteCount: 5)
    #expect((0..<5).allSatisfy { none[$0].isEmpty })
    #expect(StepsBySite<Step>()[3].isEmpty)
  }

  /// The report's parts each keep the runs of their own sites and give each back once its sites are done: what a
  /// part holds shrinks as it goes, to nothing, and the steps it reads are the ones grouped whole.
  @Test(arguments: [1, 2, 3])
  func partsKeepTheirOwnRunsAndGiveThemBackAsTheyGo(parts: Int) {
    let sites = 40
    let steps = Self.steps(3_000, sites: sites, seed: 11)
    var log = Self.log(steps, blockShift: 4)
    var whole = StepsBySite(grouping: &log, siteCount: sites)
    let ranges = (0..<parts).map { part in (sites * part / parts)..<(sites * (part + 1) / parts) }
    var held = ranges.map { whole.keeping(sites: $0) }
    if parts > 1 {
      #expect(held.allSatisfy { $0.count < steps.count }, "a part holds only some runs")
    }
    #expect(held.reduce(0) { $0 + $1.count } >= steps.count, "every run is held by some part")
    for (part, range) in ranges.enumerated() {
      var before = held[part].count
      for site in range {
        #expect(Array(held[part][site]) == Array(whole[site]), "site \(site) in part \(part)")
        held[part].release(sitesBefore: site + 1)
        #expect(held[part].count <= before)
        before = held[part].count
      }
      #expect(held[part].count < steps.count / parts, "part \(part) gave back what it read")
      held[part].release(sitesBefore: range.upperBound + sites)
      #expect(held[part].count == 0)
    }
    whole.release(sitesBefore: sites)
    #expect(whole.count == 0)
  }
}
