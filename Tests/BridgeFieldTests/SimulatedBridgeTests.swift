import BridgeCore
import BridgeField
import BridgeMonitor
import Foundation
import Synchronization
import TestSupport
import Testing

/// The bridge the simulator and the demo play (issue 32, item 4): a Janus-shaped AudioBridge whose room follows the
/// plan, with some agents stopping while their codec stays in and some agents alive at points never in.
@Suite struct SimulatedBridgeTests {
  static let hoaBinh: ConferenceConfig = {
    var config = SimulationTests.hoaBinh
    config.bridges = [BridgeSettings(url: "http://127.0.0.1:1/janus", host: "127.0.0.1", port: 1, path: "/janus", room: 1234)]
    return config
  }()

  static func participants(_ roster: [SimulatedJanus.Participant]) -> [BridgeParticipant] {
    roster.map { BridgeParticipant(id: String($0.id), display: $0.display, muted: $0.muted, mediaUp: false) }
  }

  @Test func thePlayedBridgeRaisesBothDisagreementsThroughTheRealEngine() throws {
    let config = Self.hoaBinh
    let plan = SimulationPlan(config: config, scenario: .quick, seed: 1, playsBridge: true)
    let stopping = plan.sites.indices.filter { plan.sites[$0].agentStopsAt != nil }
    let absent = plan.sites.indices.filter { plan.sites[$0].neverInBridge }
    #expect(stopping.count == 2 && absent.count == 2)
    // The bridge's roles are taken after every other role: the plan is otherwise the one without a bridge.
    let without = SimulationPlan(config: config, scenario: .quick, seed: 1)
    for index in plan.sites.indices {
      var site = plan.sites[index]
      site.agentStopsAt = nil
      site.neverInBridge = false
      #expect(site == without.sites[index], "site \(index)")
    }
    var rehearsal = Rehearsal(config: config, scenario: .quick, seed: 1, seconds: 120, playsBridge: true)
    let roster = plan.bridgeRoster(names: config.sites.map(\.bridgeMatchName), at: 120)
    let now = ClockReading(monotonicNanos: 120_000_000_000, unixSeconds: 1_763_800_120)
    rehearsal.state.receiveBridgePoll(.roster(Self.participants(roster)), bridge: 0, now: now)
    let view = rehearsal.state.bridges.view(records: rehearsal.state.engine.records.all)
    for site in stopping {
      #expect(view.disagreement(site: site) == .inBridgeAgentSilent, "\(config.sites[site].id): agent stopped, still in")
    }
    for site in absent {
      #expect(view.disagreement(site: site) == .aliveNotInBridge, "\(config.sites[site].id): agent alive, never in")
    }
    #expect(view.unmatchedCount == SimulationPlan.bridgeGuests.count)
    #expect(view.polls[0].unmatchedNames == SimulationPlan.bridgeGuests)
    // Past the storm (25 s to 100 s at the quick pace) nearly every point is in.
    #expect(view.inBridgeCount * 10 >= config.sites.count * 9, "only \(view.inBridgeCount) in")
    // During the storm its district's points are out of the bridge as their lines are down: no disagreement.
    let storm = plan.bridgeRoster(names: config.sites.map(\.bridgeMatchName), at: 60)
    let stormSites = plan.sites.indices.filter { plan.sites[$0].inStormDistrict }
    #expect(!stormSites.isEmpty)
    let inDuringStorm = Set(storm.map(\.display))
    #expect(stormSites.allSatisfy { !inDuringStorm.contains(config.sites[$0].bridgeMatchName) })
  }

  /// What the monitor's Janus client says when a poll with `settings` is refused; nil when it read a roster.
  static func refusal(polling settings: BridgeSettings) -> String? {
    var client = JanusRosterClient(bridge: settings, timeout: .seconds(5), say: Strings(.en))
    guard case .failed(let problem) = client.poll().outcome else { return nil }
    return problem
  }

