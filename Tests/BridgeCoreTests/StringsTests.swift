import Testing

@testable import BridgeCore

@Suite struct StringsTests {
  func placeholders(_ text: String) -> Set<String> {
    var found: Set<String> = []
    var rest = text[...]
    while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
      found.insert(String(rest[open...close]))
      rest = rest[rest.index(after: close)...]
    }
    return found
  }

  @Test func bothLanguagesHaveEveryKeyWithTheSamePlaceholders() {
    let english = Strings.table(.en)
    let vietnamese = Strings.table(.vi)
    #expect(Set(english.keys) == Set(TextKey.allCases))
    #expect(Set(vietnamese.keys) == Set(TextKey.allCases))
    for key in TextKey.allCases {
      #expect(placeholders(english[key] ?? "") == placeholders(vietnamese[key] ?? ""), "\(key)")
      #expect(!(vietnamese[key] ?? "").isEmpty, "\(key)")
    }
  }

  @Test func vietnameseUsesTheOperatorsTermsAndDotSeparators() {
    let vi = Strings(.vi)
    #expect(vi.number(11631) == "11.631")
    #expect(vi.number(1_000_000) == "1.000.000")
    #expect(vi.percent(98.46) == "98,5%")
    #expect(vi.status(.online) == "trực tuyến")
    #expect(vi.status(.offline) == "mất kết nối")
    #expect(vi(.attendance, vi.number(11631), vi.number(11800)) == "Quân số 11.631 / 11.800")
    #expect(vi(.keyMark).contains("đánh dấu ngoại tuyến"))
    #expect(vi(.wallTitle, vi.number(7400)).contains("7.400 điểm cầu"))
    let en = Strings(.en)
    #expect(en.number(11631) == "11,631")
    #expect(en.percent(98.46) == "98.5%")
  }

  @Test func theLanguageComesFromTheLocaleVariables() {
    #expect(Language.fromEnvironment(["LANG": "vi_VN.UTF-8"]) == .vi)
    #expect(Language.fromEnvironment(["LANG": "en_US.UTF-8"]) == .en)
    #expect(Language.fromEnvironment(["LC_ALL": "vi_VN.UTF-8", "LANG": "en_US.UTF-8"]) == .vi)
    #expect(Language.fromEnvironment(["LC_ALL": "C.UTF-8", "LANG": "vi_VN.UTF-8"]) == .en)
    #expect(Language.fromEnvironment(["LC_ALL": "", "LANG": "vi_VN"]) == .vi)
    #expect(Language.fromEnvironment([:]) == .en)
  }

  @Test func anArgumentIsNeverTreatedAsATemplate() {
    let en = Strings(.en)
    // A hostile site name holding a placeholder is shown as written, and the other arguments stay in place.
    #expect(en(.causeMarked, "HB-{1}", "line down") == "marked by HB-{1}: line down")
    #expect(en(.eventHeadcount, "X {2}", 52, "lan") == "X {2}: headcount set to 52 by lan")
  }

  @Test func eventsReadInBothLanguages() {
    let site = SiteConfig(id: "HB-TU", name: "Tỉnh ủy Hòa Bình", group: ["Hòa Bình"], expected: 150, heartbeatFile: "/x")
    let event = EngineEvent(
      time: ClockReading(monotonicNanos: 0, unixSeconds: 0), siteIndex: 0,
      kind: .statusChanged(from: .online, to: .offline, cause: .silence))
    #expect(EventText.describe(event, sites: [site]) == "HB-TU Tỉnh ủy Hòa Bình: online -> offline (silence)")
    #expect(
      EventText.describe(event, sites: [site], strings: Strings(.vi))
        == "HB-TU Tỉnh ủy Hòa Bình: trực tuyến -> mất kết nối (mất tín hiệu)")
  }
}
