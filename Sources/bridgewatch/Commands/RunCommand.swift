import ArgumentParser
import BridgeCore
import BridgeMetrics
import BridgeMonitor
import BridgePlatform
import BridgeRunner
import BridgeTUI
import Foundation
import Logging
import NIOCore
import Synchronization

struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run the monitor for a conference.",
    discussion: "With --headless, runs the engine without a terminal and logs status changes to standard error."
  )

  @Argument(help: "The conference config (YAML).")
  var config: String

  @Flag(help: "Run without the dashboard; log status changes to standard error (for systemd and tests).")
  var headless = false

  @Option(help: "Listen on HOST:PORT instead of the config's udp.listen (port 0 picks a free port).")
  var listen: String?

  @OptionGroup var dashboard: DashboardFlags

  @OptionGroup var metrics: MetricsFlags

  @Option(
    help: ArgumentHelp(
      "Run as the standby of a primary: follow its operator actions from its console socket (a path), or from a command "
        + "that reaches it, e.g. 'ssh bw@primary bridgewatch console --relay /etc/bridgewatch/conference.yaml'.",
      valueName: "source"))
  var follow: String?

  @Option(
    name: .customLong("primary-silent-after"),
    help: "With --follow: how long without a word from the primary before every console says PRIMARY SILENT.")
  var primarySilentAfter = "10s"

  @Option(
    help: ArgumentHelp(
      "The standby's console socket (or a command reaching it): this monitor shows when the standby was promoted in its place.",
      valueName: "source"))
  var peer: String?

  @Flag(
    name: .customLong("skip-bad-journal-lines"),
    help: "Start even if journal lines (other than a torn last one) cannot be read; they stay in the file.")
  var skipBadJournalLines = false

  func validate() throws {
    guard let silent = DurationText.parse(primarySilentAfter), silent >= .seconds(2) else {
      throw ValidationError("--primary-silent-after must be a duration of at least 2s (e.g. 10s), got '\(primarySilentAfter)'")
    }
    if follow != nil && peer != nil {
      throw ValidationError("give --follow (this is the standby) or --peer (this is the primary), not both")
    }
    for source in [follow, peer].compactMap({ $0 }) where source.trimmingCharacters(in: .whitespaces).isEmpty {
      throw ValidationError("--follow and --peer need a socket path or a command")
    }
  }

  func run() async throws {
    StopSignals.install()
    StopSignals.starting("loading the config")
    MemoryTuning.returnLargeBuffersToTheKernel()
    var loaded = try loadConfigOrExit(config, toRun: listen == nil, language: dashboard.language.language)
    MemoryTuning.giveBackWhatStartFreed()
    StopSignals.starting("looking for a monitor already running")
    try metrics.apply(to: &loaded.config)
    var listenOverride: (host: String, port: Int)?
    if let listen {
      guard let parsed = HostPort.parse(listen) else {
        printError("bridgewatch: --listen must be HOST:PORT, got '\(listen)'")
        throw ExitCode(2)
      }
      listenOverride = parsed
    }
    let running = try exitOnFailure { try MonitorRunner.runningMonitor(socketPath: loaded.config.consoleSocketPath) }
    if let running {
      // The journal is that monitor's: a second one could not open it. Join it instead.
      guard !headless else {
        printError(
          "bridgewatch: a monitor already runs for \(config) (pid \(running.pid)) and holds its journal; `bridgewatch console \(config)` attaches to it"
        )
        throw ExitCode(1)
      }
      printError("bridgewatch: a monitor already runs for \(config) (pid \(running.pid)); opening a console on it")
      StopSignals.started()  // the console handles its own stop
      let session = ConsoleSession(
        socketPath: loaded.config.consoleSocketPath, options: try dashboard.options(defaultTheme: "default", configPath: config),
        themeGiven: dashboard.theme != nil)
      try exitOnFailure { try session.run() }
      return
    }
    var runner = MonitorRunner(config: loaded.config, warnings: loaded.warnings, listen: listenOverride)
    runner.options.skipBadJournalLines = skipBadJournalLines
    runner.options.follow = follow
    runner.options.primarySilentAfter = DurationText.parse(primarySilentAfter)!
    runner.options.peer = peer
    runner.options.language = dashboard.language.language
    guard headless else {
      if let problem = DashboardTerminal.problem() {
        printError("bridgewatch: \(problem); use --headless to run without the dashboard")
        throw ExitCode(2)
      }
      let options = try dashboard.options(config: loaded.config)
      try await exitOnFailure { try await runner.runDashboard(options) }
      return
    }
    try await exitOnFailure { try await runner.runHeadless() }
  }
}

