import Foundation
import TestSupport
import Testing

@testable import BridgeCore

/// A WebRTC participant's call quality from Janus's Admin API (`handle_info`'s `webrtc.media`), read from the answer
/// Janus 1.1.2 gave for Chromium in an AudioBridge room (Tests/Fixtures/bridges/janus-1.1.2-admin-handle-info-webrtc.*)
/// and from variants of it: loss over the last 10 s, jitter, round trip; hostile values dropped, never trusted.
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

  /// Reads `webrtc` at `now` after `history`.
  func read(_ webrtc: Any?, _ history: [String: [JanusMediaStats.Sample]] = [:], at now: Double = 100) -> (
    quality: BridgeQuality?, history: [String: [JanusMediaStats.Sample]]
  ) {
    JanusMediaStats.read(webrtc: webrtc, history: history, now: now)
  }

  @Test func theCapturedAnswerReadFirstHasItsJitterAndNoLossYet() throws {
    let first = read(try webrtc())
    let quality = try #require(first.quality)
    // Janus's jitter 0 ms on loopback; its round trip 0, Janus's "not measured yet" (and under a millisecond here),
    // so not a figure; no loss on a first read: there is nothing 10 s old to count from.
    #expect(quality.jitterMilliseconds == 0)
    #expect(quality.roundTripMilliseconds == nil)
    #expect(quality.lossPercent == nil)
    #expect(quality.verdict == .good)
    let kept = try #require(first.history["0"])
    #expect(kept.count == 1 && kept[0].lost == 0 && kept[0].received > 1_000 && kept[0].seconds == 100, "\(kept)")
    // Ten seconds on, with no packet lost: 0%.
    let later = try webrtc { setReceived(kept[0].received + 500, in: &$0) }
    #expect(read(later, first.history, at: 110).quality?.lossPercent == 0)
  }

  @Test func lossIsOverTheLastTenSecondsAgainstTheNewestReadThatOld() throws {
    func at(_ lost: Int, _ received: Int) throws -> [String: Any] {
      try webrtc {
        set("lost", lost, in: &$0)
        setReceived(received, in: &$0)
      }
    }
    // Reads at 0 s (nothing lost), 5 s (10 lost of 250) and 12 s (30 lost of 600 since 0).
    var history = read(try at(0, 0), at: 0).history
    let five = read(try at(10, 240), history, at: 5)
    #expect(five.quality?.lossPercent == nil, "5 s is not a window")
    history = five.history
    let twelve = read(try at(30, 570), history, at: 12)
    // Against the read at 0 s, the newest at least 10 s old: 30 of 600, 5%, bad.
    #expect(twelve.quality?.lossPercent == 5)
    #expect(twelve.quality?.verdict == .bad)
    // Reads older than the window's base are let go; the base and the newer ones are kept.
    #expect(twelve.history["0"]?.map(\.seconds) == [0, 5, 12])
    // At 16 s the base is the read at 5 s: 20 lost of 450 since.
    let sixteen = read(try at(30, 680), twelve.history, at: 16)
    #expect(abs((sixteen.quality?.lossPercent ?? -1) - 20.0 * 100 / 460) < 1e-9, "\(String(describing: sixteen.quality))")
    #expect(sixteen.history["0"]?.map(\.seconds) == [5, 12, 16])
    // Counters that went back (a renegotiated medium): no loss until 10 s of the new counts, never a negative one.
    let reset = read(try at(2, 100), sixteen.history, at: 20)
    #expect(reset.quality?.lossPercent == nil)
    #expect(reset.history["0"]?.map(\.seconds) == [20])
    // No packet in the window: no loss figure (the audio line says it is not arriving), jitter still read.
    let idle = read(try at(2, 100), reset.history, at: 31)
    #expect(idle.quality?.lossPercent == nil && idle.quality?.jitterMilliseconds == 0)
  }

  @Test func pollingFasterThanTheWindowKeepsItsBaseAndABoundedHistory() throws {
    var history: [String: [JanusMediaStats.Sample]] = [:]
    var lastLoss: Double?
    for tick in 0...40 {
      let answer = try webrtc {
        set("lost", tick, in: &$0)
        setReceived(tick * 99, in: &$0)
      }
      let result = JanusMediaStats.read(webrtc: answer, history: history, now: Double(tick) * 0.5)
      history = result.history
      lastLoss = result.quality?.lossPercent
      #expect((history["0"]?.count ?? 0) <= JanusMediaStats.maximumSamples)
    }
    // Every half second: one packet in a hundred lost, 1%, whatever the window's exact base.
    #expect(lastLoss.map { abs($0 - 1) < 1e-9 } == true, "\(String(describing: lastLoss))")
  }

  @Test func jitterAndRoundTripAreJudgedByTheDocumentedThresholds() throws {
    let shaky = try webrtc {
      set("jitter-local", 61, in: &$0)
      set("rtt", 320, in: &$0)
    }
    let quality = try #require(read(shaky).quality)
    #expect(quality.jitterMilliseconds == 61 && quality.roundTripMilliseconds == 320)
    #expect(quality.verdict == .bad)
    // The worst of two media: a second medium's larger jitter is the handle's.
    var two = try webrtc()
    var media = two["media"] as! [String: Any]
    var video = media["0"] as! [String: Any]
    set("jitter-local", 45, in: &video)
    media["1"] = video
    two["media"] = media
    #expect(read(two).quality?.jitterMilliseconds == 45)
  }

  @Test func aPlainRTPParticipantOrAnAnswerWithoutMediaGivesNoQuality() throws {
    #expect(read(nil).quality == nil)
    #expect(read(["ice": ["state": "ready"]]).quality == nil)
    #expect(read(["media": "none"]).quality == nil)
    #expect(read(["media": ["0": ["type": "audio"]]]).history.isEmpty)
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
    #expect(read(info["webrtc"]).quality?.jitterMilliseconds != nil)
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
      let result = read(odd)
      // Nothing of it is read: no loss without its counter, no jitter or round trip but whole numbers in range
      // (a JSON boolean, which Foundation gives as a number, is not one).
      #expect(result.quality == nil, "\(bad): \(String(describing: result.quality))")
      #expect(result.history.isEmpty, "\(bad)")
    }
    // A jitter beyond a minute is out of BridgeQuality's range: dropped.
    let huge = try webrtc { set("jitter-local", 3_600_000, in: &$0) }
    #expect(read(huge).quality?.jitterMilliseconds == nil)
    // More media than any participant has: only the first 16 are read, and a long mid is not kept.
    var many = try webrtc()
    let medium = (many["media"] as! [String: Any])["0"]!
    var media: [String: Any] = [:]
    for index in 0..<1_000 { media[String(format: "%04d", index)] = medium }
    media[String(repeating: "m", count: 100)] = medium
    many["media"] = media
    let result = read(many)
    #expect(result.history.count == JanusMediaStats.maximumMedia)
    #expect(result.history.keys.allSatisfy { $0.utf8.count <= 32 })
  }
}
