import BridgeField
import Foundation
import TestSupport
import Testing

/// The national demo in a real terminal: `w` on 31,097 points, too many for a cell each at 200x60, shows the
/// overview with every province and central group on one screen; Enter goes into a group and Esc comes back.
@Suite(.serialized) struct DashboardOverviewTmuxTests {
  @Test func wOnANationalConferenceShowsTheOverviewWithEveryProvinceOnOneScreen() throws {
    let session = try TmuxSession(
      width: 200, height: 60,
      command: "'\(Binary.path)' demo --sites 31097 --operator tester --no-bell --lang en; echo EXITED=$?")
    let started = session.waitFor(seconds: 120) { $0.contains("/31,097") }
    #expect(started.ok, "\(started.screen)")

    try session.send("w")
    let groups = DemoRoster.provinces2026.map(\.name) + DemoRoster.centralGroups.map(\.name)
    #expect(groups.count == 37)
    let overview = session.waitFor(seconds: 30) { screen in
      screen.contains("1 cell = 1 commune/ward/unit, in its worst status") && groups.allSatisfy { screen.contains(" \($0) ") }
    }
    #expect(overview.ok, "not every group on the overview:\n\(overview.screen)")
    let titleRow = overview.screen.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).first ?? ""
    #expect(!titleRow.contains(" of "), "no scroll indicator: it all fits\n\(overview.screen)")

    // Worst first, then back to roster order.
    try session.send("r")
    #expect(session.waitFor { $0.contains("worst first") && $0.contains("overview: worst groups first") }.ok, "\(session.screen())")
    try session.send("r")
    #expect(session.waitFor { !$0.contains("worst first") }.ok, "\(session.screen())")

    // Into the first group (the selection starts there): its sites, one cell each; Esc back to the overview.
    try session.send("Enter")
    let inside = session.waitFor { $0.contains("Hà Nội: ") && $0.contains("sites · 1 cell = 1 site · Esc: back to the overview") }
    #expect(inside.ok, "\(inside.screen)")
    try session.send("Escape")
    let back = session.waitFor { screen in groups.allSatisfy { screen.contains(" \($0) ") } && screen.contains("1 cell = 1 commune") }
    #expect(back.ok, "\(back.screen)")

    try session.send("q")
    #expect(session.waitFor { $0.contains("Quit BridgeWatch?") }.ok)
    try session.send("y")
    let exited = session.waitFor(seconds: 30) { $0.contains("EXITED=0") }
    #expect(exited.ok, "\(exited.screen)")
  }
}
