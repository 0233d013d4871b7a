import BridgeCore
import Foundation

public struct DashboardOptions: Sendable {
  public var themeName: String
  public var operatorName: String
  public var monochrome: Bool
  public var bell: Bool
  public var themeDirectories: [String]
  public var banner: String?
  public var language: Language
  /// A wall screen: action keys answer that this console is read-only.
  public var readOnly = false

  public init(
    themeName: String, operatorName: String, monochrome: Bool, bell: Bool, themeDirectories: [String], banner: String?,
    language: Language, readOnly: Bool = false
  ) {
    self.themeName = themeName
    self.operatorName = operatorName
    self.monochrome = monochrome
    self.bell = bell
    self.themeDirectories = themeDirectories
    self.banner = banner
    self.language = language
    self.readOnly = readOnly
  }
}

extension DashboardOptions {
  /// The Debian package's theme folder (scripts/package).
  public static let packagedThemeDirectory = "/usr/share/bridgewatch/themes"

  /// Where `--theme NAME` looks: next to the config, the working directory, the share folder beside the binary
  /// (/usr/local/share for a binary in /usr/local/bin), and the package's folder, whichever folder it runs from.
  public static func themeDirectories(configPath: String) -> [String] {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let directories = [
      PathText.join(PathText.directory(of: configPath), "themes"),
      FileManager.default.currentDirectoryPath + "/themes",
      executable.appendingPathComponent("../share/bridgewatch/themes").standardized.path,
    ]
    return directories.contains(packagedThemeDirectory) ? directories : directories + [packagedThemeDirectory]
  }
}
