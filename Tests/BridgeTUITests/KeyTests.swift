import Testing

@testable import BridgeCore
@testable import BridgeTUI

@Suite struct KeyTests {
  let snapshot = DashboardFixture.snapshot()

  func press(_ keys: [Key], on state: inout DashboardState) -> [Effect] {
    keys.map { state.handle($0, snapshot: snapshot) }
  }

  func typed(_ text: String) -> [Key] { text.map { .character($0) } }

  /// The request a key sends for the site at `site` of `snapshot`, by its id.
  func request(_ site: Int, _ action: OperatorRequest.Action, confirmed: Bool = false, in snapshot: MonitorSnapshot? = nil) -> Effect {
    .request(OperatorRequest(site: (snapshot ?? self.snapshot).sites[site].id, action: action, confirmedAboveExpected: confirmed))
  }

  @Test func movementGoesThroughGroupAndSiteRows() {
    // Rows: Hòa Bình, HB-TU, Đà Bắc, HB-DB-HU, HB-DB-TULY, HB-DB-CAOSON, Mai Châu, HB-MC-HU, HB-MC-PACO, HB-MC-VANMAI.
    var state = DashboardState()
    state.selectedSite = 0
    _ = press([.down], on: &state)
    #expect(state.selection == .group(node: 2))
    _ = press([.character("j")], on: &state)
    #expect(state.selectedSite == 1)
    _ = press([.up, .up], on: &state)
    #expect(state.selectedSite == 0)
    _ = press([.end], on: &state)
    #expect(state.selectedSite == 6)
    _ = press([.down], on: &state)
    #expect(state.selectedSite == 6)
    _ = press([.home], on: &state)
    #expect(state.selection == .group(node: 1))
    state.pageSize = 4
    _ = press([.pageDown], on: &state)
    #expect(state.selectedSite == 1)
  }

  @Test func markWithAPresetReason() {
    var state = DashboardState()
    state.selectedSite = 3
    let effects = press([.character("o")] + typed("3") + [.enter], on: &state)
    #expect(effects.last == request(3, .mark(reason: "line down")))
    #expect(state.mode == .normal)
  }

  @Test func markWithFreeTextAndBackspace() {
    var state = DashboardState()
    state.selectedSite = 3
    let effects = press([.character("o")] + typed("mất điệnx") + [.backspace, .enter], on: &state)
    #expect(effects.last == request(3, .mark(reason: "mất điện")))
  }

  @Test func escapeCancelsAPrompt() {
    var state = DashboardState()
    state.selectedSite = 3
    let effects = press([.character("o")] + typed("2") + [.escape], on: &state)
    #expect(effects.allSatisfy { $0 == .none })
    #expect(state.mode == .normal)
  }

  @Test func anEmptyReasonIsRefused() {
    var state = DashboardState()
    state.selectedSite = 3
    let effects = press([.character("o"), .enter], on: &state)
    #expect(effects.last == Effect.none)
    #expect(state.mode == .prompt(.markOffline, site: 3, input: ""))
    #expect(state.message?.isError == true)
  }

  @Test func headcountIsValidated() {
    var state = DashboardState()
    state.selectedSite = 2
    for bad in ["abc", "-5", "1000001", "12.5", "", "４５"] {
      let effects = press([.character("c")] + typed(bad) + [.enter], on: &state)
      #expect(effects.allSatisfy { $0 == .none }, "\(bad)")
      #expect(state.message?.isError == true, "\(bad)")
      _ = press([.escape], on: &state)
    }
    let effects = press([.character("c")] + typed("47") + [.enter], on: &state)
    #expect(effects.last == request(2, .setHeadcount(47)))
    // Thousands as a Vietnamese or English hand writes them, as in count files; above the 49 expected at Xã Tú
    // Lý, each is asked about first.
    for (typedCount, count) in [("1.234", 1234), ("11,631", 11631), (" 2 048 ", 2048)] {
      let grouped = press([.character("c")] + typed(typedCount) + [.enter, .character("y")], on: &state)
      #expect(grouped.last == request(2, .setHeadcount(count), confirmed: true), "\(typedCount)")
    }
  }

