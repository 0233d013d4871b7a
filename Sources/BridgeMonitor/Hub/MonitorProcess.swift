import BridgeCore
import Foundation
import Logging
import NIOCore
import Synchronization

/// One run of the monitor, shared by `run`, `run --headless` and `demo`: descriptors fitted to the process, the
/// journal replayed, the hub built with its inputs and outputs (the console server among them), then the standby
/// pair; started in that order and stopped in the reverse one. The faces (dashboard, headless log) are the caller's.
public final class MonitorProcess: Sendable {
  public struct Options: Sendable {
    /// The UDP socket instead of the config's `udp.listen`.
    public var listen: (host: String, port: Int)?
    public var skipBadJournalLines = false
    /// A standby's source (`--follow`), how long its primary may be silent, and a primary's peer (`--peer`).
    public var follow: String?
    public var primarySilentAfter: Duration = .seconds(10)
    public var peer: String?
    /// How many connections the metrics endpoint may hold (0: none is served), for the descriptor budget.
    public var metricsConnections = 0
    /// The check-in page's input, when the HTTP server serves it (`checkin.enabled`).
    public var checkin: CheckinInput?
    /// The language of the bridges' problems (`--lang`; nil: the locale's).
    public var language: Language?

    public init() {}
  }

  /// Why the monitor does not start, said after "bridgewatch: ".
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  private struct Running {
    var follower: Follower?
    var peerWatch: PeerWatch?
  }

  public let config: ConferenceConfig
  public let monitor: Monitor
  public let descriptors: DescriptorBudget
  private let options: Options
  private let logger: Logger
  private let running = Mutex<Running?>(nil)
  private let facts = Mutex<ConsoleFacts?>(nil)

  /// Fits the descriptors, replays the journal and builds the hub; `outputs` (given the fitted descriptors) come
  /// after the config's own. `phase` is told what starts (for the stop signals), `journalProgress` how far the
  /// journal's read has got.
  public init(
    config: ConferenceConfig, options: Options, logger: Logger, healthObserver: (any MonitorHealthObserver)? = nil,
    outputs: (DescriptorBudget) -> [any MonitorOutput] = { _ in [] }, phase: (String) -> Void = { _ in },
    journalProgress: @escaping @Sendable (_ read: Int, _ size: Int) -> Void = { _, _ in }
  ) throws(Failure) {
    self.config = config
    self.options = options
    self.logger = logger
    descriptors = try Self.fitDescriptors(config: config, metricsConnections: options.metricsConnections, logger: logger)
    phase("reading the journal")
    let journal: JournalReplay
    // One index of the sites for the run: the replay's, the engine's and the console server's.
    let siteIndex = SiteIndex(sites: config.sites)
    do {
      journal = try JournalReplay.open(
        path: config.journalPath, sites: config.sites, siteIndex: siteIndex, skipBadLines: options.skipBadJournalLines,
        progress: journalProgress)
    } catch {
      throw Failure(description: "\(error)")
    }
    for note in journal.notes { logger.notice("\(note)") }
    phase("setting up the monitor")
    let restored = journal.restored
    monitor = Monitor(
      config: config, logger: logger, journal: journal.file, restored: restored, healthObserver: healthObserver,
      inputs: MonitorWiring.inputs(config: config, checkin: options.checkin, language: options.language),
      outputs: outputs(descriptors), consoles: Self.consoleLimits(descriptors, config: config), language: options.language,
      siteIndex: siteIndex)
    if let follow = options.follow { monitor.becomeStandby(following: follow, silentAfter: options.primarySilentAfter) }
  }

  /// What consoles and the dashboard are told about this monitor, once it runs.
  public var consoleFacts: ConsoleFacts { facts.withLock { $0 } ?? ConsoleFacts(config: config, listenAddress: "") }

  /// The consoles attached now (for the metrics).
  public var consoleCount: Int { monitor.consoleServer?.consoles.consoles.count ?? 0 }

