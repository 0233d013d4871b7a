import BridgeCore
import CNcurses
import Foundation

/// What a cell means; themes map roles to colours and attributes. Code never asks for a colour.
public enum Role: String, CaseIterable, Sendable {
  case normal
  case header
  case headerTitle = "header.title"
  case headerAlert = "header.alert"
  case columnTitles = "columns"
  case group
  case statusOnline = "status.online"
  case statusLate = "status.late"
  case statusOffline = "status.offline"
  case statusMarked = "status.marked"
  case statusUnknown = "status.unknown"
  case flag
  case dim
  case selection
  case logTime = "log.time"
  case log
  case logAlert = "log.alert"
  case footer
  case footerKey = "footer.key"
  case prompt
  case error
  case banner
  case overlay
  case overlayTitle = "overlay.title"

  public static func status(_ status: SiteStatus) -> Role {
    switch status {
    case .unknown: .statusUnknown
    case .online: .statusOnline
    case .late: .statusLate
    case .offline: .statusOffline
    case .marked: .statusMarked
    }
  }
}

/// One terminal cell: a grapheme (or "" where a wide grapheme to the left continues) and its role.
public struct Cell: Sendable, Equatable {
  public var text: String
  public var role: Role
  public init(_ text: String = " ", role: Role = .normal) {
    self.text = text
    self.role = role
  }
}

/// An in-memory screen. Views draw here; the curses backend copies it out; tests read it as text.
public struct ScreenBuffer: Sendable, Equatable {
  public private(set) var width: Int
  public private(set) var height: Int
  public private(set) var cells: [Cell]

  public init(width: Int, height: Int) {
    self.width = max(0, width)
    self.height = max(0, height)
    cells = Array(repeating: Cell(), count: self.width * self.height)
  }

  /// Blanks the buffer at the given size, in place when the size is the same: a frame a second then costs no
  /// allocation (a screenful of cells is larger than malloc's mmap threshold: each new one was mapped, faulted in
  /// and unmapped again).
  public mutating func clear(width: Int, height: Int) {
    guard max(0, width) == self.width, max(0, height) == self.height else {
      self = ScreenBuffer(width: width, height: height)
      return
    }
    let blank = Cell()
    cells.withUnsafeMutableBufferPointer { cells in
      for index in cells.indices { cells[index] = blank }
    }
  }

  public subscript(x: Int, y: Int) -> Cell {
    get { cells[y * width + x] }
    set { cells[y * width + x] = newValue }
  }

  /// Becomes a copy of `other`, in place when the size is the same (no allocation, as for `clear`).
  public mutating func overwrite(with other: ScreenBuffer) {
    guard other.width == width, other.height == height else {
      self = other
      return
    }
    other.cells.withUnsafeBufferPointer { source in
      cells.withUnsafeMutableBufferPointer { cells in
        for index in cells.indices { cells[index] = source[index] }
      }
    }
  }

  /// Fills a row segment with spaces in `role`.
  public mutating func fill(y: Int, from x: Int = 0, width fillWidth: Int? = nil, role: Role) {
    guard y >= 0, y < height else { return }
    let end = min(width, x + (fillWidth ?? width - x))
    for column in max(0, x)..<max(max(0, x), end) { self[column, y] = Cell(" ", role: role) }
  }

  /// Writes `text` at (x, y) in at most `maxWidth` columns; text that does not fit ends in `…` at a cell
  /// boundary. Untrusted text is sanitized first. Returns the columns used.
  @discardableResult
  public mutating func put(_ text: String, x: Int, y: Int, role: Role, maxWidth: Int? = nil) -> Int {
    guard y >= 0, y < height, x < width, x >= 0 else { return 0 }
    let limit = min(maxWidth ?? (width - x), width - x)
    guard limit > 0 else { return 0 }
    if DisplayWidth.isPrintableASCII(text) { return putASCII(text, x: x, y: y, role: role, limit: limit) }
    let graphemes = DisplayWidth.graphemes(of: TextSanitizer.printable(text))
    let total = graphemes.reduce(0) { $0 + $1.width }
    let fits = total <= limit
    let budget = fits ? limit : limit - 1  // room for the ellipsis
    var column = x
    for grapheme in graphemes {
      if column - x + grapheme.width > budget { break }
      if grapheme.width == 0 { continue }
      self[column, y] = Cell(grapheme.text, role: role)
      if grapheme.width == 2 { self[column + 1, y] = Cell("", role: role) }
      column += grapheme.width
    }
    if !fits {
      self[column, y] = Cell("…", role: role)
      column += 1
    }
    return column - x
  }

