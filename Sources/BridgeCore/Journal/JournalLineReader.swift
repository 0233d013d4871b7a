// Over 400 lines: one strict JSON scanner for journal lines, on replay's hot path; its cursor and the fields it
// fills are one job kept private together (split, the scanner's steps would have to be visible to the module).
import Foundation

/// Reads one journal line (a flat JSON object) into the fields records use, straight from its bytes.
///
/// A journal of two national days is about two million lines; Foundation's JSON turned each into a dictionary
/// of bridged objects and made a restart take ten seconds. This reader allocates nothing but the strings it
/// keeps. It is strict JSON (RFC 8259): anything else, including invalid UTF-8, a lone surrogate or a control
/// character in a string, makes the line bad, and so does a key it knows given twice (which value would be the
/// record's?). Keys it does not know are skipped whatever their value, nested to any depth (the line's length
/// bounds it), so a newer monitor may add fields.
struct JournalLineFields {
  var time: Double?
  var type: String?
  /// The type's place in `JournalLineReader.types`, when it is one of them.
  var typeIndex: Int?
  var site: String?
  var from: String?
  var to: String?
  var cause: String?
  var operatorName: String?
  var reason: String?
  var source: String?
  var count: Int?
  var peak: Int?
  var sites: Int?
  var dropped: Int?
  var until: Double?
  var step: Double?
  var on: Bool?
  var role: String?
  var madeAt: Double?
  var claimedBy: String?
}

enum JournalLineReader {
  /// Reads the fields of a line into `fields` (which must be empty); nil when it is a JSON object whose known keys
  /// are each given once, else what is wrong.
  static func read(_ line: UnsafeBufferPointer<UInt8>, into fields: inout JournalLineFields) -> String? {
    guard isValidUTF8(line) else { return "not valid UTF-8" }
    var cursor = Cursor(bytes: line)
    return cursor.object(into: &fields)
  }

  /// The values a few keys take on nearly every line, as literals: a match costs no allocation, and a record
  /// holding one costs no reference counting.
  /// The record types, most frequent first; `types` spells them in the same order.
  enum RecordType: Int {
    case status, headcount, start, stop, mark, clear, ack, flapping, help, gap, clock, claim, release, role, bridge, countFile,
      bridgeQuality, bridgeDisagreement
  }
  static let types: [StaticString] = [
    "status", "headcount", "start", "stop", "mark", "clear", "ack", "flapping", "help", "gap", "clock", "claim", "release", "role",
    "bridge", "count_file", "bridge_quality", "bridge_disagreement",
  ]
  /// Exact doubles (10^15 < 2^53): a decimal of up to 15 digits over one of them is one correctly rounded division.
  static let powersOfTen: [Double] = (0...15).map { power in (0..<power).reduce(1.0) { value, _ in value * 10 } }
  static let statuses: [StaticString] = ["unknown", "online", "late", "offline", "marked"]
  static let causes: [StaticString] = ["heartbeat", "silence", "mark", "clear", "checkpoint"]
  static let sources: [StaticString] = ["udp", "file", "manual"]

  /// ASCII (nearly every line) is checked with one pass; anything else through the standard library's validator.
  private static func isValidUTF8(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    var combined: UInt8 = 0
    for byte in line { combined |= byte }
    return combined < 0x80 || String(validating: line, as: UTF8.self) != nil
  }

  private enum Value {
    /// `known`: its place in the key's vocabulary.
    case string(String, known: Int?)
    case number(Double, integer: Int?)
    case bool(Bool)
    case other
  }

