import BridgeCore
import CLinux
import Foundation
import Synchronization

/// The one list of signals that stop a long-running command (monitor, dashboard, console, demo, agent, simulator,
/// benchmarks), and the one way every command hears them. A terminal closing sends SIGHUP; under systemd or
/// `timeout` the stop is SIGTERM; at a keyboard, SIGINT. All three are a clean stop: journal `stop`, status file,
/// exit 0. Three ways to hear a stop, all fed by the same handler: a callback (`onStop`), an `async` wait (`wait`),
/// and, for a loop on its own thread, a flag with a descriptor to poll (`isRequested`, `stopDescriptor`, `sleep`).
public enum StopSignals {
  public static let numbers: [Int32] = [SIGINT, SIGTERM, SIGHUP]

  public static func name(_ number: Int32) -> String {
    switch number {
    case SIGINT: "SIGINT"
    case SIGTERM: "SIGTERM"
    case SIGHUP: "SIGHUP"
    default: "signal \(number)"
    }
  }

  private struct State {
    var installed = false
    /// Readable from the first stop signal on (a pipe nobody reads): loops poll it next to their sockets.
    var stopDescriptor: Int32 = -1
    var handlers: [@Sendable (String) -> Void] = []
    /// The first stop signal that arrived, kept for handlers registered after it.
    var first: String?
  }

  private static let state = Mutex(State())

  /// Takes over the stop signals for the whole process, first thing in every long-running command: from here on
  /// a stop is never lost and never kills the process, even while the journal is still being read (a SIGTERM
  /// there used to be lost between switching off the default action and the handler's start, leaving a monitor
  /// that ignored it). Each signal's handler writes into a pipe; one thread reads it and calls the handlers.
  public static func install() {
    let alreadyInstalled = state.withLock { state in
      defer { state.installed = true }
      return state.installed
    }
    guard !alreadyInstalled else { return }
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { fatalError("cannot make the stop signals' pipe: \(String(cString: strerror(errno)))") }
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    let (stoppedRead, stoppedWrite) = (ends[0], ends[1])
    state.withLock { $0.stopDescriptor = stoppedRead }
    let fd = numbers.withUnsafeBufferPointer { bw_signal_pipe($0.baseAddress, Int32($0.count)) }
    guard fd >= 0 else { fatalError("cannot install the stop signals' handlers: \(String(cString: strerror(errno)))") }
    let reader = Thread {
      var byte: UInt8 = 0
      while true {
        let count = read(fd, &byte, 1)
        if count < 0 && errno == EINTR { continue }
        guard count == 1 else { return }
        let signal = name(Int32(byte))
        let (handlers, isFirst) = state.withLock { state in
          defer { if state.first == nil { state.first = signal } }
          return (state.handlers, state.first == nil)
        }
        if isFirst {
          requested.store(true, ordering: .releasing)
          var one: UInt8 = 1
          _ = write(stoppedWrite, &one, 1)
        }
        for handler in handlers { handler(signal) }
      }
    }
    reader.name = "stop-signals"
    reader.start()
  }

  /// Calls `handler` with the signal's name each time one of `numbers` arrives, and at once if one arrived
  /// before (its default action, dying, is switched off).
  public static func onStop(handler: @escaping @Sendable (String) -> Void) {
    install()
    let earlier = state.withLock { state in
      state.handlers.append(handler)
      return state.first
    }
    if let earlier { handler(earlier) }
  }

  /// What a command is doing before its monitor runs (loading the config, reading the journal, building the
  /// metrics...), or nil once it runs.
  private static let startUp = Mutex<(phase: String?, armed: Bool)>((nil, false))

  /// Says which start-up phase begins. Until `started()`, a stop signal ends the process at once, in whatever
  /// phase and however long it is (a journal of two days, a roster on a stalled disk): nothing has been written
  /// yet, so there is nothing to close cleanly, and a monitor started by mistake is stopped when asked, not minutes
  /// later.
  public static func starting(_ phase: String) {
    let arm = startUp.withLock { state in
      state.phase = phase
      defer { state.armed = true }
      return !state.armed
    }
    guard arm else { return }
    onStop { signal in
      startUp.withLock { state in
        guard let phase = state.phase else { return }
        // Held while exiting: `started()` cannot slip in between.
        FileHandleOutput.writeAll(fd: 2, "bridgewatch: \(signal) while \(phase); stopped before the monitor started\n")
        exit(0)
      }
    }
  }

  /// The monitor is about to write its journal: from here on a stop is the clean one (journal `stop`, status file).
  public static func started() { startUp.withLock { $0.phase = nil } }

  /// Waits for the first stop signal (returns at once if one already came); returns its name.
  public static func wait() async -> String {
    await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
      let waiting = Waiting(continuation)
      onStop { signal in waiting.resume(signal) }
    }
  }

  /// One `wait`'s continuation, resumed by the first stop signal only (handlers are called at every signal).
  private final class Waiting: Sendable {
    private let continuation: Mutex<CheckedContinuation<String, Never>?>
    init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = Mutex(continuation) }
    func resume(_ signal: String) { continuation.withLock { $0.take() }?.resume(returning: signal) }
  }

  private static let requested = Atomic<Bool>(false)

  /// Whether a stop signal has come (`install` first): what a loop on its own thread checks between waits.
  public static var isRequested: Bool { requested.load(ordering: .acquiring) }

  /// A descriptor that turns readable at the first stop signal and stays so (-1 before `install`): a loop waiting
  /// in `poll` on its sockets adds it, so that a stop ends the wait at once.
  public static var stopDescriptor: Int32 { state.withLock { $0.stopDescriptor } }

  /// Sleeps up to `milliseconds`, returning at once when a stop signal comes.
  public static func sleep(milliseconds: Int64) {
    guard milliseconds > 0, !isRequested else { return }
    var descriptor = pollfd(fd: stopDescriptor, events: Int16(POLLIN), revents: 0)
    _ = poll(&descriptor, 1, Int32(min(milliseconds, Int64(Int32.max))))
  }
}
