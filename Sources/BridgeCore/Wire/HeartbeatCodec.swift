// The BW1 wire format (docs/PROTOCOL.md is the contract). Pure Swift, no Foundation, so the fuzzer
// can compile this file on its own.

/// The `state=` a site reports about itself.
public enum ReportedState: String, Sendable, Codable {
  case ok, help, degraded
}

/// Why a site's agent refused its own count file, as a heartbeat's `count_problem=` carries it: a reason code from
/// this closed list, never the site's text, so nothing typed at a site reaches the control room's screen. A code a
/// newer agent sends that this monitor does not know is read as `other`.
public enum CountFileProblem: UInt8, CaseIterable, Sendable, Codable {
  case empty, notANumber, tooLarge, severalLines, notText, unreadable, other

  /// The word on the wire, in the status file and on a console.
  public var word: String {
    switch self {
    case .empty: "empty"
    case .notANumber: "not_a_number"
    case .tooLarge: "too_large"
    case .severalLines: "several_lines"
    case .notText: "not_text"
    case .unreadable: "unreadable"
    case .other: "other"
    }
  }

  public init(word: String) {
    self = Self.allCases.first { $0.word == word } ?? .other
  }

  /// The longest word a heartbeat may carry in `count_problem=` (a bound, so a datagram cannot carry text).
  public static let maximumWordLength = 24
}

/// Why a datagram (or heartbeat-file content) was not accepted. Raw values name the counters.
public enum RejectionReason: String, CaseIterable, Sendable, Codable, Error {
  case tooLarge = "too_large"
  case malformed
  case unknownSite = "unknown_site"
  /// The site has a key (or authentication is required) and the datagram carries no `ts`/`mac`.
  case unauthenticated
  case badMAC = "bad_mac"
  /// `ts` more than 120 s away from the monitor's clock.
  case stale
  /// `(ts, seq)` not newer than the last accepted pair.
  case replayed
}

/// What exactly is malformed, for logs and the fuzzer; never sent back to the sender.
public enum MalformedDetail: String, Sendable, Equatable {
  case notUTF8 = "not UTF-8"
  case controlCharacter = "control character or line break inside the line"
  case badMagic = "does not start with BW1"
  case emptyToken = "empty token (double, leading or trailing space)"
  case tokenWithoutEquals = "token is not key=value"
  case badKey = "bad key"
  case duplicateKey = "duplicated key"
  case macNotLast = "mac is not the last token"
  case missingSite = "missing site"
  case missingSequence = "missing seq"
  case badSite = "bad site id"
  case badSequence = "bad seq"
  case badCount = "bad count"
  case badTimestamp = "bad ts"
  case badState = "bad state"
  case badRTT = "bad rtt"
  case badCountProblem = "bad count_problem (lowercase letters and _, at most 24)"
  case badMAC = "bad mac (64 lowercase hex digits)"
  case emptyValue = "empty value"
}

/// The 32 bytes of a heartbeat's `mac`, held inline: no allocation per signed heartbeat.
public struct HeartbeatMAC: Sendable, Hashable {
  /// Byte i is bits 8 × (i mod 8) of word i / 8.
  var words = SIMD4<UInt64>()

  init() {}

  public init?(bytes: [UInt8]) {
    guard bytes.count == 32 else { return nil }
    for (index, byte) in bytes.enumerated() { words[index >> 3] |= UInt64(byte) << UInt64((index & 7) * 8) }
  }

  @inline(__always)
  public func byte(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: words[index >> 3] >> UInt64((index & 7) * 8)) }

  public var bytes: [UInt8] { (0..<32).map(byte) }
}

/// One decoded heartbeat. `site` is the raw id; looking it up is the caller's job.
public struct Heartbeat: Sendable, Equatable {
  public var site: String
  public var sequence: UInt64
  public var count: Int?
  public var timestamp: UInt64?
  public var state: ReportedState?
  public var rttMilliseconds: Int?
  /// The agent refused its count file for this reason (`count` is then the last good one, if any).
  public var countProblem: CountFileProblem?
  /// The 32 MAC bytes, when the datagram is signed.
  public var mac: HeartbeatMAC?
  /// How many leading bytes the MAC covers (everything before ` mac=`).
  public var signedLength: Int

  public init(
    site: String, sequence: UInt64, count: Int? = nil, timestamp: UInt64? = nil, state: ReportedState? = nil,
    rttMilliseconds: Int? = nil, countProblem: CountFileProblem? = nil, mac: HeartbeatMAC? = nil, signedLength: Int = 0
  ) {
    self.countProblem = countProblem
    self.site = site
    self.sequence = sequence
    self.count = count
    self.timestamp = timestamp
    self.state = state
    self.rttMilliseconds = rttMilliseconds
    self.mac = mac
    self.signedLength = signedLength
  }
}

public enum DecodeFailure: Error, Sendable, Equatable {
  case tooLarge(Int)
  case malformed(MalformedDetail)

  public var reason: RejectionReason {
    switch self {
    case .tooLarge: .tooLarge
    case .malformed: .malformed
    }
  }
}

