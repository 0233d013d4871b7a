/// A wall-clock time that came from outside the monitor (a journal line, a console, a primary, a status reply):
/// finite and inside a window no conference can leave, so that every formatter, every conversion to an integer and
/// every subtraction of two such times is total. Times the monitor reads from its own clock need no check.
public struct UnixTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
  /// The Unix epoch: the journal has never held an earlier time (its reader refused zero and below).
  public static let earliest: Double = 0
  /// 2100-01-01 00:00 UTC.
  public static let latest: Double = 4_102_444_800
  /// The largest step between two times inside the window: a clock record's `step` is bounded by it.
  public static let maximumStep: Double = latest - earliest

  public let seconds: Double

  /// Nil when `seconds` is not finite or lies outside the window.
  public init?(seconds: Double) {
    guard seconds.isFinite, seconds >= Self.earliest, seconds <= Self.latest else { return nil }
    self.seconds = seconds
  }

  /// What is wrong with `seconds` as a time, for an error message; nil when it is one.
  public static func problem(_ seconds: Double) -> String? {
    UnixTime(seconds: seconds) == nil ? "time \(seconds) is outside 1970-01-01…2100-01-01" : nil
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let value = try container.decode(Double.self)
    guard let time = UnixTime(seconds: value) else {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.problem(value) ?? "")
    }
    self = time
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(seconds)
  }

  public static func < (lhs: UnixTime, rhs: UnixTime) -> Bool { lhs.seconds < rhs.seconds }

  public var description: String { "\(seconds)" }
}

extension KeyedDecodingContainer {
  /// A time at `key` (Unix seconds), refused when it is outside `UnixTime`'s window.
  public func decodeTime(forKey key: Key) throws -> Double {
    try decode(UnixTime.self, forKey: key).seconds
  }

  public func decodeTimeIfPresent(forKey key: Key) throws -> Double? {
    try decodeIfPresent(UnixTime.self, forKey: key)?.seconds
  }
}
