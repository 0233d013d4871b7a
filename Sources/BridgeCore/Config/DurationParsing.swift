/// Durations as written in the config: an unsigned integer and a unit, `500ms`, `5s`, `2m`, `1h`.
public enum DurationText {
  /// Parses `text`; returns nil when it is not `<digits><ms|s|m|h>`.
  public static func parse(_ text: String) -> Duration? {
    let units: [(suffix: String, milliseconds: Int64)] = [
      ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000),
    ]
    // "ms" must be tried before "m" and "s".
    for unit in units.sorted(by: { $0.suffix.count > $1.suffix.count }) where text.hasSuffix(unit.suffix) {
      let digits = text.dropLast(unit.suffix.count)
      guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
        let value = Int64(digits)
      else { return nil }
      let (product, overflow) = value.multipliedReportingOverflow(by: unit.milliseconds)
      guard !overflow, product <= 366 * 86_400_000 else { return nil }
      return .milliseconds(product)
    }
    return nil
  }

  /// The shortest exact spelling, for summaries: `1500ms`, `5s`, `2m`, `1h`.
  public static func format(_ duration: Duration) -> String {
    let milliseconds = duration.milliseconds
    if milliseconds % 3_600_000 == 0, milliseconds > 0 { return "\(milliseconds / 3_600_000)h" }
    if milliseconds % 60_000 == 0, milliseconds > 0 { return "\(milliseconds / 60_000)m" }
    if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
    return "\(milliseconds)ms"
  }
}

extension Duration {
  /// Whole milliseconds (truncated).
  public var milliseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds * 1000 + attoseconds / 1_000_000_000_000_000
  }

  /// Whole nanoseconds (truncated); config durations are far below the Int64 range.
  public var nanoseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
  }
}
