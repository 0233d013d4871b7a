import BridgeCore
import BridgePlatform
import Foundation
import Synchronization

/// Plays a simulation plan in real time: UDP heartbeats to the monitor, heartbeat files for the sites that keep one.
/// Runs until `stop()`, a stop signal (with `StopSignals` installed) or the given duration.
public final class SimulatorDriver: Sendable {
  public struct Totals: Sendable {
    public var sent = 0
    public var lostOnTheLine = 0
    public var filesWritten = 0
    public var acks = 0
    public var sendErrors = 0
    public var fileErrors = 0
  }

  let plan: SimulationPlan
  let heartbeatFiles: [String]
  /// Every monitor each heartbeat goes to (a primary and its standby).
  let addresses: [UDPAddress]
  let speed: Double
  private let stopRequested = Atomic<Bool>(false)
  private let totals = Mutex(Totals())
  /// Stand-ins for probed sites' endpoints: their sites send no heartbeats, they answer the monitor's probes while
  /// the plan has them up.
  let endpoints: SimulatedEndpoints?
  private let playedSites: Set<Int>
  /// Per site, the simulated time of its last heartbeat in the plan (played sites only), and when the run began.
  private let lastUp: Mutex<(times: [Double], start: UInt64)>
  private let upWindow: Double
  /// The conference bridge the simulator plays (its roster from `plan.isInBridge`), and each site's name in it.
  let bridge: SimulatedJanus?
  /// The second bridge, a Pexip conference carrying a tenth of the sites with its verdict on each call.
  let secondBridge: SimulatedPexip?
  private let bridgeNames: [String]
  /// The bridge's event handler: each join and leave of its room POSTed to the monitor's `events_listen`.
  public let bridgeEvents: BridgeEventPusher?
  /// The second bridge's event sink: each connect, verdict change and disconnect POSTed to its `events_listen`.
  public let secondBridgeEvents: BridgeEventPusher?

  public init(
    plan: SimulationPlan, config: ConferenceConfig, addresses: [UDPAddress], speed: Double, endpoints: SimulatedEndpoints? = nil,
    bridge: SimulatedJanus? = nil, bridgeEvents: BridgeEventPusher? = nil, secondBridge: SimulatedPexip? = nil,
    secondBridgeEvents: BridgeEventPusher? = nil
  ) {
    self.plan = plan
    heartbeatFiles = config.sites.map(\.heartbeatFile)
    self.addresses = addresses
    self.speed = speed
    self.endpoints = endpoints
    playedSites = endpoints?.playedSites ?? []
    lastUp = Mutex((Array(repeating: -.infinity, count: config.sites.count), DispatchTime.now().uptimeNanoseconds))
    // Up while its heartbeats keep coming: a beat and a half of the plan's interval.
    upWindow = 1.5 * Double(config.timing.interval.nanoseconds) / 1e9
    self.bridge = bridge
    self.secondBridge = secondBridge
    bridgeNames = config.sites.map(\.bridgeMatchName)
    self.bridgeEvents = bridge == nil ? nil : bridgeEvents
    self.secondBridgeEvents = secondBridge == nil ? nil : secondBridgeEvents
  }

  /// Simulated seconds since the run began.
  private func simulatedNow() -> Double {
    lastUp.withLock { Double(DispatchTime.now().uptimeNanoseconds - $0.start) / 1e9 * speed }
  }

  /// Whether the plan has `site` up now (for its simulated endpoint).
  public func isUp(_ site: Int) -> Bool {
    lastUp.withLock { state in
      let simulated = Double(DispatchTime.now().uptimeNanoseconds - state.start) / 1e9 * speed
      return simulated - state.times[site] <= upWindow
    }
  }

  public var currentTotals: Totals { totals.withLock { $0 } }

  public func stop() { stopRequested.store(true, ordering: .relaxed) }

