import BridgeCore
import Foundation
import Logging
import NIOCore
import Synchronization

/// One console's connection, owned by the console thread.
final class ConsoleConnection {
  let id: Int
  let fd: Int32
  let unixUser: String
  let peerPID: Int32
  let since: Double
  let acceptedAt = ContinuousClock.now
  var hello: ConsoleHello?
  var framer = LineFramer(limit: ConsoleProtocol.maximumClientLine)
  /// Encoded lines waiting to be written, the first one `headWritten` bytes in.
  var queue: [QueuedLine] = []
  var headWritten = 0
  /// Bytes waiting, by kind: the bound applies to updates alone, so a snapshot larger than the bound (a national
  /// roster on a small queue) is never dropped for the updates behind it, and replies are never dropped.
  var queuedBytes: [QueuedLine.Kind: Int] = [:]
  /// Gets a snapshot as soon as its queue is empty (just attached, or its queue overflowed).
  var needsSnapshot = false
  /// Close once the queue is written (after a refusal, or a status reply).
  var closeWhenFlushed = false
  /// The peer shut its sending side (`printf … | socat`): a reply still due is written before closing.
  var readClosed = false
  /// Its descriptor is closed: nothing more may be written, and it must not be closed twice (the number may
  /// already belong to another file of this process).
  var isClosed = false
  var detailSite: Int?
  var lastDetail: SiteHistoryView??
  var overflows = 0
  /// A standby: where it stands in this monitor's action log (what it was last sent).
  var followed: FollowPosition?

  init(id: Int, fd: Int32, unixUser: String, peerPID: Int32, since: Double) {
    self.id = id
    self.fd = fd
    self.unixUser = unixUser
    self.peerPID = peerPID
    self.since = since
  }

  /// It reads the roster as rows (`ConsoleRows`): a console from before them gets JSON objects.
  var readsRows: Bool { hello?.readsRows == true }
  var isAttached: Bool { hello?.purpose == .console && !closeWhenFlushed }
  var isFollower: Bool { hello?.purpose == .follow && !closeWhenFlushed }
  /// Not (yet, or no longer) an attached console or standby: bounded in number and in time.
  var isPending: Bool { !isAttached && !isFollower }

  var label: String {
    let name = hello.map { OperatorIdentity(name: $0.operatorName, unixUser: unixUser).displayName } ?? unixUser
    return "\(name), pid \(peerPID)"
  }
}

/// Connection log lines against floods: up to `burst` in a window, the others counted by kind and said in one
/// line when the window ends.
struct ConnectionLogBudget {
  enum Kind: String, CaseIterable {
    case attached, detached, refused, dropped
    case droppedBeforeHello = "closed before their hello"
  }
  let burst: Int
  let window: Duration
  var windowStart: ContinuousClock.Instant?
  var logged = 0
  var suppressed: [Kind: Int] = [:]

  init(burst: Int, window: Duration) {
    self.burst = burst
    self.window = window
  }

  /// Whether a line of `kind` may be logged now; if not, it is counted.
  mutating func admit(_ kind: Kind, now: ContinuousClock.Instant) -> Bool {
    if let start = windowStart, now - start < window {
      guard logged < burst else {
        suppressed[kind, default: 0] += 1
        return false
      }
    } else if suppressed.isEmpty {
      windowStart = now
      logged = 0
    } else {
      suppressed[kind, default: 0] += 1
      return false
    }
    logged += 1
    return true
  }

  /// When the summary of the lines not logged is due, if any were not.
  var summaryAt: ContinuousClock.Instant? { suppressed.isEmpty ? nil : windowStart.map { $0 + window } }

  /// The summary line once its window has ended (or at once with `windowEnded`), starting a new window.
  mutating func summaryDue(now: ContinuousClock.Instant, windowEnded: Bool = false) -> String? {
    guard let due = summaryAt, windowEnded || now >= due else { return nil }
    let total = suppressed.values.reduce(0, +)
    let kinds = Kind.allCases.compactMap { kind in suppressed[kind].map { "\(kind.rawValue) \(NumberText.grouped($0))" } }
    suppressed = [:]
    windowStart = now
    logged = 0
    return "console connections: \(NumberText.grouped(total)) more lines not logged in the last \(DurationText.format(window)) ("
      + kinds.joined(separator: ", ") + ")"
  }
}
