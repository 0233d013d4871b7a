import BridgeCore
import Foundation

/// What the rehearsal simulator makes the sites do.
public enum SimulationScenario: String, CaseIterable, Sendable {
  /// Sites connect over the first minutes, headcounts climb and settle; a few drop out, one flaps, one asks for
  /// help, one loses 20% of its datagrams, one signs with a wrong key.
  case normal
  /// `normal`, plus one district losing its line for two minutes.
  case storm
  /// Every site at one heartbeat per second from the first second, for load tests.
  case load
  /// `storm` at a newcomer's pace (the demo's default): most sites online within 10 seconds with headcounts
  /// climbing, the first incidents within the first minute.
  case quick

  public var summary: String {
    switch self {
    case .normal: "sites connect over the first minutes; drop-outs, a flapping site, a help request, a lossy line, a wrong key"
    case .storm: "normal, plus one district losing its line for two minutes"
    case .load: "every site sends one heartbeat per second from the start"
    case .quick: "storm at a newcomer's pace: most sites online within 10 s, incidents within the first minute"
    }
  }

  /// When things happen, in simulated seconds.
  var pace: SimulationPace { self == .quick ? .quick : .realistic }
}

/// The timing of a scenario's events. `realistic` is what a conference's first minutes look like; `quick` shows
/// the same events in the first minute of a demo.
struct SimulationPace: Sendable {
  /// Most sites connect within `firstWave` (exponential with mean `firstWaveMean`); `lateShare` of them over the
  /// following `lateSpread`.
  var firstWaveMean: Double
  var firstWave: Double
  var lateShare: Double
  var lateSpread: Double
  /// People arrive with this time constant after the line comes up.
  var arrivalSeconds: Double
  /// A drop-out's first outage starts this long after it connects, plus up to `dropOutSpread`.
  var dropOutStart: Double
  var dropOutSpread: Double
  /// Flapping and help requests start this long after connecting.
  var flapStart: Double
  var helpStart: Double
  var stormStart: Double
  var stormLength: Double

  static let realistic = SimulationPace(
    firstWaveMean: 18, firstWave: 60, lateShare: 0.15, lateSpread: 120, arrivalSeconds: 90, dropOutStart: 60,
    dropOutSpread: 540, flapStart: 60, helpStart: 40, stormStart: 150, stormLength: 120)
  static let quick = SimulationPace(
    firstWaveMean: 2.5, firstWave: 8, lateShare: 0.1, lateSpread: 30, arrivalSeconds: 15, dropOutStart: 5,
    dropOutSpread: 15, flapStart: 10, helpStart: 10, stormStart: 25, stormLength: 75)
}

/// How one simulated site behaves. Times are simulated seconds from the start of the run.
public struct SimulatedSite: Sendable, Hashable {
  public var connectAt: Double
  /// Share of the expected headcount that eventually shows up.
  public var fill: Double
  public var rttBase: Int
  public var flaps = false
  public var asksForHelp = false
  public var lossPercent = 0
  public var signsWithWrongKey = false
  public var dropsOut = false
  public var inStormDistrict = false
  public var usesHeartbeatFile = false
  /// With a simulated bridge (`playsBridge`): the site's agent stops for good at this time while its codec stays in
  /// the bridge ("in the bridge, agent silent"); or its agent runs while it never joins the bridge ("agent alive,
  /// not in the bridge").
  public var agentStopsAt: Double?
  public var neverInBridge = false
}

/// One heartbeat a simulated site produces.
public struct SimulatedBeat: Sendable, Hashable {
  public var site: Int
  public var time: Double
  public var sequence: UInt64
  public var count: Int
  public var state: ReportedState
  public var rttMilliseconds: Int
  /// Sent, but the simulated line loses it.
  public var isLost: Bool
  public var viaFile: Bool
}

