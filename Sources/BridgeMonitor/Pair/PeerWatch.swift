import BridgeCore
import CLinux
import Foundation
import Logging
import Synchronization

/// An old primary's watch on its peer (`run --peer SOURCE`): every few seconds, asks the peer who it is; a peer
/// that was promoted means this monitor was replaced, which every face then shows.
public final class PeerWatch: Sendable {
  public let source: String
  private let monitor: Monitor
  private let stopped = Atomic<Bool>(false)
  private let finished = Atomic<Bool>(false)
  private let started = Atomic<Bool>(false)
  private let period: Double

  public init(source: String, monitor: Monitor, every period: Duration = .seconds(5)) {
    self.source = source
    self.monitor = monitor
    self.period = Double(period.nanoseconds) / 1e9
  }

  public func start() {
    let thread = Thread { [self] in
      ThreadName.setCurrent("bw-peer")
      while !stopped.load(ordering: .relaxed) {
        if let role = try? Self.role(of: source), role.kind == .primary, let promotedAt = role.promotedAt {
          monitor.noteReplaced(by: source, promotedAt: promotedAt)
        }
        for _ in 0..<Int(period * 10) where !stopped.load(ordering: .relaxed) { usleep(100_000) }
      }
      finished.store(true, ordering: .releasing)
    }
    started.store(true, ordering: .relaxed)
    thread.start()
  }

  public func stop() {
    stopped.store(true, ordering: .relaxed)
    while started.load(ordering: .relaxed) && !finished.load(ordering: .acquiring) { usleep(10_000) }
  }

  /// The role the monitor at `source` states in its welcome (nil: a monitor from before standbys).
  static func role(of source: String) throws -> MonitorRole? {
    let link = try MonitorPeerLink(source: source)
    defer { link.close() }
    try link.send(.hello(ConsoleHello(operatorName: "peer", readOnly: true, group: nil, purpose: .peer)))
    var framer = LineFramer(limit: ConsoleProtocol.maximumMonitorLine / 4)
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
    while DispatchTime.now().uptimeNanoseconds < deadline {
      var descriptor = pollfd(fd: link.readFD, events: Int16(POLLIN), revents: 0)
      guard poll(&descriptor, 1, 200) >= 0 else { continue }
      guard descriptor.revents != 0 else { continue }
      let count = chunk.withUnsafeMutableBytes { read(link.readFD, $0.baseAddress, $0.count) }
      guard count > 0 else { throw ConsoleSocket.Failure("the peer closed the link") }
      chunk.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
      if let line = try framer.nextLine() {
        guard case .welcome(let welcome) = try ConsoleProtocol.decode(line) else { throw ConsoleSocket.Failure("no welcome") }
        return welcome.role
      }
    }
    throw ConsoleSocket.Failure("the peer did not answer")
  }
}