/// The dashboard's options, shared by `run` and `demo`.
struct DashboardFlags: ParsableArguments {
  @Option(help: "Colour theme: a name (default, light, high-contrast, mono) or a path to a theme file.")
  var theme: String?

  @Option(name: .customLong("operator"), help: "Operator name recorded with marks and actions (default: $USER).")
  var operatorName: String?

  @Flag(name: .customLong("no-color"), help: "No colours (attributes only); also when NO_COLOR is set.")
  var noColor = false

  @Flag(name: .customLong("no-bell"), help: "No terminal bell when a site goes offline.")
  var noBell = false

  @OptionGroup var language: LanguageFlag

  func options(config: ConferenceConfig, banner: String? = nil) throws -> DashboardOptions {
    try options(defaultTheme: config.theme, configPath: config.path, banner: banner)
  }

  /// The dashboard's options; the theme is looked up now, before the terminal is taken: a name that is neither
  /// built in nor in a theme folder stops the command with the names there are (exit 2).
  func options(defaultTheme: String, configPath: String, banner: String? = nil) throws -> DashboardOptions {
    let options = DashboardOptions(
      theme: theme ?? defaultTheme, operatorName: operatorName, noColor: noColor, noBell: noBell, configPath: configPath,
      banner: banner, language: language.language)
    if case .failure(let problem) = ThemeLoader.load(options.themeName, directories: options.themeDirectories) {
      printError("bridgewatch: \(problem)")
      throw ExitCode(2)
    }
    return options
  }
}

/// The metrics endpoint's options, shared by `run` and `demo`; they override the config's `metrics:` section.
struct MetricsFlags: ParsableArguments {
  @Option(
    name: .customLong("metrics-listen"),
    help:
      "Serve Prometheus metrics at http://HOST:PORT/metrics, and the check-in page at /c/<token> when checkin.enabled (for example 127.0.0.1:9740; port 0 picks one)."
  )
  var listen: String?

  @Flag(name: .customLong("metrics-per-site"), help: "Also export per-site series (up, last heard, headcount): four per site.")
  var perSite = false

  func apply(to config: inout ConferenceConfig) throws {
    if let listen {
      guard let parsed = HostPort.parse(listen) else {
        printError("bridgewatch: --metrics-listen must be HOST:PORT, got '\(listen)'")
        throw ExitCode(2)
      }
      config.metrics.listen = parsed
    }
    if perSite { config.metrics.perSite = true }
  }
}

extension Language: ExpressibleByArgument {}

/// `--lang`, for every command a person reads: the dashboard's, `check`, `status`, `agent`, `send`, `report`. Without it the
/// locale decides (LC_ALL, LC_MESSAGES, LANG; `vi_VN.UTF-8` selects Vietnamese). Log lines meant for machines
/// (the monitor's log, the journal, metrics, JSON keys) stay English whatever it says.
struct LanguageFlag: ParsableArguments {
  @Option(help: "Language of what is printed: vi or en (default: from LC_ALL, LC_MESSAGES or LANG; vi_* selects Vietnamese).")
  var lang: Language?

  var language: Language { lang ?? Language.fromEnvironment(ProcessInfo.processInfo.environment) }
  var strings: Strings { Strings(language) }
}
