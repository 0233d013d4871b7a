import CNcurses
import Foundation

/// The one owner of the terminal: every curses call in BridgeWatch is in this file. It copies a `ScreenBuffer`
/// to the screen (only the cells that changed), maps roles to attributes through the theme, and restores the
/// terminal on every way out.
public final class CursesBackend {
  public private(set) var theme: Theme
  public let supportsUTF8: Bool
  public let colorCount: Int
  private var previous: ScreenBuffer?
  private var pairByColors: [Int64: Int16] = [:]
  private var attributesByRole: [Role: (attr_t, Int16)] = [:]
  private let forceMonochrome: Bool

  /// Switches the terminal to curses mode. `monochrome` forces attributes only (--no-color, NO_COLOR).
  public init(theme: Theme, monochrome: Bool) {
    if setlocale(LC_ALL, "") == nil, Self.environmentAsksForUTF8() {
      // LANG=vi_VN.UTF-8 on a machine without that locale installed: the terminal still speaks UTF-8, so keep
      // Vietnamese readable with the C.UTF-8 character set rather than folding it to ASCII.
      setlocale(LC_ALL, "C.UTF-8")
    }
    supportsUTF8 = String(cString: nl_langinfo(nl_item(CODESET))).uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
    _ = initscr()
    // ncurses 6.4 flushes its output at every cursor move until the screen has once been through endwin and
    // doupdate: each frame went out as a write(2) per changed line (40 system calls, and as many wake-ups of the
    // terminal, for a clock and a column of ages). Once through, a frame is one write. Before any mode is set.
    endwin()
    doupdate()
    CursesBackend.installCrashHandlers()
    raw()
    noecho()
    nonl()
    keypad(bw_stdscr(), true)
    nodelay(bw_stdscr(), true)
    set_escdelay(25)
    curs_set(0)
    forceMonochrome = monochrome || !has_colors()
    if !forceMonochrome {
      start_color()
      use_default_colors()
    }
    colorCount = forceMonochrome ? 0 : Int(bw_colors())
    self.theme = theme
    CursesBackend.active = true
  }

  /// True when themes may use colour (a colour terminal and no --no-color / NO_COLOR).
  public var colorsEnabled: Bool { !forceMonochrome }

  public var size: (width: Int, height: Int) { (Int(bw_cols()), Int(bw_lines())) }

  public func setTheme(_ theme: Theme) {
    self.theme = theme
    attributesByRole = [:]
    previous = nil
    clear()
  }

  /// Draws `buffer`, writing only cells that differ from the previous frame.
  public func draw(_ buffer: ScreenBuffer) {
    let full = previous.map { $0.width != buffer.width || $0.height != buffer.height } ?? true
    if full { erase() }
    for y in 0..<buffer.height {
      for x in 0..<buffer.width {
        let cell = buffer[x, y]
        if !full, let previous, previous[x, y] == cell { continue }
        if cell.text.isEmpty { continue }  // continuation of a wide character drawn to the left
        // Curses refuses the bottom-right cell on some terminals (it would scroll); skip it.
        if y == buffer.height - 1 && x == buffer.width - 1 { continue }
        let (attributes, pair) = attributes(for: cell.role)
        put(cell.text, y: y, x: x, attributes: attributes, pair: pair)
      }
    }
    previous = buffer
    wnoutrefresh(bw_stdscr())
    doupdate()
  }

  static func environmentAsksForUTF8() -> Bool {
    let environment = ProcessInfo.processInfo.environment
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
    let upper = locale.uppercased()
    return upper.hasSuffix(".UTF-8") || upper.hasSuffix(".UTF8")
  }

  private func put(_ text: String, y: Int, x: Int, attributes: attr_t, pair: Int16) {
    let shown = supportsUTF8 ? text : ASCIIFolding.fold(text)
    var characters = shown.unicodeScalars.prefix(4).map { wchar_t(bitPattern: $0.value) }
    characters.append(0)
    _ = bw_put_cell(Int32(y), Int32(x), characters, attributes, pair)
  }

