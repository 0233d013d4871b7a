import BridgeCore
import BridgeField
import Testing

@testable import BridgeTUI

/// What shrinks when room is short, and what must not: ids and names before the status word, whole group names in
/// a sorted list, graphs beside their labels, flags that say which part is a problem, and a header-wide alarm.
@Suite struct NarrowLayoutTests {
  func render(
    _ snapshot: MonitorSnapshot = DashboardFixture.snapshot(), width: Int, height: Int, language: Language = .en,
    _ configure: (inout DashboardState, inout ViewContext) -> Void = { _, _ in }
  ) -> ScreenBuffer {
    var state = DashboardState()
    state.strings = Strings(language)
    var context = DashboardFixture.context(width: width, height: height)
    configure(&state, &context)
    return DashboardView.render(snapshot, state: &state, context: context)
  }

  /// The row of the site `id`.
  func row(_ screen: ScreenBuffer, _ id: String) -> String? { screen.lines.first { $0.contains(" \(id) ") } }

  /// In Vietnamese at 80 columns the status word ("mất kết nối") is the first to go: every id and every name that
  /// reads whole in English reads whole in Vietnamese too, and the glyph still says the status.
  @Test func inVietnameseAt80ColumnsTheStatusWordGivesWayToIdsAndNames() throws {
    let snapshot = DashboardFixture.snapshot()
    let english = render(snapshot, width: 80, height: 24)
    let vietnamese = render(snapshot, width: 80, height: 24, language: .vi)
    for (index, site) in snapshot.sites.enumerated() {
      let shown = try #require(row(vietnamese, site.id), "\(site.id) has no row:\n\(screenText(vietnamese))")
      let name = site.name.precomposedStringWithCanonicalMapping
      if DisplayWidth.of(name) <= Columns.readableName, !name.contains("\u{1B}") {
        #expect(shown.contains(name), "\(site.id)'s name is cut: '\(shown)'")
      }
      #expect(shown.hasPrefix(" " + Glyphs.unicode.glyph(snapshot.records[index].status) + " "), "'\(shown)'")
      let englishRow = try #require(row(english, site.id))
      #expect(!englishRow.contains(name) || shown.contains(name), "\(site.id): whole in English, cut in Vietnamese")
    }
    #expect(!screenText(vietnamese).contains("mất kết n…"))
    // The demo's Hòa Bình roster, ids up to 17 characters: whole at 80 columns in both languages.
    let roster = try ConfigLoader.load(yaml: DemoRoster.hoaBinhYAML, path: "hoa-binh.yaml").config.sites
    let hoaBinh = MonitorState(config: ConferenceConfig(sites: roster))
    let demo = hoaBinh.snapshot(now: ClockReading(monotonicNanos: 1_000_000_000, unixSeconds: 1_763_800_000), title: "Hòa Bình")
    for language in [Language.en, .vi] {
      let screen = render(demo, width: 80, height: 60, language: language)
      for site in roster.prefix(30) {
        #expect(row(screen, site.id) != nil, "\(language): \(site.id) is cut:\n\(screenText(screen))")
      }
    }
    // Where the words fit, they are there.
    let wide = render(snapshot, width: 120, height: 24, language: .vi)
    #expect(row(wide, "HB-DB-TULY")?.contains("✖ mất kết nối") == true, "\(screenText(wide))")
    #expect(row(english, "HB-DB-TULY")?.contains("✖ offline") == true, "\(screenText(english))")
  }

  /// A list sorted by severity names each site's group in a column of its own, whole.
  @Test func sortedBySeverityTheGroupNamesAreWhole() {
    let screen = render(width: 120, height: 24) { state, _ in state.listOptions.sort = .severity }
    for id in ["HB-MC-PACO", "HB-MC-VANMAI", "HB-MC-HU"] {
      #expect(row(screen, id)?.contains("Hòa Bình / Mai Châu") == true, "\(screenText(screen))")
    }
  }

