import Foundation
import TestSupport
import Testing

@testable import BridgeCore

/// A WebRTC participant's call quality from Janus's Admin API (`handle_info`'s `webrtc.media`), read from the answer
/// Janus 1.1.2 gave for Chromium in an AudioBridge room (Tests/Fixtures/bridges/janus-1.1.2-admin-handle-info-webrtc.*)
/// and from variants of it: loss over one poll, jitter, round trip; hostile values dropped, never trusted.
@Suite struct JanusMediaStatsTests {
  /// The fixture's `info.webrtc`, with `change` applied to its one medium ("0").
  func webrtc(_ change: (inout [String: Any]) -> Void = { _ in }) throws -> [String: Any] {
    let data = try Data(
      contentsOf: URL(fileURLWithPath: Repository.path("Tests/Fixtures/bridges/janus-1.1.2-admin-handle-info-webrtc.json")))
    let answer = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    var webrtc = try #require((answer["info"] as? [String: Any])?["webrtc"] as? [String: Any])
    var media = try #require(webrtc["media"] as? [String: Any])
    var medium = try #require(media["0"] as? [String: Any])
    change(&medium)
    media["0"] = medium
    webrtc["media"] = media
    return webrtc
  }

  /// Sets `rtcp.main[key]` of a medium.
  func set(_ key: String, _ value: Any, in medium: inout [String: Any]) {
    var rtcp = medium["rtcp"] as? [String: Any] ?? [:]
    var main = rtcp["main"] as? [String: Any] ?? [:]
    main[key] = value
    rtcp["main"] = main
    medium["rtcp"] = rtcp
  }

  /// Sets `stats.in.packets` of a medium.
  func setReceived(_ value: Any, in medium: inout [String: Any]) {
    var stats = medium["stats"] as? [String: Any] ?? [:]
    var incoming = stats["in"] as? [String: Any] ?? [:]
    incoming["packets"] = value
    stats["in"] = incoming
    medium["stats"] = stats
  }

  @Test func theCapturedAnswerIsAGoodCallWithNoLossAndItsCountersKept() throws {
    let read = JanusMediaStats.read(webrtc: try webrtc(), previous: [:])
    let quality = try #require(read.quality)
    // Janus counted no packet lost of the 1,500-odd Chromium sent; its jitter 0 ms on loopback; its round trip 0,
    // which is Janus's "not measured yet" (and under a millisecond here), so not a figure.
    #expect(quality.lossPercent == 0)
    #expect(quality.jitterMilliseconds == 0)
    #expect(quality.roundTripMilliseconds == nil)
    #expect(quality.verdict == .good)
    let kept = try #require(read.counters["0"])
    #expect(kept.lost == 0 && kept.received > 1_000, "\(kept)")
  }

  @Test func lossIsOverThePollSinceTheCountersKeptAndFromTheStartWithoutThem() throws {
    let now = try webrtc {
      set("lost", 30, in: &$0)
      setReceived(1_070, in: &$0)
    }
    // Since the last poll: 30 lost of 1,000 expected is 3%, degraded.
    let sincePoll = JanusMediaStats.read(webrtc: now, previous: ["0": .init(lost: 0, received: 100)])
    #expect(sincePoll.quality?.lossPercent == 3)
    #expect(sincePoll.quality?.verdict == .degraded)
    #expect(sincePoll.counters["0"] == .init(lost: 30, received: 1_070))
    // A first read: since the call began, 30 of 1,100.
    let first = try #require(JanusMediaStats.read(webrtc: now, previous: [:]).quality?.lossPercent)
    #expect(abs(first - 30.0 * 100 / 1_100) < 1e-9)
    // Counters that went back (a renegotiated medium) are read from the start again, not as a negative loss.
    let reset = JanusMediaStats.read(webrtc: now, previous: ["0": .init(lost: 50, received: 5_000)])
    #expect(reset.quality?.lossPercent == first)
    // No packet since the last poll: no loss figure (the audio line says it is not arriving), jitter still read.
    let idle = JanusMediaStats.read(webrtc: now, previous: ["0": .init(lost: 30, received: 1_070)])
    #expect(idle.quality?.lossPercent == nil)
    #expect(idle.quality?.jitterMilliseconds == 0)
  }

