import CLinux
import Foundation
import Synchronization

/// The one list of signals that stop a long-running command (monitor, dashboard, demo, agent, simulator), and the
/// one way the monitor's commands wait for them. A terminal closing sends SIGHUP; under systemd or `timeout` the
/// stop is SIGTERM; at a keyboard, SIGINT. All three are a clean stop: journal `stop`, status file, exit 0.
enum StopSignals {
  static let numbers: [Int32] = [SIGINT, SIGTERM, SIGHUP]

  static func name(_ number: Int32) -> String {
    switch number {
    case SIGINT: "SIGINT"
    case SIGTERM: "SIGTERM"
    case SIGHUP: "SIGHUP"
    default: "signal \(number)"
    }
  }

  private struct State {
    var installed = false
    var handlers: [@Sendable (String) -> Void] = []
    /// The first stop signal that arrived, kept for handlers registered after it.
    var first: String?
  }

  private static let state = Mutex(State())

  /// Takes over the stop signals for the whole process, first thing in every long-running command: from here on
  /// a stop is never lost and never kills the process, even while the journal is still being read (a SIGTERM
  /// there used to be lost between switching off the default action and the handler's start, leaving a monitor
  /// that ignored it). Each signal's handler writes into a pipe; one thread reads it and calls the handlers.
  static func install() {
    let alreadyInstalled = state.withLock { state in
      defer { state.installed = true }
      return state.installed
    }
    guard !alreadyInstalled else { return }
    let fd = numbers.withUnsafeBufferPointer { bw_signal_pipe($0.baseAddress, Int32($0.count)) }
    guard fd >= 0 else { fatalError("cannot install the stop signals' handlers: \(String(cString: strerror(errno)))") }
    let reader = Thread {
      var byte: UInt8 = 0
      while true {
        let count = read(fd, &byte, 1)
        if count < 0 && errno == EINTR { continue }
        guard count == 1 else { return }
        let signal = name(Int32(byte))
        let handlers = state.withLock { state in
          if state.first == nil { state.first = signal }
          return state.handlers
        }
        for handler in handlers { handler(signal) }
      }
    }
    reader.name = "stop-signals"
    reader.start()
  }

  /// Calls `handler` with the signal's name each time one of `numbers` arrives, and at once if one arrived
  /// before (its default action, dying, is switched off).
  static func onStop(handler: @escaping @Sendable (String) -> Void) {
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
  static func starting(_ phase: String) {
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
        printError("bridgewatch: \(signal) while \(phase); stopped before the monitor started")
        exit(0)
      }
    }
  }

  /// The monitor is about to write its journal: from here on a stop is the clean one (journal `stop`, status file).
  static func started() { startUp.withLock { $0.phase = nil } }

  /// Waits for the first stop signal (returns at once if one already came); returns its name.
  static func wait() async -> String {
    await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
      let resumed = ResumeOnce(continuation)
      onStop { resumed.resume($0) }
    }
  }
}
