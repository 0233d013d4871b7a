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
    runner.skipBadJournalLines = skipBadJournalLines
    runner.follow = follow
    runner.primarySilentAfter = DurationText.parse(primarySilentAfter)!
    runner.peer = peer
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

/// The monitor with one of its faces (dashboard or log), shared by `run` and `demo`.
struct MonitorRunner {
  var config: ConferenceConfig
  var warnings: [ConfigProblem]
  var listen: (host: String, port: Int)?
  /// Called once the socket is bound, with the bound address (the demo starts its simulator here).
  var onStart: @Sendable (SocketAddress) -> Void = { _ in }
  /// Called when the monitor is about to stop.
  var onStop: @Sendable () -> Void = {}
  var skipBadJournalLines = false
  /// A standby's source (`--follow`), how long its primary may be silent, and a primary's peer (`--peer`).
  var follow: String?
  var primarySilentAfter: Duration = .seconds(10)
  var peer: String?

  /// Opens and replays the journal, or explains why the monitor cannot start.
  private func openJournal() throws -> (JournalFile, [RestoredSite], [String]) {
    StopSignals.starting("reading the journal")
    let progress = Mutex(ReadingProgress(what: "reading journal \(config.journalPath)"))
    let opened: JournalFile.Opened
    let replay: RestoredSite.Replay
    do {
      (opened, replay) = try JournalFile.open(
        path: config.journalPath, skipBadLines: skipBadJournalLines, fold: RestoredSite.Replay(sites: config.sites),
        progress: { read, size in progress.withLock { $0.update(read: read, of: size) } })
    } catch {
      progress.withLock { $0.finish() }
      printError("bridgewatch: \(error)")
      throw ExitCode(1)
    }
    progress.withLock { $0.finish() }
    let restored = replay.sites
    var notes = opened.warnings.map { "warning: \($0)" }
    for orphan in replay.orphanMarks {
      notes.append(
        "warning: the journal has \(orphan.site) marked offline by \(orphan.mark.operatorName) (\(orphan.mark.reason)), but "
          + "\(orphan.site) is no longer in the config; that mark is not restored")
    }
    if opened.scan.recordCount > 0 {
      let marks = restored.filter { $0.mark != nil }.count
      let acks = restored.filter { $0.acknowledgedBy != nil }.count
      let counts = restored.filter { $0.manualHeadcount != nil }.count
      let heard = restored.filter(\.wasHeard).count
      notes.append(
        "journal \(config.journalPath): replayed \(NumberText.grouped(opened.scan.recordCount)) records in "
          + "\(progress.withLock { $0.elapsedText }); restored \(marks) marks, \(acks) acknowledgements, \(counts) headcounts set by hand; "
          + "sites start unknown until heard, and the \(NumberText.grouped(heard)) heard before the restart go offline "
          + "if not heard within offline_after")
    }
    return (opened.file, restored, notes)
  }

  private func makeMonitor(logger: Logger) throws -> (Monitor, MetricsExporter?) {
    let (journal, restored, notes) = try openJournal()
    for note in notes { logger.notice("\(note)") }
    StopSignals.starting("building the metrics")
    let exporter = config.metrics.listen.map { _ in MetricsExporter(config: config, startUnixSeconds: Date().timeIntervalSince1970) }
    StopSignals.starting("setting up the monitor")
    let monitor = Monitor(config: config, logger: logger, journal: journal, restored: restored, healthObserver: exporter)
    if let follow { monitor.becomeStandby(following: follow, silentAfter: primarySilentAfter) }
    if let exporter { _ = monitor.subscribe { exporter.observe($0) } }
    return (monitor, exporter)
  }

