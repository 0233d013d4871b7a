import Foundation
import TestSupport
import Testing

/// The benchmarks' figures mean something only in a release build on a quiet machine (docs/PERFORMANCE.md); here
/// the command must run end to end and report every figure, with the debug build warned about. One at a time:
/// each starts monitors and times code, and two at once on a busy 2-core machine starved each other past their
/// 300 s limit to listen.
@Suite(.serialized) struct BenchCommandTests {
  @Test func microBenchmarksReportEveryFigure() throws {
    let result = try Binary.run(["bench", "micro", "--sites", "300", "--samples", "1"])
    #expect(result.status == 0, "\(result.stderr)")
    for figure in [
      "ingest: decode + apply, unsigned", "ingest: decode + verify + apply, signed", "reference: HMAC-SHA256", "engine tick, 300 sites",
      "roll-up recount", "frame: table 250x70, by group", "frame: wall 250x70", "filter keystroke",
      "bridge reconcile, 31,097 participants", "reference: the name lookups alone", "bridge event received (parse + apply)",
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

  @Test func theScaleBenchmarkPrintsEveryFigureForEveryRosterWithNothingLost() throws {
    let result = try Binary.run(["bench", "scale", "--sites", "60,120", "--seconds", "1", "--consoles", "2"], timeout: 300)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    for figure in [
      "engine tick", "status file: encode", "frame: table 250x70", "frame: wall or overview 250x70", "filter keystroke",
      "monitor CPU, 1 heartbeat/site/s", "monitor CPU, default 5 s interval", "scrape /metrics (per-site series)",
      "console attach to first snapshot", "per console: monitor memory", "heartbeats lost", "peak RSS",
    ] {
      #expect(lines.contains { $0.hasPrefix(figure + " ") }, "\(figure) missing from:\n\(result.stdout)")
    }
    // A value for each roster, then its growth against the first ("x1.0" for the first roster itself).
    let peak = lines.first { $0.hasPrefix("peak RSS ") } ?? ""
    #expect(peak.contains(try Regex(#"^peak RSS +[0-9.]+ MiB +[0-9.]+ MiB +x1\.0 x[0-9.]+ "#)), "\(peak)")
    // Every heartbeat sent while measured reached the monitor, at both sizes.
    let lost = lines.first { $0.hasPrefix("heartbeats lost ") } ?? ""
    #expect(lost.contains("60: met (0), 120: met (0)"), "\(lost)")
    #expect(result.stderr.contains("debug build"))
  }

  @Test func theScaleBenchmarkRefusesABadRosterSize() throws {
    let result = try Binary.run(["bench", "scale", "--sites", "7400,x"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("--sites takes sizes of at least 1"), "\(result.stderr)")
  }
}
