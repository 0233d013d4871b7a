import BridgeCore
import Foundation
import Testing

@testable import BridgeTUI

/// A group row, the header and the status file say what the rows under them say (DashboardFixture has a site in
/// every status: online, late, offline with a count set by hand, marked with a count, never heard).
@Suite struct RollupViewTests {
  static func render(width: Int, language: Language = .en) -> (screen: ScreenBuffer, snapshot: MonitorSnapshot) {
    var state = DashboardState()
    state.strings = Strings(language)
    let snapshot = DashboardFixture.snapshot()
    let screen = DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: width, height: 40))
    return (screen, snapshot)
  }

  static func line(_ screen: ScreenBuffer, containing text: String) -> String? {
    screen.lines.first { $0.contains(text) }
  }

  /// What counts, by the rule stated on its own: a site's count while it is online or late.
  static func counted(_ snapshot: MonitorSnapshot, _ sites: [Int]) -> Int {
    sites.filter { [.online, .late].contains(snapshot.records[$0].status) }.reduce(0) { $0 + (snapshot.records[$1].headcount ?? 0) }
  }

  @Test func aGroupRowNamesEveryStatusOfItsRowsAndCountsOnlyWhatIsUp() throws {
    let (screen, snapshot) = Self.render(width: 200)
    // Đà Bắc: marked (100 people on its row), offline (47 set by hand), late (51).
    let daBac = try #require(Self.line(screen, containing: "Hòa Bình / Đà Bắc"))
    #expect(daBac.contains("51/222"), "\(daBac)")
    #expect(daBac.contains("0/3 online  1 offline  1 late  1 marked  23.0%"), "\(daBac)")
    #expect(try #require(Self.line(screen, containing: "HB-DB-HU")).contains("(100)/119"))
    #expect(try #require(Self.line(screen, containing: "HB-DB-TULY")).contains("(47*)/49"))
    #expect(try #require(Self.line(screen, containing: "HB-DB-CAOSON")).contains(" 51/54"))
    // Mai Châu: online, late, never heard.
    let maiChau = try #require(Self.line(screen, containing: "Hòa Bình / Mai Châu"))
    #expect(maiChau.contains("126/187") && maiChau.contains("1/3 online  1 late  1 not connected  67.4%"), "\(maiChau)")

    // The header's attendance is the sum over the rows that count, not over every row shown.
    let everything = Array(snapshot.sites.indices)
    let attending = Self.counted(snapshot, everything)
    #expect(attending == 327)
    #expect(screen.lines[1].contains("327 / 559 (58.5%)"), "\(screen.lines[1])")
    #expect(screen.lines[1].contains("Online 2/7") && screen.lines[1].contains("Offline 1"), "\(screen.lines[1])")
    #expect(screen.lines[1].contains("Late 2") && screen.lines[1].contains("Marked 1"), "\(screen.lines[1])")
  }

  @Test func aNarrowGroupRowUsesTheRowsGlyphs() throws {
    let (screen, _) = Self.render(width: 80)
    let daBac = try #require(Self.line(screen, containing: "Đà Bắc"))
    #expect(daBac.contains("●0/3 ✖1 ◐1 ⊘1"), "\(daBac)")
    let (vi, _) = Self.render(width: 200, language: .vi)
    let viDaBac = try #require(Self.line(vi, containing: "Hòa Bình / Đà Bắc"))
    #expect(viDaBac.contains("0/3 trực tuyến  1 mất kết nối  1 chậm  1 đã đánh dấu  23,0%"), "\(viDaBac)")
  }

  /// Why the row shows `(100)`: the reason first, so that 80 columns keep it.
  @Test(arguments: [Language.en, .vi])
  func theDetailPaneSaysWhyACountIsNotCounted(language: Language) throws {
    var state = DashboardState()
    state.strings = Strings(language)
    let snapshot = DashboardFixture.snapshot(detailSite: 1)
    state.selectedSite = 1
    state.showsDetail = true
    let screen = DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 80, height: 30))
    let line = try #require(Self.line(screen, containing: state.strings(.detailHeadcount) + ": "), "\(screenText(screen))")
    let reason = language == .en ? "100 not counted: this site is marked" : "100 không được tính: điểm này đã đánh dấu"
    #expect(line.contains(reason), "\(line)")
  }

  /// The status file and the screen are one computation: each group's headcount in the file is the row's, and the
  /// sum over the file's sites that say `headcount_counted`.
  @Test func theStatusFileAgreesWithTheScreen() throws {
    let (screen, snapshot) = Self.render(width: 200)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(StatusFileEncoder.encode(snapshot).utf8)) as? [String: Any])
    let sites = try #require(json["sites"] as? [[String: Any]])
    let groups = try #require(json["groups"] as? [[String: Any]])
    let total = try #require(json["total"] as? [String: Any])
    func countedSum(_ prefix: String) -> Int {
      sites.filter { ($0["group"] as? String ?? "").hasPrefix(prefix) && $0["headcount_counted"] as? Bool == true }
        .reduce(0) { $0 + ($1["headcount"] as? Int ?? 0) }
    }
    #expect(total["headcount"] as? Int == 327 && countedSum("") == 327)
    for status in ["online", "late", "offline", "marked", "unknown"] {
      #expect(total[status] as? Int == sites.filter { $0["status"] as? String == status }.count, "\(status)")
    }
    for group in groups {
      let path = try #require(group["path"] as? String)
      let rollup = try #require(group["rollup"] as? [String: Any])
      let headcount = try #require(rollup["headcount"] as? Int)
      let expected = try #require(rollup["expected"] as? Int)
      #expect(headcount == countedSum(path), "\(path)")
      let row = try #require(screen.lines.first { $0.contains(path) && $0.contains("online") }, "\(path)")
      #expect(row.contains("\(NumberText.grouped(headcount))/\(NumberText.grouped(expected))"), "\(row)")
      #expect(row.contains("\(rollup["online"] as? Int ?? -1)/\(rollup["sites"] as? Int ?? -1) online"), "\(row)")
    }
  }
}