/// A deterministic plan for every site of a config: the same config, scenario and seed give the same heartbeats.
/// Each heartbeat is computed from (seed, site, number) alone, so the plan can be asked in any order.
public struct SimulationPlan: Sendable {
  public let scenario: SimulationScenario
  public let seed: UInt64
  /// Simulated seconds between two heartbeats of one site.
  public let interval: Double
  public let sites: [SimulatedSite]
  public let ids: [String]
  /// The district that loses its line in `storm` and `quick`, and when.
  public let stormDistrict: [String]?
  public var stormStart: Double { pace.stormStart }
  public var stormLength: Double { pace.stormLength }
  let pace: SimulationPace
  /// Secret each site signs with (a wrong one for the wrong-key site); nil sends unsigned.
  private let secrets: [[UInt8]?]
  private let expected: [Int]
  private let flapUp: Double
  private let flapDown: Double
  static let dropOutCycle: Double = 900
  static let helpCycle: Double = 1800

  /// `playsBridge`: the simulator also plays a conference bridge (`SimulatedJanus`), so some sites take the
  /// bridge's two disagreements as roles.
  public init(config: ConferenceConfig, scenario: SimulationScenario, seed: UInt64, playsBridge: Bool = false) {
    self.scenario = scenario
    self.seed = seed
    let pace = scenario.pace
    self.pace = pace
    ids = config.sites.map(\.id)
    expected = config.sites.map(\.expected)
    let configInterval = Double(config.timing.interval.nanoseconds) / 1e9
    interval = scenario == .load ? 1 : configInterval
    flapUp = Double(config.timing.recoverAfter + 3) * configInterval
    flapDown = Double(config.timing.offlineAfter.nanoseconds) / 1e9 + 2 * configInterval
    let count = config.sites.count

    var sites = (0..<count).map { index -> SimulatedSite in
      let u = SimRandom.unit(seed, 10, UInt64(index))
      let v = SimRandom.unit(seed, 11, UInt64(index))
      let connectAt: Double =
        switch scenario {
        case .load: u
        // Most sites in a first wave, the rest over the following minutes.
        case .normal, .storm, .quick:
          u < 1 - pace.lateShare
            ? min(pace.firstWave, -pace.firstWaveMean * log(1 - v)) : pace.firstWave + pace.lateSpread * v
        }
      return SimulatedSite(
        connectAt: connectAt, fill: scenario == .load ? 1 : 0.93 + 0.07 * SimRandom.unit(seed, 12, UInt64(index)),
        rttBase: 15 + Int(SimRandom.unit(seed, 13, UInt64(index)) * 90),
        usesHeartbeatFile: config.sites[index].heartbeatFileIsExplicit)
    }

    var district: [String]?
    if scenario == .storm || scenario == .quick { district = Self.pickStormDistrict(config.sites, seed: seed) }
    if let district {
      for index in sites.indices where config.sites[index].group.starts(with: district) { sites[index].inStormDistrict = true }
    }
    stormDistrict = district

    if scenario != .load {
      // Each special role goes to a different site, none in the storm district, so their effects stay apart.
      var candidates = sites.indices.filter { !sites[$0].inStormDistrict }
        .sorted { SimRandom.hash(seed, 20, UInt64($0)) < SimRandom.hash(seed, 20, UInt64($1)) }
      func take(where condition: (Int) -> Bool = { _ in true }) -> Int? {
        guard let position = candidates.firstIndex(where: condition) else { return nil }
        return candidates.remove(at: position)
      }
      if let site = take(where: { config.keys[config.sites[$0].id] != nil }) { sites[site].signsWithWrongKey = true }
      if let site = take() { sites[site].flaps = true }
      if let site = take() { sites[site].asksForHelp = true }
      if let site = take(where: { !sites[$0].usesHeartbeatFile }) { sites[site].lossPercent = 20 }
      let dropOuts = count >= 8 ? max(1, count * 3 / 100) : 0
      for _ in 0..<dropOuts {
        if let site = take() { sites[site].dropsOut = true }
      }
      if playsBridge {
        let each = count >= 4 ? max(2, count / 2000) : 0
        for _ in 0..<each {
          if let site = take() { sites[site].agentStopsAt = sites[site].connectAt + pace.helpStart + 5 }
        }
        for _ in 0..<each {
          if let site = take() { sites[site].neverInBridge = true }
        }
      }
    }
    self.sites = sites
    secrets = config.sites.enumerated().map { index, site in
      guard let key = config.keys[site.id] else { return nil }
      return sites[index].signsWithWrongKey ? key + Array("-wrong".utf8) : key
    }
  }

