import BridgeCore
import BridgeField
import Testing

@Suite struct CountTextTests {
  @Test(arguments: [
    ("148", 148), ("148\n", 148), ("  148 \r\n", 148), ("\u{FEFF}148", 148), ("11.631", 11631), ("11,631", 11631),
    ("1 000 000", 1_000_000), ("0", 0),
  ])
  func acceptsHowPeopleWriteAHeadcount(text: String, expected: Int) throws {
    #expect(try CountText.parse(Array(text.utf8)).get() == expected)
  }

  @Test func refusesAnythingElseSayingWhatItFound() {
    #expect(CountText.parse([]) == .failure(.empty))
    #expect(CountText.parse(Array(" \n".utf8)) == .failure(.empty))
    #expect(CountText.parse(Array("148\n150".utf8)) == .failure(.moreThanOneLine))
    #expect(CountText.parse([0xFF, 0x31]) == .failure(.notText))
    for bad in ["abc", "-5", "1.5", "14.8", "148 người", "１４８", "1,2345", "12345678"] {
      guard case .failure(.notANumber) = CountText.parse(Array(bad.utf8)) else {
        Issue.record("accepted '\(bad)'")
        continue
      }
    }
    #expect(CountText.parse(Array("1000001".utf8)) == .failure(.tooLarge(1_000_001)))
    // What the agent prints of a bad file never carries escape sequences to the technician's terminal.
    guard case .failure(let problem) = CountText.parse(Array("x\u{1B}[31m".utf8)) else {
      Issue.record("accepted an escape sequence")
      return
    }
    #expect(problem.description == "expected a whole number from 0 to 1,000,000, got 'x[31m'")
  }
}
