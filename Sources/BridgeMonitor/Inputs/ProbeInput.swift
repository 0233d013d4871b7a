import BridgeCore
import Synchronization

/// The probes (`probe:` of sites without an agent): a `Prober` on a thread of its own, whose every wake-up is
/// applied under one lock; answers dropped on its sockets are logged at most once a second.
public final class ProbeInput: MonitorInput {
  private let prober = Mutex<Prober?>(nil)
  /// Dropped-answer logging: taken only on the prober's thread.
  private let rejectionLog = Mutex(ThrottledNote())

  public init() {}

  /// Opens the sockets the roster's probes need; throws `ProbeSetupError` with the reason.
  public func start(deliver intake: MonitorIntake) async throws {
    let config = intake.config
    let prober = try Prober(sites: config.sites, probing: config.probing, timing: config.timing)
    prober.start { [self] batch in receive(batch, into: intake) }
    self.prober.withLock { $0 = prober }
  }

  /// Waits for the prober's thread.
  public func stop() async {
    prober.withLock { prober in
      defer { prober = nil }
      return prober
    }?.stop()
  }

  /// Applies what one wake-up of the prober found, under one lock.
  private func receive(_ batch: ProbeBatch, into intake: MonitorIntake) {
    let now = intake.clock.now()
    intake.withState { state in
      state.countProbes(sent: batch.sent, rejections: batch.rejections)
      for result in batch.results {
        state.receiveProbe(
          result.outcome, rttMilliseconds: result.rttMilliseconds, site: result.site,
          sentAt: now.advanced(by: .nanoseconds(-result.sentNanosAgo)), now: now)
      }
    }
    guard let first = batch.firstRejection,
      let more = rejectionLog.withLock({ $0.due(count: batch.rejections.reduce(0, +), now: now) })
    else { return }
    intake.logger.notice("dropped an answer on a probe socket from \(first.from): \(first.reason.rawValue)\(more)")
  }
}
