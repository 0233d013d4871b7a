import BridgeCore
import Foundation
import Yams

/// A colour as a theme writes it.
public enum ThemeColor: Sendable, Equatable {
  /// The terminal's default colour.
  case terminalDefault
  /// 0-255 (0-15 are the named colours).
  case indexed(Int)
  case rgb(UInt8, UInt8, UInt8)

  static let names = [
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    "bright-black", "bright-red", "bright-green", "bright-yellow", "bright-blue", "bright-magenta", "bright-cyan", "bright-white",
  ]

  public static func parse(_ text: String) -> ThemeColor? {
    let lowered = text.lowercased()
    if lowered == "default" { return .terminalDefault }
    if let index = names.firstIndex(of: lowered) { return .indexed(index) }
    if lowered == "gray" || lowered == "grey" { return .indexed(8) }
    if let number = Int(lowered), (0...255).contains(number) { return .indexed(number) }
    if lowered.hasPrefix("#"), lowered.count == 7, let value = UInt32(lowered.dropFirst(), radix: 16) {
      return .rgb(UInt8(value >> 16), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF))
    }
    return nil
  }

  /// The colour number for a terminal with `colors` colours; -1 is the terminal default.
  public func resolved(colors: Int) -> Int {
    switch self {
    case .terminalDefault:
      return -1
    case .indexed(let index):
      if index < colors { return index }
      if index < 16 { return index % 8 }
      return Self.nearestBasic(Self.rgbOf(index: index), colors: colors)
    case .rgb(let r, let g, let b):
      if colors >= 256 { return Self.xterm256(r, g, b) }
      return Self.nearestBasic((Int(r), Int(g), Int(b)), colors: colors)
    }
  }

  static func xterm256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
    func level(_ value: UInt8) -> Int { value < 48 ? 0 : value < 115 ? 1 : (Int(value) - 35) / 40 }
    let cube = 16 + 36 * level(r) + 6 * level(g) + level(b)
    let average = (Int(r) + Int(g) + Int(b)) / 3
    let gray = average > 238 ? 255 : 232 + max(0, (average - 3) / 10)
    let cubeRGB = rgbOf(index: cube)
    let grayRGB = rgbOf(index: gray)
    func distance(_ c: (Int, Int, Int)) -> Int {
      let dr = c.0 - Int(r)
      let dg = c.1 - Int(g)
      let db = c.2 - Int(b)
      return dr * dr + dg * dg + db * db
    }
    return distance(grayRGB) < distance(cubeRGB) ? gray : cube
  }

  static let basicRGB: [(Int, Int, Int)] = [
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
  ]

  static func rgbOf(index: Int) -> (Int, Int, Int) {
    if index < 16 { return basicRGB[index] }
    if index >= 232 {
      let level = 8 + (index - 232) * 10
      return (level, level, level)
    }
    let cube = index - 16
    func scale(_ value: Int) -> Int { value == 0 ? 0 : 55 + value * 40 }
    return (scale(cube / 36), scale((cube / 6) % 6), scale(cube % 6))
  }

  static func nearestBasic(_ color: (Int, Int, Int), colors: Int) -> Int {
    let candidates = min(max(colors, 8), 16)
    var best = 0
    var bestDistance = Int.max
    for index in 0..<candidates {
      let c = basicRGB[index]
      let distance = (c.0 - color.0) * (c.0 - color.0) + (c.1 - color.1) * (c.1 - color.1) + (c.2 - color.2) * (c.2 - color.2)
      if distance < bestDistance {
        bestDistance = distance
        best = index
      }
    }
    return best
  }
}

public struct Style: Sendable, Equatable {
  public var foreground: ThemeColor = .terminalDefault
  public var background: ThemeColor = .terminalDefault
  public var bold = false
  public var dim = false
  public var reverse = false
  public var underline = false

  public init() {}
}

public struct Theme: Sendable {
  public var name: String
  public var styles: [Role: Style]
  /// Attributes only: no colour calls at all.
  public var isMonochrome: Bool

  public func style(_ role: Role) -> Style { styles[role] ?? styles[.normal] ?? Style() }
}

/// A theme asked for by a name that is neither built in nor in a theme folder, or a theme file that cannot be read.
public struct ThemeNotFound: Error, CustomStringConvertible, Sendable {
  public var nameOrPath: String
  public var isPath: Bool
  public var reason: String?

  public var description: String {
    if isPath { return "cannot read the theme file \(nameOrPath)\(reason.map { " (\($0))" } ?? "")" }
    return "unknown theme '\(nameOrPath)': the themes are \(ThemeLoader.shippedNames.joined(separator: ", ")), or a theme file's path"
  }
}

/// Loads themes: YAML files mapping roles to `{fg, bg, attrs}`, laid over the compiled-in default.
public enum ThemeLoader {
  public static let shippedNames = ["default", "light", "high-contrast", "mono"]

