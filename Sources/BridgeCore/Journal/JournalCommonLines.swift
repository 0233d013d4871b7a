import Foundation

/// The two lines that make nearly all of a journal (a two-day national journal is 88% heartbeat headcount samples
/// and 8% status changes), read in the exact form `JournalCodec.encode` writes them, without the general reader.
///
/// Only a line that is byte for byte that form is taken here; anything else (other key orders, spaces, escapes, an
/// operator, a number outside the plain forms or out of range, an unknown word) returns nil and goes through
/// `JournalLineReader`, so a line is decoded to the same record either way (`JournalCommonLinesTests` holds the
/// two readers to that). It saves the report most of its reading: the general reader looks up every key, fills
/// twenty optional fields and makes a string of every value.
enum JournalCommonLines {
  /// The longest site id taken here; the general reader takes any.
  static let maximumSiteLength = 64

  /// The line read, or nil when it is not one of the two in their exact form.
  static func decode(_ line: UnsafeBufferPointer<UInt8>) -> JournalCommonLine? {
    var cursor = Cursor(line)
    guard cursor.take("{\"t\":"), let time = cursor.time(), cursor.take(",\"type\":\"") else { return nil }
    if cursor.take("headcount\",\"site\":\"") {
      guard let site = cursor.siteID(), cursor.take("\",\"count\":"), let count = cursor.count(), cursor.take(",\"source\":\"")
      else { return nil }
      let source: HeartbeatSource
      if cursor.take("udp\"") {
        source = .udp
      } else if cursor.take("file\"") {
        source = .file
      } else {
        return nil
      }
      var peak: Int?
      if cursor.take(",\"peak\":") {
        guard let value = cursor.count() else { return nil }
        peak = value
      }
      guard cursor.take("}"), cursor.atEnd else { return nil }
      return JournalCommonLine(unixSeconds: time, siteID: site, kind: .headcount(count: count, source: source, peak: peak))
    }
    if cursor.take("status\",\"site\":\"") {
      guard let site = cursor.siteID(), cursor.take("\",\"from\":\""), let from = cursor.status(), cursor.take("\",\"to\":\""),
        let to = cursor.status(), cursor.take("\",\"cause\":\""), let cause = cursor.cause(), cursor.take("\"")
      else { return nil }
      var source: HeartbeatSource?
      if cursor.take(",\"source\":\"") {
        guard let heard = cursor.heardBy(), cursor.take("\"") else { return nil }
        source = heard
      }
      guard cursor.take("}"), cursor.atEnd else { return nil }
      return JournalCommonLine(unixSeconds: time, siteID: site, kind: .status(from: from, to: to, cause: cause, source: source))
    }
    return nil
  }

  private struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    /// Takes `literal` when the bytes at the cursor are it.
    mutating func take(_ literal: StaticString) -> Bool {
      let count = literal.utf8CodeUnitCount
      guard bytes.count - position >= count, memcmp(bytes.baseAddress! + position, literal.utf8Start, count) == 0 else { return false }
      position += count
      return true
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// `1796267402.978`: digits, a point and digits, with no leading zero and at most 15 significant digits (the
    /// general reader's exact case: one correctly rounded division), inside `UnixTime`'s window and after 1970.
    mutating func time() -> Double? {
      var mantissa: UInt64 = 0
      var digits = 0
      guard position < bytes.count, bytes[position] != UInt8(ascii: "0") else { return nil }
      while position < bytes.count, isDigit(bytes[position]) {
        mantissa = mantissa &* 10 &+ UInt64(bytes[position] &- 0x30)
        digits += 1
        position += 1
      }
      guard digits > 0, digits <= 15, position < bytes.count, bytes[position] == UInt8(ascii: ".") else { return nil }
      position += 1
      var fractionDigits = 0
      while position < bytes.count, isDigit(bytes[position]) {
        mantissa = mantissa &* 10 &+ UInt64(bytes[position] &- 0x30)
        fractionDigits += 1
        position += 1
      }
      guard fractionDigits > 0, digits + fractionDigits <= 15 else { return nil }
      let seconds = Double(mantissa) / JournalLineReader.powersOfTen[fractionDigits]
      guard seconds > 0, UnixTime(seconds: seconds) != nil else { return nil }
      return seconds
    }

    /// A headcount: `0`, or digits without a leading zero, at most `HeartbeatCodec.maximumCount`.
    mutating func count() -> Int? {
      let start = position
      var value = 0
      while position < bytes.count, isDigit(bytes[position]), position - start < 8 {
        value = value * 10 + Int(bytes[position] &- 0x30)
        position += 1
      }
      let length = position - start
      guard length > 0, length == 1 || bytes[start] != UInt8(ascii: "0"), value <= HeartbeatCodec.maximumCount else { return nil }
      // A ninth digit, a fraction or an exponent: the general reader's.
      guard position == bytes.count || !isDigit(bytes[position]) else { return nil }
      return value
    }

    /// Printable ASCII up to the closing quote, with no quote or backslash inside (so no escape): the bytes of the
    /// string the general reader would make of it.
    mutating func siteID() -> UnsafeBufferPointer<UInt8>? {
      let start = position
      while position < bytes.count {
        let byte = bytes[position]
        if byte == UInt8(ascii: "\"") { break }
        guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
        position += 1
      }
      let length = position - start
      guard length > 0, length <= JournalCommonLines.maximumSiteLength, position < bytes.count else { return nil }
      return UnsafeBufferPointer(rebasing: bytes[start..<position])
    }

    mutating func status() -> SiteStatus? {
      if take("online") { return .online }
      if take("late") { return .late }
      if take("offline") { return .offline }
      if take("unknown") { return .unknown }
      if take("marked") { return .marked }
      return nil
    }

    /// The causes the monitor writes, as the same literals (a literal string costs no allocation to keep).
    mutating func cause() -> String? {
      if take("heartbeat") { return "heartbeat" }
      if take("silence") { return "silence" }
      if take("mark") { return "mark" }
      if take("clear") { return "clear" }
      if take("checkpoint") { return "checkpoint" }
      return nil
    }

    mutating func heardBy() -> HeartbeatSource? {
      if take("udp") { return .udp }
      if take("file") { return .file }
      if take("probe") { return .probe }
      return nil
    }
  }
}

/// A common line as read: its site id still the line's bytes, so a fold that finds sites by their bytes (the
/// report) makes no string of it.
public struct JournalCommonLine {
  public enum Kind {
    case headcount(count: Int, source: HeartbeatSource, peak: Int?)
    case status(from: SiteStatus, to: SiteStatus, cause: String, source: HeartbeatSource?)
  }

  public var unixSeconds: Double
  /// Printable ASCII, valid only while the line's bytes are (during the call that hands it over).
  public var siteID: UnsafeBufferPointer<UInt8>
  public var kind: Kind

  /// The record this line is, as the general reader makes it.
  public var record: JournalRecord {
    let site = String(decoding: siteID, as: UTF8.self)
    return switch kind {
    case .headcount(let count, let source, let peak):
      JournalRecord(unixSeconds: unixSeconds, site: site, kind: .headcount(count: count, source: source, operatorName: nil, peak: peak))
    case .status(let from, let to, let cause, let source):
      JournalRecord(unixSeconds: unixSeconds, site: site, kind: .status(from: from, to: to, cause: cause, source: source))
    }
  }
}
