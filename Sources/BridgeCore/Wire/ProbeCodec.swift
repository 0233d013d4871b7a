/// Why an answer on a probe socket was dropped. A bounded set: the metrics label it.
public enum ProbeRejection: String, CaseIterable, Sendable, Codable, Error {
  /// Larger than any answer to a probe can be.
  case tooLarge = "too_large"
  /// Not a SIP response, or not an ICMP echo reply.
  case malformed
  /// No probe of ours waits for it: late, duplicated, or a forged Call-ID or payload.
  case unmatched
  /// It names a probe of ours but comes from another address than the probed one.
  case wrongSource = "wrong_source"
}

/// The SIP side of a probe: the OPTIONS request (RFC 3261 11, as proxies send it to check a peer is alive) and
/// the few fields of a response that match it to its probe.
public enum SIPProbeCodec {
  /// The largest answer taken; a response to OPTIONS carries a few headers and an optional SDP body.
  public static let maximumResponseBytes = 8192

  public struct Response: Equatable, Sendable {
    public var code: Int
    public var callID: Substring
    public var sequence: UInt32
  }

  /// The OPTIONS request for `target`, from `local` (the address the socket sends from). `token` (random per
  /// probe) and `site` make the Call-ID, `<token hex>-<site>@bridgewatch`, which the answer must carry back.
  public static func request(
    target: ProbeTarget, local: (host: String, port: Int), tag: String, token: UInt64, site: Int, sequence: UInt32
  ) -> [UInt8] {
    var bytes: [UInt8] = []
    Template(target: target, local: local, tag: tag).write(into: &bytes, token: token, site: site, sequence: sequence)
    return bytes
  }

  /// The Call-ID of a probe.
  public static func callID(token: UInt64, site: Int) -> String { "\(String(token, radix: 16))-\(site)@bridgewatch" }

  /// A site's OPTIONS request made once, but for the per-probe token and sequence: writing one is a few copies.
  public struct Template: Sendable {
    private let beforeBranch: [UInt8]
    private let beforeCallID: [UInt8]
    private let beforeSequence: [UInt8]
    private let rest: [UInt8]

    public init(target: ProbeTarget, local: (host: String, port: Int), tag: String) {
      // An interface (fe80::1%eth0) is this machine's business: the URI and Via carry the address alone.
      func bracketed(_ host: String) -> String {
        let address = ProbeTarget.withoutZone(host)
        return address.contains(":") ? "[\(address)]" : address
      }
      let user = target.user.map { "\($0)@" } ?? ""
      // The Request-URI names the host as the config writes it.
      let uri = "sip:\(user)\(bracketed(target.host)):\(target.port)"
      let localHost = bracketed(local.host)
      beforeBranch = Array("OPTIONS \(uri) SIP/2.0\r\nVia: SIP/2.0/UDP \(localHost):\(local.port);branch=z9hG4bK".utf8)
      beforeCallID = Array(
        ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:bridgewatch@\(localHost)>;tag=\(tag)\r\nTo: <\(uri)>\r\nCall-ID: ".utf8)
      beforeSequence = Array("@bridgewatch\r\nCSeq: ".utf8)
      rest = Array(
        (" OPTIONS\r\nContact: <sip:bridgewatch@\(localHost):\(local.port)>\r\nAccept: application/sdp\r\n"
          + "User-Agent: BridgeWatch/\(BuildInfo.version)\r\nContent-Length: 0\r\n\r\n").utf8)
    }

    /// Replaces `bytes` with the request for one probe.
    public func write(into bytes: inout [UInt8], token: UInt64, site: Int, sequence: UInt32) {
      bytes.removeAll(keepingCapacity: true)
      bytes += beforeBranch
      Self.appendHex(token, to: &bytes)
      Self.appendDecimal(UInt64(sequence), to: &bytes)
      bytes += beforeCallID
      Self.appendHex(token, to: &bytes)
      bytes.append(UInt8(ascii: "-"))
      Self.appendDecimal(UInt64(site), to: &bytes)
      bytes += beforeSequence
      Self.appendDecimal(UInt64(sequence), to: &bytes)
      bytes += rest
    }

    static func appendHex(_ value: UInt64, to bytes: inout [UInt8]) {
      let digits = Array("0123456789abcdef".utf8)
      var shift = 60
      while shift > 0 && (value >> UInt64(shift)) & 0xf == 0 { shift -= 4 }
      while shift >= 0 {
        bytes.append(digits[Int((value >> UInt64(shift)) & 0xf)])
        shift -= 4
      }
    }

    static func appendDecimal(_ value: UInt64, to bytes: inout [UInt8]) {
      var divisor: UInt64 = 1
      while value / divisor >= 10 { divisor *= 10 }
      while divisor > 0 {
        bytes.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
        divisor /= 10
      }
    }
  }