  /// A second-level group (a district) with at least two sites, chosen by the seed; a top-level one if there are none.
  static func pickStormDistrict(_ sites: [SiteConfig], seed: UInt64) -> [String]? {
    for depth in [2, 1] {
      var sizes: [[String]: Int] = [:]
      for site in sites where site.group.count >= depth { sizes[Array(site.group.prefix(depth)), default: 0] += 1 }
      let candidates = sizes.filter { $0.value >= 2 && $0.value < sites.count }.keys
        .sorted { $0.joined(separator: GroupPath.separator) < $1.joined(separator: GroupPath.separator) }
      if !candidates.isEmpty { return candidates[Int(SimRandom.hash(seed, 30) % UInt64(candidates.count))] }
    }
    return nil
  }

  public func isSigned(site: Int) -> Bool { secrets[site] != nil }

  /// Time of heartbeat number `number` (from 0) of `site`.
  public func time(site: Int, number: UInt64) -> Double {
    sites[site].connectAt + Double(number) * interval
  }

  /// Heartbeat number `number` of `site`, or nil when the site is silent then (line down, flapping, storm).
  public func beat(site index: Int, number: UInt64) -> SimulatedBeat? {
    let site = sites[index]
    let time = self.time(site: index, number: number)
    let sinceConnect = time - site.connectAt
    if site.inStormDistrict && time >= stormStart && time < stormStart + stormLength { return nil }
    if site.flaps && sinceConnect >= pace.flapStart
      && (sinceConnect - pace.flapStart).truncatingRemainder(dividingBy: flapUp + flapDown) >= flapUp
    {
      return nil
    }
    if site.dropsOut && isInDropOut(site: index, sinceConnect: sinceConnect) { return nil }
    if let stop = site.agentStopsAt, time >= stop { return nil }
    let key = UInt64(index)
    let lost = site.lossPercent > 0 && SimRandom.unit(seed, 40, key, number) * 100 < Double(site.lossPercent)
    var state = ReportedState.ok
    if site.asksForHelp && sinceConnect >= pace.helpStart
      && (sinceConnect - pace.helpStart).truncatingRemainder(dividingBy: Self.helpCycle) < 180
    {
      state = .help
    }
    return SimulatedBeat(
      site: index, time: time, sequence: number + 1, count: headcount(site: index, number: number, sinceConnect: sinceConnect),
      state: state, rttMilliseconds: site.rttBase + Int(SimRandom.unit(seed, 41, key, number) * Double(site.rttBase) * 0.3),
      isLost: lost, viaFile: site.usesHeartbeatFile)
  }

  /// Outages recur: in each 15-minute cycle after connecting, a drop-out site is down for 1 to 4 minutes with
  /// probability 0.7 (always in the first cycle, so a short rehearsal sees one).
  private func isInDropOut(site index: Int, sinceConnect: Double) -> Bool {
    let cycle = (sinceConnect / Self.dropOutCycle).rounded(.down)
    let cycleKey = UInt64(max(0, cycle))
    guard cycle == 0 || SimRandom.unit(seed, 50, UInt64(index), cycleKey) < 0.7 else { return false }
    let start = pace.dropOutStart + SimRandom.unit(seed, 51, UInt64(index), cycleKey) * pace.dropOutSpread
    let length = 60 + SimRandom.unit(seed, 52, UInt64(index), cycleKey) * 180
    let position = sinceConnect - cycle * Self.dropOutCycle
    return position >= start && position < start + length
  }

