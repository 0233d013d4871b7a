import ArgumentParser
import BridgeCore
import BridgeField
import BridgeMonitor
import Foundation

/// `bridgewatch bench`: its subcommands, their arguments and one call each; the executable lists it.
public struct BenchCommand: ParsableCommand {
  public init() {}

  public static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure BridgeWatch on this machine (build with -c release first).",
    discussion: """
      micro: ingest (decode, verify, apply), the conference bridge's reconcile of a 31,097-participant roster, engine \
      tick, roll-up recount, frame composition and filtering at national scale, each next to a reference measured in \
      the same run.
      load: a headless monitor takes a blast of signed heartbeats over loopback, then the same blast goes to the \
      C ceiling program (benchmarks/ceiling/udp_ceiling.c, compiled with cc); prints both rates and their ratio, \
      kernel drops, CPU and peak RSS. With --dashboard, also the CPU of the monitor with its dashboard open (in tmux) \
      at national load and idle.
      journal: a journal shaped like two national days is generated (7,400 sites and 2,000,000 lines by default; \
      --sites 31097 is the conference of February 2026, about 8.4 million lines, the same lines per site); the \
      monitor is restarted on it (time until it listens, with and without its checkpoint, peak RSS) and the report \
      is run on it (time, peak RSS), next to the time it takes only to read the file.
      probes: a monitor probes a national roster by SIP OPTIONS every 5 s, answered on loopback; its CPU next to \
      the responder's, and any false late or offline.
      startup: the monitor started on national rosters of 7,400, 31,097 and 100,000 sites (a group per commune), \
      with metrics off, on, and per site: time until it listens and peak RSS, with the cost per site against the \
      smallest roster's.
      scale: the national conference's figures at 7,400, 31,097 and 100,000 sites in one run, each against the \
      first: engine, frames, filter, status file, monitor CPU at 1/s and at 5 s, scrape, console attach and cost, \
      loss, peak RSS.
      """,
    subcommands: [
      MicroBench.self, LoadBench.self, JournalBench.self, ConsolesBench.self, ProbesBench.self, StartupBench.self, ScaleBench.self,
    ],
    defaultSubcommand: MicroBench.self)
}

struct MicroBench: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "micro", abstract: "Time the hot paths in this process.")

  @Option(help: "Sites in the generated national roster.")
  var sites = 10_000

  @Option(help: "Samples per figure; the median is printed.")
  var samples = 7

  @Option(
    help: "Only the benchmarks whose group contains this: ingest, ingest-signed, bridge, console, engine, frame, filter (for profiling).")
  var only: String?

  func run() throws {
    BenchRun.warnIfDebugBuild("bench")
    let benchmarks = MicroBenchmarks(sites: sites, samples: samples, only: only)
    print("bridgewatch bench micro: \(NumberText.grouped(sites)) sites, median of \(samples) samples")
    for result in benchmarks.run() { print(MicroBenchmarks.line(result)) }
  }
}

struct LoadBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "load", abstract: "Blast heartbeats at a headless monitor and at the C ceiling program; compare.")

  @Option(help: "Sites in the monitor's roster.")
  var sites = 10_000

  @Option(help: "Heartbeats per site in the blast.")
  var rounds = 30

  @Option(help: "The ceiling program's source.")
  var ceiling = "benchmarks/ceiling/udp_ceiling.c"

  @Flag(help: "Also measure the monitor with its dashboard open in tmux, at national load and idle (about 2 minutes).")
  var dashboard = false

  func run() throws {
    guard FileManager.default.fileExists(atPath: ceiling) else {
      BenchRun.say("bench: \(ceiling) not found; run from the repository root or give --ceiling PATH")
      throw ExitCode(2)
    }
    try inScratchDirectory(keep: false) { directory, binary, report in
      try LoadBenchmark(
        binary: binary, sites: sites, rounds: rounds, ceilingSource: URL(fileURLWithPath: ceiling).path, dashboard: dashboard,
        directory: directory
      ).run(report: report)
    }
  }
}

struct ConsolesBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "consoles",
    abstract: "What consoles cost a monitor at national load: CPU and memory per console, action-to-screen latency.")

  @Option(help: "Sites in the monitor's roster, each heard once a second.")
  var sites = 7400

  @Option(help: "Consoles attached in the second phase.")
  var consoles = 20

  @Option(help: "Seconds each phase is measured.")
  var seconds = 20

  @Option(help: "Actions timed from one console to the others.")
  var actions = 60

  func run() throws {
    guard consoles >= 2, sites >= 1, seconds >= 1, actions >= 1 else {
      BenchRun.say("bench consoles: needs at least 2 consoles, 1 site, 1 second and 1 action")
      throw ExitCode(2)
    }
    try inScratchDirectory(keep: false) { directory, binary, report in
      try ConsoleBenchmark(
        binary: binary, sites: sites, consoles: consoles, seconds: seconds, actions: actions, directory: directory
      ).run(report: report)
    }
  }
}

