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
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard let schemeEnd = trimmed.range(of: "://") else {
      return .failure(ProbeTargetError("'\(trimmed)' is not a probe; write sip://HOST[:PORT], tcp://HOST:PORT or icmp://HOST"))
    }
    guard let kind = Kind(rawValue: trimmed[..<schemeEnd.lowerBound].lowercased()) else {
      return .failure(
        ProbeTargetError("unknown probe scheme '\(trimmed[..<schemeEnd.lowerBound])' in '\(trimmed)'; use sip://, tcp:// or icmp://"))
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
    let host: Substring
    var portText: Substring?
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else {
        return .failure(ProbeTargetError("'\(trimmed)': missing ']' after an IPv6 address"))
      }
      host = rest[rest.index(after: rest.startIndex)..<close]
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
  /// A probe not answered in this long counts as a missed heartbeat.
  public var timeout: Duration = .seconds(2)
  /// At most this many probes a second over all sites, so a monitor never floods a network.
  public var ratePerSecond = 500

  public init() {}

  public func effectivePeriod(_ timing: Timing) -> Duration { period ?? timing.interval }
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