  private struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }
    var current: UInt8 { bytes[position] }

    mutating func skipSpace() {
      while position < bytes.count {
        switch bytes[position] {
        case 0x20, 0x09, 0x0A, 0x0D: position += 1
        default: return
        }
      }
    }

    mutating func take(_ byte: UInt8) -> Bool {
      guard position < bytes.count, bytes[position] == byte else { return false }
      position += 1
      return true
    }

    mutating func object(into fields: inout JournalLineFields) -> String? {
      let notAnObject = "not a JSON object"
      skipSpace()
      guard take(UInt8(ascii: "{")) else { return notAnObject }
      skipSpace()
      var seen: UInt32 = 0
      if !take(UInt8(ascii: "}")) {
        while true {
          skipSpace()
          guard let name = string() else { return notAnObject }
          let key = withBytes(of: name) { Key($0) }
          if key != .unknown {
            let bit: UInt32 = 1 << key.rawValue
            guard seen & bit == 0 else { return "the key \"\(key.name)\" appears twice" }
            seen |= bit
          }
          skipSpace()
          guard take(UInt8(ascii: ":")) else { return notAnObject }
          skipSpace()
          guard let value = value(for: key) else { return notAnObject }
          store(value, key: key, in: &fields)
          skipSpace()
          if take(UInt8(ascii: ",")) { continue }
          guard take(UInt8(ascii: "}")) else { return notAnObject }
          break
        }
      }
      skipSpace()
      return atEnd ? nil : notAnObject
    }

    /// The known keys, told apart by their bytes; the raw value is a bit in the set of keys seen.
    enum Key: Int {
      case time, type, site, from, to, cause, operatorName, reason, source, count, peak, sites, dropped, until, step, on, role, madeAt
      case claimedBy
      case unknown

      static let names: [(StaticString, Key)] = [
        ("t", .time), ("type", .type), ("site", .site), ("from", .from), ("to", .to), ("cause", .cause),
        ("operator", .operatorName), ("reason", .reason), ("source", .source), ("count", .count), ("peak", .peak),
        ("sites", .sites), ("dropped", .dropped), ("until", .until), ("step", .step), ("on", .on), ("role", .role),
        ("made_at", .madeAt), ("claimed_by", .claimedBy),
      ]

      var name: String { Self.names.first { $0.1 == self }.map { "\($0.0)" } ?? "?" }

      init(_ bytes: UnsafeBufferPointer<UInt8>) {
        for (name, key) in Self.names where name.utf8CodeUnitCount == bytes.count {
          if memcmp(name.utf8Start, bytes.baseAddress!, bytes.count) == 0 {
            self = key
            return
          }
        }
        self = .unknown
      }
    }

    private func store(_ value: Value, key: Key, in fields: inout JournalLineFields) {
      switch (key, value) {
      case (.time, .number(let number, _)): fields.time = number
      case (.until, .number(let number, _)): fields.until = number
      case (.step, .number(let number, _)): fields.step = number
      case (.madeAt, .number(let number, _)): fields.madeAt = number
      case (.count, .number(_, let integer)): fields.count = integer
      case (.peak, .number(_, let integer)): fields.peak = integer
      case (.sites, .number(_, let integer)): fields.sites = integer
      case (.dropped, .number(_, let integer)): fields.dropped = integer
      case (.on, .bool(let flag)): fields.on = flag
      case (.type, .string(let text, let known)):
        fields.type = text
        fields.typeIndex = known
      case (.site, .string(let text, _)): fields.site = text
      case (.from, .string(let text, _)): fields.from = text
      case (.to, .string(let text, _)): fields.to = text
      case (.cause, .string(let text, _)): fields.cause = text
      case (.operatorName, .string(let text, _)): fields.operatorName = text
      case (.reason, .string(let text, _)): fields.reason = text
      case (.source, .string(let text, _)): fields.source = text
      case (.role, .string(let text, _)): fields.role = text
      case (.claimedBy, .string(let text, _)): fields.claimedBy = text
      default: break
      }
    }

    /// A value: kept as a string, number or flag for a known key, only checked for an unknown one.
    private mutating func value(for key: Key) -> Value? {
      guard !atEnd else { return nil }
      switch current {
      case UInt8(ascii: "\""):
        guard let token = string() else { return nil }
        guard key != .unknown else { return .other }
        return withBytes(of: token) { bytes in
          // Every word of a vocabulary fits in a small string: making one allocates nothing.
          .string(String(decoding: bytes, as: UTF8.self), known: bytes.isEmpty ? nil : Self.known(bytes, for: key))
        }
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        return skipNested() ? .other : nil
      case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
      case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
      case UInt8(ascii: "n"): return literal("null") ? .other : nil
      default: return number()
      }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
      let count = word.utf8CodeUnitCount
      guard bytes.count - position >= count else { return false }
      for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] { return false }
      position += count
      return true
    }

    /// A JSON number. Integers of up to 18 digits are exact; a decimal with few digits (the journal's times, to the
    /// millisecond) is one correctly rounded division; anything else goes through `strtod`.
    private mutating func number() -> Value? {
      let start = position
      let negative = take(UInt8(ascii: "-"))
      var mantissa: UInt64 = 0
      var digits = 0
      func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
      guard !atEnd, isDigit(current) else { return nil }
      if current == UInt8(ascii: "0") {
        position += 1
      } else {
        while !atEnd, isDigit(current) {
          if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(current - 0x30) }
          digits += 1
          position += 1
        }
      }
      var fractionDigits = 0
      if take(UInt8(ascii: ".")) {
        guard !atEnd, isDigit(current) else { return nil }
        while !atEnd, isDigit(current) {
          if digits + fractionDigits < 19 { mantissa = mantissa &* 10 &+ UInt64(current - 0x30) }
          fractionDigits += 1
          position += 1
        }
      }
      var hasExponent = false
      if !atEnd, current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
        hasExponent = true
        position += 1
        if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
        guard !atEnd, isDigit(current) else { return nil }
        while !atEnd, isDigit(current) { position += 1 }
      }
      let significant = digits + fractionDigits
      if !hasExponent && significant <= 15 {
        // Both operands are exact doubles (below 2^53 and a power of ten up to 1e22): one rounding, the right one.
        let magnitude = Double(mantissa) / JournalLineReader.powersOfTen[fractionDigits]
        let value = negative ? -magnitude : magnitude
        let integer = value == value.rounded() && abs(value) < 1e15 ? Int(value) : nil
        return .number(value, integer: integer)
      }
      if !hasExponent && fractionDigits == 0 && digits <= 18 {
        let integer = negative ? -Int(mantissa) : Int(mantissa)
        return .number(Double(integer), integer: integer)
      }
      let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
      guard let value = Double(text), value.isFinite else { return nil }
      let integer = value == value.rounded() && abs(value) < 9e18 ? Int(value) : nil
      return .number(value, integer: integer)
    }

    /// The word's place in the key's vocabulary, if it is one of them.
    static func known(_ bytes: UnsafeBufferPointer<UInt8>, for key: Key) -> Int? {
      let words: [StaticString]
      switch key {
      case .type: words = JournalLineReader.types
      case .from, .to: words = JournalLineReader.statuses
      case .cause: words = JournalLineReader.causes
      case .source: words = JournalLineReader.sources
      default: return nil
      }
      for (position, word) in words.enumerated() where word.utf8CodeUnitCount == bytes.count {
        if memcmp(word.utf8Start, bytes.baseAddress!, bytes.count) == 0 { return position }
      }
      return nil
    }

    /// A string: where it lies in the line when it has no escapes (nearly always), else its bytes with the
    /// escapes resolved.
    enum StringToken {
      case plain(Range<Int>)
      case escaped([UInt8])
    }

    func withBytes<Result>(of token: StringToken, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
      switch token {
      case .plain(let range): body(UnsafeBufferPointer(rebasing: bytes[range]))
      case .escaped(let text): text.withUnsafeBufferPointer(body)
      }
    }

    /// A JSON string; nil if it is not a valid one.
    private mutating func string() -> StringToken? {
      guard take(UInt8(ascii: "\"")) else { return nil }
      let start = position
      while position < bytes.count {
        let byte = bytes[position]
        if byte == UInt8(ascii: "\"") {
          position += 1
          return .plain(start..<(position - 1))
        }
        if byte == UInt8(ascii: "\\") { break }
        if byte < 0x20 { return nil }
        position += 1
      }
      guard position < bytes.count else { return nil }
      var text = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
      while position < bytes.count {
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return .escaped(text)
        case UInt8(ascii: "\\"):
          guard position < bytes.count else { return nil }
          let escape = bytes[position]
          position += 1
          switch escape {
          case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
          case UInt8(ascii: "b"): text.append(0x08)
          case UInt8(ascii: "f"): text.append(0x0C)
          case UInt8(ascii: "n"): text.append(0x0A)
          case UInt8(ascii: "r"): text.append(0x0D)
          case UInt8(ascii: "t"): text.append(0x09)
          case UInt8(ascii: "u"):
            guard var scalar = hexQuad() else { return nil }
            if (0xD800...0xDBFF).contains(scalar) {
              guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hexQuad(), (0xDC00...0xDFFF).contains(low) else {
                return nil
              }
              scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
              return nil
            }
            guard let unicode = Unicode.Scalar(scalar) else { return nil }
            text.append(contentsOf: UTF8.encode(unicode)!)
          default: return nil
          }
        default:
          if byte < 0x20 { return nil }
          text.append(byte)
        }
      }
      return nil
    }

    private mutating func hexQuad() -> UInt32? {
      guard bytes.count - position >= 4 else { return nil }
      var value: UInt32 = 0
      for _ in 0..<4 {
        let byte = bytes[position]
        let digit: UInt8
        switch byte {
        case 0x30...0x39: digit = byte - 0x30
        case 0x41...0x46: digit = byte - 0x41 + 10
        case 0x61...0x66: digit = byte - 0x61 + 10
        default: return nil
        }
        value = value << 4 | UInt32(digit)
        position += 1
      }
      return value
    }

    /// Checks and skips an object or array (the value of a key this version does not know). Its open containers
    /// are a stack in memory, not recursion: any depth a line can hold costs at most the line's length.
    private mutating func skipNested() -> Bool {
      var closers: [UInt8] = []
      repeat {
        skipSpace()
        guard !atEnd else { return false }
        switch current {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
          let isObject = current == UInt8(ascii: "{")
          closers.append(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
          position += 1
          skipSpace()
          if take(closers.last!) {
            closers.removeLast()
            if !afterValue(&closers) { return false }
            continue
          }
          if isObject && !member() { return false }
          if !isObject { continue }
        default:
          guard value(for: .unknown) != nil else { return false }
          if !afterValue(&closers) { return false }
        }
      } while !closers.isEmpty
      return true
    }

    /// An object member's key and colon; its value follows.
    private mutating func member() -> Bool {
      skipSpace()
      guard string() != nil else { return false }
      skipSpace()
      return take(UInt8(ascii: ":"))
    }

    /// After a value inside nested containers: a comma (and the next key in an object) or closers.
    private mutating func afterValue(_ closers: inout [UInt8]) -> Bool {
      while let closer = closers.last {
        skipSpace()
        if take(UInt8(ascii: ",")) { return closer == UInt8(ascii: "}") ? member() : true }
        guard take(closer) else { return false }
        closers.removeLast()
      }
      return true
    }
  }
}
