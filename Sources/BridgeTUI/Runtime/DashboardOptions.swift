import BridgeCore

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