  @Test func theMonitorsJanusClientReadsTheSimulatedRoom() throws {
    let janus = try SimulatedJanus()
    let roster = [
      SimulatedJanus.Participant(id: 7, display: "HB-TU", muted: false),
      SimulatedJanus.Participant(id: 8, display: "Tỉnh ủy Hòa Bình \"A\"", muted: true),
    ]
    janus.start { roster }
    defer { janus.stop() }
    let settings = BridgeSettings(
      url: janus.url, host: janus.host, port: janus.port, path: janus.path, room: janus.room, poll: .seconds(2))
    var client = JanusRosterClient(bridge: settings, timeout: .seconds(5), say: Strings(.en))
    let (outcome, renewed) = client.poll()
    #expect(!renewed)
    guard case .roster(let read) = outcome else {
      Issue.record("no roster: \(outcome)")
      return
    }
    #expect(read.map(\.id) == ["7", "8"])
    #expect(read.map(\.display) == roster.map(\.display))
    #expect(read.map(\.muted) == [false, true])
    #expect(read.map(\.mediaUp) == [false, false])
    // The second poll reuses the session (create and attach once, then listparticipants and keepalive each poll).
    #expect(client.poll().sessionRenewed == false)
    #expect(janus.requestsServed == 6)
    // Another room is refused as Janus refuses it.
    var other = settings
    other.room = 999
    let problem = try #require(Self.refusal(polling: other), "room 999 was read")
    #expect(problem.contains("485") && problem.contains("No such room (999)"), "\(problem)")
  }

  /// The demo's Janus plays the Admin API too: the monitor's own client reads each participant's audio (`queue-in`)
  /// and a WebRTC participant's counts as a real Janus gives them, its loss over the poll since its last counts.
  @Test func theMonitorsJanusClientReadsTheSimulatedAdminAPI() throws {
    let janus = try SimulatedJanus(adminPath: "/admin")
    let counts = Mutex(SimulatedJanus.WebRTCCounts(lost: 10, received: 990, jitterMilliseconds: 12, roundTripMilliseconds: 80))
    janus.start {
      [
        SimulatedJanus.Participant(id: 7, display: "HB-TU", muted: false, webrtc: counts.withLock { $0 }),
        SimulatedJanus.Participant(id: 8, display: "HB-DB-TULY", muted: false, audioArriving: false),
      ]
    }
    defer { janus.stop() }
    var settings = BridgeSettings(
      url: janus.url, host: janus.host, port: janus.port, path: janus.path, room: janus.room, poll: .seconds(2))
    settings.admin = .init(host: janus.host, port: janus.port, path: "/admin", secure: false)
    // A loss over each poll rather than over the last 10 s, so that the test need not wait.
    var client = JanusRosterClient(bridge: settings, timeout: .seconds(5), say: Strings(.en), lossWindow: 0)
    guard case .roster(let first) = client.poll().outcome else {
      Issue.record("no roster")
      return
    }
    #expect(client.adminProblem == nil, "\(client.adminProblem ?? "")")
    #expect(first.map(\.audioArriving) == [true, false])
    #expect(first.map(\.mediaUp) == [true, false], "a WebRTC participant's media is set up")
    // A first read: jitter and round trip, no loss yet; the plain-RTP participant has no quality.
    #expect(first[0].quality?.lossPercent == nil && first[0].quality?.jitterMilliseconds == 12)
    #expect(first[0].quality?.roundTripMilliseconds == 80 && first[0].quality?.verdict == .good)
    #expect(first[1].quality == nil)
    // The next poll: 20 lost of the 1,000 since, 2%, degraded.
    counts.withLock { $0 = .init(lost: 30, received: 1_970, jitterMilliseconds: 12, roundTripMilliseconds: 80) }
    guard case .roster(let second) = client.poll().outcome else {
      Issue.record("no roster")
      return
    }
    #expect(second[0].quality?.lossPercent == 2 && second[0].quality?.verdict == .degraded)
  }

  /// The demo's plan: a third of the sites, and the one whose plan loses heartbeats, join over WebRTC; Janus's
  /// counts only grow while they are connected; that lossy site's call is bad.
  @Test func thePlannedWebRTCCountsGrowAndTheLossySiteIsBad() throws {
    let config = Self.hoaBinh
    let plan = SimulationPlan(config: config, scenario: .quick, seed: 1, playsBridge: true)
    let names = config.sites.map(\.bridgeMatchName)
    let early = plan.bridgeRoster(names: names, at: 150)
    let later = plan.bridgeRoster(names: names, at: 210)
    let webrtc = later.filter { $0.webrtc != nil }
    #expect(webrtc.count * 5 >= config.sites.count, "about a third: \(webrtc.count)")
    for participant in webrtc {
      guard let before = early.first(where: { $0.id == participant.id })?.webrtc, let after = participant.webrtc else { continue }
      #expect(after.lost >= before.lost && after.received > before.received, "\(participant.display)")
    }
    let lossy = try #require(plan.sites.indices.first { plan.sites[$0].lossPercent > 0 })
    let counts = try #require(later.first { $0.display == names[lossy] }?.webrtc)
    let loss = Double(counts.lost) * 100 / Double(counts.lost + counts.received)
    #expect(loss >= BridgeQuality.lossThresholds.bad, "\(loss)%")
    #expect(later.contains { !$0.audioArriving }, "some site's audio does not arrive")
  }