  @Test func aCountAboveTheExpectedIsAskedAboutNamingTheExpectedAndSentOnlyOnYes() {
    // The slip of the review: "1.234" typed at a commune that expects 49 is 1,234 people.
    var state = DashboardState()
    state.selectedSite = 2
    let typedSlip = press([.character("c")] + typed("1.234") + [.enter], on: &state)
    #expect(typedSlip.allSatisfy { $0 == .none })
    #expect(state.mode == .confirmHeadcount(site: 2, count: 1234))
    var shown = state
    let footer = DashboardView.render(snapshot, state: &shown, context: ViewContext(width: 120, height: 30)).lines.last ?? ""
    #expect(footer.contains("HB-DB-TULY: 1,234 people is more than the 49 expected. Set 1,234? y = yes"), "\(footer)")
    // Any key but y: nothing is sent, and the operator is told.
    #expect(press([.character("n")], on: &state) == [.none])
    #expect(state.mode == .normal && state.message?.text == "cancelled")
    #expect(press([.character("c")] + typed("1.234") + [.enter, .enter], on: &state).allSatisfy { $0 == .none })
    // At or under the expected, no question.
    #expect(press([.character("c")] + typed("49") + [.enter], on: &state).last == request(2, .setHeadcount(49)))
    #expect(
      press([.character("c")] + typed("1.234") + [.enter, .character("y")], on: &state).last
        == request(2, .setHeadcount(1234), confirmed: true))
  }

  @Test func clearAndAcknowledgeOnlyWhereTheyMakeSense() {
    var state = DashboardState()
    state.selectedSite = 0  // online, not marked
    #expect(press([.character("u")], on: &state) == [.none])
    #expect(state.message?.text == "HB-TU is not marked offline")
    #expect(press([.character("a")], on: &state) == [.none])
    #expect(state.message?.isError == true)
    state.selectedSite = 1  // marked
    #expect(press([.character("u")], on: &state) == [request(1, .clear)])
    state.selectedSite = 2  // offline
    #expect(press([.character("a")], on: &state) == [request(2, .acknowledge)])
  }

  @Test func iTakesAClaimGivesOneBackAndAsksBeforeEndingSomeoneElses() {
    let claimed = DashboardFixture.snapshot(claims: [(site: 2, by: "lan"), (site: 3, by: "minh")])
    var state = DashboardState()
    state.operatorName = "lan"
    state.selectedSite = 1
    #expect(state.handle(.character("i"), snapshot: claimed) == request(1, .claim, in: claimed))
    state.selectedSite = 2
    #expect(state.handle(.character("i"), snapshot: claimed) == request(2, .release(force: false), in: claimed))
    state.selectedSite = 3
    #expect(state.handle(.character("i"), snapshot: claimed) == .none)
    #expect(state.mode == .confirmRelease(site: 3))
    #expect(state.handle(.character("n"), snapshot: claimed) == .none && state.mode == .normal)
    _ = state.handle(.character("i"), snapshot: claimed)
    #expect(state.handle(.character("y"), snapshot: claimed) == request(3, .release(force: true), in: claimed))
    // The row says who is on it; the prompt says whose claim would end.
    state.mode = .confirmRelease(site: 3)
    let text = DashboardView.render(claimed, state: &state, context: DashboardFixture.context(width: 160, height: 30)).lines
      .joined(separator: "\n")
    #expect(text.contains("minh is on it"), "\(text)")
    #expect(text.contains("minh is on HB-DB-CAOSON since"), "\(text)")
  }

  @Test func quitAsksFirst() {
    var state = DashboardState()
    #expect(press([.character("q"), .character("n")], on: &state) == [.none, .none])
    #expect(state.mode == .normal)
    #expect(press([.character("q"), .character("y")], on: &state) == [.none, .quit])
    var other = DashboardState()
    #expect(press([.interrupt, .interrupt], on: &other) == [.none, .quit])
  }

  @Test func themeAndHelpKeys() {
    var state = DashboardState()
    #expect(press([.character("t")], on: &state) == [.cycleTheme])
    _ = press([.character("?")], on: &state)
    #expect(state.mode == .help)
    _ = press([.character("x")], on: &state)
    #expect(state.mode == .normal)
  }

  @Test func helpOverlayListsEveryBinding() {
    var state = DashboardState()
    state.mode = .help
    let screen = DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 100, height: 30))
    let text = screen.lines.joined(separator: "\n")
    for binding in KeyMap.bindings { #expect(text.contains(Strings.english(binding.help)), "\(binding.action)") }
    #expect(Set(KeyMap.bindings.map(\.action)) == Set(Action.allCases))
  }

  /// The operator actions are rows of one table: each named once, its keys reach it, the help and footer name it,
  /// and a row that asks first shows its question in the footer.
  @Test func everyOperatorActionIsOneRowOfTheTable() {
    #expect(OperatorCommands.table.map(\.name) == OperatorCommand.Name.allCases)
    for command in OperatorCommands.table {
      for key in command.keys { #expect(KeyMap.action(for: key) == .operate(command.name), "\(command.name)") }
      #expect(KeyMap.footerOrder.contains(.operate(command.name)), "\(command.name)")
      guard command.prompt != nil else { continue }
      var state = DashboardState()
      state.selectedSite = 0
      #expect(press(command.keys, on: &state) == [.none])
      #expect(state.mode == .prompt(command.name, site: 0, input: ""))
      let footer = DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 160, height: 30)).lines.last ?? ""
      #expect(footer.contains("HB-TU"), "\(command.name): \(footer)")
    }
  }

  @Test func eventLogIsBounded() {
    var state = DashboardState()
    for index in 0..<1000 { state.appendLog(LogLine(unixSeconds: Double(index), text: "\(index)", isAlert: false)) }
    #expect(state.log.count == DashboardState.logCapacity)
    #expect(state.log.last?.text == "999")
  }

  @Test func aReadOnlyConsoleRefusesEveryActionKeyAndLeavesThemOutOfItsFooter() {
    var state = DashboardState()
    state.readOnly = true
    state.selectedSite = 0
    for key in ["o", "u", "a", "c", "i"] {
      state.message = nil
      #expect(press(typed(key), on: &state) == [.none], "\(key) made a request")
      #expect(state.message?.0 == "read-only console: actions are made on another console", "\(key)")
      #expect(state.mode == .normal, "\(key) opened a prompt")
    }
    let footer = DashboardView.render(snapshot, state: &state, context: DashboardFixture.context(width: 160, height: 30)).lines.last ?? ""
    #expect(!footer.contains("o mark") && !footer.contains("i on it") && !footer.contains("a ack"), "\(footer)")
    #expect(footer.contains("/ filter") && footer.contains("? help") && footer.contains("read-only"), "\(footer)")

    // The same keys on a console that may act do what they say.
    var acting = DashboardState()
    acting.selectedSite = 0
    _ = press(typed("o"), on: &acting)
    #expect(acting.mode != .normal, "o opens the reason prompt")
  }

  @Test func problemsIncludeSitesNeverHeardOnceTheSessionIsOnAndSitesWhoseDatagramsAreRefused() {
    var never = SiteRecord()
    #expect(SiteList.isProblem(never, neverHeard: true))
    #expect(!SiteList.isProblem(never, neverHeard: false), "before the session, every site is unheard and none is a problem")
    never.rejection = SiteRejection(
      reason: .badMAC, count: 34, lastAt: ClockReading(monotonicNanos: 5, unixSeconds: 1_763_800_000), source: "10.0.0.5:40000")
    #expect(SiteList.isProblem(never, neverHeard: false), "a wrong key is a problem at any time")
    let strings = Strings(.vi)
    #expect(DashboardView.flagsText(never, recoverAfter: 2, strings: strings) == "BỊ TỪ CHỐI: sai khóa")
    #expect(DashboardView.flagsText(never, recoverAfter: 2, strings: Strings(.en)) == "REFUSED: wrong key")
  }
}
