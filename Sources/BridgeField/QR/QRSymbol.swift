/// The module grid of one QR Code version: the function patterns (finders with their separators, timing,
/// alignment, the dark module), the reserved format and version areas, the codewords placed in the standard's
/// two-column zigzag (7.7.3), a data mask, and the format and version information written last.
struct Symbol {
  let version: Int
  let size: Int
  private(set) var modules: [Bool]
  /// Modules that are not data: the mask leaves them as they are and the codewords go around them.
  private var isFunction: [Bool]

  init(version: Int) {
    self.version = version
    size = 17 + 4 * version
    modules = Array(repeating: false, count: size * size)
    isFunction = modules
    for index in 0..<size {
      set(row: 6, column: index, dark: index % 2 == 0)
      set(row: index, column: 6, dark: index % 2 == 0)
    }
    for (row, column) in [(3, 3), (3, size - 4), (size - 4, 3)] {
      drawPattern(row: row, column: column, radius: 4) { distance in distance != 2 && distance != 4 }
    }
    // Every pair of centres but the three on a finder; those on the timing lines (from version 7) are drawn.
    let centres = Self.alignmentCentres(version: version)
    let onFinders = [(centres.first, centres.first), (centres.first, centres.last), (centres.last, centres.first)]
    for row in centres {
      for column in centres where !onFinders.contains(where: { $0.0 == row && $0.1 == column }) {
        drawPattern(row: row, column: column, radius: 2) { distance in distance != 1 }
      }
    }
    writeFormat(mask: 0)  // reserves the areas; the real bits come with the mask
    writeVersion()
  }

  /// Centres of the alignment patterns in each direction (Annex E).
  static func alignmentCentres(version: Int) -> [Int] {
    [[], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50]][version - 1]
  }

  private mutating func set(row: Int, column: Int, dark: Bool) {
    modules[row * size + column] = dark
    isFunction[row * size + column] = true
  }

  /// A square pattern around a centre: `dark` says, from the ring's distance (Chebyshev), whether it is dark.
  /// Rings outside the symbol are skipped (a finder's separator at the edge).
  private mutating func drawPattern(row: Int, column: Int, radius: Int, dark: (Int) -> Bool) {
    for rowOffset in -radius...radius {
      for columnOffset in -radius...radius {
        let (r, c) = (row + rowOffset, column + columnOffset)
        guard r >= 0, r < size, c >= 0, c < size else { continue }
        set(row: r, column: c, dark: dark(max(abs(rowOffset), abs(columnOffset))))
      }
    }
  }

  /// The codeword bits, most significant first, up and down column pairs from the right, skipping the vertical
  /// timing column; modules left over (the remainder bits) stay light.
  mutating func place(_ codewords: [UInt8]) {
    var bit = 0
    var right = size - 1
    while right >= 1 {
      if right == 6 { right = 5 }
      let upward = (right + 1) & 2 == 0
      for step in 0..<size {
        let row = upward ? size - 1 - step : step
        for column in [right, right - 1] where !isFunction[row * size + column] && bit < codewords.count * 8 {
          modules[row * size + column] = (codewords[bit >> 3] >> (7 - bit & 7)) & 1 == 1
          bit += 1
        }
      }
      right -= 2
    }
  }

  /// Inverts each data module where the mask's condition holds (Table 10, i = row, j = column), then writes the
  /// format information that names the mask.
  mutating func apply(mask: Int) {
    for row in 0..<size {
      for column in 0..<size where !isFunction[row * size + column] && Self.masks(mask, row, column) {
        modules[row * size + column].toggle()
      }
    }
    writeFormat(mask: mask)
  }

  static func masks(_ mask: Int, _ i: Int, _ j: Int) -> Bool {
    switch mask {
    case 0: return (i + j) % 2 == 0
    case 1: return i % 2 == 0
    case 2: return j % 3 == 0
    case 3: return (i + j) % 3 == 0
    case 4: return (i / 2 + j / 3) % 2 == 0
    case 5: return (i * j) % 2 + (i * j) % 3 == 0
    case 6: return ((i * j) % 2 + (i * j) % 3) % 2 == 0
    default: return ((i + j) % 2 + (i * j) % 3) % 2 == 0
    }
  }

  /// Level M (bits 00) and the mask, BCH(15,5) protected and XORed with 101010000010010 (7.9.1), in two copies:
  /// around the top-left finder, and split between the top-right and bottom-left ones, beside the dark module.
  private mutating func writeFormat(mask: Int) {
    let bits = Self.bch(mask, dataBits: 5, generator: 0x537) ^ 0x5412
    func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
    for index in 0...5 { set(row: index, column: 8, dark: bit(index)) }
    set(row: 7, column: 8, dark: bit(6))
    set(row: 8, column: 8, dark: bit(7))
    set(row: 8, column: 7, dark: bit(8))
    for index in 9..<15 { set(row: 8, column: 14 - index, dark: bit(index)) }
    for index in 0..<8 { set(row: 8, column: size - 1 - index, dark: bit(index)) }
    for index in 8..<15 { set(row: size - 15 + index, column: 8, dark: bit(index)) }
    set(row: size - 8, column: 8, dark: true)
  }

  /// From version 7: the version in 6 bits with 12 BCH(18,6) bits (7.10), as 6×3 blocks beside the top-right and
  /// bottom-left finders.
  private mutating func writeVersion() {
    guard version >= 7 else { return }
    let bits = Self.bch(version, dataBits: 6, generator: 0x1F25)
    for index in 0..<18 {
      let (a, b) = (size - 11 + index % 3, index / 3)
      set(row: b, column: a, dark: (bits >> index) & 1 == 1)
      set(row: a, column: b, dark: (bits >> index) & 1 == 1)
    }
  }

  /// `value` followed by the remainder of value · x^k divided by the generator polynomial (degree k).
  static func bch(_ value: Int, dataBits: Int, generator: Int) -> Int {
    let degree = Int.bitWidth - generator.leadingZeroBitCount - 1
    var remainder = value << degree
    for shift in stride(from: dataBits - 1, through: 0, by: -1) where remainder & (1 << (shift + degree)) != 0 {
      remainder ^= generator << shift
    }
    return value << degree | remainder
  }
}

