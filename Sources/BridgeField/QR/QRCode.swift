import BridgeCore

/// A QR Code symbol (ISO/IEC 18004:2015) for the check-in links printed on the enrolment sheet: byte mode, error
/// correction level M (about 15 % of the symbol may be lost to a fold, a stain or glare on a photographed page),
/// the smallest of versions 1 to 10 that holds the text (up to 213 bytes; a check-in link is 60 to 100), the mask
/// chosen by the standard's four penalty rules. Pure: text in, modules out; `QRCodeSVG` draws it.
public struct QRCode: Sendable, Equatable {
  /// Light modules the standard asks around the symbol (4), drawn by the renderings, not held in `modules`.
  public static let quietZone = 4
  public static let versions = 1...10
  /// Bytes the largest version holds at level M: (216 data codewords × 8 − 4 mode bits − 16 count bits) / 8.
  public static var capacity: Int { byteCapacity(version: versions.upperBound) }

  public let version: Int
  /// The data mask (0 to 7) written in the format information.
  public let mask: Int
  /// Modules per side, without the quiet zone: 17 + 4 × version.
  public let size: Int
  /// Row-major, `true` for a dark module.
  public let modules: [Bool]

  public func isDark(row: Int, column: Int) -> Bool { modules[row * size + column] }

  /// Text longer than the largest version holds: refused rather than cut, since a cut link opens the wrong page.
  public struct TooLong: Error, Equatable, CustomStringConvertible {
    public let bytes: Int
    public let capacity: Int
    public var description: String {
      "\(bytes) bytes do not fit in a QR code (version 10-M holds \(capacity)) / "
        + "\(bytes) byte không vừa một mã QR (phiên bản 10-M chứa được \(capacity))"
    }
  }

  /// Encodes `text` as UTF-8 bytes. `mask` forces a mask (tests compare with other encoders); nil lets the
  /// penalty rules choose, the lowest-numbered mask winning a tie.
  public static func encode(_ text: String, mask forcedMask: Int? = nil) throws(TooLong) -> QRCode {
    let bytes = Array(text.utf8)
    guard let version = versions.first(where: { byteCapacity(version: $0) >= bytes.count }) else {
      throw TooLong(bytes: bytes.count, capacity: capacity)
    }
    let blocks = Self.blocks[version - 1]
    let codewords = interleaved(dataCodewords(bytes, version: version, count: blocks.dataCodewords), blocks: blocks)
    var symbol = Symbol(version: version)
    symbol.place(codewords)
    precondition(forcedMask.map { (0..<8).contains($0) } ?? true, "a QR Code mask is 0 to 7")
    let masks = forcedMask.map { [$0] } ?? Array(0..<8)
    var best: (mask: Int, penalty: Int, modules: [Bool])?
    for mask in masks {
      var candidate = symbol
      candidate.apply(mask: mask)
      let penalty = forcedMask == nil ? Penalty.score(candidate.modules, size: candidate.size) : 0
      if best == nil || penalty < best!.penalty { best = (mask, penalty, candidate.modules) }
    }
    return QRCode(version: version, mask: best!.mask, size: symbol.size, modules: best!.modules)
  }

  /// Bytes a version holds in byte mode at level M (the count field is 8 bits up to version 9, 16 from 10).
  public static func byteCapacity(version: Int) -> Int {
    (blocks[version - 1].dataCodewords * 8 - 4 - (version < 10 ? 8 : 16)) / 8
  }

  // MARK: Data and error correction codewords

  /// A version's blocks at level M (ISO/IEC 18004 Table 9): error correction codewords per block, then each
  /// group's block count and data codewords per block.
  struct Blocks {
    let ecPerBlock: Int
    let groups: [(count: Int, data: Int)]
    var dataCodewords: Int { groups.reduce(0) { $0 + $1.count * $1.data } }
  }

  static let blocks: [Blocks] = [
    Blocks(ecPerBlock: 10, groups: [(1, 16)]), Blocks(ecPerBlock: 16, groups: [(1, 28)]),
    Blocks(ecPerBlock: 26, groups: [(1, 44)]), Blocks(ecPerBlock: 18, groups: [(2, 32)]),
    Blocks(ecPerBlock: 24, groups: [(2, 43)]), Blocks(ecPerBlock: 16, groups: [(4, 27)]),
    Blocks(ecPerBlock: 18, groups: [(4, 31)]), Blocks(ecPerBlock: 22, groups: [(2, 38), (2, 39)]),
    Blocks(ecPerBlock: 22, groups: [(3, 36), (2, 37)]), Blocks(ecPerBlock: 26, groups: [(4, 43), (1, 44)]),
  ]