  /// Fits what this config may hold open into the process's descriptor limit: raises the soft limit toward the
  /// hard one if need be, lowers the caps if it is still short and says which; a limit too low for any start
  /// stops it.
  private func fitDescriptors(logger: Logger) throws -> DescriptorBudget {
    let consoleLimits = ConsoleServer.Limits()
    let wanted = DescriptorBudget(
      consoles: config.console.maximumConsoles, standbys: consoleLimits.maximumStandbys, pending: consoleLimits.maximumPending,
      metricsConnections: config.metrics.listen == nil ? 0 : MetricsServer.Limits().maximumConnections,
      tcpProbes: config.sites.filter { $0.probe?.kind == .tcp }.count, reserve: consoleLimits.descriptorReserve)
    let fitted: DescriptorBudget.Fitted
    do {
      fitted = try wanted.fitToProcess()
    } catch {
      printError("bridgewatch: \(error)")
      throw ExitCode(1)
    }
    if let from = fitted.raisedFrom {
      logger.info("open files: soft limit raised from \(from) to \(fitted.limit) (this config may use \(wanted.total))")
    }
    if !fitted.lowered.isEmpty {
      let said =
        "open files: this process may open \(fitted.limit) descriptors (ulimit -n) and this config could use \(wanted.total) "
        + "(\(wanted.parts)); lowered \(fitted.lowered.joined(separator: ", ")); raise the limit (LimitNOFILE= in a systemd unit) to keep them"
      logger.warning("\(said)")
    }
    return fitted.budget
  }

  /// Serves `/metrics` when asked to; a port that cannot be had stops the start (the config says it is wanted).
  private func startMetrics(
    _ exporter: MetricsExporter?, monitor: Monitor, logger: Logger, descriptors: DescriptorBudget
  ) async throws -> MetricsServer? {
    guard let exporter, let (host, port) = config.metrics.listen else { return nil }
    var limits = MetricsServer.Limits()
    limits.maximumConnections = descriptors.metricsConnections
    let server = MetricsServer(exporter: exporter, logger: logger, limits: limits)
    do {
      let address = try await server.start(host: host, port: port)
      logger.info("metrics at http://\(Self.describe(address))/metrics")
      return server
    } catch {
      printError("bridgewatch: cannot serve metrics on \(HostPortText.format(host: host, port: port)): \(error)")
      await server.stop()
      await monitor.stop()
      throw ExitCode(1)
    }
  }

