import ArgumentParser
import BridgeCore
import BridgeMetrics
import BridgeMonitor
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
    var loaded = try loadConfigOrExit(config, toRun: listen == nil)
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
    let running: ConsoleWelcome?
    do {
      running = try ConsoleClient.probe(path: loaded.config.consoleSocketPath, timeout: 3)
    } catch let failure as ConsoleSocket.Failure where failure.isNoMonitor {
      running = nil
    } catch {
      // A listener that is no monitor, or one this user may not reach: the socket cannot be ours.
      printError("bridgewatch: the console socket cannot be used: \(error); the monitor does not start without it")
      throw ExitCode(1)
    }
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
      try ConsoleSession(socketPath: loaded.config.consoleSocketPath, configPath: config, dashboard: dashboard).run()
      return
    }
    var runner = MonitorRunner(config: loaded.config, warnings: loaded.warnings, listen: listenOverride)
    runner.options.skipBadJournalLines = skipBadJournalLines
    runner.options.follow = follow
    runner.options.primarySilentAfter = DurationText.parse(primarySilentAfter)!
    runner.options.peer = peer
    guard headless else {
      if let problem = DashboardTerminal.problem() {
        printError("bridgewatch: \(problem); use --headless to run without the dashboard")
        throw ExitCode(2)
      }
      try await runner.runDashboard(try dashboard.options(config: loaded.config))
      return
    }
    try await runner.runHeadless()
  }
}

/// The monitor with one of its faces (dashboard or log), shared by `run` and `demo`: `MonitorProcess` does the
/// rest.
struct MonitorRunner {
  var config: ConferenceConfig
  var warnings: [ConfigProblem]
  var options = MonitorProcess.Options()
  /// Called once the socket is bound, with the bound address (the demo starts its simulator here).
  var onStart: @Sendable (SocketAddress) -> Void = { _ in }
  /// Called when the monitor is about to stop.
  var onStop: @Sendable () -> Void = {}

  init(config: ConferenceConfig, warnings: [ConfigProblem], listen: (host: String, port: Int)?) {
    self.config = config
    self.warnings = warnings
    options.listen = listen
  }

  /// The process with its outputs (`faces`: the headless log, if any; then the metrics), or exit 1 with the reason.
  private func open(logger: Logger, faces: [any MonitorOutput]) throws -> MonitorProcess {
    for warning in warnings { logger.warning("\(warning)") }
    StopSignals.starting("building the metrics")
    let exporter = config.metrics.listen.map { _ in MetricsExporter(config: config, startUnixSeconds: Date().timeIntervalSince1970) }
    var options = self.options
    options.metricsConnections = exporter == nil ? 0 : MetricsServer.Limits().maximumConnections
    let progress = Mutex(ReadingProgress(what: "reading journal \(config.journalPath)"))
    let process: MonitorProcess
    do {
      process = try MonitorProcess(
        config: config, options: options, logger: logger, healthObserver: exporter,
        outputs: { descriptors in
          guard let exporter, let (host, port) = config.metrics.listen else { return faces }
          var limits = MetricsServer.Limits()
          limits.maximumConnections = descriptors.metricsConnections
          return faces + [MetricsOutput(exporter: exporter, host: host, port: port, limits: limits, logger: logger)]
        },
        phase: { StopSignals.starting($0) },
        journalProgress: { read, size in progress.withLock { $0.update(read: read, of: size) } })
    } catch {
      progress.withLock { $0.finish() }
      printError("bridgewatch: \(error)")
      throw ExitCode(1)
    }
    progress.withLock { $0.finish() }
    exporter?.countConsoles { [weak process] in process?.consoleCount ?? 0 }
    return process
  }

  private func start(_ process: MonitorProcess) async throws {
    StopSignals.started()
    do {
      try await process.start(onStarted: onStart, onStopping: onStop)
    } catch {
      printError("bridgewatch: \(error)")
      throw ExitCode(1)
    }
  }

