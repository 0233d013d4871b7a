import BridgeCore
import BridgeThreads
import CLinux
import Foundation
import NIOCore
import Synchronization

/// The UDP listener: a plain socket read by a thread of its own with `recvmmsg`, up to 64 datagrams a call, and
/// answered with one `sendmmsg` per batch. SwiftNIO's datagram channel allocated an envelope and a buffer for each
/// datagram in and each ack out, which at 10,000 sites was most of the monitor's time per heartbeat.
final class DatagramListener: Sendable {
  let fd: Int32
  let address: SocketAddress
  private let stopping = Atomic<Bool>(false)
  /// The reading thread, once `start` made it; `stop` takes it to join.
  private let thread = Mutex<ServiceThread?>(nil)

  struct ListenError: Error, CustomStringConvertible {
    var description: String
  }

  /// What the kernel holds of queued datagrams for this socket while the thread is busy, as it counts them: twice
  /// what was asked (the other half for each datagram's bookkeeping), or less where `net.core.rmem_max` caps it.
  let receiveBufferBytes: Int

  /// Binds `host`:`port` (a numeric address or a name; port 0 picks a free one), asking the kernel to hold
  /// `askedBufferBytes` of queued datagrams.
  init(host: String, port: Int, askedBufferBytes: Int32 = 8 << 20) throws(ListenError) {
    var hints = addrinfo()
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    var found: UnsafeMutablePointer<addrinfo>?
    let lookup = getaddrinfo(host, String(port), &hints, &found)
    guard lookup == 0, let info = found else {
      throw ListenError(description: "cannot resolve \(host): \(String(cString: gai_strerror(lookup)))")
    }
    defer { freeaddrinfo(found) }
    let fd = socket(info.pointee.ai_family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw ListenError(description: "socket: \(String(cString: strerror(errno)))") }
    var size = askedBufferBytes
    // No SO_REUSEADDR or SO_REUSEPORT: UDP has no TIME_WAIT to skip, and with either one another process (any
    // local user, or a second monitor by mistake) could bind the same port and take the heartbeats.
    // SO_RCVBUFFORCE passes net.core.rmem_max, with CAP_NET_ADMIN only (root); else SO_RCVBUF, capped at it. A
    // smaller buffer only means drops sooner when the thread stalls; `receiveBufferBytes` says what was granted.
    if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var granted: Int32 = 0
    var grantedLength = socklen_t(MemoryLayout<Int32>.size)
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &grantedLength)
    self.receiveBufferBytes = Int(granted)
    guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
      let reason = errno
      close(fd)
      if reason == EADDRINUSE {
        throw ListenError(
          description: "udp port \(port) is already in use by another process (another monitor?); the monitor's port must be its own")
      }
      throw ListenError(description: "bind: \(String(cString: strerror(reason)))")
    }
    var bound = sockaddr_storage()
    var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &bound) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &boundLength) }
    }
    guard let address = Self.describe(bound, length: boundLength).flatMap({ try? SocketAddress(ipAddress: $0.host, port: $0.port) })
    else {
      close(fd)
      throw ListenError(description: "cannot set up the listener: \(String(cString: strerror(errno)))")
    }
    self.fd = fd
    self.address = address
  }

  /// Starts the reading thread. `handle` runs on it for every batch received and queues the acks to send.
  func start(_ handle: @escaping @Sendable (DatagramBatch) -> Void) {
    let thread = ServiceThread(name: "bw-udp") { [self] in run(handle) }
    self.thread.withLock { $0 = thread }
    thread.start()
  }

  private func run(_ handle: (DatagramBatch) -> Void) {
    let batch = DatagramBatch()
    while true {
      // Sleeps in the kernel until at least one datagram (or `stop`) arrives, then takes all that are waiting, up
      // to a batch: one system call per wake-up, and no CPU while nothing comes in.
      let count = batch.receive(from: fd, waiting: true)
      if stopping.load(ordering: .relaxed) { return }
      guard count > 0 else { continue }  // EINTR, or an error the next call reports again
      handle(batch)
      batch.sendAcks(on: fd)
    }
  }

  /// Stops the thread (waiting for it) and closes the socket. Safe to call more than once.
  func stop() {
    guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
    if let thread = thread.withLock({ $0 }) {
      // Wakes the thread blocked in recvmmsg (on an unbound UDP socket this also returns ENOTCONN, ignored).
      _ = shutdown(fd, Int32(SHUT_RDWR))
      thread.join()
    }
    close(fd)
  }

  /// "host" and port of a socket address, numerically.
  static func describe(_ address: sockaddr_storage, length: socklen_t) -> (host: String, port: Int)? {
    var address = address
    var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
    var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        getnameinfo(
          $0, length, &host, socklen_t(host.count), &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
      }
    }
    guard result == 0 else { return nil }
    func text(_ characters: [CChar]) -> String {
      String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    return (text(host), Int(text(service)) ?? 0)
  }
}

