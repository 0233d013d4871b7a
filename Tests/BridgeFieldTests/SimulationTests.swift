import BridgeCore
import BridgeField
import TestSupport
import Testing

/// Plays a plan through the real engine (decoder, authenticator, status machine) on a virtual clock, the way the
/// monitor would see it, and returns every event and the final state.
struct Rehearsal {
  var events: [EngineEvent] = []
  var state: MonitorState
  var statusAt: [Double: [SiteStatus]] = [:]

  init(
    config: ConferenceConfig, scenario: SimulationScenario, seed: UInt64, seconds: Int, sampleAt: [Double] = [], playsBridge: Bool = false
  ) {
    let plan = SimulationPlan(config: config, scenario: scenario, seed: seed, playsBridge: playsBridge)
    var run = SimulationRun(plan: plan)
    state = MonitorState(config: config)
    let start = 1_763_800_000.0
    func reading(_ t: Double) -> ClockReading {
      ClockReading(monotonicNanos: Int64(t * 1e9), unixSeconds: start + t)
    }
    for second in 0...seconds {
      let t = Double(second)
      while let beat = run.next(upTo: t) {
        guard !beat.isLost else { continue }
        let line = plan.line(for: beat, unixSeconds: UInt64(start + beat.time))
        if beat.viaFile {
          state.receiveFile(
            .modified(mtimeUnixSeconds: start + beat.time, content: Array((line + "\n").utf8)), site: beat.site,
            now: reading(beat.time))
        } else {
          _ = Array(line.utf8).withUnsafeBytes { state.receiveDatagram($0, now: reading(beat.time)) }
        }
      }
      state.withEngine { $0.tick(now: reading(t)) }
      events += state.withEngine { $0.drainEvents() }
      if sampleAt.contains(t) { statusAt[t] = state.engine.records.map(\.status) }
    }
  }
}

@Suite struct SimulationTests {
  static let hoaBinh: ConferenceConfig = {
    var config = try! ConfigLoader.load(path: Repository.path("examples/hoa-binh.yaml")).config
    // Some sites sign, so one of them can sign with a wrong key; two keep heartbeat files.
    for site in config.sites.enumerated() where site.offset % 3 == 0 { config.keys[site.element.id] = Array("secret-\(site.offset)".utf8) }
    config.sites[5].heartbeatFileIsExplicit = true
    config.sites[17].heartbeatFileIsExplicit = true
    return config
  }()

  @Test func theSameSeedGivesTheSameEventsAndAnotherSeedDoesNot() {
    let first = Rehearsal(config: Self.hoaBinh, scenario: .storm, seed: 7, seconds: 600)
    let second = Rehearsal(config: Self.hoaBinh, scenario: .storm, seed: 7, seconds: 600)
    let other = Rehearsal(config: Self.hoaBinh, scenario: .storm, seed: 8, seconds: 600)
    #expect(first.events.count > 100)
    #expect(first.events == second.events)
    #expect(first.events != other.events)
  }

  @Test func theDemosQuickPaceShowsALivingConferenceAtOnceAndIncidentsWithinAMinute() throws {
    let quick = Rehearsal(config: Self.hoaBinh, scenario: .quick, seed: 1, seconds: 60, sampleAt: [10, 30])
    let online = try #require(quick.statusAt[10]).filter { $0 == .online || $0 == .late }.count
    #expect(online * 10 >= Self.hoaBinh.sites.count * 8, "only \(online) of \(Self.hoaBinh.sites.count) online at 10 s")
    let firstOffline = quick.events.first {
      if case .statusChanged(_, .offline, .silence) = $0.kind { true } else { false }
    }
    let firstOfflineSecond = try #require(firstOffline).time.monotonicNanos / 1_000_000_000
    #expect(firstOfflineSecond < 60)
    // The realistic pace is unchanged: at 10 s most of the province is still unknown.
    let realistic = Rehearsal(config: Self.hoaBinh, scenario: .storm, seed: 1, seconds: 10, sampleAt: [10])
    #expect(try #require(realistic.statusAt[10]).filter { $0 == .unknown }.count * 2 > Self.hoaBinh.sites.count)
  }

