import BridgeCore
import BridgeMonitor
import Testing

/// The console link's framing: a line of megabytes (a national snapshot) that arrives in many reads comes out
/// whole, once, and a line past the limit is refused however it arrives.
@Suite struct LineFramerTests {
  func feed(_ framer: inout LineFramer, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { framer.append($0) }
  }

  @Test func aLongLineInManyPiecesComesOutWholeAndTheNextAfterIt() throws {
    var framer = LineFramer(limit: 4 << 20)
    let long = (0..<3_000_000).map { UInt8(ascii: "a") + UInt8($0 % 26) }
    var lines: [[UInt8]] = []
    for piece in stride(from: 0, to: long.count, by: 65_536) {
      feed(&framer, Array(long[piece..<min(long.count, piece + 65_536)]))
      while let line = try framer.nextLine() { lines.append(Array(line)) }
    }
    #expect(lines.isEmpty, "no newline yet")
    feed(&framer, Array("\nsecond\nthi".utf8))
    while let line = try framer.nextLine() { lines.append(Array(line)) }
    #expect(lines == [long, Array("second".utf8)])
    #expect(framer.pendingCount == 3)
    feed(&framer, Array("rd\n".utf8))
    #expect(try framer.nextLine().map(Array.init) == Array("third".utf8))
    #expect(try framer.nextLine() == nil)
  }

  @Test func aLinePastTheLimitIsRefusedInPiecesOrWhole() throws {
    var pieces = LineFramer(limit: 1000)
    feed(&pieces, Array(repeating: UInt8(ascii: "x"), count: 600))
    #expect(try pieces.nextLine() == nil)
    feed(&pieces, Array(repeating: UInt8(ascii: "x"), count: 600))
    #expect(throws: ConsoleProtocolError.lineTooLong(limit: 1000)) { try pieces.nextLine() }

    var whole = LineFramer(limit: 1000)
    feed(&whole, Array(repeating: UInt8(ascii: "x"), count: 1001) + [0x0A])
    #expect(throws: ConsoleProtocolError.lineTooLong(limit: 1000)) { try whole.nextLine() }
  }
}