  /// Every shipped theme, compiled in so that a lone binary run from any folder has them all; a test checks they
  /// equal `themes/*.yaml`.
  public static let builtIn: [String: String] = [
    "default": BuiltInThemes.defaultYAML, "light": BuiltInThemes.lightYAML, "high-contrast": BuiltInThemes.highContrastYAML,
    "mono": BuiltInThemes.monoYAML,
  ]
  public static var defaultTheme: Theme { parse(yaml: BuiltInThemes.defaultYAML, name: "default", path: "<built-in default>").theme }

  /// The monochrome theme, for a terminal without colours.
  public static var monoTheme: Theme { parse(yaml: BuiltInThemes.monoYAML, name: "mono", path: "<built-in mono>").theme }

  /// Parses a theme; unknown roles, bad colours and bad attributes are warnings naming file:line.
  public static func parse(yaml: String, name: String, path: String) -> (theme: Theme, warnings: [ConfigProblem]) {
    var warnings: [ConfigProblem] = []
    let isBase = path == "<built-in default>"
    var styles = isBase ? [:] : defaultTheme.styles
    var monochrome = false
    let root: Node?
    do {
      root = try composeYAML(yaml)
    } catch {
      let line = (error as? YAMLAliasError)?.line ?? 0
      return (
        Theme(name: name, styles: styles, isMonochrome: false),
        [ConfigProblem(FileLine(file: path, line: line), "cannot parse theme: \(error)")]
      )
    }
    guard let mapping = root?.mapping else {
      return (
        Theme(name: name, styles: styles, isMonochrome: false),
        [ConfigProblem(FileLine(file: path, line: 1), "a theme maps roles to {fg, bg, attrs}")]
      )
    }
    func warn(_ node: Node, _ message: String) {
      warnings.append(ConfigProblem(FileLine(file: path, line: node.mark?.line ?? 0), message))
    }
    for (keyNode, value) in mapping {
      guard let key = keyNode.scalar?.string else { continue }
      if key == "monochrome" {
        monochrome = value.scalar?.string == "true"
        continue
      }
      guard let role = Role(rawValue: key) else {
        warn(keyNode, "unknown role '\(key)'; roles are \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        continue
      }
      guard let entries = value.mapping else {
        warn(value, "role '\(key)' must be a mapping like {fg: green, bg: default, attrs: [bold]}")
        continue
      }
      var style = Style()
      for (fieldNode, fieldValue) in entries {
        switch fieldNode.scalar?.string {
        case "fg", "bg":
          let text = fieldValue.scalar?.string ?? ""
          guard let color = ThemeColor.parse(text) else {
            warn(fieldValue, "bad colour '\(text)' for '\(key)': use a name (red, bright-blue...), 0-255, #rrggbb or default")
            continue
          }
          if fieldNode.scalar?.string == "fg" { style.foreground = color } else { style.background = color }
        case "attrs":
          for attribute in fieldValue.sequence?.map({ $0 }) ?? [fieldValue] {
            switch attribute.scalar?.string {
            case "bold": style.bold = true
            case "dim": style.dim = true
            case "reverse": style.reverse = true
            case "underline": style.underline = true
            case "none", "": break
            default: warn(attribute, "bad attribute '\(attribute.scalar?.string ?? "?")': use bold, dim, reverse, underline")
            }
          }
        default:
          warn(fieldNode, "unknown field '\(fieldNode.scalar?.string ?? "?")' in '\(key)': use fg, bg, attrs")
        }
      }
      styles[role] = style
    }
    return (Theme(name: name, styles: styles, isMonochrome: monochrome), warnings)
  }

  /// Finds a theme: a built-in name is always the compiled-in theme; another name is NAME.yaml in the first of
  /// `directories` that has it; a name with a slash or ending in .yaml is a file. Anything else is an error naming
  /// the themes there are, never a quiet fallback to the default.
  public static func load(_ nameOrPath: String, directories: [String]) -> Result<(theme: Theme, warnings: [ConfigProblem]), ThemeNotFound> {
    if let text = builtIn[nameOrPath] { return .success(parse(yaml: text, name: nameOrPath, path: "<built-in \(nameOrPath)>")) }
    let isPath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml")
    let candidates = isPath ? [nameOrPath] : directories.map { $0 + "/" + nameOrPath + ".yaml" }
    for path in candidates {
      guard let data = FileManager.default.contents(atPath: path) else { continue }
      switch TextFile.decode(Array(data)) {
      case .success(let text):
        let name = isPath ? (path as NSString).lastPathComponent.replacingOccurrences(of: ".yaml", with: "") : nameOrPath
        return .success(parse(yaml: text, name: name, path: path))
      case .failure(let bad):
        return .failure(ThemeNotFound(nameOrPath: path, isPath: true, reason: "\(bad)"))
      }
    }
    return .failure(ThemeNotFound(nameOrPath: nameOrPath, isPath: isPath, reason: isPath ? FileProblem.describe(path: nameOrPath) : nil))
  }

  /// The themes the `t` key goes through: every built-in one, and the one the dashboard started with if it is
  /// another (a file), so that cycling comes back to it.
  public static func cycle(startingWith started: String) -> [String] {
    shippedNames + (shippedNames.contains(started) ? [] : [started])
  }
}