  /// Mode indicator 0100 (byte), the count, the bytes, a terminator of up to four zero bits, zero bits to a byte
  /// boundary, then the pad codewords 0xEC 0x11 alternately up to the version's data capacity.
  static func dataCodewords(_ bytes: [UInt8], version: Int, count: Int) -> [UInt8] {
    var bits: [Bool] = []
    func append(_ value: Int, _ width: Int) {
      for shift in stride(from: width - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
    }
    append(0b0100, 4)
    append(bytes.count, version < 10 ? 8 : 16)
    for byte in bytes { append(Int(byte), 8) }
    append(0, min(4, count * 8 - bits.count))
    if bits.count % 8 != 0 { append(0, 8 - bits.count % 8) }
    var codewords = stride(from: 0, to: bits.count, by: 8).map { start in
      bits[start..<start + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
    }
    var pad: UInt8 = 0xEC
    while codewords.count < count {
      codewords.append(pad)
      pad = pad == 0xEC ? 0x11 : 0xEC
    }
    return codewords
  }

  /// Splits the data into the version's blocks, computes each block's error correction codewords, and takes the
  /// data codewords one from each block in turn, then the error correction codewords the same way (7.6).
  static func interleaved(_ data: [UInt8], blocks: Blocks) -> [UInt8] {
    var dataBlocks: [[UInt8]] = []
    var start = 0
    for group in blocks.groups {
      for _ in 0..<group.count {
        dataBlocks.append(Array(data[start..<start + group.data]))
        start += group.data
      }
    }
    let generator = ReedSolomon.generator(degree: blocks.ecPerBlock)
    let ecBlocks = dataBlocks.map { ReedSolomon.remainder($0, generator: generator) }
    var result: [UInt8] = []
    for index in 0..<(dataBlocks.map(\.count).max() ?? 0) {
      for block in dataBlocks where index < block.count { result.append(block[index]) }
    }
    for index in 0..<blocks.ecPerBlock {
      for block in ecBlocks { result.append(block[index]) }
    }
    return result
  }
}

/// Reed-Solomon error correction over GF(256) with the QR Code's field polynomial x⁸+x⁴+x³+x²+1 (0x11D).
enum ReedSolomon {
  static let (exp, log): ([UInt8], [Int]) = {
    var exp = [UInt8](repeating: 0, count: 512)
    var log = [Int](repeating: 0, count: 256)
    var value = 1
    for power in 0..<255 {
      exp[power] = UInt8(value)
      log[value] = power
      value <<= 1
      if value & 0x100 != 0 { value ^= 0x11D }
    }
    for power in 255..<512 { exp[power] = exp[power - 255] }
    return (exp, log)
  }()

  static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
    a == 0 || b == 0 ? 0 : exp[log[Int(a)] + log[Int(b)]]
  }

  /// The generator polynomial (x − α⁰)(x − α¹)…(x − α^(degree−1)), coefficients from the highest power down,
  /// the leading 1 included.
  static func generator(degree: Int) -> [UInt8] {
    var polynomial: [UInt8] = [1]
    for power in 0..<degree {
      var next = [UInt8](repeating: 0, count: polynomial.count + 1)
      for (index, coefficient) in polynomial.enumerated() {
        next[index] ^= coefficient
        next[index + 1] ^= multiply(coefficient, exp[power])
      }
      polynomial = next
    }
    return polynomial
  }

  /// The error correction codewords: the remainder of data(x) · x^degree divided by the generator.
  static func remainder(_ data: [UInt8], generator: [UInt8]) -> [UInt8] {
    var remainder = [UInt8](repeating: 0, count: generator.count - 1)
    for byte in data {
      let factor = byte ^ remainder[0]
      remainder.removeFirst()
      remainder.append(0)
      for index in remainder.indices { remainder[index] ^= multiply(generator[index + 1], factor) }
    }
    return remainder
  }
}

extension QRCode {
  /// The symbol as inline SVG, `side` wide and high (a CSS length such as "28mm"), quiet zone included: a white
  /// square and one `<path>` of dark modules, each row's runs as rectangles one module high on a grid of unit
  /// modules, `crispEdges` so that a printer or screen does not blur the edges between modules.
  public func svg(side: String, label: String) -> String {
    let total = size + 2 * Self.quietZone
    var path = ""
    for row in 0..<size {
      var column = 0
      while column < size {
        guard isDark(row: row, column: column) else {
          column += 1
          continue
        }
        let start = column
        while column < size && isDark(row: row, column: column) { column += 1 }
        path += "M\(start + Self.quietZone) \(row + Self.quietZone)h\(column - start)v1h-\(column - start)z"
      }
    }
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" viewBox=\"0 0 \(total) \(total)\" width=\"\(side)\" "
      + "height=\"\(side)\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"\(HTMLText.escaped(label))\">"
      + "<rect width=\"\(total)\" height=\"\(total)\" fill=\"#fff\"/><path fill=\"#000\" d=\"\(path)\"/></svg>"
  }
}