  func runDashboard(_ options: DashboardOptions) async throws {
    LoggingSystem.bootstrap { _ in HeldLogHandler() }
    let logger = Logger(label: "bridgewatch")
    for warning in warnings { logger.warning("\(warning)") }
    let descriptors = try fitDescriptors(logger: logger)
    let (monitor, exporter) = try makeMonitor(logger: logger)
    let address = try await start(monitor)
    let metrics = try await startMetrics(exporter, monitor: monitor, logger: logger, descriptors: descriptors)
    let consoles = try await startConsoleServer(
      monitor, listenAddress: Self.describe(address), logger: logger, descriptors: descriptors, metrics: metrics)
    exporter?.countConsoles { consoles.consoles.consoles.count }
    let pair = startPair(monitor, listenAddress: Self.describe(address), logger: logger)
    let link = InProcessLink(monitor: monitor, facts: ConsoleFacts(config: config, listenAddress: Self.describe(address)))
    let initial = try await monitor.snapshot()
    let inbox = DashboardInbox()
    StopSignals.onStop { _ in inbox.requestStop() }
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
      let thread = Thread {
        // Made on its own thread, which owns it from here on.
        let app = DashboardRuntime(
          link: link, initial: initial, options: options, operatorIdentity: OperatorIdentity(name: options.operatorName),
          notice: { HeldLogLines.shared.append($0) }, inbox: inbox)
        app.run()
        HeldLogLines.shared.flush()
        done.resume()
      }
      thread.name = "dashboard"
      thread.start()
    }
    onStop()
    link.detach()
    stopPair(pair)
    await consoles.stop()
    await metrics?.stop()
    await monitor.stop()
  }

  /// A standby's follower and a primary's watch on its peer, as asked.
  private func startPair(_ monitor: Monitor, listenAddress: String, logger: Logger) -> (Follower?, PeerWatch?) {
    var follower: Follower?
    if let follow {
      logger.notice(
        "STANDBY: following \(follow); operator actions are taken on the primary; PRIMARY SILENT after \(DurationText.format(primarySilentAfter)) without a word"
      )
      follower = Follower(
        source: follow, monitor: monitor, facts: ConsoleFacts(config: config, listenAddress: listenAddress), logger: logger,
        stallAfter: primarySilentAfter)
      follower?.start()
    }
    let watch = peer.map { PeerWatch(source: $0, monitor: monitor) }
    watch?.start()
    return (follower, watch)
  }

  private func stopPair(_ pair: (Follower?, PeerWatch?)) {
    pair.0?.stop()
    pair.1?.stop()
  }

  /// Listens for consoles. A monitor that cannot own its socket does not start: consoles would find nothing, or
  /// whatever squats the path.
  private func startConsoleServer(
    _ monitor: Monitor, listenAddress: String, logger: Logger, descriptors: DescriptorBudget, metrics: MetricsServer?
  ) async throws -> ConsoleServer {
    do {
      var limits = ConsoleServer.Limits()
      limits.maximumConsoles = descriptors.consoles
      limits.maximumStandbys = descriptors.standbys
      limits.maximumPending = descriptors.pending
      limits.descriptorReserve = descriptors.reserve
      limits.readOnlyUsers = Set(config.console.readOnlyUsers)
      let server = try ConsoleServer(
        path: config.consoleSocketPath, monitor: monitor, facts: ConsoleFacts(config: config, listenAddress: listenAddress), logger: logger,
        limits: limits)
      server.start()
      // The demo's config is made in memory: there, only the socket names the monitor.
      let how =
        FileManager.default.fileExists(atPath: config.path)
        ? "bridgewatch console \(config.path)  (socket \(config.consoleSocketPath))"
        : "bridgewatch console --socket \(config.consoleSocketPath)"
      logger.info("consoles attach with: \(how)")
      return server
    } catch {
      printError("bridgewatch: consoles cannot attach: \(error); the monitor does not start without its console socket")
      onStop()
      await metrics?.stop()
      await monitor.stop()
      throw ExitCode(1)
    }
  }

  /// Logs status changes to standard error; with `summaryEvery`, also a line of totals that often.
  func runHeadless(summaryEvery: Int64? = nil) async throws {
    LoggingSystem.bootstrap { SanitizingLogHandler(StreamLogHandler.standardError(label: $0)) }
    let logger = Logger(label: "bridgewatch")
    for warning in warnings { logger.warning("\(warning)") }
    let sites = config.sites
    let descriptors = try fitDescriptors(logger: logger)
    let (monitor, exporter) = try makeMonitor(logger: logger)
    let lastSummary = Mutex<Int64>(0)
    _ = monitor.subscribe { update in
      for event in update.events { logger.info("\(EventText.describe(event, sites: sites))") }
      guard let summaryEvery else { return }
      let now = update.snapshot.takenAt.monotonicNanos
      let due = lastSummary.withLock { last in
        guard now - last >= summaryEvery * 1_000_000_000 else { return false }
        last = now
        return true
      }
      if due { logger.info("\(update.snapshot.totalsLine)") }
    }
    let address = try await start(monitor)
    logger.info(
      "listening on udp \(Self.describe(address)); \(sites.count) sites; heartbeat files in \(config.heartbeatDirectory)")
    let metrics = try await startMetrics(exporter, monitor: monitor, logger: logger, descriptors: descriptors)
    let consoles = try await startConsoleServer(
      monitor, listenAddress: Self.describe(address), logger: logger, descriptors: descriptors, metrics: metrics)
    exporter?.countConsoles { consoles.consoles.consoles.count }
    let pair = startPair(monitor, listenAddress: Self.describe(address), logger: logger)
    let signal = await StopSignals.wait()
    logger.info("received \(signal), stopping")
    onStop()
    stopPair(pair)
    await consoles.stop()
    await metrics?.stop()
    await monitor.stop()
  }

  private func start(_ monitor: Monitor) async throws -> SocketAddress {
    StopSignals.started()
    do {
      let address = try await monitor.start(listen: listen)
      onStart(address)
      return address
    } catch let error as ProbeSetupError {
      printError("bridgewatch: \(error)")
      await monitor.stop()
      throw ExitCode(1)
    } catch {
      printError(
        "bridgewatch: cannot listen on \(HostPortText.format(host: listen?.host ?? config.udp.host, port: listen?.port ?? config.udp.port)): \(error)"
      )
      await monitor.stop()
      throw ExitCode(1)
    }
  }

  static func describe(_ address: SocketAddress) -> String {
    HostPortText.format(host: address.ipAddress ?? "?", port: address.port ?? 0)
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

final class ResumeOnce: @unchecked Sendable {
  private let lock = NSLock()
  private var continuation: CheckedContinuation<String, Never>?
  init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = continuation }
  func resume(_ value: String) {
    lock.lock()
    let pending = continuation
    continuation = nil
    lock.unlock()
    pending?.resume(returning: value)
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
