import BridgeCore
import BridgeThreads
import Foundation
import Logging
import NIOCore
import Synchronization

/// What other threads hand the console thread: monitor updates and answers to requests, with a `WakeableInbox`
/// to wake it. The messages themselves stay here, not in that inbox: updates fold into one (its snapshot kept only
/// while a console wants it) and their events are bounded by whether anyone is connected.
final class ConsoleServerInbox: Sendable {
  private struct Pending {
    var update: MonitorUpdate?
    /// An update came, kept without its snapshot when nobody wants one.
    var updated = false
    var events: [EngineEvent] = []
    var droppedEvents = 0
    var answers: [(connection: Int, answer: ConsoleAnswer)] = []
  }
  private let pending = Mutex(Pending())
  /// Whether a console is attached to be served the state. While none is, updates are taken without their
  /// snapshot: holding it here until the thread wakes kept the engine's records shared, so each heartbeat after a
  /// tick copied all of them (at national load, megabytes a second and the monitor's peak memory).
  let wantsSnapshots = Atomic<Bool>(false)
  /// Whether any connection is open. While none is, an update does not wake the thread (its events wait here,
  /// bounded, for the thread's next wake-up: a connection, an answer or the stop).
  let wakesForUpdates = Atomic<Bool>(false)
  /// Only woken, never posted to: what the thread takes is `pending`.
  private let wakeup: WakeableInbox<Never>
  /// The descriptor the console thread polls for POLLIN.
  var readFD: Int32 { wakeup.descriptor }
  /// Events kept for consoles if the thread falls behind (a mass outage is 7,400 at once).
  static let eventLimit = 20_000
  /// The latest events, kept for the log of a console that attaches later.
  static let recentEventLimit = 200

  init() {
    guard let wakeup = WakeableInbox<Never>(capacity: 1) else { preconditionFailure("cannot open the console thread's wake pipe") }
    self.wakeup = wakeup
  }

  func post(_ update: MonitorUpdate) {
    let keep = wantsSnapshots.load(ordering: .relaxed)
    let wakes = wakesForUpdates.load(ordering: .relaxed)
    // Without a connection only the log's latest events can ever be sent (to a console that attaches later).
    let limit = wakes ? Self.eventLimit : Self.recentEventLimit
    pending.withLock {
      $0.events += update.events
      // Two updates folded into one: the later one's changes start where the earlier one's snapshot stood (the
      // console thread checks that they join up with what it kept, and compares every site when not).
      var update = update
      if let earlier = $0.update?.snapshot {
        update.snapshot.changes = earlier.changes?.followed(by: update.snapshot.changes, endingAt: earlier.recordsRevision)
      }
      $0.update = keep ? update : nil
      $0.updated = true
      if $0.events.count > limit {
        $0.droppedEvents += $0.events.count - limit
        $0.events.removeFirst($0.events.count - limit)
      }
    }
    if wakes { wake() }
  }

  func post(_ answer: ConsoleAnswer, to connection: Int) {
    pending.withLock { $0.answers.append((connection, answer)) }
    wake()
  }

  func wake() {
    wakeup.wake()
  }

  func take() -> (update: MonitorUpdate?, updated: Bool, events: [EngineEvent], answers: [(connection: Int, answer: ConsoleAnswer)]) {
    _ = wakeup.drain()
    return pending.withLock { pending in
      defer { pending = Pending() }
      return (pending.update, pending.updated, pending.events, pending.answers)
    }
  }
}
