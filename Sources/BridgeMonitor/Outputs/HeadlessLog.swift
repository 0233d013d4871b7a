import BridgeCore
import Logging
import Synchronization

/// The face of `run --headless` and `demo --headless`: where the monitor listens, then every status change as a
/// log line; with `summaryEvery`, also a line of totals that often.
public final class HeadlessLog: MonitorOutput {
  private let logger: Logger
  private let sites: [SiteConfig]
  private let heartbeatDirectory: String
  private let summaryEveryNanos: Int64?
  private let lastSummary = Mutex<Int64>(0)
  private let listenAddress = Mutex<String?>(nil)

  public init(config: ConferenceConfig, logger: Logger, summaryEvery seconds: Int64? = nil) {
    self.logger = logger
    sites = config.sites
    heartbeatDirectory = config.heartbeatDirectory
    summaryEveryNanos = seconds.map { $0 * 1_000_000_000 }
  }

  public func start(facts: ConsoleFacts) async throws { listenAddress.withLock { $0 = facts.listenAddress } }

  /// Says where the monitor listens, once all of it has started: scripts and tests take this line to mean that
  /// heartbeats are heard and consoles can attach (the console server is one of the outputs).
  public func announceListening() {
    guard let address = listenAddress.withLock({ $0 }) else { return }
    logger.info("listening on udp \(address); \(sites.count) sites; heartbeat files in \(heartbeatDirectory)")
  }

  public func receive(_ update: MonitorUpdate) {
    for event in update.events { logger.info("\(EventText.describe(event, sites: sites))") }
    guard let summaryEveryNanos else { return }
    let now = update.snapshot.takenAt.monotonicNanos
    let due = lastSummary.withLock { last in
      guard now - last >= summaryEveryNanos else { return false }
      last = now
      return true
    }
    if due { logger.info("\(update.snapshot.totalsLine)") }
  }

  public func stop() async {}
}
