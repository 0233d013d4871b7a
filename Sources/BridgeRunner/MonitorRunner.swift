import BridgeCore
import BridgeMetrics
import BridgeMonitor
import BridgePlatform
import BridgeTUI
import Foundation
import Logging
import NIOCore
import Synchronization

/// Why a runner or a console session could not go on: what to print, and the process's exit code.
public struct RunFailure: Error, CustomStringConvertible {
  public var description: String
  public var exitCode: Int32

  public init(_ description: String, exitCode: Int32 = 1) {
    self.description = description
    self.exitCode = exitCode
  }
}

extension MonitorRunner {
  /// The monitor already running on the config's console socket (its welcome), or nil when none listens there. A
  /// listener that is no monitor, or one this user may not reach, is a failure: the socket cannot be ours.
  public static func runningMonitor(socketPath: String) throws(RunFailure) -> ConsoleWelcome? {
    do {
      return try ConsoleClient.probe(path: socketPath, timeout: 3)
    } catch let failure as ConsoleSocket.Failure where failure.isNoMonitor {
      return nil
    } catch {
      throw RunFailure("bridgewatch: the console socket cannot be used: \(error); the monitor does not start without it")
    }
  }
}

/// The monitor with one of its faces (dashboard or log), shared by `run` and `demo`: `MonitorProcess` does the
/// rest.
public struct MonitorRunner {
  public var config: ConferenceConfig
  public var warnings: [ConfigProblem]
  public var options = MonitorProcess.Options()
  /// Called once the sockets are bound, with where they listen (the demo starts its simulator here).
  public var onStart: @Sendable (MonitorProcess.Started) -> Void = { _ in }
  /// Called when the monitor is about to stop.
  public var onStop: @Sendable () -> Void = {}

  public init(config: ConferenceConfig, warnings: [ConfigProblem], listen: (host: String, port: Int)?) {
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
    options.metricsConnections = exporter == nil ? 0 : MonitorHTTPServer.Limits().maximumConnections
    // The check-in page is served by the same HTTP server as /metrics, on metrics.listen (README "Sites without an
    // agent").
    if config.checkin.enabled {
      guard config.metrics.listen != nil else {
        throw RunFailure(
          "bridgewatch: checkin.enabled needs metrics.listen (or --metrics-listen): the check-in page is served by the monitor's one HTTP server, beside /metrics"
        )
      }
      let checkin = CheckinInput(config: config, logger: logger)
      if checkin.sitesWithToken == 0 {
        logger.warning("checkin.enabled, but no site has a check-in token in the keys file: run 'bridgewatch keys CONFIG' first")
      }
      options.checkin = checkin
    }
    let progress = Mutex(ReadingProgress(what: "reading journal \(config.journalPath)"))
    let process: MonitorProcess
    do {
      process = try MonitorProcess(
        config: config, options: options, logger: logger, healthObserver: exporter,
        outputs: { descriptors in
          guard let exporter, let (host, port) = config.metrics.listen else { return faces }
          var limits = MonitorHTTPServer.Limits()
          limits.maximumConnections = descriptors.metricsConnections
          return faces + [
            MetricsOutput(exporter: exporter, checkin: options.checkin, host: host, port: port, limits: limits, logger: logger)
          ]
        },
        phase: { StopSignals.starting($0) },
        journalProgress: { read, size in progress.withLock { $0.update(read: read, of: size) } })
    } catch {
      progress.withLock { $0.finish() }
      throw RunFailure("bridgewatch: \(error)")
    }
    progress.withLock { $0.finish() }
    exporter?.countConsoles { [weak process] in process?.consoleCount ?? 0 }
    return process
  }

  private func start(_ process: MonitorProcess) async throws {
    StopSignals.started()
    do {
      try await process.start(onStarted: onStart)
    } catch {
      throw RunFailure("bridgewatch: \(error)")
    }
  }

  public func runDashboard(_ dashboardOptions: DashboardOptions) async throws {
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
  public func runHeadless(summaryEvery: Int64? = nil) async throws {
    LoggingSystem.bootstrap { SanitizingLogHandler(StreamLogHandler.standardError(label: $0)) }
    let logger = Logger(label: "bridgewatch")
    let log = HeadlessLog(config: config, logger: logger, summaryEvery: summaryEvery)
    let process = try open(logger: logger, faces: [log])
    try await start(process)
    log.announceListening()
    let signal = await StopSignals.wait()
    logger.info("received \(signal), stopping")
    onStop()
    await process.stop()
  }
}
