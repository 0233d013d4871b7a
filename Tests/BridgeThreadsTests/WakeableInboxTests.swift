import Glibc
import Synchronization
import Testing

@testable import BridgeThreads

/// The inbox through its seam: posts from any thread, a poll that wakes, drains in posting order, the bound, and
/// the close that happens once.
@Suite struct WakeableInboxTests {
  /// Whether `descriptor` becomes readable within `milliseconds`.
  static func readable(_ descriptor: Int32, within milliseconds: Int32) -> Bool {
    var entry = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
    return poll(&entry, 1, milliseconds) == 1 && entry[0].revents & Int16(POLLIN) != 0
  }

  @Test func aPostWakesAPollAndADrainQuietsIt() throws {
    let inbox = try #require(WakeableInbox<Int>(capacity: 10))
    #expect(!Self.readable(inbox.descriptor, within: 0))
    inbox.post(1)
    inbox.post(2)
    #expect(Self.readable(inbox.descriptor, within: 1000))
    let drained = inbox.drain()
    #expect(drained.messages == [1, 2])
    #expect(drained.dropped == 0)
    #expect(!Self.readable(inbox.descriptor, within: 0))
    #expect(inbox.drain().messages.isEmpty)
  }

  @Test func aPollWaitingOnAnotherThreadWakes() throws {
    let inbox = try #require(WakeableInbox<String>(capacity: 10))
    let woke = Atomic<Bool>(false)
    let waiter = ServiceThread(name: "bw-test-wait") {
      woke.store(Self.readable(inbox.descriptor, within: 5000), ordering: .relaxed)
    }
    waiter.start()
    usleep(20_000)
    inbox.post("hello")
    waiter.join()
    let didWake = woke.load(ordering: .relaxed)
    #expect(didWake)
    #expect(inbox.drain().messages == ["hello"])
  }

  @Test func postsFromManyThreadsArriveAllAndInOrderPerThread() throws {
    let threads = 8
    let each = 2000
    let inbox = try #require(WakeableInbox<(thread: Int, sequence: Int)>(capacity: threads * each))
    let posters = (0..<threads).map { thread in
      ServiceThread(name: "bw-test-\(thread)") {
        for sequence in 0..<each { inbox.post((thread, sequence)) }
      }
    }
    for poster in posters { poster.start() }
    var received: [[Int]] = Array(repeating: [], count: threads)
    var total = 0
    while total < threads * each {
      _ = Self.readable(inbox.descriptor, within: 1000)
      for message in inbox.drain().messages {
        received[message.thread].append(message.sequence)
        total += 1
      }
    }
    for poster in posters { poster.join() }
    for sequences in received { #expect(sequences == Array(0..<each)) }
    #expect(inbox.drain().messages.isEmpty)
  }

  @Test func pastItsCapacityTheOldestAreDroppedAndCounted() throws {
    let inbox = try #require(WakeableInbox<Int>(capacity: 3))
    for value in 1...5 { inbox.post(value) }
    let drained = inbox.drain()
    #expect(drained.messages == [3, 4, 5])
    #expect(drained.dropped == 2)
    #expect(inbox.drain().dropped == 0)
  }

  @Test func aMergeFoldsIntoTheLastWaitingMessage() throws {
    let inbox = try #require(WakeableInbox<[Int]>(capacity: 3))
    let append: (inout [Int], [Int]) -> Bool = { last, next in
      last += next
      return true
    }
    inbox.post([1], merge: append)
    inbox.post([2], merge: append)
    inbox.post([3])
    inbox.post([4], merge: { _, _ in false })
    #expect(inbox.drain().messages == [[1, 2], [3], [4]])
    // Nothing waits after a drain, so a merge has nothing to fold into.
    inbox.post([5], merge: append)
    #expect(inbox.drain().messages == [[5]])
  }

  @Test func aWakeWithoutAMessageWakesThePoll() throws {
    let inbox = try #require(WakeableInbox<Int>(capacity: 1))
    inbox.wake()
    #expect(Self.readable(inbox.descriptor, within: 1000))
    #expect(inbox.drain().messages.isEmpty)
    #expect(!Self.readable(inbox.descriptor, within: 0))
  }

  @Test func closeHappensOnceAndRefusesLaterPosts() throws {
    let inbox = try #require(WakeableInbox<Int>(capacity: 4))
    let descriptor = inbox.descriptor
    inbox.post(1)
    inbox.close()
    #expect(inbox.isClosed)
    #expect(fcntl(descriptor, F_GETFD) == -1)
    #expect(!inbox.post(2))
    inbox.wake()
    inbox.close()
    #expect(inbox.drain().messages.isEmpty)
  }

  @Test func aServiceThreadRunsItsBodyOnceUnderItsNameAndJoins() {
    let name = Mutex<String>("")
    let runs = Atomic<Int>(0)
    let thread = ServiceThread(name: "bw-test-name-that-is-long") {
      runs.add(1, ordering: .relaxed)
      var buffer = [UInt8](repeating: 0, count: 32)
      let fd = open("/proc/thread-self/comm", O_RDONLY)
      let count = read(fd, &buffer, buffer.count)
      close(fd)
      name.withLock { $0 = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self) }
    }
    thread.join()
    let runsBeforeStart = runs.load(ordering: .relaxed)
    #expect(runsBeforeStart == 0)
    thread.start()
    thread.join()
    thread.join()
    let runsAfterJoin = runs.load(ordering: .relaxed)
    #expect(runsAfterJoin == 1)
    #expect(name.withLock { $0 } == "bw-test-name-th\n")
  }
}
