import BridgeCore
import BridgeThreads
import Synchronization

/// The one door other threads have into a dashboard: the link's updates and answers, and a stop (a signal's
/// handler). Made before the runtime so that whoever starts the UI thread can hand it on to a stop signal.
public final class DashboardInbox: Sendable {
  let messages: WakeableInbox<DashboardMessage>
  let stopRequested = Atomic<Bool>(false)

  public init() {
    guard let messages = WakeableInbox<DashboardMessage>(capacity: 64) else {
      preconditionFailure("no descriptor for the dashboard's inbox")
    }
    self.messages = messages
  }

  /// Asks the dashboard's loop to finish (SIGTERM, SIGHUP, SIGINT from outside).
  public func requestStop() {
    stopRequested.store(true, ordering: .relaxed)
    messages.wake()
  }
}

/// What other threads hand the UI thread, through its inbox.
enum DashboardMessage: Sendable {
  case update(LinkUpdate)
  /// The monitor's answer to a request this dashboard sent about site `site` (its id).
  case answer(ConsoleAnswer.Outcome, site: String)

  /// Folds an update into the one still waiting: the newest snapshot and connection, the events of both. Bounded:
  /// if the UI stalls, the newest events are kept rather than grow without limit.
  static func fold(_ waiting: inout DashboardMessage, _ next: DashboardMessage) -> Bool {
    guard case .update(var update) = waiting, case .update(let newer) = next else { return false }
    if let snapshot = newer.snapshot { update.snapshot = snapshot }
    update.connection = newer.connection
    update.events.append(contentsOf: newer.events)
    if update.events.count > eventLimit { update.events.removeFirst(update.events.count - eventLimit) }
    waiting = .update(update)
    return true
  }

  static let eventLimit = 5000
}
