// MARK: Bridge call quality (issue 32)

/// A site's call quality as the bridge judges it: good, degraded or bad (README "Status rules", docs/BRIDGES.md
/// "Call quality").
public enum BridgeVerdict: String, Sendable, Hashable, CaseIterable, Comparable {
  case good, degraded, bad

  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
  private var rank: Int {
    switch self {
    case .good: 0
    case .degraded: 1
    case .bad: 2
    }
  }
}

/// What a bridge says of one leg's media: its figures (the worst of the streams it receives from the site), its own
/// verdict where it gives one, its alarms. Bounded as it is made: figures inside their ranges (else dropped), at most
/// the three alarms CMS documents.
public struct BridgeQuality: Sendable, Hashable {
  /// Packet loss of the media the bridge receives from the site, in percent (0 to 100).
  public private(set) var lossPercent: Double?
  /// Jitter of the media the bridge receives, in milliseconds (0 to 60,000).
  public private(set) var jitterMilliseconds: Double?
  /// Round trip between the bridge and the site, in milliseconds (0 to 60,000).
  public private(set) var roundTripMilliseconds: Double?
  /// The bridge's own verdict, as its word (Pexip `call_quality`: `1_good`, `2_ok`, `3_bad`, `4_terrible`).
  public private(set) var bridgeWord: String?
  /// The alarms CMS has raised on the leg (`packetLoss`, `excessiveJitter`, `highRoundTripTime`), in that order.
  public private(set) var alarms: [String]

  public static let alarmNames = ["packetLoss", "excessiveJitter", "highRoundTripTime"]
  public static let bridgeWords: [String: BridgeVerdict] = [
    "1_good": .good, "2_ok": .degraded, "3_bad": .bad, "4_terrible": .bad,
  ]

  /// The documented thresholds (docs/BRIDGES.md "Call quality"): at or above the first, degraded; at or above the
  /// second, bad.
  public static let lossThresholds = (degraded: 1.0, bad: 5.0)
  public static let jitterThresholds = (degraded: 30.0, bad: 60.0)
  public static let roundTripThresholds = (degraded: 300.0, bad: 800.0)

  public init(
    lossPercent: Double? = nil, jitterMilliseconds: Double? = nil, roundTripMilliseconds: Double? = nil, bridgeWord: String? = nil,
    alarms: [String] = []
  ) {
    self.lossPercent = lossPercent.flatMap { ($0.isFinite && (0...100).contains($0)) ? $0 : nil }
    self.jitterMilliseconds = jitterMilliseconds.flatMap { ($0.isFinite && (0...60_000).contains($0)) ? $0 : nil }
    self.roundTripMilliseconds = roundTripMilliseconds.flatMap { ($0.isFinite && (0...60_000).contains($0)) ? $0 : nil }
    self.bridgeWord = bridgeWord.flatMap { Self.bridgeWords[$0] == nil ? nil : $0 }
    self.alarms = Self.alarmNames.filter(alarms.contains)
  }

  /// Nothing to say: no figure, no verdict, no alarm.
  public var isEmpty: Bool {
    lossPercent == nil && jitterMilliseconds == nil && roundTripMilliseconds == nil && bridgeWord == nil && alarms.isEmpty
  }

  /// The one rule: the bridge's own verdict where it gives one; else the worst of what the figures say by the
  /// thresholds, and degraded at least while CMS has an alarm on the leg; nil with nothing to judge by.
  public var verdict: BridgeVerdict? {
    if let word = bridgeWord, let verdict = Self.bridgeWords[word] { return verdict }
    var worst: BridgeVerdict?
    func judge(_ value: Double?, _ thresholds: (degraded: Double, bad: Double)) {
      guard let value else { return }
      let verdict: BridgeVerdict = value >= thresholds.bad ? .bad : value >= thresholds.degraded ? .degraded : .good
      worst = max(worst ?? verdict, verdict)
    }
    judge(lossPercent, Self.lossThresholds)
    judge(jitterMilliseconds, Self.jitterThresholds)
    judge(roundTripMilliseconds, Self.roundTripThresholds)
    if !alarms.isEmpty { worst = max(worst ?? .degraded, .degraded) }
    return worst
  }

  /// The same leg's quality with `other`'s figures where this one has none (the list's alarms, a status's figures).
  public func merged(with other: BridgeQuality) -> BridgeQuality {
    BridgeQuality(
      lossPercent: lossPercent ?? other.lossPercent, jitterMilliseconds: jitterMilliseconds ?? other.jitterMilliseconds,
      roundTripMilliseconds: roundTripMilliseconds ?? other.roundTripMilliseconds, bridgeWord: bridgeWord ?? other.bridgeWord,
      alarms: alarms + other.alarms)
  }
}
