/// Decides when a standby's primary is silent: no word on the follow link for longer than `silentAfter`. Pure: the
/// clock is passed in. The watch starts at the standby's start, so a primary never reached is silent too.
public struct PrimaryContactWatch: Sendable {
  public let silentAfterNanos: Int64
  private var lastContactNanos: Int64
  public private(set) var lastContactUnix: Double?
  public private(set) var silentSince: Double?

  public init(silentAfter: Duration, start: ClockReading) {
    silentAfterNanos = silentAfter.nanoseconds
    lastContactNanos = start.monotonicNanos
  }

  /// A word from the primary. True when it had been silent (it is back).
  public mutating func contact(now: ClockReading) -> Bool {
    lastContactNanos = now.monotonicNanos
    lastContactUnix = now.unixSeconds
    defer { silentSince = nil }
    return silentSince != nil
  }

  /// True when the primary has just become silent; `silentSince` then says since when (its last word, or the
  /// standby's start).
  public mutating func check(now: ClockReading) -> Bool {
    guard silentSince == nil, now.monotonicNanos - lastContactNanos > silentAfterNanos else { return false }
    silentSince = now.unixSeconds - Double(now.monotonicNanos - lastContactNanos) / 1e9
    return true
  }
}
