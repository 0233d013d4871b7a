import Foundation

/// What Janus's Admin API says of a WebRTC participant's media (`handle_info`'s `webrtc.media`, Janus 1.1.2:
/// src/ice.c and src/rtcp.c), as a call quality: docs/BRIDGES.md "Call quality". Pure: the client keeps each
/// handle's recent counts from one poll to the next and hands them back, with the time of the read.
public enum JanusMediaStats {
  /// One medium's running totals at one read, as Janus counts them from the start of the call.
  public struct Sample: Sendable, Hashable {
    /// Packets Janus found missing from the site's stream (`rtcp.main.lost`).
    public var lost: UInt64
    /// Packets received from the site (`stats.in.packets`).
    public var received: UInt64
    /// When it was read, in seconds of a monotonic clock.
    public var seconds: Double

    public init(lost: UInt64, received: UInt64, seconds: Double) {
      self.lost = lost
      self.received = received
      self.seconds = seconds
    }
  }

  /// A loss is over at least this long. Janus moves `lost` only when it writes a receiver report (about once a
  /// second; src/rtcp.c janus_rtcp_report_block) while `stats.in.packets` moves with every packet: over a
  /// window this long the two are at most a second apart, a tenth of the figure at worst.
  public static let lossWindowSeconds = 10.0
  /// A handle has at most this many media read (an AudioBridge participant has one; a VideoRoom publisher a few).
  public static let maximumMedia = 16
  /// Reads kept a medium: at the shortest poll (1 s), the last 10 s need 11.
  public static let maximumSamples = 16
  /// Counters above this are not believed (2^53: exact as JSON numbers; a call sending 10,000 packets a second
  /// would take 28,000 years to reach it).
  static let maximumCounter: UInt64 = 1 << 53

  /// The quality of one handle's media at `now`, and the reads to keep for the next: the worst medium's loss over
  /// the window (against its newest kept read at least `window` seconds old; none without one, as in a call's or
  /// a monitor's first seconds, or just after a counter went back, as a renegotiated medium's does), its largest
  /// jitter and round trip. Nil quality where Janus gives no WebRTC media (a plain-RTP participant) or nothing
  /// readable; a round trip of 0 is Janus's "not measured yet".
  public static func read(
    webrtc: Any?, history: [String: [Sample]], now: Double, window: Double = lossWindowSeconds
  ) -> (quality: BridgeQuality?, history: [String: [Sample]]) {
    guard let media = media(webrtc) else { return (nil, [:]) }
    var loss: Double?
    var jitter: Double?
    var roundTrip: Double?
    var kept: [String: [Sample]] = [:]
    for (mid, medium) in media {
      guard let rtcp = (medium["rtcp"] as? [String: Any])?["main"] as? [String: Any] else { continue }
      if let value = milliseconds(rtcp["jitter-local"]) { jitter = max(jitter ?? 0, value) }
      if let value = milliseconds(rtcp["rtt"]), value > 0 { roundTrip = max(roundTrip ?? 0, value) }
      let received = ((medium["stats"] as? [String: Any])?["in"] as? [String: Any])?["packets"]
      guard let lost = counter(rtcp["lost"]), let received = counter(received) else { continue }
      let sample = Sample(lost: lost, received: received, seconds: now)
      var samples = history[mid] ?? []
      if let last = samples.last, last.lost > lost || last.received > received || last.seconds > now { samples = [] }
      if let base = samples.last(where: { now - $0.seconds >= window }) {
        let expected = (lost - base.lost) + (received - base.received)
        if expected > 0 { loss = max(loss ?? 0, Double(lost - base.lost) * 100 / Double(expected)) }
        samples.removeAll { $0.seconds < base.seconds }
      }
      samples.append(sample)
      // Polled faster than the window fills: the oldest read stays (the window's base), the next ones go.
      while samples.count > maximumSamples { samples.remove(at: 1) }
      kept[mid] = samples
    }
    let quality = BridgeQuality(lossPercent: loss, jitterMilliseconds: jitter, roundTripMilliseconds: roundTrip)
    return (quality.isEmpty ? nil : quality, kept)
  }

  /// Whether a WebRTC participant's audio is arriving: an audio medium (`type: audio`) that received bytes in the
  /// last second (`stats.in.bytes_lastsec`, which Janus 1.1.2 brings to 0 one to three seconds after the sender stops);
  /// nil without an audio medium Janus counts (a plain-RTP participant, a video-only publisher).
  public static func audioArriving(webrtc: Any?) -> Bool? {
    guard let media = media(webrtc) else { return nil }
    var arriving: Bool?
    for (_, medium) in media {
      guard medium["type"] as? String == "audio",
        let bytes = counter(((medium["stats"] as? [String: Any])?["in"] as? [String: Any])?["bytes_lastsec"])
      else { continue }
      arriving = (arriving ?? false) || bytes > 0
    }
    return arriving
  }

  /// `webrtc.media`'s media by mid, in mid order: at most `maximumMedia`, each mid of at most 32 bytes and a
  /// medium an object; nil without `media`.
  static func media(_ webrtc: Any?) -> [(mid: String, medium: [String: Any])]? {
    guard let media = (webrtc as? [String: Any])?["media"] as? [String: Any] else { return nil }
    return media.sorted(by: { $0.key < $1.key }).prefix(maximumMedia).compactMap { mid, value in
      guard mid.utf8.count <= 32, let medium = value as? [String: Any] else { return nil }
      return (mid, medium)
    }
  }

  /// A whole number Janus wrote (JSON integer), in range; not a JSON boolean, which Foundation also gives as a number
  /// (of type "c").
  static func counter(_ value: Any?) -> UInt64? {
    guard let number = value as? NSNumber, number.objCType.pointee != CChar(UInt8(ascii: "c")) else { return nil }
    let double = number.doubleValue
    guard double >= 0, double <= Double(maximumCounter), double == double.rounded() else { return nil }
    return number.uint64Value
  }

  /// Milliseconds as Janus writes them (whole numbers); BridgeQuality drops what is out of its range.
  static func milliseconds(_ value: Any?) -> Double? { counter(value).map { Double($0) } }
}