/// The four penalty rules of 7.8.3 that choose the mask, over the whole symbol with its format information:
/// 1. a run of 5 + i modules of one colour in a row or column scores 3 + i;
/// 2. each 2×2 block of one colour scores 3 (overlapping blocks each count);
/// 3. each dark-light-dark-light-dark run of widths n, n, 3n, n, n (a finder's look) with at least 4n light
///    modules before or after it scores 40; the quiet zone outside the symbol counts as light;
/// 4. the dark share's distance from 50 % scores 10 for each whole step of 5 % (45 % to 55 % exclusive score 0),
///    unrounded: libqrencode rounds 54.7 % to 55 % and scores 10, so for a few texts it picks another mask
///    (QRCodeToolTests holds that this is the only difference); a reader reads either.
enum Penalty {
  static func score(_ modules: [Bool], size: Int) -> Int {
    var total = 0
    for line in 0..<size {
      total += runs(size) { modules[line * size + $0] }
      total += runs(size) { modules[$0 * size + line] }
    }
    for row in 0..<size - 1 {
      for column in 0..<size - 1 {
        let colour = modules[row * size + column]
        if modules[row * size + column + 1] == colour && modules[(row + 1) * size + column] == colour
          && modules[(row + 1) * size + column + 1] == colour
        {
          total += 3
        }
      }
    }
    let dark = modules.reduce(0) { $0 + ($1 ? 1 : 0) }
    total += 10 * (abs(20 * dark - 10 * modules.count) / modules.count)
    return total
  }

  /// Rules 1 and 3 along one row or column.
  static func runs(_ length: Int, _ isDark: (Int) -> Bool) -> Int {
    var lengths: [Int] = []  // alternating colours, starting with light (0 when the line starts dark)
    var colour = false
    for index in 0..<length {
      if index == 0 || isDark(index) != colour {
        if index == 0 && isDark(0) { lengths.append(0) }
        lengths.append(0)
        colour = isDark(index)
      }
      lengths[lengths.count - 1] += 1
    }
    var total = lengths.filter { $0 >= 5 }.reduce(0) { $0 + 3 + $1 - 5 }
    if lengths.count % 2 == 0 { lengths.append(0) }  // end on light
    lengths[0] += QRCode.quietZone
    lengths[lengths.count - 1] += QRCode.quietZone
    for centre in stride(from: 3, to: lengths.count - 3, by: 2) where lengths[centre] % 3 == 0 {
      let n = lengths[centre] / 3
      guard [centre - 2, centre - 1, centre + 1, centre + 2].allSatisfy({ lengths[$0] == n }) else { continue }
      if lengths[centre - 3] >= 4 * n || lengths[centre + 3] >= 4 * n { total += 40 }
    }
    return total
  }
}
