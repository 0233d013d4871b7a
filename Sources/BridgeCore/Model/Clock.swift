import Foundation
import Synchronization

/// One reading of both clocks: monotonic for ages and timeouts, wall for what people read.
public struct ClockReading: Sendable, Hashable, Comparable {
  /// Nanoseconds of a monotonic clock; only differences mean anything.
  public var monotonicNanos: Int64
  /// Unix time in seconds.
  public var unixSeconds: Double

  public init(monotonicNanos: Int64, unixSeconds: Double) {
    self.monotonicNanos = monotonicNanos
    self.unixSeconds = unixSeconds
  }

  public static func < (lhs: ClockReading, rhs: ClockReading) -> Bool { lhs.monotonicNanos < rhs.monotonicNanos }

  /// The reading `duration` later on both clocks.
  public func advanced(by duration: Duration) -> ClockReading {
    ClockReading(
      monotonicNanos: monotonicNanos + duration.nanoseconds,
      unixSeconds: unixSeconds + Double(duration.nanoseconds) / 1e9)
  }

  /// The moment `unixSeconds` expressed on this reading's monotonic clock (for file mtimes).
  public func at(unixSeconds other: Double) -> ClockReading {
    ClockReading(monotonicNanos: monotonicNanos - Int64((unixSeconds - other) * 1e9), unixSeconds: other)
  }
}

/// The clock is injected everywhere so the engine is tested without sleeping.
public protocol MonitorClock: Sendable {
  func now() -> ClockReading
}

public struct SystemClock: MonitorClock {
  public init() {}

  public func now() -> ClockReading {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return ClockReading(
      monotonicNanos: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec),
      unixSeconds: Date().timeIntervalSince1970)
  }
}

/// A clock that moves only when told to; for tests and replays.
public final class ManualClock: MonitorClock {
  private let reading: Mutex<ClockReading>

  public init(unixSeconds: Double = 1_763_800_000) {
    reading = Mutex(ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: unixSeconds))
  }

  public func now() -> ClockReading { reading.withLock { $0 } }

  public func advance(by duration: Duration) {
    reading.withLock { $0 = $0.advanced(by: duration) }
  }

  /// Moves the wall clock alone, as NTP stepping it or someone setting the time would.
  public func stepWall(by seconds: Double) {
    reading.withLock { $0.unixSeconds += seconds }
  }
}