  private func attributes(for role: Role) -> (attr_t, Int16) {
    if let cached = attributesByRole[role] { return cached }
    let style = theme.style(role)
    var attributes = bw_attr_normal()
    if style.bold { attributes |= bw_attr_bold() }
    if style.dim { attributes |= bw_attr_dim() }
    if style.reverse { attributes |= bw_attr_reverse() }
    if style.underline { attributes |= bw_attr_underline() }
    var pair: Int16 = 0
    if !forceMonochrome && !theme.isMonochrome {
      let foreground = style.foreground.resolved(colors: colorCount)
      let background = style.background.resolved(colors: colorCount)
      if foreground != -1 || background != -1 {
        let key = Int64(foreground) << 32 | Int64(UInt32(bitPattern: Int32(background)))
        if let existing = pairByColors[key] {
          pair = existing
        } else if pairByColors.count + 1 < Int(bw_color_pairs()) {
          pair = Int16(pairByColors.count + 1)
          init_pair(pair, Int16(foreground), Int16(background))
          pairByColors[key] = pair
        }
      }
    }
    attributesByRole[role] = (attributes, pair)
    return (attributes, pair)
  }

  /// Keys waiting on stdin, decoded; empty when none.
  public func readKeys() -> [Key] {
    var keys: [Key] = []
    var value: wint_t = 0
    while keys.count < 64 {
      let result = bw_get_wch(&value)
      if result == ERR { break }
      if result == KEY_CODE_YES {
        switch Int32(value) {
        case KEY_UP: keys.append(.up)
        case KEY_DOWN: keys.append(.down)
        case KEY_LEFT: keys.append(.left)
        case KEY_RIGHT: keys.append(.right)
        case KEY_PPAGE: keys.append(.pageUp)
        case KEY_NPAGE: keys.append(.pageDown)
        case KEY_HOME: keys.append(.home)
        case KEY_END: keys.append(.end)
        case KEY_ENTER: keys.append(.enter)
        case KEY_BACKSPACE: keys.append(.backspace)
        case KEY_RESIZE: keys.append(.resize)
        default: break
        }
        continue
      }
      switch value {
      case 3: keys.append(.interrupt)
      case 9: keys.append(.tab)
      case 10, 13: keys.append(.enter)
      case 27: keys.append(.escape)
      case 8, 127: keys.append(.backspace)
      default:
        if let scalar = Unicode.Scalar(UInt32(value)), value >= 0x20 { keys.append(.character(Character(scalar))) }
      }
    }
    return keys
  }

  public func bell() { beep() }

  /// Leaves curses mode; safe to call more than once.
  public func end() {
    guard CursesBackend.active else { return }
    CursesBackend.active = false
    endwin()
  }

  deinit { end() }

  // MARK: - Crash path

  nonisolated(unsafe) static var active = false

  /// On a crash signal, restore the terminal before the default action (core dump, message) happens.
  static func installCrashHandlers() {
    for signalNumber in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
      signal(signalNumber, crashHandler)
    }
  }
}

private func crashHandler(_ signalNumber: Int32) {
  if CursesBackend.active {
    CursesBackend.active = false
    endwin()
  }
  signal(signalNumber, SIG_DFL)
  raise(signalNumber)
}

/// For terminals whose locale is not UTF-8: Vietnamese letters without their marks, so names stay readable.
enum ASCIIFolding {
  static func fold(_ text: String) -> String {
    if text.allSatisfy(\.isASCII) { return text }
    switch text {
    case "●": return "o"
    case "◐": return "~"
    case "✖": return "X"
    case "⊘": return "M"
    case "…": return "~"
    case "▏": return "_"
    case "·": return "."
    case "↑", "↓": return "^"
    case "▸": return "+"
    case "▾": return "-"
    case "–", "—": return "-"
    default: break
    }
    let mapped = text.replacingOccurrences(of: "Đ", with: "D").replacingOccurrences(of: "đ", with: "d")
    let folded = mapped.folding(options: .diacriticInsensitive, locale: nil)
    return folded.allSatisfy(\.isASCII) && !folded.isEmpty ? folded : "?"
  }
}