  /// The status code, Call-ID and CSeq number of a response to OPTIONS; `malformed` for anything else. Works on
  /// the bytes: no copy of the message is made.
  public static func parseResponse(_ bytes: UnsafeRawBufferPointer) -> Result<Response, ProbeRejection> {
    guard bytes.count <= maximumResponseBytes else { return .failure(.tooLarge) }
    // "SIP/2.0 200 OK\r\n": the version, a three-digit code, anything up to the end of the line.
    let prefix = Array("SIP/2.0 ".utf8)
    guard bytes.count >= prefix.count + 3, bytes.prefix(prefix.count).elementsEqual(prefix) else { return .failure(.malformed) }
    var code = 0
    for offset in prefix.count..<(prefix.count + 3) {
      let byte = bytes[offset]
      guard byte >= 0x30, byte <= 0x39 else { return .failure(.malformed) }
      code = code * 10 + Int(byte - 0x30)
    }
    guard (100...699).contains(code) else { return .failure(.malformed) }
    var callID: Range<Int>?
    var sequence: UInt32?
    var isOptions = false
    // Headers end at the first empty line; a body (if any) is never read.
    var lineStart = firstLineEnd(bytes, from: 0).map { $0 + 2 } ?? bytes.count
    while lineStart < bytes.count, let lineEnd = firstLineEnd(bytes, from: lineStart), lineEnd > lineStart {
      let line = lineStart..<lineEnd
      lineStart = lineEnd + 2
      guard let colon = line.first(where: { bytes[$0] == UInt8(ascii: ":") }) else { continue }
      let name = line.lowerBound..<colon
      var valueStart = colon + 1
      while valueStart < line.upperBound && (bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09) { valueStart += 1 }
      let value = valueStart..<line.upperBound
      if equalsIgnoringCase(bytes, trimmed(bytes, name), "call-id") || equalsIgnoringCase(bytes, trimmed(bytes, name), "i") {
        var end = value.lowerBound
        while end < value.upperBound && bytes[end] != 0x20 && bytes[end] != 0x09 { end += 1 }
        callID = value.lowerBound..<end
      } else if equalsIgnoringCase(bytes, trimmed(bytes, name), "cseq") {
        var cursor = value.lowerBound
        var number: UInt64 = 0
        var digits = 0
        while cursor < value.upperBound, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39, digits < 10 {
          number = number * 10 + UInt64(bytes[cursor] - 0x30)
          digits += 1
          cursor += 1
        }
        guard digits > 0, cursor < value.upperBound, bytes[cursor] == 0x20 || bytes[cursor] == 0x09, number <= UInt32.max else {
          continue
        }
        while cursor < value.upperBound && (bytes[cursor] == 0x20 || bytes[cursor] == 0x09) { cursor += 1 }
        var methodEnd = value.upperBound
        while methodEnd > cursor && (bytes[methodEnd - 1] == 0x20 || bytes[methodEnd - 1] == 0x09) { methodEnd -= 1 }
        sequence = UInt32(number)
        isOptions = (methodEnd - cursor) == 7 && equalsIgnoringCase(bytes, cursor..<methodEnd, "OPTIONS") && bytes[cursor] == 0x4f
      }
    }
    guard let callID, !callID.isEmpty, let sequence, isOptions,
      let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[callID]), as: UTF8.self)
    else { return .failure(.malformed) }
    return .success(Response(code: code, callID: Substring(text), sequence: sequence))
  }

  private static func firstLineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
    var index = start
    while index + 1 < bytes.count {
      if bytes[index] == 0x0d && bytes[index + 1] == 0x0a { return index }
      index += 1
    }
    return nil
  }

  private static func trimmed(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
    var lower = range.lowerBound
    var upper = range.upperBound
    while lower < upper && (bytes[lower] == 0x20 || bytes[lower] == 0x09) { lower += 1 }
    while upper > lower && (bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09) { upper -= 1 }
    return lower..<upper
  }

  private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ word: StaticString) -> Bool {
    guard range.count == word.utf8CodeUnitCount else { return false }
    return word.withUTF8Buffer { expected in
      for (offset, index) in range.enumerated() {
        var byte = bytes[index]
        if byte >= 0x41 && byte <= 0x5a { byte += 0x20 }
        var want = expected[offset]
        if want >= 0x41 && want <= 0x5a { want += 0x20 }
        if byte != want { return false }
      }
      return true
    }
  }
}

/// ICMP echo requests and replies (RFC 792, RFC 4443), as sent on Linux's ping sockets or raw sockets.
public enum ICMPEchoCodec {
  public static let payloadBytes = 16