  /// `put` for text of printable ASCII alone (ids, numbers, ages, most labels): a byte is a cell, nothing to
  /// sanitize or measure.
  private mutating func putASCII(_ text: String, x: Int, y: Int, role: Role, limit: Int) -> Int {
    let count = text.utf8.count
    let shown = count <= limit ? count : limit - 1
    var column = x
    for byte in text.utf8.prefix(shown) {
      cells[y * width + column] = Cell(String(Character(Unicode.Scalar(byte))), role: role)
      column += 1
    }
    if count > limit {
      cells[y * width + column] = Cell("…", role: role)
      column += 1
    }
    return column - x
  }

  /// Writes one of the dashboard's own one-column glyphs (status marks, wall cells, strip and sparkline blocks):
  /// trusted text, so no sanitizing or measuring. The wall draws thousands of these per frame.
  public mutating func putGlyph(_ glyph: String, x: Int, y: Int, role: Role) {
    guard y >= 0, y < height, x >= 0, x < width else { return }
    cells[y * width + x] = Cell(glyph, role: role)
  }

  /// Writes `text` right-aligned so it ends at column `right` (exclusive).
  @discardableResult
  public mutating func putRight(_ text: String, right: Int, y: Int, role: Role, maxWidth: Int) -> Int {
    let columns = min(DisplayWidth.of(text), maxWidth)
    return put(text, x: right - columns, y: y, role: role, maxWidth: maxWidth)
  }

  /// The screen as lines of text (trailing spaces kept), for golden tests.
  public var lines: [String] {
    (0..<height).map { y in (0..<width).map { self[$0, y].text }.joined() }
  }
}

/// Terminal column widths per grapheme cluster: the terminal's own `wcwidth` of the base character (the C
/// library's tables, the ones the terminal's side of ncurses uses), with a built-in table when the locale cannot
/// say. Combining marks ride on their base, so precomposed and decomposed Vietnamese measure the same.
///
/// Emoji built from several scalars (ZWJ families, flags, skin tones, variation selectors) are drawn by
/// terminals at widths nobody agrees on; they are drawn as their first scalar alone, whose width is known, so a
/// name with one never shifts the columns after it.
public enum DisplayWidth {
  public struct Grapheme: Sendable {
    public var text: String
    public var width: Int
  }

  public static func graphemes(of text: String) -> [Grapheme] {
    text.map { character in
      let shown = drawable(character)
      // Render composed (NFC) where possible: terminals draw precomposed Vietnamese letters best.
      return Grapheme(text: shown.precomposedForDisplay, width: width(of: character))
    }
  }

  public static func of(_ text: String) -> Int {
    isPrintableASCII(text) ? text.utf8.count : text.reduce(0) { $0 + width(of: $1) }
  }

  /// Only the characters from space to tilde: each is one grapheme one column wide.
  static func isPrintableASCII(_ text: String) -> Bool {
    text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
  }

  public static func width(of character: Character) -> Int {
    guard let first = character.unicodeScalars.first else { return 0 }
    let value = first.value
    if value < 0x20 || (0x7F...0x9F).contains(value) { return 0 }
    if isZeroWidth(value) { return 0 }
    if value >= 0x80 {
      let measured = bw_wcwidth(value)
      if measured >= 0 { return min(Int(measured), 2) }
    }
    return isWide(value) ? 2 : 1
  }

  /// The grapheme as it is drawn: itself, unless it carries more than combining marks after its base.
  static func drawable(_ character: Character) -> String {
    let scalars = character.unicodeScalars
    guard scalars.count > 1 else { return String(character) }
    let rest = scalars.dropFirst()
    if rest.allSatisfy(isPlainCombiningMark) { return String(character) }
    return String(scalars.first!)
  }

  static func isPlainCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
    let value = scalar.value
    // Variation selectors and the keycap mark are marks too, but they turn text into emoji of unsure width.
    if (0xFE00...0xFE0F).contains(value) || (0xE0100...0xE01EF).contains(value) || value == 0x20E3 { return false }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark: return true
    default: return false
    }
  }

  static func isZeroWidth(_ value: UInt32) -> Bool {
    (0x0300...0x036F).contains(value) || (0x200B...0x200F).contains(value) || value == 0xFEFF
      || (0x1AB0...0x1AFF).contains(value) || (0x1DC0...0x1DFF).contains(value) || (0x20D0...0x20FF).contains(value)
  }

  static func isWide(_ value: UInt32) -> Bool {
    switch value {
    case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
      0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
      0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
      true
    default:
      false
    }
  }
}

extension String {
  /// The NFC form of one grapheme; single scalars are already as composed as they get.
  var precomposedForDisplay: String {
    guard unicodeScalars.count > 1 else { return self }
    return precomposedStringWithCanonicalMapping
  }
}
