import BridgeCore

/// At most one log line a second for something that may come in floods: the rest are counted and said with the
/// next line.
struct ThrottledNote {
  private var lastLogged: Int64 = .min / 2
  private var suppressed = 0

  /// For `count` new occurrences at `now`: nil while within a second of the last line (they are counted);
  /// otherwise the text to end the line with, " (N more since the last report)" or "".
  mutating func due(count: Int, now: ClockReading) -> String? {
    guard now.monotonicNanos - lastLogged >= 1_000_000_000 else {
      suppressed += count
      return nil
    }
    lastLogged = now.monotonicNanos
    let more = suppressed + count - 1
    suppressed = 0
    return more > 0 ? " (\(more) more since the last report)" : ""
  }
}