  /// The sparkline and the heartbeat strip start next to their labels, not after an hour of blanks.
  @Test func theDetailGraphsSitNextToTheirLabels() throws {
    let snapshot = DashboardFixture.snapshot(detailSite: 3)
    let screen = render(snapshot, width: 200, height: 50) { state, _ in
      state.selectedSite = 3
      state.showsDetail = true
    }
    for label in ["Headcount, last 60 min", "Heartbeats, last 60 min"] {
      let line = try #require(screen.lines.first { $0.hasPrefix(" " + label) }, "\(screenText(screen))")
      let afterLabel = line.dropFirst(1 + label.count)
      let gap = afterLabel.prefix { $0 == " " }.count
      #expect(gap <= 3, "'\(line)'")
      #expect(afterLabel.dropFirst(gap).first.map { "▁▂▃▄▅▆▇█·".contains($0) } == true, "'\(line)'")
    }
  }

  /// A probe that answers is information, drawn plain; one that does not is a problem, in the flag role.
  @Test func aHealthyProbeIsNotDrawnLikeAFailedOne() throws {
    func screen(_ outcomes: ProbeOutcome...) -> ScreenBuffer {
      // The probed site second: the first is the one selected.
      let sites = [
        SiteConfig(id: "HB-TU", name: "Tỉnh ủy Hòa Bình", group: ["Hòa Bình"], expected: 150, heartbeatFile: "/nonexistent/HB-TU.hb"),
        SiteConfig(
          id: "HB-DB-HU", name: "Huyện ủy Đà Bắc", group: ["Hòa Bình"], expected: 119, heartbeatFile: "/nonexistent/HB-DB-HU.hb",
          probe: try! ProbeTarget.parse("sip://10.0.0.5:5060").get()),
      ]
      var state = MonitorState(config: ConferenceConfig(sites: sites))
      let now = ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: 1_763_800_000)
      state.withEngine { engine in
        for outcome in outcomes { engine.probeResult(outcome, rttMilliseconds: 12, site: 1, sentAt: now, now: now) }
      }
      return render(state.snapshot(now: now, title: "t"), width: 120, height: 24)
    }
    func role(of text: String, in screen: ScreenBuffer) throws -> Role {
      let y = try #require(screen.lines.firstIndex { $0.contains(text) }, "\(text) not shown:\n\(screenText(screen))")
      let x = DisplayWidth.of(String(screen.lines[y][..<screen.lines[y].range(of: text)!.lowerBound]))
      return screen[x, y].role
    }
    let answered = screen(.sipAnswered(code: 200))
    #expect(try role(of: "probe SIP 200", in: answered) == .dim)
    let silent = screen(.sipAnswered(code: 200), .timedOut)
    #expect(try role(of: "probe no answer", in: silent) == .flag)
  }

  /// A standby's silent primary takes the header's first line, whole, in the alarm role, with the command.
  @Test(arguments: [Language.en, .vi])
  func primarySilentIsAHeaderWideAlarmWithThePromoteCommand(language: Language) {
    let strings = Strings(language)
    // A path as long as a real one: the command stays whole at 80 columns, whatever else gives way.
    let command = "bridgewatch promote /srv/bridgewatch/hoi-nghi-2026/standby/hoa-binh.yaml"
    for width in [80, 200] {
      let screen = render(width: width, height: 24, language: language) { _, context in
        context.alarm = DashboardRuntime.primarySilentAlarm(since: "15:27", promoteCommand: command, strings: strings)
      }
      let header = screen.lines[0]
      #expect(header.contains(command), "\(width): '\(header)'")
      if width == 200 { #expect(header.contains(language == .en ? "PRIMARY SILENT" : "MÁY CHÍNH IM LẶNG"), "'\(header)'") }
      #expect(!header.contains("Hội nghị"), "the title gives way: '\(header)'")
      #expect((0..<width).allSatisfy { screen[$0, 0].role == .headerAlert }, "the whole line is the alarm")
      if width == 200 { #expect(header.contains(strings(.rolePrimarySilent, "15:27", command)), "'\(header)'") }
    }
  }
}

private typealias Columns = DashboardView.Columns