  @Test func jitterAndRoundTripAreJudgedByTheDocumentedThresholds() throws {
    let shaky = try webrtc {
      set("jitter-local", 61, in: &$0)
      set("rtt", 320, in: &$0)
    }
    let quality = try #require(JanusMediaStats.read(webrtc: shaky, previous: [:]).quality)
    #expect(quality.jitterMilliseconds == 61 && quality.roundTripMilliseconds == 320)
    #expect(quality.verdict == .bad)
    // The worst of two media: a second medium's larger jitter is the handle's.
    var two = try webrtc()
    var media = two["media"] as! [String: Any]
    var video = media["0"] as! [String: Any]
    set("jitter-local", 45, in: &video)
    media["1"] = video
    two["media"] = media
    #expect(JanusMediaStats.read(webrtc: two, previous: [:]).quality?.jitterMilliseconds == 45)
  }

  @Test func aPlainRTPParticipantOrAnAnswerWithoutMediaGivesNoQuality() throws {
    #expect(JanusMediaStats.read(webrtc: nil, previous: [:]).quality == nil)
    #expect(JanusMediaStats.read(webrtc: ["ice": ["state": "ready"]], previous: [:]).quality == nil)
    #expect(JanusMediaStats.read(webrtc: ["media": "none"], previous: [:]).quality == nil)
    #expect(JanusMediaStats.read(webrtc: ["media": ["0": ["type": "audio"]]], previous: [:]).counters.isEmpty)
  }

  @Test func audioArrivesWhileAnAudioMediumReceivedBytesInTheLastSecond() throws {
    // The AudioBridge participant, captured while Chromium sent.
    #expect(JanusMediaStats.audioArriving(webrtc: try webrtc()) == true)
    #expect(JanusMediaStats.audioArriving(webrtc: try webrtc { $0["stats"] = ["in": ["packets": 10, "bytes_lastsec": 0]] }) == false)
    // The VideoRoom publisher, captured a moment after Chromium ended: its packets counted, none in the last second.
    let data = try Data(
      contentsOf: URL(fileURLWithPath: Repository.path("Tests/Fixtures/bridges/janus-1.1.2-admin-handle-info-videoroom-publisher.json")))
    let info = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["info"] as? [String: Any])
    #expect((info["plugin_specific"] as? [String: Any])?["type"] as? String == "publisher")
    #expect(JanusMediaStats.audioArriving(webrtc: info["webrtc"]) == false)
    #expect(JanusMediaStats.read(webrtc: info["webrtc"], previous: [:]).quality?.lossPercent == 0)
    // No audio medium Janus counts: unknown, not "not arriving".
    #expect(JanusMediaStats.audioArriving(webrtc: nil) == nil)
    #expect(JanusMediaStats.audioArriving(webrtc: try webrtc { $0["type"] = "video" }) == nil)
    #expect(JanusMediaStats.audioArriving(webrtc: try webrtc { $0["stats"] = ["in": ["bytes_lastsec": "4000"]] }) == nil)
  }

  @Test func hostileValuesAreDroppedNotTrusted() throws {
    for bad in ["12", -3, 1.5, 1e300, Double.nan, true as Any] as [Any] {
      let odd = try webrtc {
        set("lost", bad, in: &$0)
        set("jitter-local", bad, in: &$0)
        set("rtt", bad, in: &$0)
      }
      let read = JanusMediaStats.read(webrtc: odd, previous: [:])
      // Nothing of it is read: no loss without its counter, no jitter or round trip but whole numbers in range
      // (a JSON boolean, which Foundation gives as a number, is not one).
      #expect(read.quality == nil, "\(bad): \(String(describing: read.quality))")
      #expect(read.counters.isEmpty, "\(bad)")
    }
    // A jitter beyond a minute is out of BridgeQuality's range: dropped.
    let huge = try webrtc { set("jitter-local", 3_600_000, in: &$0) }
    #expect(JanusMediaStats.read(webrtc: huge, previous: [:]).quality?.jitterMilliseconds == nil)
    // More media than any participant has: only the first 16 are read, and a long mid is not kept.
    var many = try webrtc()
    let medium = (many["media"] as! [String: Any])["0"]!
    var media: [String: Any] = [:]
    for index in 0..<1_000 { media[String(format: "%04d", index)] = medium }
    media[String(repeating: "m", count: 100)] = medium
    many["media"] = media
    let read = JanusMediaStats.read(webrtc: many, previous: [:])
    #expect(read.counters.count == JanusMediaStats.maximumMedia)
    #expect(read.counters.keys.allSatisfy { $0.utf8.count <= 32 })
  }
}
