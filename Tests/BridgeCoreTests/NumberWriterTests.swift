import Foundation
import Testing

@testable import BridgeCore

@Suite struct NumberWriterTests {
  /// The journal fuzzer's crash: a line with `"t":1.8e28` was read, and writing it again trapped converting to Int64.
  /// Any finite number is written as a JSON number that reads back the same; a journal line carrying one outside
  /// UnixTime's window is refused with the reason, not trapped on.
  @Test(arguments: [1.7953942184467440737095516160e28, 1e300, -1e300, 9.3e15, Double.greatestFiniteMagnitude])
  func anyFiniteNumberIsWrittenAsAJSONNumberTheReaderTakesBack(value: Double) throws {
    var out = JSONWriter()
    out.number(value, decimals: 3)
    let parsed = try JSONSerialization.jsonObject(with: Data("[\(out.text)]".utf8)) as? [NSNumber]
    #expect(parsed?.first?.doubleValue == value, "\(out.text)")
    let line = "{\"t\":1795393800.000,\"type\":\"gap\",\"dropped\":1,\"until\":\(out.text)}"
    #expect(throws: JournalLineError.self) { try JournalCodec.decode(Substring(line)).get() }
  }

  @Test func numbersInRangeKeepTheirFixedDecimals() {
    var out = JSONWriter()
    out.number(1_795_393_801.2044, decimals: 3)
    out.raw(" ")
    out.number(-0.5, decimals: 1)
    #expect(out.text == "1795393801.204 -0.5")
  }
}
