import NIOCore
import NIOPosix
import Synchronization

/// A look repeated on the hub's loop whose work runs on a thread of its own, since a file on a slow disk or a
/// network share can block: the heartbeat files and the keys file. Looks never overlap (one thread, one repeated
/// task), and none runs once `stop` returns.
final class RepeatedLook: Sendable {
  private struct Running {
    var intake: MonitorIntake
    var task: RepeatedTask
  }

  /// Where a look does its blocking work (`runIfActive`): it fails with `ThreadPoolInactive` once stopped.
  let threadPool = NIOThreadPool(numberOfThreads: 1)
  private let running = Mutex<Running?>(nil)

  /// The intake the looks deliver to, while they run.
  var intake: MonitorIntake? { running.withLock { $0?.intake } }

  /// Starts the looks on the intake's loop: `look` returns when one look is done.
  func start(
    intake: MonitorIntake, initialDelay: Duration, period: Duration, _ look: @escaping @Sendable () -> EventLoopFuture<Void>
  ) {
    threadPool.start()
    let task = intake.loop.scheduleRepeatedAsyncTask(
      initialDelay: .nanoseconds(initialDelay.nanoseconds), delay: .nanoseconds(period.nanoseconds)
    ) { _ in look() }
    running.withLock { $0 = Running(intake: intake, task: task) }
  }

  func stop() async {
    let running = running.withLock { running in
      defer { running = nil }
      return running
    }
    let cancelled = running.map { running in
      let promise = running.intake.loop.makePromise(of: Void.self)
      running.task.cancel(promise: promise)
      return promise.futureResult
    }
    try? await cancelled?.get()
    try? await threadPool.shutdownGracefully()
  }
}
