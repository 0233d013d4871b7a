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

  /// Writes `yaml` as a config in a fresh directory, runs `check` on it and removes the directory.
  private func check(_ yaml: String) throws -> (result: Binary.Result, path: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-check-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try yaml.write(toFile: directory + "/c.yaml", atomically: true, encoding: .utf8)
    return (try Binary.run(["check", directory + "/c.yaml"]), directory + "/c.yaml")
  }

  @Test func aNameCannotForgeALineOfCheck() throws {
    let forged = "config: other.yaml: OK"
    let (result, path) = try check(
      """
      title: "Hội nghị\\n\(forged)"
      sites:
        - {id: A, name: "Điểm A\\t\\u001b[2J", group: "Hòa Bình\\n\(forged)", expected: 10}
      """)
    #expect(result.status == 1)
    let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    #expect(lines.count == 3, "\(result.stderr)")
    #expect(lines.allSatisfy { $0.hasPrefix(path + ":") && $0.contains("control character") && !$0.contains("\t") }, "\(result.stderr)")
    #expect(!result.stderr.contains("\n" + forged) && !result.stdout.contains(forged), "\(result.stderr)")
  }

  @Test func aProbeAtABroadcastOrUnspecifiedAddressIsRefused() throws {
    let (result, path) = try check(
      """
      sites:
        - {id: A, name: "A", group: "P", expected: 1, probe: "sip://255.255.255.255"}
        - {id: B, name: "B", group: "P", expected: 1, probe: "tcp://0.0.0.0:5060"}
      """)
    #expect(result.status == 1)
    #expect(
      result.stderr == """
        \(path):2: error: site 'A': probe host '255.255.255.255' is the broadcast address, not one host
        \(path):3: error: site 'B': probe host '0.0.0.0' is in 0.0.0.0/8 (the unspecified address, 'this network'), not a host

        """)
  }

  @Test func aConfigWithOnlyAnIntervalAndAProbeIsValid() throws {
    let (result, _) = try check(
      """
      timing: {interval: 1s}
      sites:
        - {id: A, name: "A", group: "P", expected: 1, probe: "tcp://127.0.0.1:1720"}
      """)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("timing: heartbeat every 1s, late after 3s, offline after 8s"), "\(result.stdout)")
    #expect(result.stdout.contains("probes: 1 sites (1 tcp), every 1s, timeout 500ms"), "\(result.stdout)")
  }

  @Test func missingConfigFileIsAClearError() throws {
    let result = try Binary.run(["check", "/nonexistent/conference.yaml"])
    #expect(result.status == 1)
    #expect(result.stderr == "/nonexistent/conference.yaml: error: cannot read the file (no such file)\n")
  }
}