  /// `sim --play-bridge` on a config watching a VideoRoom plays one: the monitor's own Janus client attaches to the
  /// VideoRoom plugin and reads its publishers (no media: `publisher` false); another room is refused with 426, as
  /// janus_videoroom.c refuses it.
  @Test func theMonitorsJanusClientReadsASimulatedVideoRoom() throws {
    let janus = try SimulatedJanus(plugin: .videoroom)
    janus.start { [SimulatedJanus.Participant(id: 7, display: "HB-TU", muted: false)] }
    defer { janus.stop() }
    let settings = BridgeSettings(
      url: janus.url, host: janus.host, port: janus.port, path: janus.path, room: janus.room, plugin: .videoroom, poll: .seconds(2))
    var client = JanusRosterClient(bridge: settings, timeout: .seconds(5), say: Strings(.en))
    guard case .roster(let read) = client.poll().outcome else {
      Issue.record("no roster")
      return
    }
    #expect(read.map(\.id) == ["7"] && read.map(\.display) == ["HB-TU"] && read.map(\.mediaUp) == [false])
    // An AudioBridge's client finds no such plugin there.
    var audio = settings
    audio.plugin = .audiobridge
    let refused = try #require(Self.refusal(polling: audio), "an AudioBridge was attached in a VideoRoom's place")
    #expect(refused.contains("460"), "\(refused)")
    var other = settings
    other.room = 999
    let problem = try #require(Self.refusal(polling: other), "room 999 was read")
    #expect(problem.contains("426") && problem.contains("No such room (999)"), "\(problem)")
  }

