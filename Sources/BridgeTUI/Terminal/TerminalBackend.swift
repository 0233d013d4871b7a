/// Where the dashboard's frames go and its keys come from: the terminal through curses, or a recording for tests.
/// The runtime owns exactly one for its whole life and ends it on every way out.
public protocol TerminalBackend: AnyObject {
  /// Polled for input (the terminal's descriptor; -1 when keys come some other way).
  var inputDescriptor: Int32 { get }
  var size: (width: Int, height: Int) { get }
  var supportsUTF8: Bool { get }
  /// False on a terminal without colour, or under --no-color / NO_COLOR: themes fall back to attributes.
  var colorsEnabled: Bool { get }
  func setTheme(_ theme: Theme)
  func draw(_ buffer: ScreenBuffer)
  /// Keys waiting now, decoded; empty when none.
  func readKeys() -> [Key]
  func bell()
  /// Gives the terminal back; safe to call more than once.
  func end()
}

extension CursesBackend: TerminalBackend {
  public var inputDescriptor: Int32 { 0 }
}

/// A terminal in memory: every frame drawn, every bell rung, keys fed by the test. What the runtime does is read
/// back as text, the way ratatui's test backend is.
public final class RecordingBackend: TerminalBackend {
  public let inputDescriptor: Int32 = -1
  public var size: (width: Int, height: Int)
  public let supportsUTF8: Bool
  public let colorsEnabled: Bool
  public private(set) var theme: Theme?
  public private(set) var frames: [ScreenBuffer] = []
  public private(set) var bells = 0
  public private(set) var ended = false
  private var pendingKeys: [Key] = []

  public init(width: Int = 120, height: Int = 40, supportsUTF8: Bool = true, colorsEnabled: Bool = true) {
    size = (width, height)
    self.supportsUTF8 = supportsUTF8
    self.colorsEnabled = colorsEnabled
  }

  /// The last frame as lines of text.
  public var screen: [String] { frames.last?.lines ?? [] }

  public func type(_ keys: Key...) { pendingKeys += keys }

  public func setTheme(_ theme: Theme) { self.theme = theme }
  public func draw(_ buffer: ScreenBuffer) { frames.append(buffer) }
  public func readKeys() -> [Key] {
    defer { pendingKeys = [] }
    return pendingKeys
  }
  public func bell() { bells += 1 }
  public func end() { ended = true }
}