  /// Where a started monitor listens: what whoever started it (the demo's simulator) sends to.
  public struct Started: Sendable {
    /// The UDP heartbeat socket's bound address.
    public var address: SocketAddress
    /// Each bridge's event receiver's bound port, by the bridge's index in the config.
    public var bridgeEventPorts: [Int: Int]
  }

  /// Starts the hub (its inputs, tick and outputs, the console server among them), calls `onStarted` with where it
  /// listens, then starts the pair. A hub that fails to start is stopped again.
  @discardableResult
  public func start(onStarted: @Sendable (Started) -> Void = { _ in }) async throws(Failure) -> SocketAddress {
    let address: SocketAddress
    do {
      address = try await monitor.start(listen: options.listen)
    } catch {
      await monitor.stop()
      guard error is DatagramListener.ListenError else { throw Failure(description: "\(error)") }
      let host = options.listen?.host ?? config.udp.host
      let port = options.listen?.port ?? config.udp.port
      throw Failure(description: "cannot listen on \(HostPortText.format(host: host, port: port)): \(error)")
    }
    // The hub's own, built for its outputs from the same config and address.
    let facts = monitor.consoleFacts ?? ConsoleFacts(config: config, listenAddress: Self.describe(address))
    self.facts.withLock { $0 = facts }
    onStarted(Started(address: address, bridgeEventPorts: monitor.bridgeEventPorts))
    var follower: Follower?
    if let follow = options.follow {
      logger.notice(
        "STANDBY: following \(follow); operator actions are taken on the primary; PRIMARY SILENT after \(DurationText.format(options.primarySilentAfter)) without a word"
      )
      follower = Follower(source: follow, monitor: monitor, facts: facts, logger: logger, stallAfter: options.primarySilentAfter)
      follower?.start()
    }
    let peerWatch = options.peer.map { PeerWatch(source: $0, monitor: monitor) }
    peerWatch?.start()
    running.withLock { $0 = Running(follower: follower, peerWatch: peerWatch) }
    return address
  }

  /// Stops the pair and the hub (which stops its inputs, ticks a last time and stops its outputs, the consoles
  /// among them).
  public func stop() async {
    let running = running.withLock { running in
      defer { running = nil }
      return running
    }
    running?.follower?.stop()
    running?.peerWatch?.stop()
    await monitor.stop()
  }

  /// The console server's limits from the fitted descriptors and the config's read-only users.
  private static func consoleLimits(_ descriptors: DescriptorBudget, config: ConferenceConfig) -> ConsoleServer.Limits {
    var limits = ConsoleServer.Limits()
    limits.maximumConsoles = descriptors.consoles
    limits.maximumStandbys = descriptors.standbys
    limits.maximumPending = descriptors.pending
    limits.descriptorReserve = descriptors.reserve
    limits.readOnlyUsers = Set(config.console.readOnlyUsers)
    return limits
  }

  /// Fits what this config may hold open into the process's descriptor limit: raises the soft limit toward the
  /// hard one if need be, lowers the caps if it is still short and says which; a limit too low for any start
  /// stops it.
  private static func fitDescriptors(config: ConferenceConfig, metricsConnections: Int, logger: Logger) throws(Failure) -> DescriptorBudget
  {
    let consoleLimits = ConsoleServer.Limits()
    let wanted = DescriptorBudget(
      consoles: config.console.maximumConsoles, standbys: consoleLimits.maximumStandbys, pending: consoleLimits.maximumPending,
      metricsConnections: metricsConnections, tcpProbes: config.sites.filter { $0.probe?.kind == .tcp }.count,
      reserve: consoleLimits.descriptorReserve)
    let fitted: DescriptorBudget.Fitted
    do {
      fitted = try wanted.fitToProcess()
    } catch {
      throw Failure(description: "\(error)")
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

  public static func describe(_ address: SocketAddress) -> String {
    HostPortText.format(host: address.ipAddress ?? "?", port: address.port ?? 0)
  }
}
