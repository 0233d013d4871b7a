import BridgeCore
import BridgeMonitor
import BridgeTUI
import Foundation

extension DashboardOptions {
  /// The options as a command's flags give them, the environment filling in the rest: the operator is `$USER` (or
  /// `$LOGNAME`, or the account's name) unless named; `NO_COLOR` set and not empty means no colours; themes are
  /// looked for beside the config and in the usual folders.
  public init(
    theme: String, operatorName: String?, noColor: Bool, noBell: Bool, configPath: String, banner: String?, language: Language,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) {
    self.init(
      themeName: theme,
      operatorName: operatorName ?? environment["USER"] ?? environment["LOGNAME"] ?? ConsoleSocket.userName(getuid()),
      monochrome: noColor || !(environment["NO_COLOR"] ?? "").isEmpty, bell: !noBell,
      themeDirectories: Self.themeDirectories(configPath: configPath), banner: banner, language: language)
  }
}
