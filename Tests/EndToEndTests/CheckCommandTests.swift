import Foundation
import TestSupport
import Testing

@Suite struct CheckCommandTests {
  @Test func validConfigPrintsSummaryAndExitsZero() throws {
    let result = try Binary.run(["check", Repository.path("examples/hoa-binh.yaml")])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.isEmpty)
    #expect(result.stdout.contains("61 bridge points in 11 groups, expected headcount 3,702"))
    #expect(result.stdout.contains("Hội nghị trực tuyến toàn quốc quán triệt Nghị quyết Đại hội XIII"))
    #expect(result.stdout.contains("    Đà Bắc                  6 sites      362 expected"))
    // Where consoles attach: the config's name with .sock, next to the journal.
    #expect(result.stdout.contains("console socket: \(Repository.path("examples/hoa-binh.sock")) (at most 64 consoles)"))
    #expect(result.stdout.contains("metrics: off (metrics.listen)"))
  }

  static let broken = [
    "unknown-key", "duplicate-id", "bad-id", "negative-expected", "non-numeric-expected",
    "late-not-before-offline", "unreadable-csv", "wrong-columns", "bad-duration", "no-sites", "yaml-syntax",
    "group-too-deep",
  ]

  @Test(arguments: broken)
  func brokenConfigPrintsOneLineNamingFileAndLine(_ name: String) throws {
    let path = Repository.path("Tests/Fixtures/configs/\(name).yaml")
    let result = try Binary.run(["check", path])
    #expect(result.status == 1)
    #expect(result.stdout.isEmpty)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(result.stderr)")
    let line = String(lines.first ?? "")
    let pattern = #/^(?<file>/[^:]+):(?<line>[0-9]+): error: .+$/#
    let match = try #require(line.wholeMatch(of: pattern), "\(line)")
    #expect(match.output.file.hasSuffix(name == "wrong-columns" ? "wrong-columns.csv" : "\(name).yaml"))
    #expect(Int(match.output.line)! > 0)
  }

  @Test func missingConfigFileIsAClearError() throws {
    let result = try Binary.run(["check", "/nonexistent/conference.yaml"])
    #expect(result.status == 1)
    #expect(result.stderr == "/nonexistent/conference.yaml: error: cannot read the file (no such file)\n")
  }
}
