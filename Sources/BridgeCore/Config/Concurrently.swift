import Foundation
import Synchronization

/// A value computed on a thread of its own while the caller goes on; `value` waits for it (once it is there, at
/// once). For work at start that would otherwise wait its turn: the keys file read while the roster is. With
/// `onItsOwnThread` false it is computed at once, on the caller's: a thread's malloc arena keeps some of what the
/// work allocated (about 1 MiB at 10,000 sites), worth it only where the work is long.
final class Concurrently<Value: Sendable>: Sendable {
  private let result = Mutex<Value?>(nil)
  private let done = DispatchSemaphore(value: 0)

  init(onItsOwnThread: Bool = true, _ work: @escaping @Sendable () -> Value) {
    guard onItsOwnThread else {
      result.withLock { $0 = work() }
      return
    }
    let thread = Thread { [self] in
      let value = work()
      result.withLock { $0 = value }
      done.signal()
    }
    thread.name = "bw-concurrently"
    thread.start()
  }

  var value: Value {
    if let value = result.withLock({ $0 }) { return value }
    done.wait()
    return result.withLock { $0! }
  }
}
