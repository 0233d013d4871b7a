import Glibc
import Synchronization

/// Messages for a thread that sleeps in poll(): any thread posts, the owning thread watches `descriptor` for
/// POLLIN beside its own descriptors and drains the messages in the order they were posted.
///
/// Bounded: past `capacity` messages the oldest are dropped and counted (a stalled owner must not grow the
/// process); a poster that would rather fold a message into the one before it (a newer snapshot replacing an
/// older one) passes `merge`. The pipe holds at most one byte: a post writes it only when the inbox was empty, and
/// a drain reads it. `close` releases the pipe exactly once; posts after it are refused.
public final class WakeableInbox<Message: Sendable>: Sendable {
  private struct Queue {
    var messages: [Message] = []
    var dropped = 0
    /// A byte is in the pipe (posted since the last drain, or `wake`).
    var signalled = false
    var closed = false
  }

  /// What a drain takes: the messages in posting order, and how many were dropped since the last drain.
  public struct Drained: Sendable {
    public var messages: [Message]
    public var dropped: Int
  }

  public let capacity: Int
  /// The descriptor to poll for POLLIN (readable while something waits).
  public let descriptor: Int32
  private let writeEnd: Int32
  private let queue = Mutex(Queue())

  /// Opens the pipe; nil when the process is out of descriptors.
  public init?(capacity: Int) {
    precondition(capacity > 0)
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return nil }
    for fd in fds {
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    self.capacity = capacity
    descriptor = fds[0]
    writeEnd = fds[1]
  }

  deinit { close() }

  /// Queues `message` and wakes the owner. `merge` may fold it into the last message still waiting (return true
  /// when it did). False: the inbox is closed and the message is dropped.
  @discardableResult
  public func post(_ message: Message, merge: ((inout Message, Message) -> Bool)? = nil) -> Bool {
    queue.withLock { queue in
      guard !queue.closed else { return false }
      if let merge, !queue.messages.isEmpty, merge(&queue.messages[queue.messages.count - 1], message) {
        // Folded in: the byte for the message it joined is already in the pipe.
      } else {
        queue.messages.append(message)
        if queue.messages.count > capacity {
          queue.dropped += queue.messages.count - capacity
          queue.messages.removeFirst(queue.messages.count - capacity)
        }
      }
      signal(&queue)
      return true
    }
  }

  /// Wakes the owner with nothing to drain (to look at a stop flag, say).
  public func wake() {
    queue.withLock { queue in
      guard !queue.closed else { return }
      signal(&queue)
    }
  }

  /// Takes every waiting message (the owner's thread).
  public func drain() -> Drained {
    queue.withLock { queue in
      if queue.signalled && !queue.closed {
        var scratch: UInt8 = 0
        while read(descriptor, &scratch, 1) > 0 {}
        queue.signalled = false
      }
      defer {
        queue.messages = []
        queue.dropped = 0
      }
      return Drained(messages: queue.messages, dropped: queue.dropped)
    }
  }

  /// Closes the pipe; the first call does, later ones (and deinit) find it done.
  public func close() {
    queue.withLock { queue in
      guard !queue.closed else { return }
      queue.closed = true
      queue.messages = []
      _ = Glibc.close(descriptor)
      _ = Glibc.close(writeEnd)
    }
  }

  /// Whether `close` was called.
  public var isClosed: Bool { queue.withLock { $0.closed } }

  private func signal(_ queue: inout Queue) {
    guard !queue.signalled else { return }
    var byte: UInt8 = 1
    if write(writeEnd, &byte, 1) == 1 { queue.signalled = true }
  }
}