  /// An echo request: type 8 (IPv4) or 128 (IPv6), `identifier` (the kernel replaces it on a ping socket),
  /// `sequence`, and a payload of `token` and `site`, which the reply carries back.
  public static func request(ipv6: Bool, identifier: UInt16, sequence: UInt16, token: UInt64, site: UInt32) -> [UInt8] {
    var packet: [UInt8] = [ipv6 ? 128 : 8, 0, 0, 0]
    packet += [UInt8(identifier >> 8), UInt8(identifier & 0xff), UInt8(sequence >> 8), UInt8(sequence & 0xff)]
    packet += withUnsafeBytes(of: token.bigEndian, Array.init)
    packet += withUnsafeBytes(of: site.bigEndian, Array.init)
    packet += [0x42, 0x57, 0x31, 0x00]  // "BW1\0": whoever captures it can tell what it is
    if !ipv6 {
      // IPv6's checksum covers a pseudo-header the kernel fills in; it computes it on ICMPv6 sockets.
      let sum = checksum(packet)
      packet[2] = UInt8(sum >> 8)
      packet[3] = UInt8(sum & 0xff)
    }
    return packet
  }

  public struct Reply: Equatable, Sendable {
    public var sequence: UInt16
    public var token: UInt64
    public var site: UInt32
  }

  /// An echo reply's sequence and payload. `includesIPHeader`: the packet starts with the IPv4 header (raw
  /// sockets). Anything else (another type, a short packet) is `malformed`; other ICMP traffic a raw socket sees
  /// (unreachables, requests) is malformed too and simply dropped.
  public static func parseReply(_ bytes: UnsafeRawBufferPointer, ipv6: Bool, includesIPHeader: Bool) -> Result<Reply, ProbeRejection> {
    guard bytes.count <= 2048 else { return .failure(.tooLarge) }
    var start = 0
    if includesIPHeader {
      guard bytes.count >= 20 else { return .failure(.malformed) }
      start = Int(bytes[0] & 0x0f) * 4
    }
    guard bytes.count >= start + 8 + payloadBytes, bytes[start] == (ipv6 ? 129 : 0), bytes[start + 1] == 0 else {
      return .failure(.malformed)
    }
    func integer(_ offset: Int, _ length: Int) -> UInt64 {
      (0..<length).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[start + offset + $1]) }
    }
    return .success(
      Reply(sequence: UInt16(integer(6, 2)), token: integer(8, 8), site: UInt32(integer(16, 4))))
  }

  /// The Internet checksum (RFC 1071).
  public static func checksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var index = 0
    while index + 1 < bytes.count {
      sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
      index += 2
    }
    if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
    return ~UInt16(sum)
  }
}

/// When each probed site is probed: evenly over the period, each site at a phase of its own (from its id, so the
/// same after a restart), never more than `ratePerSecond`. Pure: the caller gives the time.
public struct ProbeSchedule: Sendable {
  /// Probed sites by phase.
  public private(set) var order: [Int]
  private let phases: [Int64]
  private let periodNanos: Int64
  private let startNanos: Int64
  private var cursor = 0
  private var cycle: Int64 = 0
  private let nanosPerProbe: Int64
  private let burstNanos: Int64 = 20_000_000
  /// When the rate allows the next probe.
  private var allowedAt: Int64

  /// `sites`: (site index, site id) of every probed site.
  public init(sites: [(index: Int, id: String)], periodNanos: Int64, ratePerSecond: Int, startNanos: Int64) {
    let phased = sites.map { site -> (index: Int, phase: Int64) in
      (site.index, Int64(Self.stableHash(site.id) % UInt64(max(1, periodNanos))))
    }.sorted { $0.phase < $1.phase || ($0.phase == $1.phase && $0.index < $1.index) }
    order = phased.map(\.index)
    phases = phased.map(\.phase)
    self.periodNanos = max(1, periodNanos)
    self.startNanos = startNanos
    nanosPerProbe = 1_000_000_000 / Int64(max(1, ratePerSecond))
    allowedAt = startNanos
  }

  /// The sites due at `now`, in order, within the rate.
  public mutating func due(at now: Int64) -> [Int] {
    guard !order.isEmpty else { return [] }
    var sites: [Int] = []
    while nextDueNanos <= now, allowedAt <= now {
      sites.append(order[cursor])
      // The rate spaces probes out: a caller that wakes late may send what the last 20 ms allowed, never more,
      // so a backlog is caught up at the rate, not in one burst.
      allowedAt = max(allowedAt, now - burstNanos) + nanosPerProbe
      cursor += 1
      if cursor == order.count {
        cursor = 0
        cycle += 1
      }
    }
    return sites
  }

  /// When the next probe may go (its phase, or the rate, whichever is later).
  public var nextDueNanos: Int64 {
    guard !order.isEmpty else { return .max }
    return startNanos + cycle * periodNanos + phases[cursor]
  }

  public var nextSendNanos: Int64 { max(nextDueNanos, allowedAt) }

  /// FNV-1a: the same phase for the same id on every run and machine (Swift's `hashValue` is seeded per process).
  static func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01b3
    }
    return hash
  }
}
