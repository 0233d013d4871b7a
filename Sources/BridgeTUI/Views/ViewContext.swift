import BridgeCore

/// Status glyphs that do not rely on colour, with ASCII fallbacks for non-UTF-8 locales.
public struct Glyphs: Sendable {
  public var online, late, offline, marked, unknown, help: String
  /// Heartbeat strip: every interval heard, some missed, all missed.
  public var heard, partlyHeard, missed: String
  /// Sparkline levels, lowest first.
  public var levels: [String]
  /// A group row's fold marker; never `?`, which is the unknown status.
  public var folded, unfolded: String
  public var isASCII: Bool

  public static let unicode = Glyphs(
    online: "●", late: "◐", offline: "✖", marked: "⊘", unknown: "?", help: "!", heard: "█", partlyHeard: "▄", missed: "·",
    levels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], folded: "▸", unfolded: "▾", isASCII: false)
  public static let ascii = Glyphs(
    online: "o", late: "~", offline: "X", marked: "M", unknown: "?", help: "!", heard: "#", partlyHeard: "+", missed: ".",
    levels: ["_", ".", "-", "=", "+", "*", "#", "@"], folded: "+", unfolded: "-", isASCII: true)

  public func glyph(_ status: SiteStatus) -> String {
    switch status {
    case .online: online
    case .late: late
    case .offline: offline
    case .marked: marked
    case .unknown: unknown
    }
  }
}

/// Everything a frame needs besides the snapshot and the dashboard state.
public struct ViewContext: Sendable {
  public var width: Int
  public var height: Int
  public var glyphs: Glyphs = .unicode
  /// Offset of local time from UTC, for the clock and log times.
  public var utcOffsetSeconds: Int = 0
  public var listenAddress: String = ""
  public var operatorName: String = ""
  public var themeName: String = "default"
  /// Shown in the header when set (the demo says it is a demo).
  public var banner: String?
  /// An alarm that takes the header's first line, across its width, in the alarm role (a standby's primary gone
  /// silent, with the command that promotes it): its wordings, longest first; the longest that fits is shown.
  public var alarm: [String] = []
  /// The schedule's current session, "between sessions", or nil without a schedule.
  public var sessionLabel: String?
  /// The config's recover_after, for the "recovering n/N" flag.
  public var recoverAfter: Int = 2
  /// Ids of the sites that sign their heartbeats, for the detail pane.
  public var signedSites: Set<String> = []

  public init(width: Int, height: Int) {
    self.width = width
    self.height = height
  }
}