  func runDashboard(_ dashboardOptions: DashboardOptions) async throws {
    LoggingSystem.bootstrap { _ in HeldLogHandler() }
    let process = try open(logger: Logger(label: "bridgewatch"), faces: [])
    try await start(process)
    let link = InProcessLink(monitor: process.monitor, facts: process.consoleFacts)
    let initial = try await process.monitor.snapshot()
    let inbox = DashboardInbox()
    StopSignals.onStop { _ in inbox.requestStop() }
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
      let thread = Thread {
        // Made on its own thread, which owns it from here on.
        let app = DashboardRuntime(
          link: link, initial: initial, options: dashboardOptions,
          operatorIdentity: OperatorIdentity(name: dashboardOptions.operatorName), notice: { HeldLogLines.shared.append($0) },
          inbox: inbox)
        app.run()
        HeldLogLines.shared.flush()
        done.resume()
      }
      thread.name = "dashboard"
      thread.start()
    }
    onStop()
    link.detach()
    await process.stop()
  }

  /// Logs status changes to standard error; with `summaryEvery`, also a line of totals that often.
  func runHeadless(summaryEvery: Int64? = nil) async throws {
    LoggingSystem.bootstrap { SanitizingLogHandler(StreamLogHandler.standardError(label: $0)) }
    let logger = Logger(label: "bridgewatch")
    let process = try open(logger: logger, faces: [HeadlessLog(config: config, logger: logger, summaryEvery: summaryEvery)])
    try await start(process)
    let signal = await StopSignals.wait()
    logger.info("received \(signal), stopping")
    onStop()
    await process.stop()
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
    let environment = ProcessInfo.processInfo.environment
    let options = DashboardOptions(
      themeName: theme ?? defaultTheme,
      operatorName: operatorName ?? environment["USER"] ?? environment["LOGNAME"] ?? ConsoleSocket.userName(getuid()),
      monochrome: noColor || !(environment["NO_COLOR"] ?? "").isEmpty,
      bell: !noBell,
      themeDirectories: DashboardOptions.themeDirectories(configPath: configPath),
      banner: banner,
      language: language.language)
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
    help: "Serve Prometheus metrics at http://HOST:PORT/metrics (for example 127.0.0.1:9740; port 0 picks one).")
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

extension DashboardOptions {
  /// Where `--theme NAME` looks: next to the config, the working directory, and an installed share folder.
  static func themeDirectories(configPath: String) -> [String] {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    return [
      PathText.join(PathText.directory(of: configPath), "themes"),
      FileManager.default.currentDirectoryPath + "/themes",
      executable.appendingPathComponent("../share/bridgewatch/themes").standardized.path,
    ]
  }
}

/// Drops control characters from log messages and metadata: names from the config and text from the network end
/// up in log lines, and a log is often read on a terminal (`journalctl`, `tail -f`).
struct SanitizingLogHandler<Wrapped: LogHandler>: LogHandler {
  var wrapped: Wrapped
  init(_ wrapped: Wrapped) { self.wrapped = wrapped }

  var metadata: Logger.Metadata {
    get { wrapped.metadata }
    set { wrapped.metadata = newValue }
  }
  var logLevel: Logger.Level {
    get { wrapped.logLevel }
    set { wrapped.logLevel = newValue }
  }
  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { wrapped[metadataKey: key] }
    set { wrapped[metadataKey: key] = newValue }
  }

  func log(event: LogEvent) {
    var event = event
    event.message = "\(TextSanitizer.printable(event.message.description))"
    wrapped.log(event: event)
  }
}

/// Whether this terminal can show the dashboard.
enum DashboardTerminal {
  /// Why the dashboard cannot draw here, or nil when it can.
  static func problem(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
    guard isatty(STDOUT_FILENO) != 0, isatty(STDIN_FILENO) != 0 else { return "standard output is not a terminal" }
    let term = environment["TERM"] ?? ""
    // A dumb terminal cannot move the cursor: curses would draw a blank screen and say nothing.
    if term.isEmpty || term == "dumb" {
      return "this terminal (TERM=\(term.isEmpty ? "unset" : term)) cannot draw the dashboard; set TERM (for example xterm-256color)"
    }
    return nil
  }
}
