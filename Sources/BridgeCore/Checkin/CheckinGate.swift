import Foundation

/// Why a check-in request was refused: the label of `bridgewatch_checkin_refused_total{reason}` (docs/METRICS.md).
public enum CheckinRefusal: String, Sendable, CaseIterable {
  /// The link's token is no site's (wrong, unknown, or a site without one): a plain 404, the same for all.
  case unknownToken = "unknown_token"
  /// A body over `CheckinForm.maximumBodyBytes`: 413.
  case tooLarge = "too_large"
  /// Over the token's or the whole page's rate: 429.
  case rateLimited = "rate_limited"
  /// A form older than its validity, from before a restart, or with a forged stamp: 409 with a fresh form.
  case staleForm = "stale_form"
  /// Not a form of ours (bad encoding, unknown action, no stamp): 400.
  case malformed
  /// A field the organiser must correct (no name, a headcount that is no number in range): 422, the form again.
  case invalidField = "invalid_field"
}

/// The check-in page's counters, exported as `bridgewatch_checkin_*` (docs/METRICS.md).
public struct CheckinCounters: Sendable, Hashable {
  /// Forms served (`GET /c/<token>` with a known token).
  public var pagesServed: UInt64 = 0
  /// Submissions applied: each one heartbeat with source `checkin`.
  public var accepted: UInt64 = 0
  /// A form sent again (a double tap, a reload): answered with the first result, not applied again.
  public var duplicates: UInt64 = 0
  /// Indexed like `CheckinRefusal.allCases`.
  public var refused = [UInt64](repeating: 0, count: CheckinRefusal.allCases.count)

  public init() {}

  public subscript(_ refusal: CheckinRefusal) -> UInt64 {
    get { refused[CheckinRefusal.allCases.firstIndex(of: refusal)!] }
    set { refused[CheckinRefusal.allCases.firstIndex(of: refusal)!] = newValue }
  }
}

/// The check-in page's doors, as values (no socket, no clock of its own): which site a token names, compared in
/// constant time; the rates, per token and overall; the forms' stamps and which were already used.
///
/// Rates are token buckets on the monotonic clock: each known token may make `perTokenBurst` requests at once and
/// one more every `perTokenRefillSeconds`; wrong tokens share one bucket (`unknownBurst`, refilled one a second), so a
/// scan of guessed links meets 429s soon and never takes the known tokens' room; all requests together share
/// `overallBurst`, refilled `overallPerSecond` a second (a province's 200 sites checking in at the roll call fit).
public struct CheckinGate: Sendable {
  public struct Limits: Sendable {
    public var perTokenBurst = 10.0
    public var perTokenRefillSeconds = 6.0
    public var unknownBurst = 30.0
    public var overallBurst = 400.0
    public var overallPerSecond = 20.0
    /// A form older than this is refused as too old (a captured POST cannot be replayed later); long enough for a
    /// page left open on a phone through a session's start.
    public var formValidSeconds = 1800.0
    public init() {}
  }

  /// What the gate decided about a request.
  public enum Verdict: Sendable, Equatable {
    case site(Int)
    case refused(CheckinRefusal)
  }

  /// A used stamp's nonce and what its submission recorded (said again to a double submit).
  public struct Recorded: Sendable, Equatable {
    public var unixSeconds: Double
    public var form: CheckinForm
  }

  private struct Bucket: Sendable {
    var tokens: Double
    var lastNanos: Int64?

    mutating func take(capacity: Double, perSecond: Double, nowNanos: Int64) -> Bool {
      if let lastNanos { tokens = min(capacity, tokens + Double(max(0, nowNanos - lastNanos)) / 1e9 * perSecond) }
      lastNanos = nowNanos
      guard tokens >= 1 else { return false }
      tokens -= 1
      return true
    }
  }

  public let limits: Limits
  /// Each site's token bytes (empty: the site has none), in roster order.
  private var tokens: [[UInt8]]
  private let stampKey: [UInt8]
  private var siteBuckets: [Bucket]
  private var unknownBucket: Bucket
  private var overallBucket: Bucket
  /// Per site, the stamps used within the form's validity (older ones are forgotten: they fail as too old).
  private var used: [[String: Recorded]]
  public private(set) var counters = CheckinCounters()

  /// `tokens[i]`: site i's check-in token, or nil. `stampKey`: secret bytes made at the monitor's start.
  public init(tokens: [String?], stampKey: [UInt8], limits: Limits = Limits()) {
    self.limits = limits
    self.tokens = tokens.map { $0.map { Array($0.utf8) } ?? [] }
    self.stampKey = stampKey
    siteBuckets = Array(repeating: Bucket(tokens: limits.perTokenBurst), count: tokens.count)
    unknownBucket = Bucket(tokens: limits.unknownBurst)
    overallBucket = Bucket(tokens: limits.overallBurst)
    used = Array(repeating: [:], count: tokens.count)
  }