/// Up to 64 datagrams as received, with their senders, and the acks to send back. Buffers are allocated once and
/// reused for every batch; only the listener's thread touches them.
///
/// @unchecked: the compiler cannot check raw buffers handed to `recvmmsg`/`sendmmsg`; a lock or a loop-bound box
/// here would cost the hot path a check per datagram, and the batch never leaves the listener's thread (it is
/// made in `run` and lent to the handler, which applies it under the intake's lock and returns).
final class DatagramBatch: @unchecked Sendable {
  static let capacity = 64
  /// Larger than any valid datagram (1,200 bytes), so a longer one arrives longer than the limit and is rejected
  /// as too large, not truncated into a valid one.
  static let slotSize = 2048
  /// An ack is "BW1 ack site=<id of at most 64 bytes> seq=<at most 20 digits>".
  static let ackSlotSize = 128

  private let slots = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * slotSize)
  private let lengths = UnsafeMutablePointer<size_t>.allocate(capacity: capacity)
  private let senders = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: capacity)
  private let senderLengths = UnsafeMutablePointer<socklen_t>.allocate(capacity: capacity)
  private let acks = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * ackSlotSize)
  private let ackLengths = UnsafeMutablePointer<size_t>.allocate(capacity: capacity)
  private let ackRecipients = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: capacity)
  private let ackRecipientLengths = UnsafeMutablePointer<socklen_t>.allocate(capacity: capacity)
  private(set) var count = 0
  private(set) var ackCount = 0

  deinit {
    for pointer in [slots, acks] as [UnsafeMutablePointer<UInt8>] { pointer.deallocate() }
    lengths.deallocate()
    senders.deallocate()
    senderLengths.deallocate()
    ackLengths.deallocate()
    ackRecipients.deallocate()
    ackRecipientLengths.deallocate()
  }

  /// Receives what is waiting, first blocking until something is when `waiting`. Returns how many datagrams
  /// (0 when none, or on an error).
  func receive(from fd: Int32, waiting: Bool) -> Int {
    ackCount = 0
    let received = bw_receive_batch(fd, slots, Self.slotSize, UInt32(Self.capacity), lengths, senders, senderLengths, waiting ? 1 : 0)
    count = max(0, Int(received))
    return count
  }

  func datagram(_ index: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: slots + index * Self.slotSize, count: Int(lengths[index]))
  }

  /// The sender of datagram `index`, as "host:port", for logs.
  func sender(_ index: Int) -> String {
    guard let (host, port) = DatagramListener.describe(senders[index], length: senderLengths[index]) else { return "?" }
    return HostPortText.format(host: host, port: port)
  }

  /// Queues an ack to the sender of datagram `index`: `prefix` followed by `sequence` in decimal.
  func queueAck(to index: Int, prefix: UnsafeRawBufferPointer, sequence: UInt64) {
    let slot = acks + ackCount * Self.ackSlotSize
    let prefixLength = min(prefix.count, Self.ackSlotSize - 20)
    if prefixLength > 0 { UnsafeMutableRawPointer(slot).copyMemory(from: prefix.baseAddress!, byteCount: prefixLength) }
    // Digits, written backwards into the end of the slot, then moved in place.
    var rest = sequence
    var cursor = slot + Self.ackSlotSize
    repeat {
      cursor -= 1
      cursor.pointee = UInt8(truncatingIfNeeded: 48 + rest % 10)
      rest /= 10
    } while rest > 0
    let digitCount = slot + Self.ackSlotSize - cursor
    (slot + prefixLength).update(from: cursor, count: digitCount)
    ackLengths[ackCount] = size_t(prefixLength + digitCount)
    ackRecipients[ackCount] = senders[index]
    ackRecipientLengths[ackCount] = senderLengths[index]
    ackCount += 1
  }

  /// Sends the queued acks. One that cannot be sent (the sender's port closed, a full buffer) is skipped: an ack
  /// is a courtesy, and the heartbeat was already taken.
  func sendAcks(on fd: Int32) {
    var sent = 0
    while sent < ackCount {
      let taken = bw_send_batch_to(
        fd, acks + sent * Self.ackSlotSize, Self.ackSlotSize, ackLengths + sent, ackRecipients + sent,
        ackRecipientLengths + sent, UInt32(ackCount - sent))
      sent += taken > 0 ? Int(taken) : 1
    }
    ackCount = 0
  }
}
