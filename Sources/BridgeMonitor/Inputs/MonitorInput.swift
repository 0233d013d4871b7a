import BridgeCore
import Logging
import NIOCore
import Synchronization

/// A source of heartbeat evidence: the UDP listener, the heartbeat files, the prober. Each owns its socket or
/// timer, its counters and its throttled rejection log, and hands what it heard to the hub's `MonitorIntake`, one
/// batch at a time. The hub starts its inputs in list order (`MonitorWiring`) and stops them before its last tick.
public protocol MonitorInput: AnyObject, Sendable {
  /// Opens what the input listens on and starts handing batches to `intake`. A throw stops the monitor's start.
  func start(deliver intake: MonitorIntake) async throws
  /// No batch is handed over once this returns.
  func stop() async
}

/// The hub's door for its inputs: the monitor's state behind one lock, taken once per batch (a batch of datagrams
/// and an idle tick never wait on each other for long), with the clock, roster and log the inputs share.
public final class MonitorIntake: Sendable {
  public let config: ConferenceConfig
  let clock: any MonitorClock
  let logger: Logger
  /// The hub's loop, for an input that works on a timer.
  let loop: any EventLoop
  private let state: Mutex<MonitorState>
  /// The hub's place in a primary/standby pair: check-ins are logged there for the standbys.
  private let pair: MonitorPair?

  init(
    config: ConferenceConfig, clock: any MonitorClock, logger: Logger, loop: any EventLoop, state: sending MonitorState,
    pair: MonitorPair? = nil
  ) {
    self.config = config
    self.clock = clock
    self.logger = logger
    self.loop = loop
    self.state = Mutex(state)
    self.pair = pair
  }

  /// A check-in page's submission for site `index` (`StatusEngine.checkin`), applied and logged for the standbys
  /// under the one lock, so a standby's resync and the log agree.
  func checkin(count: Int?, state reported: ReportedState?, typedBy: String, site index: Int, now: ClockReading) {
    guard index < config.sites.count else { return }
    state.withLock { state in
      state.withEngine { $0.checkin(count: count, state: reported, typedBy: typedBy, site: index, now: now) }
      pair?.record(
        FollowedCheckin(site: config.sites[index].id, count: count, state: reported), by: OperatorIdentity(name: typedBy),
        at: now.unixSeconds)
    }
  }

  /// Applies one batch of heartbeat evidence under the lock, heard now: the door for an input that needs no more
  /// than the engine's `heartbeat` (the listener, the poller and the prober use `withState` for their counters).
  public func deliver(_ batch: [(site: Int, heartbeat: HeartbeatInput)]) {
    let now = clock.now()
    state.withLock { state in
      for (site, heartbeat) in batch where site < config.sites.count {
        state.withEngine { $0.heartbeat(heartbeat, site: site, heardAt: now, now: now) }
      }
    }
  }

  /// Applies one batch (or reads the state) under the lock.
  func withState<Result, E: Error>(_ body: (inout sending MonitorState) throws(E) -> sending Result) throws(E) -> sending Result {
    try state.withLock(body)
  }
}