  /// The tokens of a keys file loaded again (`KeysFileWatch`), same roster order: a new site's link works from now
  /// on, a token taken away is a wrong link. Rates and used stamps stay per site; a form served with a site's old
  /// token no longer verifies (its signature covers the token) and is answered with a fresh form.
  public mutating func replaceTokens(_ tokens: [String?]) {
    guard tokens.count == self.tokens.count else { return }
    self.tokens = tokens.map { $0.map { Array($0.utf8) } ?? [] }
  }

  /// The site whose token `candidate` is, comparing it with every site's token in full (no early exit, no hash), so
  /// the time taken says nothing about how much of a guess was right.
  public func site(forToken candidate: some Collection<UInt8>) -> Int? {
    let guess = Array(candidate.prefix(128))
    var found = -1
    for (index, token) in tokens.enumerated() where !token.isEmpty {
      if Self.constantTimeEqual(token, guess) { found = index }
    }
    return found >= 0 ? found : nil
  }

  static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
    if a.count != b.count { difference |= 1 }
    for index in 0..<max(a.count, b.count) {
      let left = index < a.count ? a[index] : 0
      let right = index < b.count ? b[index] : 0
      difference |= left ^ right
    }
    return difference == 0
  }

  /// Admits a request for `token` now, or refuses it (and counts the refusal): the overall rate first, then the
  /// token's own (a known token) or the wrong tokens' shared one.
  public mutating func admit(token: some Collection<UInt8>, nowNanos: Int64) -> Verdict {
    guard overallBucket.take(capacity: limits.overallBurst, perSecond: limits.overallPerSecond, nowNanos: nowNanos) else {
      return refuse(.rateLimited)
    }
    guard let site = site(forToken: token) else {
      guard unknownBucket.take(capacity: limits.unknownBurst, perSecond: 1, nowNanos: nowNanos) else { return refuse(.rateLimited) }
      return refuse(.unknownToken)
    }
    guard
      siteBuckets[site].take(capacity: limits.perTokenBurst, perSecond: 1 / limits.perTokenRefillSeconds, nowNanos: nowNanos)
    else { return refuse(.rateLimited) }
    return .site(site)
  }

  /// Counts a refusal decided elsewhere (the server's body cap, a form's fields) and returns it.
  @discardableResult
  public mutating func refuse(_ refusal: CheckinRefusal) -> Verdict {
    counters[refusal] += 1
    return .refused(refusal)
  }

  public mutating func notePageServed() { counters.pagesServed += 1 }

  /// A fresh stamp for a form of `site`, served at `unixSeconds`.
  public func stamp(site: Int, unixSeconds: Double, nonce: UInt64) -> CheckinStamp {
    let issued = Int64(unixSeconds.rounded(.down))
    let nonceText = String(nonce, radix: 16).zeroPadded(to: 16)
    return CheckinStamp(issued: issued, nonce: nonceText, signature: signature(site: site, issued: issued, nonce: nonceText))
  }

  private func signature(site: Int, issued: Int64, nonce: String) -> String {
    let message = Array("\(String(decoding: tokens[site], as: UTF8.self))|\(issued)|\(nonce)".utf8)
    let mac = KeyedHMACSHA256(key: stampKey)
    return message.withUnsafeBytes { bytes in
      mac.withCode(for: bytes) { code in code.map { String($0, radix: 16).zeroPadded(to: 2) }.joined() }
    }
  }

  /// What to do with a submission of `site`'s form: nil to apply it now (its stamp is then used), a refusal for a
  /// stamp that is forged or too old, or the earlier result for a stamp already used.
  public mutating func check(_ form: CheckinForm, site: Int, unixSeconds: Double) -> StampCheck {
    forgetOld(site: site, unixSeconds: unixSeconds)
    let expected = Array(signature(site: site, issued: form.stamp.issued, nonce: form.stamp.nonce).utf8)
    let age = unixSeconds - Double(form.stamp.issued)
    guard Self.constantTimeEqual(expected, Array(form.stamp.signature.utf8)), age <= limits.formValidSeconds, age >= -60 else {
      refuse(.staleForm)
      return .stale
    }
    if let earlier = used[site][form.stamp.nonce] {
      counters.duplicates += 1
      return .alreadyUsed(earlier)
    }
    used[site][form.stamp.nonce] = Recorded(unixSeconds: unixSeconds, form: form)
    counters.accepted += 1
    return .fresh
  }

  /// What a form's stamp says: apply it now, refuse it as too old (or forged), or answer the earlier result.
  public enum StampCheck: Sendable, Equatable {
    case fresh
    case stale
    case alreadyUsed(Recorded)
  }

  private mutating func forgetOld(site: Int, unixSeconds: Double) {
    guard used[site].count > 16 else { return }
    used[site] = used[site].filter { unixSeconds - $0.value.unixSeconds <= limits.formValidSeconds + 60 }
  }
}

extension String {
  fileprivate func zeroPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
