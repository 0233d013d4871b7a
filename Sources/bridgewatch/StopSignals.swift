import Foundation

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

  /// Calls `handler` with the signal's name each time one of `numbers` arrives (their default action, dying, is
  /// switched off).
  static func onStop(handler: @escaping @Sendable (String) -> Void) {
    let queue = DispatchQueue(label: "bridgewatch.signals")
    var sources: [DispatchSourceSignal] = []
    for number in numbers {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
      source.setEventHandler { handler(name(number)) }
      source.resume()
      sources.append(source)
    }
    SignalSources.keepAlive(sources)
  }

  /// Waits for the first stop signal; returns its name.
  static func wait() async -> String {
    await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
      let resumed = ResumeOnce(continuation)
      onStop { resumed.resume($0) }
    }
  }
}

/// Keeps the dispatch sources alive for the life of the process.
enum SignalSources {
  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
  static func keepAlive(_ new: [DispatchSourceSignal]) { sources += new }
}
