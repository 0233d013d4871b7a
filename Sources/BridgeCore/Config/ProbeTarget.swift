import Foundation

/// How the monitor checks a site that has no agent: a SIP OPTIONS request, a TCP connect, or an ICMP echo.
public struct ProbeTarget: Sendable, Hashable, CustomStringConvertible {
  public enum Kind: String, Sendable, Hashable, CaseIterable {
    case sip, tcp, icmp
  }

  public var kind: Kind
  /// As written: a name, an IPv4 literal or an IPv6 literal (without brackets).
  public var host: String
  /// 0 for ICMP.
  public var port: Int
  /// The SIP Request-URI's user part (`sip://1001@10.0.0.5`), if given.
  public var user: String?
  /// The numeric address `host` resolved to when the config was loaded; nil until then or if it did not resolve.
  public var address: String?

  public static let defaultSIPPort = 5060

  public init(kind: Kind, host: String, port: Int, user: String? = nil, address: String? = nil) {
    self.kind = kind
    self.host = host
    self.port = port
    self.user = user
    self.address = address
  }

  /// `sip://10.0.0.5:5062`, with brackets around an IPv6 host.
  public var description: String {
    let hostText = host.contains(":") ? "[\(host)]" : host
    let userText = user.map { "\($0)@" } ?? ""
    switch kind {
    case .icmp: return "icmp://\(hostText)"
    case .sip, .tcp: return "\(kind.rawValue)://\(userText)\(hostText):\(port)"
    }
  }

