import BridgeCore
import Logging
import NIOCore
import NIOPosix

/// The status file (`status_file:`) as an output: rewritten after a tick when its schedule says so, touched when
/// nothing changed, on a thread of its own (a network share can block); failures are logged when they start, as a
/// reminder now and then, and when writes work again. The last state is written as the monitor stops.
public final class StatusFileOutput: MonitorOutput {
  private struct Schedule {
    var writer: StatusFileWriter?
    var plan = StatusFileSchedule()
    var failures: RepeatedFailureLog
    var writeInFlight = false
    /// Events came since the file was last written (one may have come while a write was in flight).
    var owesEvents = false
    /// The final update's snapshot, written at stop.
    var last: MonitorSnapshot?
  }

  public let path: String
  private let logger: Logger
  private let loop: any EventLoop
  private let threadPool = NIOThreadPool(numberOfThreads: 1)
  private let schedule: NIOLoopBoundBox<Schedule>

  /// `loop` is the hub's: updates come on it.
  public init(path: String, logger: Logger, loop: any EventLoop) {
    self.path = path
    self.logger = logger
    self.loop = loop
    schedule = .makeBoxSendingValue(Schedule(failures: RepeatedFailureLog(subject: "status file \(path)")), eventLoop: loop)
    threadPool.start()
  }

  public func start(facts: ConsoleFacts) async throws {}

  public func receive(_ update: MonitorUpdate) {
    let snapshot = update.snapshot
    let write = schedule.withValue { schedule -> (StatusFileWriter, StatusFileSchedule.Action)? in
      // The file's fixed parts (ids, names, groups) are encoded once, from the first update.
      if schedule.writer == nil { schedule.writer = StatusFileWriter(path: path, fixed: StatusFileEncoder.FixedParts(snapshot)) }
      // Only the final update is kept, for the write at stop. Any other kept here (a tick's, or one published at
      // once, as at start) kept the engine's records shared until the next update: the first heartbeats then copied
      // all of them (2.3 MB at 10,000 sites), and the tick journaling 10,000 first contacts held three copies.
      if update.isFinal { schedule.last = snapshot }
      schedule.owesEvents = schedule.owesEvents || !update.events.isEmpty
      guard update.isTick, !schedule.writeInFlight, let writer = schedule.writer else { return nil }
      let action = schedule.plan.action(for: snapshot, hadEvents: schedule.owesEvents)
      switch action {
      case .none: return nil
      case .touch: schedule.plan.touching(snapshot)
      case .write:
        schedule.plan.writing(snapshot)
        schedule.owesEvents = false
      }
      schedule.writeInFlight = true
      return (writer, action)
    }
    guard let (writer, action) = write else { return }
    threadPool.runIfActive(eventLoop: loop) {
      // A file someone removed or replaced by something else is written again rather than touched.
      if action == .write || !writer.touch() { try writer.write(snapshot) }
    }.whenComplete { [self] result in
      // Not a line per attempt (every 5 s): when it starts failing, a reminder now and then, when it works again.
      let attemptedAt = snapshot.takenAt.monotonicNanos
      let line = schedule.withValue { schedule -> Logger.Message? in
        schedule.writeInFlight = false
        switch result {
        case .failure(let error): return schedule.failures.failed("\(error)", atNanos: attemptedAt).map { "\($0)" }
        case .success: return schedule.failures.succeeded(atNanos: attemptedAt).map { "\($0)" }
        }
      }
      guard let line else { return }
      if case .failure = result { logger.error(line) } else { logger.notice(line) }
    }
  }

  /// Lets a write in flight finish, then writes the last state the hub published.
  public func stop() async {
    let last = try? await loop.submit { [schedule] in
      schedule.value.writer.flatMap { writer in schedule.value.last.map { (writer, $0) } }
    }.get()
    try? await threadPool.shutdownGracefully()
    guard let (writer, final) = last ?? nil else { return }
    do { try writer.write(final) } catch { logger.error("cannot write status file \(writer.path): \(error)") }
  }
}