  @Test func aRequestOverTheBoundsOrNotAPostIsRefused() throws {
    let janus = try SimulatedJanus()
    janus.start { [] }
    defer { janus.stop() }
    let get = try #require(HTTPTestResponse.fetch(port: janus.port, method: "GET", path: "/janus"))
    #expect(get.status == 405)
    let client = try #require(TCPTestClient(port: janus.port))
    let huge = 100 * 1024
    _ = client.send("POST /janus HTTP/1.0\r\nContent-Length: \(huge)\r\n\r\n")
    let refused = try #require(HTTPTestResponse.parse(client.readToEnd()))
    #expect(refused.status == 400)
    // A session the bridge never made is Janus's 458, which makes the monitor's client start a new one.
    let stale = try #require(TCPTestClient(port: janus.port))
    let body = #"{"janus":"keepalive","transaction":"t"}"#
    _ = stale.send("POST /janus/42 HTTP/1.0\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
    let answer = try #require(HTTPTestResponse.parse(stale.readToEnd()))
    #expect(answer.status == 200 && answer.body.contains("\"code\":458"), "\(answer.body)")
  }

  /// The demo's second bridge, a Pexip conference: the monitor's own Pexip client reads it through its pages with
  /// the run's account, each participant with Pexip's verdict on its call; a wrong password is refused as Pexip
  /// refuses it, and another conference's name lists nobody.
  @Test func theMonitorsPexipClientReadsTheSimulatedConferenceThroughItsPages() throws {
    let pexip = try SimulatedPexip(conference: "Hội nghị toàn quốc", username: "bw", password: "mật-khẩu")
    let words = ["1_good", "2_ok", "3_bad", "4_terrible", "0_unknown"]
    let roster = (0..<1_203).map { index in
      SimulatedPexip.Participant(
        id: "p-\(index)", display: "Điểm \(index)", alias: "sip:\(index)@demo.invalid", callQuality: words[index % words.count])
    }
    pexip.start { roster }
    defer { pexip.stop() }
    let settings = BridgeSettings(
      kind: .pexip, url: pexip.url, host: pexip.host, port: pexip.port, path: pexip.path, room: 0, poll: .seconds(2),
      credentials: pexip.credentials, conference: pexip.conference)
    guard case .roster(let read) = PexipRosterClient(bridge: settings, timeout: .seconds(5), say: Strings(.en)).poll() else {
      Issue.record("no roster")
      return
    }
    #expect(read.map(\.id) == roster.map(\.id), "the ids differ")
    #expect(read.map(\.display) == roster.map(\.display), "the names differ")
    #expect(read.map(\.address) == roster.map(\.alias), "the addresses differ")
    // "0_unknown" is Pexip saying it does not know: no verdict, as the client reads it.
    let expected = roster.map { $0.callQuality == "0_unknown" ? nil : $0.callQuality }
    #expect(read.map { $0.quality?.bridgeWord } == expected, "the verdicts differ")
    #expect(pexip.requestsServed == 3, "1,203 participants in pages of 500")

    var wrong = settings
    wrong.credentials?.password = "sai"
    guard case .failed(let problem) = PexipRosterClient(bridge: wrong, timeout: .seconds(5), say: Strings(.en)).poll() else {
      Issue.record("a wrong password was let in")
      return
    }
    #expect(problem.contains("401"), "\(problem)")
    var other = settings
    other.conference = "Hội nghị khác"
    #expect(PexipRosterClient(bridge: other, timeout: .seconds(5), say: Strings(.en)).poll() == .roster([]))
  }

  /// With the second bridge played, a tenth of the sites are in it instead of the Janus room, each with a verdict:
  /// a site whose plan loses heartbeats has a bad or terrible call; the room keeps the others and the guests.
  @Test func theSecondBridgeCarriesATenthOfTheSitesWithTheirCallsVerdicts() {
    let config = Self.hoaBinh
    let plan = SimulationPlan(config: config, scenario: .quick, seed: 1, playsBridge: true)
    let names = config.sites.map(\.bridgeMatchName)
    for time in [30.0, 130, 400] {
      let second = plan.secondBridgeRoster(names: names, at: time)
      let room = plan.bridgeRoster(names: names, at: time, secondBridgePlayed: true)
      let alone = plan.bridgeRoster(names: names, at: time)
      let onSecond = Set(second.map(\.display))
      #expect(!onSecond.isEmpty)
      #expect(second.allSatisfy { participant in SimulationPlan.isOnSecondBridge(site: names.firstIndex(of: participant.display)!) })
      // Split, not doubled: the two together are the room played alone.
      #expect(Set(room.map(\.display)).isDisjoint(with: onSecond))
      #expect(Set(room.map(\.display)).union(onSecond) == Set(alone.map(\.display)), "at \(time) s")
      for participant in second where plan.sites[names.firstIndex(of: participant.display)!].lossPercent > 0 {
        #expect(["3_bad", "4_terrible"].contains(participant.callQuality), "\(participant)")
      }
      #expect(second.allSatisfy { BridgeQuality.bridgeWords[$0.callQuality] != nil })
    }
  }

  /// What the simulated Pexip's event sink writes, the monitor's receiver reads: `eventsink_started` first, then a
  /// connect for each participant that came, an update for a changed verdict, a disconnect for one that went, `seq`
  /// counting from 1 without a gap, and nothing for a look that changed nothing.
  @Test func theSimulatedEventSinksMessagesAreWhatTheReceiverReads() throws {
    let conference = "Hội nghị trực tuyến toàn quốc"
    var sink = PexipConferenceEvents(conference: conference)
    let hanoi = SimulatedPexip.Participant(id: "p-1", display: "Hà Nội", alias: "sip:hanoi@demo.invalid", callQuality: "1_good")
    let danang = SimulatedPexip.Participant(id: "p-2", display: "Đà Nẵng", alias: "sip:danang@demo.invalid", callQuality: "1_good")
    var worse = danang
    worse.callQuality = "3_bad"
    let looks: [[SimulatedPexip.Participant]] = [[hanoi, danang], [hanoi, danang], [hanoi, worse], [worse]]
    var read: [PexipEventPayload.Read] = []
    var counts: [Int] = []
    for (step, roster) in looks.enumerated() {
      let messages = sink.events(for: roster, unixMicroseconds: 1_796_500_000_000_000 + UInt64(step) * 1_000_000)
      counts.append(messages.count)
      for message in messages { read.append(try PexipEventPayload.parse(message, conference: conference)) }
    }
    #expect(counts == [3, 0, 1, 1])
    #expect(read.map(\.sequence) == [1, 2, 3, 4, 5])
    #expect(Set(read.map(\.node)) == ["127.0.0.1"])
    #expect(read[0].batch.events.first.map { if case .resync = $0 { true } else { false } } == true, "\(read[0])")
    let joined = read[1...2].flatMap(\.batch.events).compactMap { event -> String? in
      if case .joined(let participant) = event { participant.display } else { nil }
    }
    #expect(joined == ["Hà Nội", "Đà Nẵng"])
    #expect(read[4].batch.events == [.left(id: "p-1", display: "Hà Nội")])
    // The verdict's change is an update, read as a connect of one already in (it changes nothing of who is in).
    if case .joined(let participant) = read[3].batch.events.first {
      #expect(participant.id == "p-2")
    } else {
      Issue.record("the update was not read as the participant in: \(read[3])")
    }
  }
}