  /// Parses `sip://[USER@]HOST[:PORT]`, `tcp://HOST:PORT` or `icmp://HOST`; the error says what is wrong.
  public static func parse(_ text: String) -> Result<ProbeTarget, ProbeTargetError> {
    let trimmed = text.trimmedOfSpaces
    // Every message starts with the target as written; the config loader puts "probe " before it.
    guard let schemeEnd = trimmed.range(of: "://") else {
      return .failure(ProbeTargetError("'\(trimmed)' has no scheme; write sip://HOST[:PORT], tcp://HOST:PORT or icmp://HOST"))
    }
    guard let kind = Kind(rawValue: trimmed[..<schemeEnd.lowerBound].lowercased()) else {
      return .failure(
        ProbeTargetError("'\(trimmed)' has an unknown scheme '\(trimmed[..<schemeEnd.lowerBound])'; use sip://, tcp:// or icmp://"))
    }
    var rest = Substring(trimmed[schemeEnd.upperBound...])
    if rest.hasSuffix("/") { rest = rest.dropLast() }
    guard !rest.contains("/"), !rest.contains("?"), !rest.contains(";"), !rest.isEmpty else {
      return .failure(ProbeTargetError("'\(trimmed)': give only the host (and port), no path or parameters"))
    }
    var user: String?
    if let at = rest.lastIndex(of: "@") {
      guard kind == .sip else { return .failure(ProbeTargetError("'\(trimmed)': only a sip:// probe may name a user")) }
      let userPart = String(rest[..<at])
      guard !userPart.isEmpty, userPart.unicodeScalars.allSatisfy(Self.isSIPUserCharacter) else {
        return .failure(ProbeTargetError("'\(trimmed)': bad SIP user '\(userPart)'"))
      }
      user = userPart
      rest = rest[rest.index(after: at)...]
    }
    var host: Substring
    var portText: Substring?
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else {
        return .failure(ProbeTargetError("'\(trimmed)': missing ']' after an IPv6 address"))
      }
      host = rest[rest.index(after: rest.startIndex)..<close]
      // A link-local address names its interface: [fe80::1%eth0], or RFC 6874's URI spelling [fe80::1%25eth0].
      if let percent = host.firstIndex(of: "%") {
        var zone = host[host.index(after: percent)...]
        if zone.hasPrefix("25") && !zone.dropFirst(2).isEmpty && !zone.dropFirst(2).allSatisfy(\.isNumber) { zone = zone.dropFirst(2) }
        guard host[..<percent].contains(":"), !zone.isEmpty, !zone.contains("%"), zone.unicodeScalars.allSatisfy(Self.isZoneCharacter)
        else {
          return .failure(ProbeTargetError("'\(trimmed)': write a scoped IPv6 address as [fe80::1%eth0] (address, %, interface)"))
        }
        host = Substring(host[..<percent] + "%" + zone)
      }
      let after = rest[rest.index(after: close)...]
      if !after.isEmpty {
        guard after.hasPrefix(":") else { return .failure(ProbeTargetError("'\(trimmed)': expected ':PORT' after ']'")) }
        portText = after.dropFirst()
      }
    } else if let colon = rest.firstIndex(of: ":") {
      guard rest.firstIndex(of: ":") == rest.lastIndex(of: ":") else {
        return .failure(ProbeTargetError("'\(trimmed)': write an IPv6 address in brackets, like [2001:db8::5]"))
      }
      host = rest[..<colon]
      portText = rest[rest.index(after: colon)...]
    } else {
      host = rest
    }
    guard !host.isEmpty, host.unicodeScalars.allSatisfy(Self.isHostCharacter) else {
      return .failure(ProbeTargetError("'\(trimmed)': bad host '\(host)'"))
    }
    if host.contains("%") && !rest.hasPrefix("[") {
      return .failure(ProbeTargetError("'\(trimmed)': only an IPv6 address in brackets may name an interface, like [fe80::1%eth0]"))
    }
    var port = 0
    switch (kind, portText) {
    case (.icmp, .some): return .failure(ProbeTargetError("'\(trimmed)': an icmp:// probe has no port"))
    case (.icmp, .none): port = 0
    case (.tcp, .none): return .failure(ProbeTargetError("'\(trimmed)': a tcp:// probe needs a port, like tcp://HOST:1720"))
    case (.sip, .none): port = defaultSIPPort
    case (_, .some(let text)):
      guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text), (1...65535).contains(value) else {
        return .failure(ProbeTargetError("'\(trimmed)': the port must be from 1 to 65535, got '\(text)'"))
      }
      port = value
    }
    return .success(ProbeTarget(kind: kind, host: String(host), port: port, user: user))
  }

  private static func isHostCharacter(_ scalar: Unicode.Scalar) -> Bool {
    scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || ".-:_%".unicodeScalars.contains(scalar))
  }

  /// An interface name or number after `%`.
  private static func isZoneCharacter(_ scalar: Unicode.Scalar) -> Bool {
    scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || ".-_".unicodeScalars.contains(scalar))
  }

  /// The host without its interface (`fe80::1` for `fe80::1%eth0`): what goes into a SIP URI or header, where the
  /// interface means nothing to the other end.
  public static func withoutZone(_ host: String) -> String {
    host.firstIndex(of: "%").map { String(host[..<$0]) } ?? host
  }

  /// Why a probe may not be sent to the numeric address `address` (unspecified, broadcast, multicast), or nil.
  /// Such a target would never answer as the site, or would be answered by every host on a network.
  public static func unusableAddressReason(_ address: String) -> String? {
    var v4 = in_addr()
    var v6 = in6_addr()
    if inet_pton(AF_INET, address, &v4) == 1 { return reason(ipv4: UInt32(bigEndian: v4.s_addr)) }
    guard inet_pton(AF_INET6, withoutZone(address), &v6) == 1 else { return nil }
    let bytes = withUnsafeBytes(of: v6) { Array($0) }
    if bytes.allSatisfy({ $0 == 0 }) { return "is the unspecified address (::), not a host" }
    if bytes[0] == 0xFF { return "is a multicast address (ff00::/8), not one host" }
    if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
      return reason(ipv4: bytes[12...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }
    return nil
  }

  private static func reason(ipv4 value: UInt32) -> String? {
    if value >> 24 == 0 { return "is in 0.0.0.0/8 (the unspecified address, 'this network'), not a host" }
    if value == 0xFFFF_FFFF { return "is the broadcast address, not one host" }
    if value >> 28 == 0xE { return "is a multicast address (224.0.0.0/4), not one host" }
    return nil
  }

  /// RFC 3261's unreserved and user-unreserved characters: nothing that needs escaping in a Request-URI.
  private static func isSIPUserCharacter(_ scalar: Unicode.Scalar) -> Bool {
    scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "-_.!~*'()&=+$,?/".unicodeScalars.contains(scalar))
  }
}

