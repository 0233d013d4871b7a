import Testing

@testable import BridgeCore

@Suite struct NumberWriterTests {
  /// The journal fuzzer's crash: a line with `"t":1.8e28` was read, and writing it again trapped converting to Int64.
  @Test(arguments: [1.7953942184467440737095516160e28, 1e300, -1e300, 9.3e15, Double.greatestFiniteMagnitude])
  func anyFiniteNumberIsWrittenAsAJSONNumberTheReaderTakesBack(value: Double) throws {
    var out = JSONWriter()
    out.number(value, decimals: 3)
    let line = "{\"t\":1795393800.000,\"type\":\"gap\",\"dropped\":1,\"until\":\(out.text)}"
    let record = try JournalCodec.decode(Substring(line)).get()
    #expect(record.kind == .gap(dropped: 1, until: value), "\(line)")
  }

  @Test func numbersInRangeKeepTheirFixedDecimals() {
    var out = JSONWriter()
    out.number(1_795_393_801.2044, decimals: 3)
    out.raw(" ")
    out.number(-0.5, decimals: 1)
    #expect(out.text == "1795393801.204 -0.5")
  }
}
