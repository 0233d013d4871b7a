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
      if isatty(STDOUT_FILENO) == 0 {
        printError("bridgewatch: standard output is not a terminal; use --headless to run without the dashboard")
      } else {
        printError("bridgewatch: the dashboard is not part of this build yet; use --headless")
      }
      throw ExitCode(2)
    }
    try await runHeadless(loaded, listen: listenOverride)
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
