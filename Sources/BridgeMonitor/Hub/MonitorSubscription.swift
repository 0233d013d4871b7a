import BridgeCore
import Synchronization

/// Events drained on a tick, with the snapshot taken right after applying them.
public struct MonitorUpdate: Sendable {
  public var events: [EngineEvent]
  public var snapshot: MonitorSnapshot
  /// The last hour of each site the subscriber asked about (`showDetails`); `snapshot.detail` holds the one of
  /// `showDetail(site:)`.
  public var details: [Int: SiteHistoryView] = [:]
  /// Published by the once-a-second tick (not at once after an operator action or a face's request): the status
  /// file is written only then.
  public var isTick = false
  /// The last update, published as the monitor stops: the outputs write their last state from it.
  public var isFinal = false
  /// What this tick adds to the journal besides its events' records: the clock's steps and the bridges' joins and
  /// leaves (no engine event says them). For the journal recorder.
  public var journalRecords: [JournalRecord] = []
  /// How many of `events`, from the first, are on disk already: an operator action's, journaled before it was
  /// answered. For the journal recorder, which must not write them twice.
  public var eventsJournaled = 0
}

/// One subscriber's end of the monitor's updates: what it wants besides the shared snapshot (a site's last hour)
/// and how to stop.
public final class MonitorSubscription: Sendable {
  let id: Int
  private let handler: @Sendable (MonitorUpdate) -> Void
  private let onCancel: @Sendable (Int) -> Void
  private let detail = Mutex<Set<Int>>([])

  init(id: Int, handler: @escaping @Sendable (MonitorUpdate) -> Void, onCancel: @escaping @Sendable (Int) -> Void) {
    self.id = id
    self.handler = handler
    self.onCancel = onCancel
  }

  /// Asks for `site`'s last hour in this subscriber's updates from now on (nil: none). Cheap: one site's copy.
  public func showDetail(site: Int?) { detail.withLock { $0 = site.map { [$0] } ?? [] } }

  /// Asks for the last hour of each of `sites` (a console server, for each of its consoles).
  public func showDetails(_ sites: Set<Int>) { detail.withLock { $0 = sites } }

  var detailSites: Set<Int> { detail.withLock { $0 } }

  func deliver(_ update: MonitorUpdate) { handler(update) }

  /// No more updates from the next tick on.
  public func cancel() { onCancel(id) }
}

/// The hub's subscribers by id, behind a lock: they subscribe and cancel from any thread.
final class MonitorSubscribers: Sendable {
  private let subscribers = Mutex<(all: [Int: MonitorSubscription], nextID: Int)>(([:], 0))

  func subscribe(_ handler: @escaping @Sendable (MonitorUpdate) -> Void) -> MonitorSubscription {
    subscribers.withLock { subscribers in
      let subscription = MonitorSubscription(id: subscribers.nextID, handler: handler) { [weak self] id in
        _ = self?.subscribers.withLock { $0.all.removeValue(forKey: id) }
      }
      subscribers.nextID += 1
      subscribers.all[subscription.id] = subscription
      return subscription
    }
  }

  var all: [MonitorSubscription] { subscribers.withLock { Array($0.all.values) } }
  var count: Int { subscribers.withLock { $0.all.count } }
}

/// What the monitor tells about its own health as it works, for the metrics endpoint. Called on the monitor's
/// event loop: implementations only record (an atomic add, a histogram bucket) and return.
public protocol MonitorHealthObserver: Sendable {
  /// One tick's work (timeouts, journal batch, publishing to the faces) took `seconds`.
  func tickTook(seconds: Double)
  /// Lines reached the journal at `unixSeconds`; `syncSeconds` is how long their fdatasync took, when synced.
  func journalWritten(atUnixSeconds unixSeconds: Double, syncSeconds: Double?)
  /// An append failed (disk full, journal deleted or replaced): its records wait in the backlog.
  func journalWriteFailed()
}
