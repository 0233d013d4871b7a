import BridgeCore
import Foundation
import Glibc
import TestSupport
import Testing

/// The Janus bridge's push receiver (`events_listen`, issue 32) against a real Janus (Debian's 1.1.2) whose sample
/// event handler posts to the monitor: the roster is polled once a minute, so only an event can explain a change
/// seen sooner, and the status file's poll count shows no poll came between.
@Suite(.serialized) struct JanusEventsEndToEndTests {
  @Test func joinsAndKicksAreTakenFromTheirEventsAndAnOutageIsRestoredByThePoll() throws {
    try RequiredTool.require("janus")
    let eventsPort = freeTCPPort()
    let janus = try JanusUnderTest(eventsBackend: "http://127.0.0.1:\(eventsPort)/janus-events")
    defer { janus.stop() }
    // Janus posts its `started` event to nobody yet: once it has given it up, nothing of its own is pending.
    try #require(janus.waitForEventsSettled(lost: 1), "\(janus.ownLog)")

    let config = Self.config(sites: 4, janus: janus, eventsPort: eventsPort)
    let monitor = try HeadlessMonitor(config: config)
    defer { _ = monitor.stop() }
    #expect(
      monitor.waitFor(seconds: 20) { $0.contains("events received on 127.0.0.1:\(eventsPort)") ? true : nil } == true,
      "\(monitor.log)")

    func poll(_ json: [String: Any]) -> [String: Any] {
      ((json["bridges"] as? [String: Any])?["polls"] as? [[String: Any]])?.first ?? [:]
    }
    func state(_ json: [String: Any], _ id: String) -> String? {
      (monitor.site(id, in: json)?["bridge"] as? [String: Any])?["state"] as? String
    }
    func states(_ json: [String: Any]) -> [String] { ["HB-S1", "HB-S2", "HB-S3", "HB-S4"].map { state(json, $0) ?? "-" } }

