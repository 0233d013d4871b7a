import BridgeCore
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// The heartbeat files (`heartbeat_file:` of each site): scanned every half interval (at least a second) on a
/// thread of its own, as a network share can block, and applied under one lock; a file that cannot be read is
/// logged.
public final class HeartbeatFileInput: MonitorInput {
  /// Scans never overlap (one thread, one repeated task): the lock is never contended.
  private let poller: Mutex<HeartbeatFilePoller>
  private let looks = RepeatedLook()

  public init(config: ConferenceConfig) {
    poller = Mutex(HeartbeatFilePoller(paths: config.sites.map(\.heartbeatFile)))
  }

  public func start(deliver intake: MonitorIntake) async throws {
    let config = intake.config
    let period = max(config.timing.interval / 2, .seconds(1))
    looks.start(intake: intake, initialDelay: .zero, period: period) { [self] in scan(into: intake) }
    var isDirectory: ObjCBool = false
    if !FileManager.default.fileExists(atPath: config.heartbeatDirectory, isDirectory: &isDirectory) || !isDirectory.boolValue {
      intake.logger.warning(
        "heartbeat_dir \(config.heartbeatDirectory) does not exist; sites using heartbeat files will look silent until it does")
    }
  }

  public func stop() async { await looks.stop() }

  /// Scans now and applies what changed (tests and `--once` tools; the timer does the same).
  public func scanNow() async throws {
    guard let intake = looks.intake else { return }
    try await intake.loop.flatSubmit { [self] in scan(into: intake) }.get()
  }

  private func scan(into intake: MonitorIntake) -> EventLoopFuture<Void> {
    looks.threadPool.runIfActive(eventLoop: intake.loop) { [self] in poller.withLock { $0.scan() } }
      .map { changes in
        let now = intake.clock.now()
        intake.withState { state in
          for change in changes { state.receiveFile(change.observation, site: change.site, now: now) }
        }
        for change in changes {
          if case .unreadable(let reason) = change.observation {
            intake.logger.warning("heartbeat file of \(intake.config.sites[change.site].id) cannot be read: \(reason)")
          }
        }
      }
      .recover { error in
        // A scan asked for as the monitor stops finds the pool shut: nothing failed.
        guard !(error is NIOThreadPoolError.ThreadPoolInactive) else { return }
        intake.logger.error("heartbeat file scan failed: \(error)")
      }
  }
}
