import BridgeCore
import Foundation
import Testing

@testable import BridgeTUI

/// What a terminal really draws for a style, to measure it: xterm's default palette for the 16 named colours, its
/// 6x6x6 cube and grey ramp above them; colours downsampled as the curses backend does for the terminal's colour
/// count; bold on one of the first eight colours drawn as its bright twin (xterm's and PuTTY's default, which is why
/// bold black comes out grey); reverse swapping the two; dim halfway to the background. A theme's colours are
/// resolved for the terminal first, so `bright-white` on an 8-colour terminal is colour 7, brightened only by bold.
struct TerminalModel: CustomStringConvertible {
  enum Background: String, CaseIterable { case dark, white }
  typealias RGB = (red: Double, green: Double, blue: Double)

  var colors: Int
  var background: Background

  var description: String { "on a \(background.rawValue) terminal in \(colors) colours" }

  /// The terminal's own colours, used where a style says `default`.
  var defaultForeground: RGB { background == .dark ? (229, 229, 229) : (0, 0, 0) }
  var defaultBackground: RGB { background == .dark ? (0, 0, 0) : (255, 255, 255) }

  func drawn(_ style: Style, monochrome: Bool) -> (foreground: RGB, background: RGB) {
    // A monochrome theme makes no colour calls: the terminal's own colours, with attributes.
    var foregroundIndex = monochrome ? -1 : style.foreground.resolved(colors: colors)
    let backgroundIndex = monochrome ? -1 : style.background.resolved(colors: colors)
    if style.bold && (0..<8).contains(foregroundIndex) { foregroundIndex += 8 }
    var foreground = foregroundIndex < 0 ? defaultForeground : Self.rgb(foregroundIndex)
    var background = backgroundIndex < 0 ? defaultBackground : Self.rgb(backgroundIndex)
    if style.reverse { swap(&foreground, &background) }
    if style.dim {
      foreground = (
        (foreground.red + background.red) / 2, (foreground.green + background.green) / 2, (foreground.blue + background.blue) / 2
      )
    }
    return (foreground, background)
  }

  static func rgb(_ index: Int) -> RGB {
    let (red, green, blue) = ThemeColor.rgbOf(index: index)
    return (Double(red), Double(green), Double(blue))
  }

  /// WCAG 2's contrast ratio, from 1:1 to 21:1.
  static func contrast(_ first: RGB, _ second: RGB) -> Double {
    func luminance(_ color: RGB) -> Double {
      func channel(_ value: Double) -> Double {
        let scaled = value / 255
        return scaled <= 0.039_28 ? scaled / 12.92 : pow((scaled + 0.055) / 1.055, 2.4)
      }
      return 0.2126 * channel(color.red) + 0.7152 * channel(color.green) + 0.0722 * channel(color.blue)
    }
    let (a, b) = (luminance(first), luminance(second))
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)
  }

  static let all = [8, 256].flatMap { colors in Background.allCases.map { TerminalModel(colors: colors, background: $0) } }
}

@Suite struct ThemeContrastTests {
  /// WCAG's bar for text.
  static let minimum = 4.5

  /// Every role of every built-in theme, on a dark and on a white terminal, in 8 and in 256 colours: a role that
  /// leaves its background to the terminal must read on both, so text on the terminal's background keeps the
  /// terminal's own colour, and colour comes with a background of its own.
  @Test(arguments: ThemeLoader.shippedNames)
  func everyRoleReadsAtFourAndAHalfToOneOnEveryTerminal(_ name: String) throws {
    let theme = try ThemeLoader.load(name, directories: []).get().theme
    for terminal in TerminalModel.all {
      for role in Role.allCases {
        let (foreground, background) = terminal.drawn(theme.style(role), monochrome: theme.isMonochrome)
        let ratio = TerminalModel.contrast(foreground, background)
        #expect(
          ratio >= Self.minimum,
          "\(name) \(role.rawValue) \(terminal): \(String(format: "%.2f", ratio)):1, \(foreground) on \(background)")
      }
    }
  }

  /// The model sees what the issue saw: bold black drawn grey, pale grey on white, bright yellow on white.
  @Test func theModelCatchesWhatTerminalsGetWrong() throws {
    func ratio(_ yaml: String, _ terminal: TerminalModel) -> Double {
      let style = ThemeLoader.parse(yaml: "normal: \(yaml)\n", name: "probe", path: "probe").theme.style(.normal)
      let (foreground, background) = terminal.drawn(style, monochrome: false)
      return TerminalModel.contrast(foreground, background)
    }
    let white8 = TerminalModel(colors: 8, background: .white)
    let white256 = TerminalModel(colors: 256, background: .white)
    let dark256 = TerminalModel(colors: 256, background: .dark)
    #expect(ratio("{fg: black, bg: bright-white}", white256) == 21)
    #expect(ratio("{fg: black, bg: bright-white, attrs: [bold]}", white256) < Self.minimum, "bold black is grey")
    #expect(ratio("{fg: 245}", white256) < Self.minimum, "pale grey on white")
    #expect(ratio("{fg: bright-yellow}", white8) < Self.minimum, "yellow on white")
    #expect(ratio("{fg: 245}", dark256) >= Self.minimum, "the same grey reads on black")
    #expect(ratio("{fg: bright-white, bg: 24}", white8) < Self.minimum, "24 is cyan in 8 colours")
    #expect(ratio("{fg: default, attrs: [dim]}", dark256) < Self.minimum, "dim is too faint")
  }
}
