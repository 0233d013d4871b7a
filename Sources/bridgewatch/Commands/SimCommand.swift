import ArgumentParser
import BridgeCore
import BridgeField
import BridgeMonitor
import BridgePlatform
import Foundation

struct SimCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sim",
    abstract: "Rehearse: pretend to be every site of a config, over real UDP and heartbeat files.",
    discussion: """
      Scenarios: normal (\(SimulationScenario.normal.summary)); storm (\(SimulationScenario.storm.summary)); \
      load (\(SimulationScenario.load.summary)); quick (\(SimulationScenario.quick.summary)). The same config, scenario and seed always play the same way. \
      --speed 4 plays four minutes of the scenario per minute; sites then send four times as often.
      """)

  @Argument(help: "The conference config (YAML) whose sites to play; signs with its keys file.")
  var config: String

  @Option(
    help: ArgumentHelp(
      "The monitor's HOST:PORT (default: the config's udp.listen, on this machine); give it twice for a primary and its standby.",
      valueName: "host:port"))
  var monitor: [String] = []

  @Option(parsing: .unconditional, help: "How many times faster than real time to play the scenario.")
  var speed: Double = 1

  @Option(help: "Seed for the scenario's choices; the same seed plays the same way.")
  var seed: UInt64 = 1

  @Option(help: "normal, storm or load.")
  var scenario: String = "normal"

  @Option(help: "Stop after this long (e.g. 10m); default: until Ctrl-C.")
  var duration: String?

  @Flag(
    help:
      "Also play the config's Janus AudioBridge (its url on 127.0.0.1): serve its listparticipants with the simulated sites in the bridge, some agents stopping while in it, some alive and never in it; with events_listen, post its joins and leaves there as Janus's sample event handler does."
  )
  var playBridge = false

  func validate() throws {
    guard speed > 0, speed <= 1000 else { throw ValidationError("--speed must be more than 0 and at most 1000") }
    guard SimulationScenario(rawValue: scenario) != nil else {
      throw ValidationError("--scenario must be one of \(SimulationScenario.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    for monitor in monitor where HostPort.parse(monitor) == nil {
      throw ValidationError("--monitor must be HOST:PORT, got '\(monitor)'")
    }
    if let duration, DurationText.parse(duration) == nil {
      throw ValidationError("--duration must be a duration (e.g. 10m), got '\(duration)'")
    }
  }

  func run() throws {
    let loaded = try loadConfigOrExit(config)
    for warning in loaded.warnings { printError("warning: \(warning)") }
    let conference = loaded.config
    let targets =
      monitor.isEmpty ? [(host: Self.localHost(conference.udp.host), port: conference.udp.port)] : monitor.map { HostPort.parse($0)! }
    let addresses: [UDPAddress]
    do {
      addresses = try UDPAddress.resolveAll(targets)
    } catch {
      printError("bridgewatch sim: \(error)")
      throw ExitCode(1)
    }
    var bridge: SimulatedJanus?
    var bridgeEvents: BridgeEventPusher?
    if playBridge {
      do {
        bridge = try DemoConference.bridgeToPlay(conference)
        bridgeEvents = try DemoConference.bridgeEvents(conference, playing: bridge!)
      } catch {
        printError("bridgewatch sim: cannot play the bridge: \(error)")
        throw ExitCode(1)
      }
    }
    let plan = SimulationPlan(
      config: conference, scenario: SimulationScenario(rawValue: scenario)!, seed: seed, playsBridge: bridge != nil)
    print(
      "simulating \(NumberText.grouped(conference.sites.count)) sites of \(config) → \(addresses.map { "\($0)" }.joined(separator: " and ")), scenario \(scenario), "
        + "seed \(seed), speed \(speed)×")
    for line in plan.roles(names: conference.sites.map(\.name)) { printOutput("  " + line) }
    let endpoints = SimulatedEndpoints(sites: conference.sites)
    if !endpoints.isEmpty {
      printOutput(
        "  plays the endpoints of \(endpoints.playedSites.count) probed sites on this machine (answering the monitor's probes while up)")
    }
    for skipped in endpoints.skipped { printError("warning: cannot play probed endpoint \(skipped)") }
    if let bridge {
      let kind = bridge.plugin == .audiobridge ? "AudioBridge" : "VideoRoom"
      printOutput("  plays the conference bridge: a Janus \(kind) at \(bridge.url), room \(bridge.room)")
    }
    if let bridgeEvents {
      printOutput(
        "  posts the bridge's joins and leaves as Janus's sample event handler to http://\(HostPortText.format(host: bridgeEvents.host, port: bridgeEvents.port))\(bridgeEvents.path)"
      )
    }
    StopSignals.install()
    let driver = SimulatorDriver(
      plan: plan, config: conference, addresses: addresses, speed: speed, endpoints: endpoints.isEmpty ? nil : endpoints, bridge: bridge,
      bridgeEvents: bridgeEvents)
    func pushed() -> String { bridgeEvents.map { " · " + BridgeEventPusher.describe($0.totals) } ?? "" }
    try driver.run(duration: duration.flatMap(DurationText.parse).map { Double($0.nanoseconds) / 1e9 }) { simulated, totals in
      print("\(DurationText.format(.seconds(Int(simulated)))) simulated · \(SimulatorDriver.describe(totals))\(pushed())")
    }
    print("done · \(SimulatorDriver.describe(driver.currentTotals))\(pushed())")
  }

  /// Where to reach a monitor that listens on all addresses: this machine.
  static func localHost(_ host: String) -> String {
    host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host
  }
}