public struct ProbeTargetError: Error, Equatable, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}

/// The `probing:` section: how often and how fast probed sites are checked.
public struct ProbingSettings: Sendable, Hashable {
  /// Nil: the heartbeat `interval`.
  public var period: Duration?
  /// A probe not answered in this long counts as a missed heartbeat. Nil: `defaultTimeout`, or half the period
  /// when that is shorter, so the default always fits inside whatever period the timing gives.
  public var timeout: Duration?
  /// At most this many probes a second over all sites, so a monitor never floods a network.
  public var ratePerSecond = 500

  public static let defaultTimeout: Duration = .seconds(2)

  public init() {}

  public func effectivePeriod(_ timing: Timing) -> Duration { period ?? timing.interval }

  public func effectiveTimeout(_ timing: Timing) -> Duration { timeout ?? min(Self.defaultTimeout, effectivePeriod(timing) / 2) }
}

/// What a probe found. Alive outcomes count as a heartbeat; `timedOut` is silence.
public enum ProbeOutcome: Sendable, Hashable, CustomStringConvertible {
  /// A final SIP response (200 ready, 486 busy in a call, 401/403/404/405/501...: all alive).
  case sipAnswered(code: Int)
  case tcpConnected
  /// The host answered the SYN with a reset: up, nothing listening on that port.
  case tcpRefused
  case icmpReply
  case timedOut
  /// The network said no (host or network unreachable): not alive.
  case unreachable

  public var isAlive: Bool { self != .timedOut && self != .unreachable }

  /// One word for files and metrics: `answered` (SIP, with its code), `connected`, `refused`, `reply`,
  /// `no_answer`, `unreachable`.
  public var word: String {
    switch self {
    case .sipAnswered: "answered"
    case .tcpConnected: "connected"
    case .tcpRefused: "refused"
    case .icmpReply: "reply"
    case .timedOut: "no_answer"
    case .unreachable: "unreachable"
    }
  }

  /// For a narrow column: "SIP 486", "TCP", "TCP refused", "ICMP", "no answer", "unreachable".
  public var shortText: String {
    switch self {
    case .sipAnswered(let code): "SIP \(code)"
    case .tcpConnected: "TCP"
    case .tcpRefused: "TCP refused"
    case .icmpReply: "ICMP"
    case .timedOut: "no answer"
    case .unreachable: "unreachable"
    }
  }

  /// The outcome `word` (and `code`, for SIP) name; nil for a word this build does not know.
  public init?(word: String, code: Int?) {
    switch word {
    case "answered": self = .sipAnswered(code: code ?? 0)
    case "connected": self = .tcpConnected
    case "refused": self = .tcpRefused
    case "reply": self = .icmpReply
    case "no_answer": self = .timedOut
    case "unreachable": self = .unreachable
    default: return nil
    }
  }

  public var sipCode: Int? {
    if case .sipAnswered(let code) = self { code } else { nil }
  }

  public var description: String {
    switch self {
    case .sipAnswered(let code): "SIP \(code) \(Self.sipReason(code))"
    case .tcpConnected: "TCP connected"
    case .tcpRefused: "TCP refused (host up, port closed)"
    case .icmpReply: "ICMP echo reply"
    case .timedOut: "no answer"
    case .unreachable: "unreachable"
    }
  }

  /// The usual reason phrase of a SIP status code, for people.
  public static func sipReason(_ code: Int) -> String {
    switch code {
    case 200: "OK"
    case 401: "Unauthorized"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 405: "Method Not Allowed"
    case 407: "Proxy Authentication Required"
    case 480: "Temporarily Unavailable"
    case 486: "Busy Here"
    case 488: "Not Acceptable Here"
    case 501: "Not Implemented"
    case 503: "Service Unavailable"
    case 603: "Decline"
    default: code < 300 ? "success" : code < 400 ? "redirect" : code < 500 ? "client error" : code < 600 ? "server error" : "global failure"
    }
  }
}