public enum HeartbeatCodec {
  public static let maximumDatagramSize = 1200
  public static let maximumCount = 1_000_000
  public static let maximumRTTMilliseconds = 3_600_000
  static let magic: [UInt8] = Array("BW1".utf8)

  /// Decodes one datagram or heartbeat-file line. Strict: anything off the documented format is rejected.
  public static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<Heartbeat, DecodeFailure> {
    guard bytes.count <= maximumDatagramSize else { return .failure(.tooLarge(bytes.count)) }
    var end = bytes.count
    if end > 0 && bytes[end - 1] == 0x0A {
      end -= 1
      if end > 0 && bytes[end - 1] == 0x0D { end -= 1 }
    }
    var sawNonASCII = false
    for index in 0..<end {
      let byte = bytes[index]
      if byte < 0x20 || byte == 0x7F { return .failure(.malformed(.controlCharacter)) }
      if byte >= 0x80 {
        sawNonASCII = true
        // C1 controls (U+0080-U+009F, which include CSI) are 0xC2 0x80-0x9F in UTF-8.
        if byte == 0xC2 && index + 1 < end && (0x80...0x9F).contains(bytes[index + 1]) {
          return .failure(.malformed(.controlCharacter))
        }
      }
    }
    let line = UnsafeRawBufferPointer(rebasing: bytes[0..<end])
    if sawNonASCII && !isValidUTF8(line) { return .failure(.malformed(.notUTF8)) }
    return decodeLine(line)
  }

  public static func decode(_ bytes: [UInt8]) -> Result<Heartbeat, DecodeFailure> {
    bytes.withUnsafeBytes { decode($0) }
  }

