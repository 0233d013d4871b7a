import ArgumentParser
import BridgeCore
import BridgeIngest
import Foundation
import Logging

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

  @Option(help: "Colour theme: a name (default, light, high-contrast, mono) or a path to a theme file.")
  var theme: String?

  @Option(name: .customLong("operator"), help: "Operator name recorded with marks and actions (default: $USER).")
  var operatorName: String?

  @Flag(name: .customLong("no-color"), help: "No colours (attributes only); also when NO_COLOR is set.")
  var noColor = false

  @Flag(name: .customLong("no-bell"), help: "No terminal bell when a site goes offline.")
  var noBell = false

  func run() async throws {
    let loaded: LoadedConfig
    do {
      loaded = try ConfigLoader.load(path: config)
    } catch {
      reportConfigErrors(error)
      throw ExitCode(1)
    }
    var listenOverride: (host: String, port: Int)?
    if let listen {
      guard let parsed = HostPort.parse(listen) else {
        printError("bridgewatch: --listen must be HOST:PORT, got '\(listen)'")
        throw ExitCode(2)
      }
      listenOverride = parsed
    }
    guard headless else {
      guard isatty(STDOUT_FILENO) != 0, isatty(STDIN_FILENO) != 0 else {
        printError("bridgewatch: standard output is not a terminal; use --headless to run without the dashboard")
        throw ExitCode(2)
      }
      try await runDashboard(loaded, listen: listenOverride)
      return
    }
    try await runHeadless(loaded, listen: listenOverride)
  }

  private func runDashboard(_ loaded: LoadedConfig, listen: (host: String, port: Int)?) async throws {
    LoggingSystem.bootstrap { _ in HeldLogHandler() }
    let logger = Logger(label: "bridgewatch")
    for warning in loaded.warnings { logger.warning("\(warning)") }
    let environment = ProcessInfo.processInfo.environment
    let options = DashboardOptions(
      themeName: theme ?? loaded.config.theme,
      operatorName: operatorName ?? environment["USER"] ?? environment["LOGNAME"] ?? "operator",
      monochrome: noColor || !(environment["NO_COLOR"] ?? "").isEmpty,
      bell: !noBell,
      themeDirectories: Self.themeDirectories(configPath: loaded.config.path),
      banner: nil)
    let monitor = Monitor(config: loaded.config, logger: logger)
    let mailbox = UpdateMailbox()
    monitor.onUpdate { mailbox.post($0) }
    let bound: String
    do {
      let address = try await monitor.start(listen: listen)
      bound = "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
    } catch {
      printError("bridgewatch: cannot listen: \(error)")
      await monitor.stop()
      throw ExitCode(1)
    }
    let app = DashboardApp(
      monitor: monitor, initial: try await monitor.snapshot(), mailbox: mailbox, options: options, listenAddress: bound)
    ShutdownSignal.onSignal([SIGTERM, SIGHUP, SIGINT]) { _ in app.requestStop() }
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
      let thread = Thread {
        app.run()
        done.resume()
      }
      thread.name = "dashboard"
      thread.start()
    }
    await monitor.stop()
  }

  /// Where `--theme NAME` looks: next to the config, the working directory, and an installed share folder.
  static func themeDirectories(configPath: String) -> [String] {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    return [
      FilePath.join(FilePath.directory(of: configPath), "themes"),
      FileManager.default.currentDirectoryPath + "/themes",
      executable.appendingPathComponent("../share/bridgewatch/themes").standardized.path,
    ]
  }

  private func runHeadless(_ loaded: LoadedConfig, listen: (host: String, port: Int)?) async throws {
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    let logger = Logger(label: "bridgewatch")
    for warning in loaded.warnings { logger.warning("\(warning)") }
    let sites = loaded.config.sites
    let monitor = Monitor(config: loaded.config, logger: logger)
    monitor.onUpdate { update in
      for event in update.events { logger.info("\(EventText.describe(event, sites: sites))") }
    }
    let address: String
    do {
      let bound = try await monitor.start(listen: listen)
      address = "\(bound.ipAddress ?? "?"):\(bound.port ?? 0)"
    } catch {
      printError(
        "bridgewatch: cannot listen on \(listen.map { HostPortText.format(host: $0.host, port: $0.port) } ?? "the configured address"): \(error)"
      )
      await monitor.stop()
      throw ExitCode(1)
    }
    logger.info("listening on udp \(address); \(sites.count) sites; heartbeat files in \(loaded.config.heartbeatDirectory)")
    let signal = await ShutdownSignal.wait()
    logger.info("received \(signal), stopping")
    await monitor.stop()
  }
}

/// Waits for SIGINT or SIGTERM.
enum ShutdownSignal {
  /// Calls `handler` on each of `signals` (which are otherwise ignored).
  static func onSignal(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
    let queue = DispatchQueue(label: "bridgewatch.signals")
    var sources: [DispatchSourceSignal] = []
    for number in signals {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
      source.setEventHandler { handler(number) }
      source.resume()
      sources.append(source)
    }
    SignalSources.keepAlive(sources)
  }

  static func wait() async -> String {
    await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
      let queue = DispatchQueue(label: "bridgewatch.signals")
      let resumed = ResumeOnce(continuation)
      var sources: [DispatchSourceSignal] = []
      for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
        source.setEventHandler { resumed.resume(name) }
        source.resume()
        sources.append(source)
      }
      SignalSources.keepAlive(sources)
    }
  }
}

/// Keeps the dispatch sources alive for the life of the process.
enum SignalSources {
  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
  static func keepAlive(_ new: [DispatchSourceSignal]) { sources += new }
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
