import Crypto

/// Applies the authentication rules of docs/PROTOCOL.md to decoded heartbeats.
/// Not Sendable (swift-crypto's key types are not); it lives with the engine on one event loop.
public struct HeartbeatAuthenticator {
  /// Accepted distance between a signed heartbeat's `ts` and the monitor's clock.
  public static let maximumSkewSeconds: Double = 120

  /// Per site index: an HMAC already keyed with the site's secret (copied per check, which skips the key
  /// schedule on the hot path), or nil for sites without a key.
  private let keyedMACs: [KeyedHMACSHA256?]
  /// By site index, only for sites in a rotation's grace: the secret before it and the end of the grace (Unix
  /// seconds). Tried only when the current key fails, so a rotation costs the hot path nothing; kept sparse, as
  /// most sites have none (an optional per site was 320 KB at 10,000 sites).
  private let previousMACs: [Int: (mac: KeyedHMACSHA256, until: Double)]
  public let requireAuth: Bool

  /// `previousKeys`: a site's secret before its rotation, accepted until the time given (Unix seconds).
  public init(
    sites: [SiteConfig], keys: [String: [UInt8]], requireAuth: Bool, previousKeys: [String: (secret: [UInt8], until: Double)] = [:]
  ) {
    self.keyedMACs = sites.map { site in keys[site.id].map { KeyedHMACSHA256(key: $0) } }
    var previousMACs: [Int: (mac: KeyedHMACSHA256, until: Double)] = [:]
    if !previousKeys.isEmpty {
      for (index, site) in sites.enumerated() {
        guard keys[site.id] != nil, let previous = previousKeys[site.id] else { continue }
        previousMACs[index] = (KeyedHMACSHA256(key: previous.secret), previous.until)
      }
    }
    self.previousMACs = previousMACs
    self.requireAuth = requireAuth
  }

  /// From the keys file's entries (a keys file loaded again while the monitor runs: `KeysFileWatch`).
  public init(sites: [SiteConfig], siteKeys: [String: SiteKeyEntry], requireAuth: Bool) {
    var previous: [String: (secret: [UInt8], until: Double)] = [:]
    for (id, entry) in siteKeys {
      if let secret = entry.previousSecret, let until = entry.previousUntil { previous[id] = (Array(secret.utf8), until) }
    }
    self.init(sites: sites, keys: siteKeys.mapValues { Array($0.secret.utf8) }, requireAuth: requireAuth, previousKeys: previous)
  }

  public init(config: ConferenceConfig) {
    self.init(sites: config.sites, siteKeys: config.siteKeys, requireAuth: config.udp.requireAuth)
  }

  public func hasKey(site index: Int) -> Bool { keyedMACs[index] != nil }

  /// Checks a heartbeat already decoded from `bytes` and attributed to site `index`.
  /// `last` is the last accepted (ts, seq) of that site, if any.
  public func check(
    _ heartbeat: Heartbeat, bytes: UnsafeRawBufferPointer, site index: Int,
    last: (timestamp: UInt64, sequence: UInt64)?, nowUnixSeconds: Double
  ) -> RejectionReason? {
    guard let hmac = keyedMACs[index] else {
      return requireAuth ? .unauthenticated : nil
    }
    guard let mac = heartbeat.mac, let timestamp = heartbeat.timestamp else { return .unauthenticated }
    let signed = UnsafeRawBufferPointer(rebasing: bytes[0..<heartbeat.signedLength])
    guard
      hmac.withCode(for: signed, { Self.constantTimeEqual($0, mac) })
        || acceptsPrevious(signed, mac: mac, site: index, nowUnixSeconds: nowUnixSeconds)
    else { return .badMAC }
    guard abs(Double(timestamp) - nowUnixSeconds) <= Self.maximumSkewSeconds else { return .stale }
    if let last, (timestamp, heartbeat.sequence) <= (last.timestamp, last.sequence) { return .replayed }
    return nil
  }

  /// A rotated site's old key, while its grace lasts: a site not yet switched keeps being heard.
  private func acceptsPrevious(_ signed: UnsafeRawBufferPointer, mac: HeartbeatMAC, site index: Int, nowUnixSeconds: Double) -> Bool {
    guard let previous = previousMACs[index], nowUnixSeconds < previous.until else { return false }
    return previous.mac.withCode(for: signed) { Self.constantTimeEqual($0, mac) }
  }

  /// Compares every byte whatever the first difference, so timing reveals nothing about the MAC.
  static func constantTimeEqual(_ computed: UnsafeRawBufferPointer, _ expected: HeartbeatMAC) -> Bool {
    guard computed.count == 32 else { return false }
    var difference: UInt8 = 0
    for index in 0..<32 { difference |= computed[index] ^ expected.byte(index) }
    return difference == 0
  }

  /// Appends ` mac=<hex>` to `line` using `secret`; what agents and the docs' example do.
  public static func sign(_ line: String, secret: [UInt8]) -> String {
    let code = HMAC<SHA256>.authenticationCode(for: Array(line.utf8), using: SymmetricKey(data: secret))
    return line + " mac=" + hex(Array(code))
  }

  public static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