  private static func decodeLine(_ line: UnsafeRawBufferPointer) -> Result<Heartbeat, DecodeFailure> {
    // Magic.
    guard line.count >= 3, line[0] == 0x42, line[1] == 0x57, line[2] == 0x31 else {
      return .failure(.malformed(.badMagic))
    }
    if line.count == 3 { return .failure(.malformed(.missingSite)) }
    guard line[3] == 0x20 else { return .failure(.malformed(.badMagic)) }

    var site: String?
    var sequence: UInt64?
    var count: Int?
    var timestamp: UInt64?
    var state: ReportedState?
    var rtt: Int?
    var countProblem: CountFileProblem?
    var mac: HeartbeatMAC?
    var signedLength = line.count
    // Keys seen, so duplicates (known or not) are rejected: known keys as bits (no allocation on the hot path),
    // unknown ones in a list (at most ~600 tokens fit in 1,200 bytes).
    var seenKnownKeys: UInt8 = 0
    var seenUnknownKeys: [UnsafeRawBufferPointer] = []

    var tokenStart = 4
    while tokenStart <= line.count {
      var tokenEnd = tokenStart
      while tokenEnd < line.count && line[tokenEnd] != 0x20 { tokenEnd += 1 }
      if tokenEnd == tokenStart { return .failure(.malformed(.emptyToken)) }
      if mac != nil { return .failure(.malformed(.macNotLast)) }
      var equals = tokenStart
      while equals < tokenEnd && line[equals] != 0x3D { equals += 1 }
      guard equals < tokenEnd else { return .failure(.malformed(.tokenWithoutEquals)) }
      guard equals > tokenStart else { return .failure(.malformed(.badKey)) }
      let key = UnsafeRawBufferPointer(rebasing: line[tokenStart..<equals])
      let value = UnsafeRawBufferPointer(rebasing: line[(equals + 1)..<tokenEnd])
      for byte in key where !isKeyByte(byte) { return .failure(.malformed(.badKey)) }
      let known = KnownKey(key)
      if let known {
        guard seenKnownKeys & known.bit == 0 else { return .failure(.malformed(.duplicateKey)) }
        seenKnownKeys |= known.bit
      } else {
        for seen in seenUnknownKeys where seen.elementsEqual(key) { return .failure(.malformed(.duplicateKey)) }
        seenUnknownKeys.append(key)
      }
      guard !value.isEmpty else { return .failure(.malformed(.emptyValue)) }

      switch known {
      case .site:
        guard SiteID.isValid(utf8: value) else { return .failure(.malformed(.badSite)) }
        site = String(decoding: value, as: UTF8.self)
      case .seq:
        guard let parsed = parseUnsigned(value, limit: .max) else { return .failure(.malformed(.badSequence)) }
        sequence = parsed
      case .count:
        guard let parsed = parseUnsigned(value, limit: UInt64(maximumCount)) else { return .failure(.malformed(.badCount)) }
        count = Int(parsed)
      case .ts:
        guard let parsed = parseUnsigned(value, limit: .max) else { return .failure(.malformed(.badTimestamp)) }
        timestamp = parsed
      case .state:
        if value.elementsEqual("ok".utf8) {
          state = .ok
        } else if value.elementsEqual("help".utf8) {
          state = .help
        } else if value.elementsEqual("degraded".utf8) {
          state = .degraded
        } else {
          return .failure(.malformed(.badState))
        }
      case .rtt:
        guard let parsed = parseUnsigned(value, limit: UInt64(maximumRTTMilliseconds)) else { return .failure(.malformed(.badRTT)) }
        rtt = Int(parsed)
      case .countProblem:
        guard value.count <= CountFileProblem.maximumWordLength,
          value.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "_") })
        else { return .failure(.malformed(.badCountProblem)) }
        countProblem = CountFileProblem(word: String(decoding: value, as: UTF8.self))
      case .mac:
        guard let parsed = parseHex32(value) else { return .failure(.malformed(.badMAC)) }
        mac = parsed
        signedLength = tokenStart - 1
      case nil:
        break  // unknown keys are ignored, for forward compatibility
      }
      tokenStart = tokenEnd + 1
      if tokenEnd == line.count { break }
      if tokenStart == line.count { return .failure(.malformed(.emptyToken)) }
    }
    guard let site else { return .failure(.malformed(.missingSite)) }
    guard let sequence else { return .failure(.malformed(.missingSequence)) }
    return .success(
      Heartbeat(
        site: site, sequence: sequence, count: count, timestamp: timestamp, state: state, rttMilliseconds: rtt,
        countProblem: countProblem, mac: mac, signedLength: signedLength))
  }

  /// The keys a heartbeat line may carry.
  private enum KnownKey: UInt8 {
    case site, seq, count, ts, state, rtt, mac, countProblem

    var bit: UInt8 { 1 << rawValue }

    init?(_ key: UnsafeRawBufferPointer) {
      switch key.count {
      case 4 where key.elementsEqual("site".utf8): self = .site
      case 3 where key.elementsEqual("seq".utf8): self = .seq
      case 5 where key.elementsEqual("count".utf8): self = .count
      case 2 where key.elementsEqual("ts".utf8): self = .ts
      case 5 where key.elementsEqual("state".utf8): self = .state
      case 3 where key.elementsEqual("rtt".utf8): self = .rtt
      case 3 where key.elementsEqual("mac".utf8): self = .mac
      case 13 where key.elementsEqual("count_problem".utf8): self = .countProblem
      default: return nil
      }
    }
  }

  /// The ack the monitor sends back for an accepted heartbeat.
  public static func ack(site: String, sequence: UInt64) -> String {
    ackPrefix(site: site) + String(sequence)
  }

  /// The ack up to its sequence number (the monitor keeps one per site and appends the digits).
  public static func ackPrefix(site: String) -> String {
    "BW1 ack site=\(site) seq="
  }

  /// Encodes a heartbeat line without `mac` (sign it with `HeartbeatAuthenticator.sign`).
  public static func encode(
    site: String, sequence: UInt64, count: Int? = nil, timestamp: UInt64? = nil, state: ReportedState? = nil,
    rttMilliseconds: Int? = nil, countProblem: CountFileProblem? = nil
  ) -> String {
    var line = "BW1 site=\(site) seq=\(sequence)"
    if let count { line += " count=\(count)" }
    if let timestamp { line += " ts=\(timestamp)" }
    if let state { line += " state=\(state.rawValue)" }
    if let rttMilliseconds { line += " rtt=\(rttMilliseconds)" }
    if let countProblem { line += " count_problem=\(countProblem.word)" }
    return line
  }

  @inline(__always)
  static func isKeyByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
      UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
      return true
    default:
      return false
    }
  }

  /// Decimal digits only (no sign, no spaces), at most `limit`.
  static func parseUnsigned(_ value: UnsafeRawBufferPointer, limit: UInt64) -> UInt64? {
    guard !value.isEmpty, value.count <= 20 else { return nil }
    var result: UInt64 = 0
    for byte in value {
      guard byte >= 0x30 && byte <= 0x39 else { return nil }
      let (times10, overflow1) = result.multipliedReportingOverflow(by: 10)
      let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
      guard !overflow1, !overflow2 else { return nil }
      result = sum
    }
    return result <= limit ? result : nil
  }

  static func parseHex32(_ value: UnsafeRawBufferPointer) -> HeartbeatMAC? {
    guard value.count == 64 else { return nil }
    var out = HeartbeatMAC()
    for word in 0..<4 {
      // A word at a time in a local: writing SIMD lanes byte by byte cost more than the rest of the decode.
      var bits: UInt64 = 0
      for byte in 0..<8 {
        let offset = (word * 8 + byte) * 2
        guard let high = hexValue(value[offset]), let low = hexValue(value[offset + 1]) else { return nil }
        bits |= UInt64(high << 4 | low) << UInt64(byte * 8)
      }
      out.words[word] = bits
    }
    return out
  }

  @inline(__always)
  static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: byte - 0x30
    case 0x61...0x66: byte - 0x61 + 10
    default: nil
    }
  }

  static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
      switch decoder.decode(&iterator) {
      case .scalarValue: continue
      case .emptyInput: return true
      case .error: return false
      }
    }
  }
}