  /// Runs until `stop()` or, when given, `duration` real seconds. `progress` is called about every
  /// `progressEvery` seconds with the simulated time.
  public func run(duration: Double? = nil, progressEvery: Double = 10, progress: (Double, Totals) -> Void = { _, _ in }) throws {
    let clients = try addresses.map { try UDPClient(family: $0.family) }
    for (index, site) in plan.sites.enumerated() where site.usesHeartbeatFile {
      try? FileManager.default.createDirectory(
        atPath: PathText.directory(of: heartbeatFiles[index]), withIntermediateDirectories: true)
    }
    var run = SimulationRun(plan: plan)
    let start = DispatchTime.now().uptimeNanoseconds
    lastUp.withLock { $0.start = start }
    endpoints?.start { [self] site in isUp(site) }
    defer { endpoints?.stop() }
    let secondPlayed = secondBridge != nil
    bridge?.start { [self] in plan.bridgeRoster(names: bridgeNames, at: simulatedNow(), secondBridgePlayed: secondPlayed) }
    defer { bridge?.stop() }
    secondBridge?.start { [self] in plan.secondBridgeRoster(names: bridgeNames, at: simulatedNow()) }
    defer { secondBridge?.stop() }
    if let secondBridge, let secondBridgeEvents {
      let watched = Mutex(PexipConferenceEvents(conference: secondBridge.conference))
      secondBridgeEvents.start(every: .milliseconds(500)) { [self] now in
        watched.withLock { $0.events(for: plan.secondBridgeRoster(names: bridgeNames, at: simulatedNow()), unixMicroseconds: now) }
      }
    }
    defer { secondBridgeEvents?.stop() }
    // The room is looked at and its events posted on the pusher's own threads: the clock below never waits on them.
    // A look walks every site (58 ms at 31,097 sites in a debug build): a national room is looked at every second,
    // still well before the next poll.
    let look: Duration = plan.sites.count > 5_000 ? .seconds(1) : .milliseconds(200)
    bridgeEvents?.start(every: look) { [self] in
      plan.bridgeRoster(names: bridgeNames, at: simulatedNow(), secondBridgePlayed: secondPlayed)
    }
    defer { bridgeEvents?.stop() }
    var nextProgress = progressEvery
    var pending = Totals()
    while !stopRequested.load(ordering: .relaxed) && !StopSignals.isRequested {
      let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      if let duration, elapsed >= duration { break }
      let simulated = elapsed * speed
      let unixSeconds = UInt64(Date().timeIntervalSince1970)
      while let beat = run.next(upTo: simulated) {
        if beat.isLost {
          pending.lostOnTheLine += 1
          continue
        }
        if playedSites.contains(beat.site) {
          lastUp.withLock { $0.times[beat.site] = beat.time }
          continue
        }
        let line = plan.line(for: beat, unixSeconds: unixSeconds)
        if beat.viaFile {
          do {
            try AtomicFile.write(line + "\n", to: heartbeatFiles[beat.site])
            pending.filesWritten += 1
          } catch {
            pending.fileErrors += 1
          }
        } else {
          let bytes = Array(line.utf8)
          let failures = zip(clients, addresses).filter { $0.0.send(bytes, to: $0.1) != nil }.count
          if failures == 0 { pending.sent += 1 } else { pending.sendErrors += 1 }
        }
      }
      for (client, address) in zip(clients, addresses) {
        while client.receiveNow(from: address) != nil { pending.acks += 1 }
      }
      totals.withLock { total in
        total.sent += pending.sent
        total.lostOnTheLine += pending.lostOnTheLine
        total.filesWritten += pending.filesWritten
        total.acks += pending.acks
        total.sendErrors += pending.sendErrors
        total.fileErrors += pending.fileErrors
      }
      pending = Totals()
      if elapsed >= nextProgress {
        progress(simulated, currentTotals)
        nextProgress += progressEvery
      }
      // Sleep until the next heartbeat is due (acks wake us to be counted), at most 50 ms.
      let untilNext = ((run.nextTime ?? simulated + 1) - simulated) / speed
      _ = UDPClient.waitReadable(
        clients, timeoutMilliseconds: Int32(max(0, min(0.05, untilNext)) * 1000), orStop: StopSignals.stopDescriptor)
    }
    for (client, address) in zip(clients, addresses) {
      while client.receiveNow(from: address) != nil { totals.withLock { $0.acks += 1 } }
    }
  }

  public static func describe(_ totals: Totals) -> String {
    var parts = [
      "sent \(NumberText.grouped(totals.sent))", "acked \(NumberText.grouped(totals.acks))",
      "lost on the line \(NumberText.grouped(totals.lostOnTheLine))",
    ]
    if totals.filesWritten > 0 { parts.append("files written \(NumberText.grouped(totals.filesWritten))") }
    if totals.sendErrors > 0 { parts.append("send errors \(NumberText.grouped(totals.sendErrors))") }
    if totals.fileErrors > 0 { parts.append("file errors \(NumberText.grouped(totals.fileErrors))") }
    return parts.joined(separator: " · ")
  }
}