  /// Whether `site`'s codec is in the simulated bridge at simulated time `time`: from when its line comes up, out
  /// while its line is down (the storm, a drop-out: the call drops with it), never for a `neverInBridge` site. An
  /// agent that stopped (`agentStopsAt`) or flaps does not take the codec out.
  public func isInBridge(site index: Int, at time: Double) -> Bool {
    let site = sites[index]
    guard !site.neverInBridge, time >= site.connectAt else { return false }
    if site.inStormDistrict && time >= stormStart && time < stormStart + stormLength { return false }
    if site.dropsOut && isInDropOut(site: index, sinceConnect: time - site.connectAt) { return false }
    return true
  }

  /// People arrive over the first minutes after the line comes up, then the count wavers by up to 2%.
  private func headcount(site index: Int, number: UInt64, sinceConnect: Double) -> Int {
    let expected = Double(self.expected[index])
    if scenario == .load { return self.expected[index] }
    let present = sites[index].fill * (1 - exp(-sinceConnect / pace.arrivalSeconds))
    let waver = (SimRandom.unit(seed, 60, UInt64(index), number / 6) - 0.5) * 0.04
    let count = (expected * present * (1 + waver)).rounded()
    return min(max(0, Int(count)), HeartbeatCodec.maximumCount)
  }

  /// The BW1 line for `beat`, signed with the site's key when it has one.
  public func line(for beat: SimulatedBeat, unixSeconds: UInt64) -> String {
    let secret = secrets[beat.site]
    let line = HeartbeatCodec.encode(
      site: ids[beat.site], sequence: beat.sequence, count: beat.count, timestamp: secret == nil ? nil : unixSeconds,
      state: beat.state == .ok ? nil : beat.state, rttMilliseconds: beat.rttMilliseconds)
    return secret.map { HeartbeatAuthenticator.sign(line, secret: $0) } ?? line
  }

  /// Who does what, for the simulator's opening summary.
  public func roles(names: [String]) -> [String] {
    func describe(_ index: Int) -> String { "\(ids[index]) (\(names[index]))" }
    var lines: [String] = []
    var dropOuts: [Int] = []
    var stopping: [Int] = []
    var absent: [Int] = []
    for (index, site) in sites.enumerated() {
      if site.agentStopsAt != nil { stopping.append(index) }
      if site.neverInBridge { absent.append(index) }
      if site.flaps { lines.append("flaps: \(describe(index))") }
      if site.asksForHelp { lines.append("asks for help: \(describe(index))") }
      if site.lossPercent > 0 { lines.append("loses \(site.lossPercent)% of datagrams: \(describe(index))") }
      if site.signsWithWrongKey { lines.append("signs with a wrong key: \(describe(index))") }
      if site.dropsOut { dropOuts.append(index) }
    }
    if !dropOuts.isEmpty {
      let named = dropOuts.prefix(3).map(describe).joined(separator: ", ")
      lines.append("drop out now and then: \(named)" + (dropOuts.count > 3 ? " and \(dropOuts.count - 3) more" : ""))
    }
    func some(_ sites: [Int]) -> String {
      sites.prefix(3).map(describe).joined(separator: ", ") + (sites.count > 3 ? " and \(sites.count - 3) more" : "")
    }
    if !stopping.isEmpty { lines.append("agent stops, codec stays in the bridge: \(some(stopping))") }
    if !absent.isEmpty { lines.append("agent runs, never joins the bridge: \(some(absent))") }
    if let stormDistrict {
      lines.append(
        "storm: \(stormDistrict.joined(separator: GroupPath.separator)) loses its line from "
          + "\(DurationText.format(.seconds(stormStart))) to \(DurationText.format(.seconds(stormStart + stormLength)))")
    }
    if scenario != .load && !secrets.contains(where: { $0 != nil }) {
      lines.append("no site has a key, so none signs with a wrong one")
    }
    return lines
  }
}
