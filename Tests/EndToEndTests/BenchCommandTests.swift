import Foundation
import TestSupport
import Testing

/// The benchmarks' figures mean something only in a release build on a quiet machine (docs/PERFORMANCE.md); here
/// the command must run end to end and report every figure, with the debug build warned about.
@Suite struct BenchCommandTests {
  @Test func microBenchmarksReportEveryFigure() throws {
    let result = try Binary.run(["bench", "micro", "--sites", "300", "--samples", "1"])
    #expect(result.status == 0, "\(result.stderr)")
    for figure in [
      "ingest: decode + apply, unsigned", "ingest: decode + verify + apply, signed", "reference: HMAC-SHA256", "engine tick, 300 sites",
      "roll-up recount", "frame: table 250x70, by group", "frame: wall 250x70", "filter keystroke",
      "bridge reconcile, 31,097 participants", "reference: the name lookups alone",
    ] {
      #expect(result.stdout.contains(figure), "\(figure) missing from:\n\(result.stdout)")
    }
    #expect(result.stderr.contains("debug build"))
  }

  @Test func theLoadTestSaysWhereTheCeilingProgramIs() throws {
    let result = try Binary.run(["bench", "load", "--ceiling", "/nonexistent/udp_ceiling.c"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("/nonexistent/udp_ceiling.c not found"))
  }

  @Test func theConsolesBenchmarkTimesEveryActionOnEveryOtherConsole() throws {
    let result = try Binary.run(["bench", "consoles", "--sites", "300", "--consoles", "3", "--seconds", "1", "--actions", "4"])
    #expect(result.status == 0, "\(result.stderr)")
    for figure in ["no console: monitor CPU", "3 consoles attached: monitor CPU", "per console: CPU"] {
      #expect(result.stdout.contains(figure), "\(figure) missing from:\n\(result.stdout)")
    }
    // Every action reached both other consoles: 4 x 2 samples, none missing.
    #expect(result.stdout.contains("4 actions (4 applied) x 2 consoles = 8 samples"), "\(result.stdout)")
    #expect(result.stdout.contains("not seen within 2 s: 0"), "\(result.stdout)")
  }

  @Test func theStartupBenchmarkStartsEveryRosterWithEveryMetricsSetting() throws {
    let result = try Binary.run(["bench", "startup", "--sites", "40,80", "--runs", "1"], timeout: 120)
    #expect(result.status == 0, "\(result.stderr)")
    for sites in ["40", "80"] {
      for metrics in ["metrics off", "metrics on", "metrics per site"] {
        #expect(
          result.stdout.split(separator: "\n").contains {
            $0.hasPrefix(String(repeating: " ", count: 9 - sites.count) + sites) && $0.contains(metrics)
          },
          "\(sites) sites, \(metrics) missing from:\n\(result.stdout)")
      }
    }
    #expect(result.stderr.contains("debug build"))
  }
}
