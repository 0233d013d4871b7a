import TestSupport
import Testing

@testable import BridgeCore

/// The checkpoint's state keeps most sites' changes as three bits (heard; acknowledgement and typed count cleared)
/// and the rest apart: whatever is set and cleared in whatever order, a site reads back exactly what a plain array
/// of its changes would hold.
@Suite struct RestoredChangesTests {
  typealias Replay = RestoredSite.Replay

  static func change<Value>(_ random: inout SeededGenerator, _ values: [Value]) -> Replay.Change<Value> {
    let pick = Int(random.next() % UInt64(values.count + 1))
    return pick == values.count ? .unchanged : .set(values[pick])
  }

  static func changes(_ random: inout SeededGenerator) -> Replay.SiteChanges {
    let stamp = OperatorStamp(operatorName: "Lan", unixSeconds: 1_795_000_000)
    return Replay.SiteChanges(
      mark: change(&random, [nil, OperatorMark(operatorName: "Minh", reason: "mất điện", unixSeconds: 1_795_000_100)]),
      acknowledgedBy: change(&random, [nil, "Hương"]), manualHeadcount: change(&random, [nil, 0, 42]),
      manualHeadcountBy: change(&random, [nil, stamp]), manualHeadcountSource: change(&random, [.manual, .checkin]),
      wasHeard: random.next() % 2 == 0, claim: change(&random, [nil, stamp]), bridgeSince: change(&random, [nil, 1_795_000_200]))
  }

  @Test func eachSiteReadsBackWhatAPlainArrayHolds() {
    var random = SeededGenerator(state: 30)
    let sites = 40
    var table = Replay.SiteChangeTable(count: sites)
    var plain = [Replay.SiteChanges](repeating: Replay.SiteChanges(), count: sites)
    var sparseSites = 0
    for step in 0..<20_000 {
      let site = Int(random.next() % UInt64(sites))
      switch random.next() % 6 {
      case 0:
        table.markHeard(site)
        plain[site].wasHeard = true
      case 1:
        table.clearAcknowledgement(site)
        plain[site].acknowledgedBy = .set(nil)
      case 2:
        table.clearTypedCount(site)
        plain[site].manualHeadcount = .set(nil)
        plain[site].manualHeadcountBy = .set(nil)
        plain[site].manualHeadcountSource = .set(.manual)
      case 3:
        // One field changed through the whole value, as the replay does for what people do.
        table[site].acknowledgedBy = .set("Tuấn")
        plain[site].acknowledgedBy = .set("Tuấn")
      default:
        let whole = Self.changes(&random)
        table[site] = whole
        plain[site] = whole
      }
      #expect(table[site] == plain[site], "site \(site) after step \(step)")
    }
    for site in 0..<sites {
      #expect(table[site] == plain[site], "site \(site) at the end")
      if plain[site].mark == .unchanged && plain[site].claim == .unchanged && plain[site].bridgeSince == .unchanged { sparseSites += 1 }
    }
    #expect(sparseSites < sites, "the random values reach the details")
  }

  @Test func aSiteOnlyHeardKeepsNoDetails() {
    var table = Replay.SiteChangeTable(count: 3)
    table.markHeard(1)
    table.clearAcknowledgement(1)
    table.clearTypedCount(1)
    var expected = Replay.SiteChanges()
    expected.wasHeard = true
    expected.acknowledgedBy = .set(nil)
    expected.manualHeadcount = .set(nil)
    expected.manualHeadcountBy = .set(nil)
    expected.manualHeadcountSource = .set(.manual)
    #expect(table[1] == expected)
    #expect(table[0] == Replay.SiteChanges() && table[2] == Replay.SiteChanges())
    #expect(table.detailCount == 0)
    table[2].claim = .set(OperatorStamp(operatorName: "Lan", unixSeconds: 1))
    #expect(table.detailCount == 1)
  }
}
