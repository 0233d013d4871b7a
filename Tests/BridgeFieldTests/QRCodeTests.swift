import Testing

@testable import BridgeField

/// The QR encoder's parts against published figures: Reed-Solomon codewords of worked examples, the capacities
/// and BCH-coded format and version words of ISO/IEC 18004's tables, the penalty rules on lines drawn by hand.
@Suite struct QRCodeTests {
  static func ec(_ data: [UInt8], _ degree: Int) -> [UInt8] {
    ReedSolomon.remainder(data, generator: ReedSolomon.generator(degree: degree))
  }

  @Test func reedSolomonGivesThePublishedErrorCorrectionCodewords() {
    // ISO/IEC 18004 Annex I: "01234567" as version 1-M.
    #expect(
      Self.ec([0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11], 10)
        == [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
    // thonky.com's QR Code Tutorial, "Error Correction Coding": "HELLO WORLD" as 1-M.
    #expect(
      Self.ec([32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17], 10)
        == [196, 35, 39, 119, 235, 215, 231, 226, 93, 23])
    // The same tutorial's 5-Q message, its first block (18 error correction codewords per block, as in 4-M and 7-M).
    #expect(
      Self.ec([67, 85, 70, 134, 87, 38, 85, 194, 119, 50, 6, 18, 6, 103, 38], 18)
        == [213, 199, 11, 45, 115, 247, 241, 223, 229, 248, 154, 117, 154, 111, 86, 161, 111, 39])
  }

  @Test func byteModeDataIsModeCountBytesTerminatorAndPadding() {
    // 0100 | 00000010 | 'h' 'i' | 0000, then 0xEC 0x11 alternately up to 1-M's 16 codewords.
    let data = QRCode.dataCodewords(Array("hi".utf8), version: 1, count: 16)
    #expect(data == [0x40, 0x26, 0x86, 0x90, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11])
    // Version 10 counts in 16 bits.
    let long = QRCode.dataCodewords([0x41], version: 10, count: 216)
    #expect(Array(long.prefix(4)) == [0x40, 0x00, 0x14, 0x10] && long.count == 216)
  }

  @Test func eachVersionHoldsTheStandardsByteCapacityAndTheSmallestThatFitsIsChosen() throws {
    // ISO/IEC 18004 Table 7, byte mode, level M.
    #expect(QRCode.versions.map(QRCode.byteCapacity) == [14, 26, 42, 62, 84, 106, 122, 152, 180, 213])
    for (version, capacity) in zip(QRCode.versions, QRCode.versions.map(QRCode.byteCapacity)) {
      let full = try QRCode.encode(String(repeating: "a", count: capacity))
      #expect(full.version == version && full.size == 17 + 4 * version && full.modules.count == full.size * full.size)
      if version < 10 { #expect(try QRCode.encode(String(repeating: "a", count: capacity + 1)).version == version + 1) }
    }
    #expect(throws: QRCode.TooLong(bytes: 214, capacity: 213)) { try QRCode.encode(String(repeating: "a", count: 214)) }
    // Bytes, not characters: "đ" is two.
    #expect(throws: QRCode.TooLong(bytes: 214, capacity: 213)) { try QRCode.encode(String(repeating: "đ", count: 107)) }
  }

  @Test func formatAndVersionWordsAreTheStandardsBCHCodes() {
    // ISO/IEC 18004 Table C.1, level M, masks 0 to 7 (after the XOR with 101010000010010).
    let formats = (0..<8).map { Symbol.bch($0, dataBits: 5, generator: 0x537) ^ 0x5412 }
    #expect(formats == [0x5412, 0x5125, 0x5E7C, 0x5B4B, 0x45F9, 0x40CE, 0x4F97, 0x4AA0])
    // Table D.1, versions 7 to 10.
    #expect((7...10).map { Symbol.bch($0, dataBits: 6, generator: 0x1F25) } == [0x07C94, 0x085BC, 0x09A99, 0x0A4D3])
  }

  @Test func theFunctionPatternsAreWhereTheStandardPutsThem() throws {
    let code = try QRCode.encode("https://hn.example/checkin/c/abcdefghijklmnopqrstuvwxyz234567")
    #expect(code.version == 4, "61 bytes; 4-M holds 62")
    let last = code.size - 1
    for (top, left) in [(0, 0), (0, last - 6), (last - 6, 0)] {
      for row in 0..<7 {
        let line = (0..<7).map { code.isDark(row: top + row, column: left + $0) ? "#" : "." }.joined()
        #expect(line == ["#######", "#.....#", "#.###.#", "#.###.#", "#.###.#", "#.....#", "#######"][row])
      }
    }
    #expect((8..<code.size - 8).allSatisfy { code.isDark(row: 6, column: $0) == ($0 % 2 == 0) }, "timing row")
    #expect((8..<code.size - 8).allSatisfy { code.isDark(row: $0, column: 6) == ($0 % 2 == 0) }, "timing column")
    #expect(code.isDark(row: code.size - 8, column: 8), "the dark module")
    let alignment = (-2...2).map { row in (-2...2).map { code.isDark(row: 26 + row, column: 26 + $0) ? "#" : "." }.joined() }
    #expect(alignment == ["#####", "#...#", "#.#.#", "#...#", "#####"])
    // The format word, read back from its first copy, names level M and the chosen mask.
    let positions = (0...5).map { ($0, 8) } + [(7, 8), (8, 8), (8, 7)] + (9..<15).map { (8, 14 - $0) }
    let format = positions.enumerated().reduce(0) { $0 | (code.isDark(row: $1.element.0, column: $1.element.1) ? 1 << $1.offset : 0) }
    #expect(format == Symbol.bch(code.mask, dataBits: 5, generator: 0x537) ^ 0x5412)
  }

  @Test func theChosenMaskHasTheLowestPenaltyOfTheEight() throws {
    let links =
      ["https://a.example/c/x", "http://203.0.113.10:8080/c/abcdefghijklmnopqrstuvwxyz234567"]
      + [String(repeating: "z", count: 200)]
    for link in links {
      let chosen = try QRCode.encode(link)
      let penalties = try (0..<8).map { try QRCode.encode(link, mask: $0) }.map { Penalty.score($0.modules, size: $0.size) }
      #expect(penalties[chosen.mask] == penalties.min() && penalties.firstIndex(of: penalties.min()!) == chosen.mask)
      #expect(Set(penalties).count > 1, "the masks differ, so the choice means something")
    }
  }

  @Test func thePenaltyRulesScoreLinesAndSymbolsDrawnByHand() {
    func line(_ text: String) -> Int {
      let modules = text.map { $0 == "#" }
      return Penalty.runs(modules.count) { modules[$0] }
    }
    #expect(line("#.#.#.#.#.#") == 0)
    #expect(line("#####.#.#.#") == 3, "rule 1: a run of five")
    #expect(line("#######.#.#") == 5, "rule 1: five plus two")
    #expect(line(".#.#.#.#.#.#.#.#.#.") == 0)
    #expect(line("#.###.#.#.#.#.#.#.#.#") == 40, "rule 3 at the left edge: the quiet zone is the light before it")
    #expect(line("#.#.#.#.#.#.#.###.#.#") == 0, "1:1:3:1:1 with one light module on each side")
    #expect(line("#.#.#.#.#.#.#.#.#.###.#") == 40, "at the right edge")
    #expect(line("#.#.#....#.###.#.#.#.#") == 40, "four light modules before it")
    #expect(line("#........##..######..##.#") == 3 + 3 + 3 + 1 + 40, "scaled by two, after eight light, with runs of 8 and 6")
    // Rules 2 and 4 on a 4×4 square: all dark is 9 blocks and 10 steps of 5 %; a checkerboard is none of either.
    let dark = Array(repeating: true, count: 16)
    let runsOfFour = 8 * Penalty.runs(4) { _ in true }
    #expect(Penalty.score(dark, size: 4) == runsOfFour + 9 * 3 + 100)
    let checkerboard = (0..<16).map { ($0 / 4 + $0 % 4) % 2 == 0 }
    #expect(Penalty.score(checkerboard, size: 4) == 0)
  }

  @Test func theSVGIsOnePathOfUnitRectanglesWithTheQuietZone() throws {
    let code = try QRCode.encode("https://hn.example/c/abc")
    let svg = code.svg(side: "28mm", label: "S-1 <x>")
    let total = code.size + 8
    #expect(svg.hasPrefix("<svg ") && svg.hasSuffix("</svg>"))
    #expect(svg.contains("viewBox=\"0 0 \(total) \(total)\" width=\"28mm\" height=\"28mm\" shape-rendering=\"crispEdges\""))
    #expect(svg.components(separatedBy: "<path").count == 2 && svg.contains("aria-label=\"S-1 &lt;x&gt;\""))
    // Every rectangle is one module high, starts inside the quiet zone, and together they cover the dark modules.
    let path = svg.components(separatedBy: " d=\"")[1].prefix { $0 != "\"" }
    var covered = 0
    for piece in path.split(separator: "M") {
      let numbers = piece.split(whereSeparator: { "hvz ".contains($0) }).compactMap { Int($0) }
      #expect(numbers.count == 5 && numbers[3] == 1 && numbers[4] == -numbers[2])
      #expect(numbers[0] >= 4 && numbers[0] + numbers[2] <= total - 4 && numbers[1] >= 4 && numbers[1] < total - 4)
      covered += numbers[2]
    }
    #expect(covered == code.modules.filter { $0 }.count)
  }
}