  @Test func aNormalRehearsalDoesWhatTheRehearsalTeamExpects() throws {
    let config = Self.hoaBinh
    let plan = SimulationPlan(config: config, scenario: .normal, seed: 3)
    let rehearsal = Rehearsal(config: config, scenario: .normal, seed: 3, seconds: 900, sampleAt: [10, 180])
    let sites = plan.sites
    func index(_ condition: (SimulatedSite) -> Bool) throws -> Int {
      let found = sites.firstIndex(where: condition)
      return try #require(found)
    }

    // Sites connect over the first minutes: some within seconds, nearly all by three minutes.
    let early = try #require(rehearsal.statusAt[10]).filter { $0 == .online }.count
    #expect(early >= 3 && early < config.sites.count / 2)
    let specials = sites.filter { $0.flaps || $0.signsWithWrongKey || $0.dropsOut }.count
    let settled = try #require(rehearsal.statusAt[180])
    #expect(settled.filter { $0 == .online }.count >= config.sites.count - specials - 1)

    // Headcounts climb toward expected: after 15 minutes, within 10% of it for an ordinary site.
    let ordinary = try index { !$0.flaps && !$0.dropsOut && !$0.signsWithWrongKey && $0.lossPercent == 0 && !$0.asksForHelp }
    let headcount = try #require(rehearsal.state.engine.records[ordinary].headcount)
    #expect(abs(Double(headcount) / Double(config.sites[ordinary].expected) - 0.965) < 0.06)

    let flapper = try index(\.flaps)
    #expect(rehearsal.events.contains { $0.siteIndex == flapper && $0.kind == .flappingChanged(isFlapping: true) })
    let helper = try index(\.asksForHelp)
    #expect(rehearsal.events.contains { $0.siteIndex == helper && $0.kind == .helpRequestChanged(isRequested: true) })
    #expect(rehearsal.events.contains { $0.siteIndex == helper && $0.kind == .helpRequestChanged(isRequested: false) })
    let lossy = try index { $0.lossPercent == 20 }
    let loss = try #require(rehearsal.state.engine.records[lossy].lossPercent)
    #expect(loss > 10 && loss < 30, "loss \(loss)")
    let wrongKey = try index(\.signsWithWrongKey)
    #expect(config.keys[config.sites[wrongKey].id] != nil)
    #expect(rehearsal.state.engine.records[wrongKey].status == .unknown)
    #expect(rehearsal.state.counters[.badMAC] > 100)
    #expect(rehearsal.state.counters[.unauthenticated] == 0)
    let dropOut = try index(\.dropsOut)
    #expect(
      rehearsal.events.contains { $0.siteIndex == dropOut && $0.kind == .statusChanged(from: .late, to: .offline, cause: .silence) })
    // Heartbeat-file sites come online from their files.
    #expect(rehearsal.state.engine.records[5].lastSource == .file)
  }

  @Test func aStormTakesOneDistrictDownForTwoMinutesAndItComesBack() throws {
    let config = Self.hoaBinh
    let plan = SimulationPlan(config: config, scenario: .storm, seed: 11)
    let district = try #require(plan.stormDistrict)
    let members = config.sites.indices.filter { config.sites[$0].group.starts(with: district) }
    #expect(members.count >= 2)
    let rehearsal = Rehearsal(config: config, scenario: .storm, seed: 11, seconds: 420, sampleAt: [140, 260, 420])
    let before = try #require(rehearsal.statusAt[140])
    let during = try #require(rehearsal.statusAt[260])
    let after = try #require(rehearsal.statusAt[420])
    #expect(members.allSatisfy { before[$0] == .online })
    #expect(members.allSatisfy { during[$0] == .offline })
    #expect(members.allSatisfy { after[$0] == .online })
    // Nobody outside the district (and outside the special roles) goes offline in the storm.
    let bystanders = config.sites.indices.filter { !members.contains($0) && plan.sites[$0] == plainSite(plan.sites[$0]) }
    #expect(bystanders.allSatisfy { during[$0] == .online })
  }

  @Test func theLoadScenarioSendsOneHeartbeatPerSitePerSecond() {
    let plan = SimulationPlan(config: Self.hoaBinh, scenario: .load, seed: 1)
    var run = SimulationRun(plan: plan)
    var perSite = [Int](repeating: 0, count: plan.sites.count)
    while let beat = run.next(upTo: 9.999) {
      #expect(!beat.isLost)
      #expect(beat.count == Self.hoaBinh.sites[beat.site].expected)
      perSite[beat.site] += 1
    }
    #expect(perSite.allSatisfy { $0 == 10 })
  }

  @Test func beatsComeOutInTimeOrder() {
    var run = SimulationRun(plan: SimulationPlan(config: Self.hoaBinh, scenario: .normal, seed: 5))
    var last = -1.0
    var count = 0
    while let beat = run.next(upTo: 300) {
      #expect(beat.time >= last)
      last = beat.time
      count += 1
    }
    #expect(count > 61 * 30)
  }

  private func plainSite(_ site: SimulatedSite) -> SimulatedSite {
    var plain = site
    plain.flaps = false
    plain.asksForHelp = false
    plain.lossPercent = 0
    plain.signsWithWrongKey = false
    plain.dropsOut = false
    plain.inStormDistrict = false
    return plain
  }
}
