import Testing

@testable import BridgeTUI

@Suite struct DisplayWidthTests {
  @Test func emojiOfSeveralScalarsAreDrawnAsTheirFirstSoColumnsStayPut() {
    let family = "👨\u{200D}👩\u{200D}👧"
    let graphemes = DisplayWidth.graphemes(of: "\(family)|❤\u{FE0F}|🇻🇳|Tú Lý|Tu\u{301} Ly\u{301}")
    #expect(graphemes.map(\.text) == ["👨", "|", "❤", "|", "🇻", "|", "T", "ú", " ", "L", "ý", "|", "T", "ú", " ", "L", "ý"])
    // Every grapheme's width is the width of what is drawn; decomposed Vietnamese measures like precomposed.
    for grapheme in graphemes {
      #expect(grapheme.width == DisplayWidth.width(of: Character(grapheme.text)), "\(grapheme.text)")
    }
    var screen = ScreenBuffer(width: 12, height: 1)
    let used = screen.put("\(family)x|", x: 0, y: 0, role: .normal)
    #expect(used == 4)
    #expect(screen.lines[0].hasSuffix("x|        "))
  }
}
