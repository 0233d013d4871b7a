import Foundation
import TestSupport
import Testing

@testable import BridgeCore
@testable import BridgeTUI

/// The Vietnamese dashboard holds no English word of the strings table: probe outcomes, how a site was heard,
/// refusals, the counters and the demo's banner included.
@Suite struct LanguageViewTests {
  static let leftovers = EnglishLeftovers(english: Array(Strings.table(.en).values), vietnamese: Array(Strings.table(.vi).values))

  /// The fixture with what used to stay English: a probed site whose last probe got no answer, a site refused for
  /// a wrong key (and the counters saying so), a contact, the demo's banner.
  static func snapshot(_ strings: Strings) throws -> MonitorSnapshot {
    var snapshot = DashboardFixture.snapshot(detailSite: 0)
    // What an operator types is data: a Vietnamese operator picks a Vietnamese reason.
    snapshot.records[1].mark?.reason = strings(.presetLineDown)
    snapshot.sites[0].probe = try ProbeTarget.parse("sip://10.0.0.5:5060").get().description
    snapshot.sites[0].contact = "Anh Tuấn 0912 345 678"
    snapshot.records[0].lastSource = .probe
    snapshot.records[0].probeOutcome = .timedOut
    snapshot.records[0].probeAt = snapshot.takenAt
    snapshot.records[6].rejection = SiteRejection(reason: .badMAC, count: 34, lastAt: snapshot.takenAt, source: "10.0.0.9:40000")
    snapshot.counters[.badMAC] = 34
    return snapshot
  }

  func render(_ language: Language, width: Int, height: Int, detail: Bool) throws -> String {
    let strings = Strings(language)
    let snapshot = try Self.snapshot(strings)
    var state = DashboardState()
    state.strings = strings
    let site = "HB-DB-HU Huyện ủy Đà Bắc"
    let silence = strings(.eventStatus, site, strings.status(.online), strings.status(.offline), strings(.causeSilence))
    state.appendLog(LogLine(unixSeconds: 1_763_800_030, text: silence, isAlert: true))
    if detail {
      state.selectedSite = 0
      _ = state.handle(.enter, snapshot: snapshot)
    }
    var context = DashboardFixture.context(width: width, height: height)
    context.banner = state.strings(.demoBanner)
    return screenText(DashboardView.render(snapshot, state: &state, context: context))
  }

  @Test(arguments: [(200, 50, false), (200, 50, true), (120, 30, true), (80, 24, false)])
  func vietnameseScreensHoldNoEnglish(width: Int, height: Int, detail: Bool) throws {
    let text = try render(.vi, width: width, height: height, detail: detail)
    #expect(Self.leftovers.find(in: text).isEmpty, "\(Self.leftovers.find(in: text))\n\(text)")
  }

  @Test func theDetailPaneSaysWhomToCallAndNoStaleRoundTrip() throws {
    let vietnamese = try render(.vi, width: 200, height: 50, detail: true)
    #expect(vietnamese.contains("Liên hệ: Anh Tuấn 0912 345 678"), "\(vietnamese)")
    #expect(vietnamese.contains("thăm dò không trả lời"), "\(vietnamese)")
    let table = try render(.vi, width: 200, height: 50, detail: false)
    #expect(table.contains("34 sai khóa"), "the counters name the reason in Vietnamese: \(table)")
    let english = try render(.en, width: 200, height: 50, detail: true)
    #expect(english.contains("Contact: Anh Tuấn 0912 345 678"), "\(english)")
    // A probe answers for the network, not for the site: no "state ok" is made up for it.
    #expect(english.contains("Last heartbeat: ") && !english.contains("state ok"), "\(english)")
  }
}
