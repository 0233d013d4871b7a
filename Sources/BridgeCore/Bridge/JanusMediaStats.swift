import Foundation

/// What Janus's Admin API says of a WebRTC participant's media (`handle_info`'s `webrtc.media`, Janus 1.1.2:
/// src/ice.c and src/rtcp.c), as a call quality: docs/BRIDGES.md "Call quality". Pure: the client keeps each
/// handle's counters from one poll to the next and hands them back.
public enum JanusMediaStats {
  /// One medium's running totals, as Janus counts them from the start of the call.
  public struct Counters: Sendable, Hashable {
    /// Packets Janus found missing from the site's stream (`rtcp.main.lost`).
    public var lost: UInt64
    /// Packets received from the site (`stats.in.packets`).
    public var received: UInt64

    public init(lost: UInt64, received: UInt64) {
      self.lost = lost
      self.received = received
    }
  }

  /// A handle has at most this many media read (an AudioBridge participant has one; a VideoRoom publisher a few).
  public static let maximumMedia = 16
  /// Counters above this are not believed (2^53: exact as JSON numbers; a call sending 10,000 packets a second
  /// would take 28,000 years to reach it).
  static let maximumCounter: UInt64 = 1 << 53

  /// The quality of one handle's media and the counters to keep for its next read: the worst medium's loss since
  /// `previous` (that medium's counters at the last read; since the call began without them, or when a counter
  /// went back, as a renegotiated medium does), its largest jitter and round trip. Nil quality where Janus gives no
  /// WebRTC media (a plain-RTP participant) or nothing readable; a round trip of 0 is Janus's "not measured yet".
  public static func read(webrtc: Any?, previous: [String: Counters]) -> (quality: BridgeQuality?, counters: [String: Counters]) {
    guard let media = (webrtc as? [String: Any])?["media"] as? [String: Any] else { return (nil, [:]) }
    var loss: Double?
    var jitter: Double?
    var roundTrip: Double?
    var counters: [String: Counters] = [:]
    for (mid, value) in media.sorted(by: { $0.key < $1.key }).prefix(maximumMedia) {
      guard mid.utf8.count <= 32, let medium = value as? [String: Any],
        let rtcp = (medium["rtcp"] as? [String: Any])?["main"] as? [String: Any]
      else { continue }
      if let value = milliseconds(rtcp["jitter-local"]) { jitter = max(jitter ?? 0, value) }
      if let value = milliseconds(rtcp["rtt"]), value > 0 { roundTrip = max(roundTrip ?? 0, value) }
      let received = ((medium["stats"] as? [String: Any])?["in"] as? [String: Any])?["packets"]
      guard let lost = counter(rtcp["lost"]), let received = counter(received) else { continue }
      let now = Counters(lost: lost, received: received)
      counters[mid] = now
      var since = Counters(lost: 0, received: 0)
      if let before = previous[mid], before.lost <= now.lost, before.received <= now.received { since = before }
      let expected = (now.lost - since.lost) + (now.received - since.received)
      guard expected > 0 else { continue }
      loss = max(loss ?? 0, Double(now.lost - since.lost) * 100 / Double(expected))
    }
    let quality = BridgeQuality(lossPercent: loss, jitterMilliseconds: jitter, roundTripMilliseconds: roundTrip)
    return (quality.isEmpty ? nil : quality, counters)
  }

  /// Whether a WebRTC participant's audio is arriving: an audio medium (`type: audio`) that received bytes in the
  /// last second (`stats.in.bytes_lastsec`, which Janus 1.1.2 brings to 0 within two seconds of the sender stopping);
  /// nil without an audio medium Janus counts (a plain-RTP participant, a video-only publisher).
  public static func audioArriving(webrtc: Any?) -> Bool? {
    guard let media = (webrtc as? [String: Any])?["media"] as? [String: Any] else { return nil }
    var arriving: Bool?
    for (_, value) in media.sorted(by: { $0.key < $1.key }).prefix(maximumMedia) {
      guard let medium = value as? [String: Any], medium["type"] as? String == "audio",
        let bytes = counter(((medium["stats"] as? [String: Any])?["in"] as? [String: Any])?["bytes_lastsec"])
      else { continue }
      arriving = (arriving ?? false) || bytes > 0
    }
    return arriving
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