struct ProbesBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "probes", abstract: "A monitor probing a national roster by SIP OPTIONS: CPU, and no false alarm.")

  @Option(help: "Probed sites, each probed every 5 s.")
  var sites = 7400

  @Option(help: "Seconds measured (after a 15 s warm-up).")
  var seconds = 120

  func run() throws {
    BenchRun.warnIfDebugBuild("bench probes")
    guard sites >= 1, seconds >= 1 else {
      BenchRun.say("bench probes: needs at least 1 site and 1 second")
      throw ExitCode(2)
    }
    try inScratchDirectory(keep: false) { directory, binary, report in
      try ProbeBenchmark(binary: binary, sites: sites, seconds: seconds, directory: directory).run(report: report)
    }
  }
}

struct JournalBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "journal", abstract: "Restart the monitor on, and report from, a journal of two national days.")

  @Option(help: "Sites in the roster.")
  var sites = 7400

  @Option(help: "2026 (34 provinces and their communes, the default) or 2021 (63 provinces with districts), as for demo.")
  var shape = "2026"

  @Option(help: "Lines in the generated journal (default: as many per site as 2,000,000 for 7,400 sites).")
  var lines: Int?

  @Option(help: "Runs of each measurement; the range is printed.")
  var runs = 3

  @Flag(help: "Keep the generated config and journal (for profiling) and say where they are.")
  var keep = false

  func validate() throws {
    guard (1...100_000).contains(sites) else { throw ValidationError("--sites must be from 1 to 100,000") }
    guard ["2026", "2021"].contains(shape) else { throw ValidationError("--shape is 2026 or 2021") }
    if let lines, !(1...50_000_000).contains(lines) { throw ValidationError("--lines must be from 1 to 50,000,000") }
  }

  func run() throws {
    BenchRun.warnIfDebugBuild("bench journal")
    try inScratchDirectory(keep: keep) { directory, binary, report in
      try JournalBenchmark(
        binary: binary, sites: sites, lines: lines ?? JournalGenerator.lines(forSites: sites), shape2021: shape == "2021",
        runs: max(1, runs), directory: directory
      ).run(report: report)
    }
  }
}

struct StartupBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "startup", abstract: "Time the monitor's start on growing rosters, with and without metrics; show it is linear.")

  @Option(help: "Roster sizes, comma-separated; each is set against the first.")
  var sites = "7400,31097,100000"

  @Option(help: "Runs of each measurement; the median is printed.")
  var runs = 3

  func run() throws {
    BenchRun.warnIfDebugBuild("bench startup")
    let sizes = try rosterSizes(sites)
    guard runs >= 1 else {
      BenchRun.say("bench startup: --runs takes at least 1")
      throw ExitCode(2)
    }
    try inScratchDirectory(keep: false) { directory, binary, report in
      try StartupBenchmark(binary: binary, sizes: sizes, runs: runs, directory: directory).run(report: report)
    }
  }
}

struct ScaleBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scale", abstract: "The national conference's figures at growing rosters in one run, each against the first's.")

  @Option(help: "Roster sizes, comma-separated; each is set against the first.")
  var sites = "7400,31097,100000"

  @Option(help: "Seconds each load phase is measured.")
  var seconds = 15

  @Option(help: "Consoles attached to each monitor.")
  var consoles = 5

  func run() throws {
    BenchRun.warnIfDebugBuild("bench scale")
    let sizes = try rosterSizes(sites)
    guard seconds >= 1, consoles >= 1 else {
      BenchRun.say("bench scale: --seconds and --consoles take at least 1")
      throw ExitCode(2)
    }
    try inScratchDirectory(keep: false) { directory, binary, report in
      try ScaleBenchmark(binary: binary, sizes: sizes, seconds: seconds, consoles: consoles, directory: directory).run(report: report)
    }
  }
}

/// `--sites 7400,31097,100000`: the sizes, each at least 1; exits 2 with the rule otherwise.
private func rosterSizes(_ text: String) throws -> [Int] {
  let sizes = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
  guard !sizes.isEmpty, sizes.count == text.split(separator: ",").count, sizes.allSatisfy({ $0 >= 1 }) else {
    BenchRun.say("bench: --sites takes sizes of at least 1, comma-separated (e.g. 7400,31097,100000)")
    throw ExitCode(2)
  }
  return sizes
}

/// Runs a benchmark that starts this binary (see `BenchRun`); its failure, said already, exits 1.
private func inScratchDirectory(
  keep: Bool, _ body: (_ directory: String, _ binary: String, _ report: (String) -> Void) throws -> Void
) throws {
  do { try BenchRun.inScratchDirectory(keep: keep, body) } catch { throw ExitCode(1) }
}
