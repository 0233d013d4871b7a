import BridgeCore
import Foundation
import TestSupport
import Testing

@testable import BridgeTUI

@Suite struct ThemeTests {
  @Test(arguments: ThemeLoader.shippedNames)
  func everyShippedThemeCoversEveryRoleWithoutWarnings(_ name: String) throws {
    let path = Repository.path("themes/\(name).yaml")
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let (theme, warnings) = ThemeLoader.parse(yaml: text, name: name, path: path)
    #expect(warnings.isEmpty, "\(warnings)")
    let node = try #require(try composeYAML(text)?.mapping)
    let keys = Set(node.map { $0.key.string ?? "" })
    for role in Role.allCases { #expect(keys.contains(role.rawValue), "\(name) lacks \(role.rawValue)") }
    #expect(theme.isMonochrome == (name == "mono"))
  }

  @Test func everyShippedThemeIsCompiledInAndEqualsItsFile() throws {
    #expect(Set(ThemeLoader.builtIn.keys) == Set(ThemeLoader.shippedNames))
    for (name, yaml) in ThemeLoader.builtIn {
      #expect(yaml == (try String(contentsOfFile: Repository.path("themes/\(name).yaml"), encoding: .utf8)), "\(name)")
    }
  }

  /// `--theme light` from a folder with no themes/ in sight is the light theme, not the default.
  @Test func builtInThemesAreFoundWithoutAnyFolder() throws {
    for name in ThemeLoader.shippedNames {
      let loaded = try ThemeLoader.load(name, directories: ["/nonexistent"]).get()
      #expect(loaded.theme.name == name && loaded.warnings.isEmpty)
      #expect(
        loaded.theme.style(.normal) == ThemeLoader.parse(yaml: ThemeLoader.builtIn[name]!, name: name, path: name).theme.style(.normal))
    }
    #expect(try ThemeLoader.load("light", directories: []).get().theme.style(.normal).background != .terminalDefault)
  }

  @Test func anUnknownThemeIsAnErrorNamingTheKnownOnes() throws {
    guard case .failure(let problem) = ThemeLoader.load("lihgt", directories: ["/nonexistent"]) else {
      Issue.record("an unknown name loaded a theme")
      return
    }
    #expect(problem.description == "unknown theme 'lihgt': the themes are default, light, high-contrast, mono, or a theme file's path")
    guard case .failure(let missing) = ThemeLoader.load("/nonexistent/mine.yaml", directories: []) else {
      Issue.record("a missing file loaded a theme")
      return
    }
    #expect(missing.description.hasPrefix("cannot read the theme file /nonexistent/mine.yaml"))
  }

  @Test func aThemeFileInAThemeFolderIsFoundByNameAndCycledBackTo() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-themes-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "status.online: {fg: \"#00ff00\"}\n".write(toFile: directory + "/projector.yaml", atomically: true, encoding: .utf8)
    let loaded = try ThemeLoader.load("projector", directories: ["/nonexistent", directory]).get()
    #expect(loaded.theme.name == "projector" && loaded.theme.style(.statusOnline).foreground == .rgb(0, 255, 0))
    #expect(ThemeLoader.cycle(startingWith: "projector") == ["default", "light", "high-contrast", "mono", "projector"])
    #expect(ThemeLoader.cycle(startingWith: "light") == ThemeLoader.shippedNames)
  }

  /// The Debian package puts themes in /usr/share/bridgewatch/themes: a binary run from anywhere (this test's is in
  /// .build, whose share folder is not that one) looks there last, after the config's folder and the working one.
  @Test func thePackagesThemeFolderIsSearchedWhereverTheBinaryIs() {
    let directories = DashboardOptions.themeDirectories(configPath: "/etc/bridgewatch/conference.yaml")
    #expect(directories.first == "/etc/bridgewatch/themes")
    #expect(directories.dropFirst().first == FileManager.default.currentDirectoryPath + "/themes")
    #expect(directories.last == "/usr/share/bridgewatch/themes")
    #expect(directories.filter { $0 == "/usr/share/bridgewatch/themes" }.count == 1)
  }

  @Test func monoUsesAttributesOnlyAndProblemsStandOut() {
    let theme = ThemeLoader.monoTheme
    for role in Role.allCases {
      #expect(theme.style(role).foreground == .terminalDefault && theme.style(role).background == .terminalDefault)
    }
    #expect(theme.style(.statusOffline).reverse && theme.style(.statusLate).bold && theme.style(.statusMarked).underline)
  }

  @Test func aPartialThemeFallsBackAndBadEntriesWarnWithLines() {
    let yaml = "status.online: {fg: \"#00ff00\"}\nstatus.ofline: {fg: red}\nheader: {fg: purple-ish}\nflag: {attrs: [blink]}\n"
    let (theme, warnings) = ThemeLoader.parse(yaml: yaml, name: "mine", path: "mine.yaml")
    #expect(theme.style(.statusOnline).foreground == .rgb(0, 255, 0))
    #expect(theme.style(.statusOffline) == ThemeLoader.defaultTheme.style(.statusOffline))
    #expect(warnings.map(\.location.description) == ["mine.yaml:2", "mine.yaml:3", "mine.yaml:4"])
    #expect(warnings[0].message.hasPrefix("unknown role 'status.ofline'"))
    #expect(warnings[1].message.hasPrefix("bad colour 'purple-ish'"))
  }

  @Test func coloursDownsample() {
    #expect(ThemeColor.parse("#ff0000")!.resolved(colors: 256) == 196)
    #expect(ThemeColor.parse("#ff0000")!.resolved(colors: 8) == 1)
    #expect(ThemeColor.parse("#808080")!.resolved(colors: 256) == 244)
    #expect(ThemeColor.parse("160")!.resolved(colors: 8) == 1)
    #expect(ThemeColor.parse("bright-white")!.resolved(colors: 8) == 7)
    #expect(ThemeColor.parse("bright-white")!.resolved(colors: 16) == 15)
    #expect(ThemeColor.parse("default")!.resolved(colors: 256) == -1)
    #expect(ThemeColor.parse("300") == nil && ThemeColor.parse("#12345") == nil)
  }
}

@Suite struct TextWidthTests {
  @Test func nfcAndNfdMeasureTheSame() {
    let nfc = "Huyện ủy Mai Châu"
    let nfd = DashboardFixture.nfdName
    #expect(nfc.unicodeScalars.count != nfd.unicodeScalars.count)
    #expect(DisplayWidth.of(nfc) == 17 && DisplayWidth.of(nfd) == 17)
  }

  @Test func truncationEndsInAnEllipsisAtACellBoundary() {
    var screen = ScreenBuffer(width: 12, height: 1)
    let used = screen.put(DashboardFixture.nfdName, x: 0, y: 0, role: .normal, maxWidth: 10)
    #expect(used == 10)
    #expect(screen.lines[0] == "Huyện ủy …  ")  // nine cells of text, then the ellipsis
    // A wide character never gets cut in half.
    var wide = ScreenBuffer(width: 6, height: 1)
    wide.put("中文中文", x: 0, y: 0, role: .normal, maxWidth: 6)
    #expect(wide.lines[0] == "中文…" + " ")
    #expect(wide[1, 0].text == "" && wide[3, 0].text == "")
  }

  @Test func controlCharactersAreStripped() {
    var screen = ScreenBuffer(width: 20, height: 1)
    screen.put("A\u{1B}]0;pwn\u{07}B\u{9B}2JC\r\nD", x: 0, y: 0, role: .normal)
    #expect(screen.lines[0].hasPrefix("A]0;pwnB2JCD"))
  }
}
