import BridgeCore
import Foundation
import Glibc
import Synchronization

/// One address of a bridge's host, ready for `connect` (a `sockaddr_in` or `sockaddr_in6`, as bytes).
public struct ResolvedAddress: Sendable, Equatable {
  public var family: Int32
  public var bytes: [UInt8]
}

/// Turns a bridge's host into addresses within the poll's deadline. `getaddrinfo` takes no timeout and cannot be
/// cancelled, so a name is looked up on a thread of its own and the poll waits for it no longer than its deadline.
/// A lookup still running when the next poll asks for the same name is shared, not started again: a DNS server
/// that never answers costs one thread per name, not one per poll. Numeric addresses are read at once. Names are
/// looked up at every poll (DNS and /etc/hosts as they are now), as any other client of the bridge would.
public final class HostResolver: Sendable {
  /// A blocking lookup of `host` (never a numeric address): the system's `getaddrinfo`, or a test's stand-in.
  public typealias Lookup = @Sendable (_ host: String, _ port: Int, _ say: Strings) -> Result<[ResolvedAddress], BridgeHTTPError>

  private let lookup: Lookup
  private let running = Mutex<[String: PendingLookup]>([:])

  /// The system's resolver (glibc: /etc/hosts, then DNS, as /etc/nsswitch.conf says).
  public static let system = HostResolver(lookup: { host, port, say in HostResolver.getaddrinfoLookup(host, port, flags: 0, say: say) })

  public init(lookup: @escaping Lookup) { self.lookup = lookup }

  /// The addresses of `host`, or why not by `deadline`.
  public func resolve(host: String, port: Int, deadline: ContinuousClock.Instant, statedTimeout: Duration, say: Strings)
    throws(BridgeHTTPError)
    -> [ResolvedAddress]
  {
    if case .success(let numeric) = Self.getaddrinfoLookup(host, port, flags: AI_NUMERICHOST, say: say) { return numeric }
    let key = "\(host) \(port)"
    let (pending, isNew) = running.withLock { table in
      if let existing = table[key] { return (existing, false) }
      let fresh = PendingLookup()
      table[key] = fresh
      return (fresh, true)
    }
    if isNew {
      let thread = Thread { [self] in
        let result = lookup(host, port, say)
        running.withLock { _ = $0.removeValue(forKey: key) }
        pending.finish(result)
      }
      thread.name = "bw-resolve"
      thread.start()
    }
    guard let result = pending.wait(until: deadline) else {
      throw BridgeHTTPError(say(.hostResolveTimeout, host, DurationText.format(statedTimeout)))
    }
    return try result.get()
  }

  /// `getaddrinfo` for a TCP connection to `host`:`port`, with `flags` added (`AI_NUMERICHOST`: only a numeric
  /// address, answered without any lookup).
  static func getaddrinfoLookup(_ host: String, _ port: Int, flags: Int32, say: Strings) -> Result<[ResolvedAddress], BridgeHTTPError> {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_NUMERICSERV | flags
    var found: UnsafeMutablePointer<addrinfo>?
    let resolved = getaddrinfo(host, String(port), &hints, &found)
    guard resolved == 0, found != nil else {
      return .failure(BridgeHTTPError(say(.hostDoesNotResolve, host, String(cString: gai_strerror(resolved)))))
    }
    defer { freeaddrinfo(found) }
    var addresses: [ResolvedAddress] = []
    var entry = found
    while let address = entry {
      entry = address.pointee.ai_next
      guard let raw = address.pointee.ai_addr else { continue }
      let bytes = Array(UnsafeRawBufferPointer(start: raw, count: Int(address.pointee.ai_addrlen)))
      addresses.append(ResolvedAddress(family: address.pointee.ai_family, bytes: bytes))
    }
    return .success(addresses)
  }
}

/// A lookup under way: its result once the lookup thread has it, for every poll waiting on it.
private final class PendingLookup: @unchecked Sendable {
  // @unchecked: `result` is only read and written under `condition`.
  private let condition = NSCondition()
  private var result: Result<[ResolvedAddress], BridgeHTTPError>?

  func finish(_ result: Result<[ResolvedAddress], BridgeHTTPError>) {
    condition.lock()
    self.result = result
    condition.broadcast()
    condition.unlock()
  }

  /// The result, or nil when `deadline` passes first.
  func wait(until deadline: ContinuousClock.Instant) -> Result<[ResolvedAddress], BridgeHTTPError>? {
    condition.lock()
    defer { condition.unlock() }
    while result == nil {
      let left = deadline - ContinuousClock.now
      guard left > .zero else { return nil }
      let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
      _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
    }
    return result
  }
}