    // The first poll: nobody in yet.
    let first = try #require(
      monitor.waitForStatus(seconds: 30) { states($0) == ["out", "out", "out", "out"] }, "\(monitor.log)\n\(janus.ownLog)")
    let polls = try #require(poll(first)["polls"] as? Int)
    #expect(polls == 1)

    // S1, S2 and a guest join: in, and the guest counted, by their `joined` events alone (the next poll is a
    // minute away).
    let s1 = try janus.join(display: "HB-S1", sendMedia: false)
    let s2 = try janus.join(display: "HB-S2", sendMedia: false)
    _ = try janus.join(display: "Khách", sendMedia: false)
    let joined = try #require(
      monitor.waitForStatus(seconds: 30) { json in
        states(json) == ["in", "in", "out", "out"] && poll(json)["unmatched"] as? Int == 1
      }, "\(monitor.log)\n\(janus.ownLog)")
    #expect(poll(joined)["polls"] as? Int == polls, "a poll came between: \(poll(joined))")
    #expect(poll(joined)["unmatched_names"] as? [String] == ["Khách"])
    #expect(poll(joined)["participants"] as? Int == 3)

    // S2 is kicked: Janus's `kicked` event takes it out, with no poll between.
    try janus.kick(s2)
    let kicked = try #require(
      monitor.waitForStatus(seconds: 30) { states($0) == ["in", "out", "out", "out"] }, "\(monitor.log)\n\(janus.ownLog)")
    #expect(poll(kicked)["polls"] as? Int == polls, "a poll came between: \(poll(kicked))")
    #expect(poll(kicked)["participants"] as? Int == 2)
    // The receiver's own count: three joins and a kick applied, none refused (Janus's other events, such as its
    // session events, change no roster and count as neither).
    #expect(poll(kicked)["events_applied"] as? Int == 4 && poll(kicked)["bodies_refused"] as? Int == 0, "\(poll(kicked))")

    // The receiver is down (the monitor stopped) while S1 is kicked and S3 and S4 join: Janus's events for them
    // find nobody and are lost. The monitor back, its first poll restores all three.
    monitor.finish()
    try FileManager.default.removeItem(atPath: monitor.directory + "/status.json")
    let lostBefore = janus.eventsLost
    try janus.kick(s1)
    let s3 = try janus.join(display: "HB-S3", sendMedia: false)
    let s4 = try janus.join(display: "HB-S4", sendMedia: false)
    try #require(janus.waitForEventsSettled(lost: lostBefore + 1), "\(janus.ownLog)")
    let again = try HeadlessMonitor(config: config, listen: "127.0.0.1:\(monitor.port)", directory: monitor.directory)
    defer { _ = again.stop() }
    let restored = try #require(
      again.waitForStatus(seconds: 30) { states($0) == ["out", "out", "in", "in"] }, "\(again.log)\n\(janus.ownLog)")
    let pollsAgain = try #require(poll(restored)["polls"] as? Int)
    #expect(poll(restored)["unmatched"] as? Int == 1)

    // And events are taken again: S3 and S4 kicked, out by their events alone.
    try janus.kick(s3)
    try janus.kick(s4)
    let emptied = try #require(
      again.waitForStatus(seconds: 30) { states($0) == ["out", "out", "out", "out"] }, "\(again.log)\n\(janus.ownLog)")
    #expect(poll(emptied)["polls"] as? Int == pollsAgain, "a poll came between: \(poll(emptied))")

    // The journal has each join and leave, the pushed ones too, with source bridge.
    again.finish()
    let lines = try String(contentsOfFile: monitor.directory + "/bridgewatch.journal", encoding: .utf8).split(separator: "\n")
    let sequence = lines.compactMap { try? JournalCodec.decode($0).get() }.compactMap { record -> String? in
      guard case .bridge(let inBridge) = record.kind else { return nil }
      return "\(record.site ?? "")=\(inBridge ? "in" : "out")"
    }
    #expect(
      sequence.sorted() == ["HB-S1=in", "HB-S1=out", "HB-S2=in", "HB-S2=out", "HB-S3=in", "HB-S3=out", "HB-S4=in", "HB-S4=out"],
      "\(sequence)")
    #expect(Array(sequence.prefix(3)) == ["HB-S1=in", "HB-S2=in", "HB-S2=out"], "\(sequence)")
    #expect(lines.filter { $0.contains("\"type\":\"bridge\"") }.allSatisfy { $0.contains("\"source\":\"bridge\"") })
  }

  /// A VideoRoom bridge (`plugin: videoroom`): its roster polled from a real Janus's VideoRoom, then publishers'
  /// joins, kick and leave taken from their events alone (the next poll is a minute away).
  @Test func videoRoomJoinsKicksAndLeavesAreTakenFromTheirEvents() throws {
    try RequiredTool.require("janus")
    let eventsPort = freeTCPPort()
    let janus = try JanusUnderTest(eventsBackend: "http://127.0.0.1:\(eventsPort)/janus-events", videoRoom: true)
    defer { janus.stop() }
    try #require(janus.waitForEventsSettled(lost: 1), "\(janus.ownLog)")
    // One publisher is in before the monitor starts: the first poll must find it.
    let s1 = try janus.joinVideoRoom(display: "HB-S1")
    // Its events (a session made, a join) find nobody and are given up, grouped in one batch or two.
    try #require(janus.waitForEventsSettled(lost: 2), "\(janus.ownLog)")

    let config = Self.config(sites: 3, janus: janus, eventsPort: eventsPort, plugin: "videoroom")
    let monitor = try HeadlessMonitor(config: config)
    defer { _ = monitor.stop() }
    func poll(_ json: [String: Any]) -> [String: Any] {
      ((json["bridges"] as? [String: Any])?["polls"] as? [[String: Any]])?.first ?? [:]
    }
    func states(_ json: [String: Any]) -> [String] {
      ["HB-S1", "HB-S2", "HB-S3"].map { ((monitor.site($0, in: json)?["bridge"] as? [String: Any])?["state"] as? String) ?? "-" }
    }

    // The first poll reads VideoRoom's `listparticipants`: S1 in.
    let first = try #require(
      monitor.waitForStatus(seconds: 30) { states($0) == ["in", "out", "out"] }, "\(monitor.log)\n\(janus.ownLog)")
    let polls = try #require(poll(first)["polls"] as? Int)
    #expect(poll(first)["participants"] as? Int == 1)

    // S2 and S3 join: in by their `joined` events; S2 kicked and S1 leaving: out by theirs. No poll between.
    let s2 = try janus.joinVideoRoom(display: "HB-S2")
    _ = try janus.joinVideoRoom(display: "HB-S3")
    let joined = try #require(
      monitor.waitForStatus(seconds: 30) { states($0) == ["in", "in", "in"] }, "\(monitor.log)\n\(janus.ownLog)")
    #expect(poll(joined)["polls"] as? Int == polls, "a poll came between: \(poll(joined))")
    try janus.kick(s2, plugin: "videoroom")
    try janus.leaveVideoRoom(s1)
    let left = try #require(
      monitor.waitForStatus(seconds: 30) { states($0) == ["out", "out", "in"] }, "\(monitor.log)\n\(janus.ownLog)")
    #expect(poll(left)["polls"] as? Int == polls, "a poll came between: \(poll(left))")
    #expect(poll(left)["participants"] as? Int == 1)
    #expect(poll(left)["events_applied"] as? Int == 4 && poll(left)["bodies_refused"] as? Int == 0, "\(poll(left))")
  }

  /// Sites HB-S1 to HB-S`sites` and one Janus bridge on room 1234, polled once a minute and pushed to.
  static func config(sites: Int, janus: JanusUnderTest, eventsPort: Int, plugin: String = "audiobridge") -> String {
    """
    title: Bridge events
    timing: {interval: 1s, late_after: 2s, offline_after: 3s}
    status_file: status.json
    sites:
    \((1...sites).map { "  - {id: HB-S\($0), name: S\($0), group: Hòa Bình, expected: 10}" }.joined(separator: "\n"))
    bridges:
      - {kind: janus, url: "http://127.0.0.1:\(janus.port)/janus", room: 1234, plugin: \(plugin), poll: 60s, events_listen: "127.0.0.1:\(eventsPort)"}
    """
  }

  @Test func aTakenEventsPortStopsTheStartAtItsLine() throws {
    let folder = try makeScratchDirectory("bw-events-port")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // Something else listens on the port first.
    let squatter = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(squatter) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let listening = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(squatter, $0, length) == 0 && listen(squatter, 1) == 0 && getsockname(squatter, $0, &length) == 0
      }
    }
    try #require(listening)
    let port = Int(UInt16(bigEndian: address.sin_port))
    try """
    sites:
      - {id: A, name: A, group: G, expected: 1}
    bridges:
      - {kind: janus, url: "http://127.0.0.1:1/janus", room: 1234, events_listen: "127.0.0.1:\(port)"}
    """.write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
    let run = try Binary.run(["run", folder + "/c.yaml", "--headless", "--listen", "127.0.0.1:0"], environment: ["LANG": "C.UTF-8"])
    #expect(run.status != 0)
    #expect(run.stderr.contains("cannot listen for events on 127.0.0.1:\(port) (\(folder)/c.yaml:4)"), "\(run.stderr)")
    #expect(run.stderr.contains("Address already in use"), "\(run.stderr)")
  }
}

extension JanusUnderTest {
  /// Batches of events the sample handler gave up on (each after its retransmissions), by its log.
  var eventsLost: Int { ownLog.components(separatedBy: "event lost").count - 1 }

  /// What Janus wrote to its log file.
  var ownLog: String { logFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? "" }

  /// Waits until the sample handler has given up at least `lost` batches and is retrying none: nothing failed to
  /// post since the last batch it gave up (each after 1 try and 5 retransmissions, janus_sampleevh.c's default), at
  /// two looks a second apart (a batch popped between them would show).
  func waitForEventsSettled(lost: Int) -> Bool {
    func settled() -> Bool {
      let text = ownLog
      guard text.components(separatedBy: "event lost").count - 1 >= lost, let last = text.range(of: "event lost", options: .backwards)
      else { return false }
      return !text[last.upperBound...].contains("Couldn't relay event")
    }
    var settledBefore = false
    return eventually(timeout: .seconds(120), every: .seconds(1)) {
      let now = settled()
      defer { settledBefore = now }
      return now && settledBefore
    }
  }
}
