import Foundation

public enum HostPort {
  public struct ResolutionProblem: Error, CustomStringConvertible {
    public var description: String
  }

  /// Why `host` cannot be listened on (it does not resolve), or nil. Literal addresses need no lookup.
  public static func resolutionProblem(host: String, port: Int) -> String? {
    var hints = addrinfo()
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    var found: UnsafeMutablePointer<addrinfo>?
    let result = getaddrinfo(host, String(port), &hints, &found)
    defer { if found != nil { freeaddrinfo(found) } }
    return result == 0 ? nil : "does not resolve (\(String(cString: gai_strerror(result))))"
  }

  /// The numeric address `host` resolves to (the first one, IPv4 preferred), or why it does not.
  public static func resolveNumeric(host: String) -> Result<String, ResolutionProblem> {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    var found: UnsafeMutablePointer<addrinfo>?
    let result = getaddrinfo(host, nil, &hints, &found)
    defer { if found != nil { freeaddrinfo(found) } }
    if let percent = host.firstIndex(of: "%") {
      let zone = String(host[host.index(after: percent)...])
      if !zone.allSatisfy(\.isNumber) && if_nametoindex(zone) == 0 {
        return .failure(ResolutionProblem(description: "names the interface '\(zone)', which this machine does not have (see `ip link`)"))
      }
      if result != 0 {
        return .failure(
          ResolutionProblem(
            description: "names an interface, which only a link-local address (fe80::/10) may; write the address without '%\(zone)'"))
      }
    }
    guard result == 0 else {
      return .failure(ResolutionProblem(description: "does not resolve (\(String(cString: gai_strerror(result))))"))
    }
    var candidates: [(family: Int32, text: String)] = []
    var entry = found
    while let current = entry {
      var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
      if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
        candidates.append(
          (current.pointee.ai_family, String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
      }
      entry = current.pointee.ai_next
    }
    guard let chosen = candidates.first(where: { $0.family == AF_INET }) ?? candidates.first else {
      return .failure(ResolutionProblem(description: "does not resolve to an address"))
    }
    return .success(chosen.text)
  }

  /// Parses `host:port` or `[v6]:port`; port 0 means "any free port".
  public static func parse(_ text: String) -> (host: String, port: Int)? {
    let host: Substring
    let portText: Substring
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
      host = text[text.index(after: text.startIndex)..<close]
      portText = text[text.index(close, offsetBy: 2)...]
    } else {
      guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
      host = text[..<colon]
      portText = text[text.index(after: colon)...]
    }
    guard !host.isEmpty, !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
      let port = Int(portText), (0...65535).contains(port)
    else { return nil }
    return (String(host), port)
  }
}
