import ArgumentParser
import BridgeCore
import BridgeField
import BridgeMonitor
import BridgePlatform
import BridgeRunner
import BridgeTUI
import Foundation
import NIOCore
import Synchronization

struct DemoCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "See BridgeWatch live with no setup: a monitor, simulated sites and the dashboard in one process.",
    discussion: """
      Plays the built-in Hòa Bình roster (61 bridge points), or with --sites N a generated national conference: \
      shaped like the one of 7 February 2026 (the 34 provinces with their communes, wards and special zones; central \
      agencies, the army and the police), or with --shape 2021 like the one of 2021 (63 provinces with districts). The monitor listens on a free loopback port; heartbeat files, the status file and \
      the journal go to a temporary folder that is removed on exit. With --report FILE, the post-conference \
      report of what was played is written to FILE on exit (its format from the name: .md, .csv, .json or .html).
      """)

  @Option(parsing: .unconditional, help: "Simulate a national conference of this many sites instead of the Hòa Bình roster.")
  var sites: Int?

  @Option(help: "With --sites: 2026 (34 provinces and their communes, the default) or 2021 (63 provinces with districts).")
  var shape: RosterShape = .shape2026

  @Option(
    help:
      "quick (the default: a living conference within 10 seconds, incidents within the first minute), or the realistic pace of normal or storm, or load."
  )
  var scenario: String = "quick"

  @Option(
    help: ArgumentHelp(
      "On exit, write the post-conference report of the demo's journal here; .md, .csv, .json or .html picks the format.",
      valueName: "file"))
  var report: String?

  @Option(help: "Seed for the scenario's choices.")
  var seed: UInt64 = 1

  @Option(parsing: .unconditional, help: "How many times faster than real time to play the scenario.")
  var speed: Double = 1

  @Flag(help: "No dashboard: log status changes and a line of totals every 10 seconds to standard error.")
  var headless = false

  @OptionGroup var dashboard: DashboardFlags

  @OptionGroup var metrics: MetricsFlags

  func validate() throws {
    if let sites, sites < 1 || sites > 100_000 { throw ValidationError("--sites must be from 1 to 100,000") }
    guard SimulationScenario(rawValue: scenario) != nil else {
      throw ValidationError("--scenario must be one of \(SimulationScenario.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard speed > 0, speed <= 1000 else { throw ValidationError("--speed must be more than 0 and at most 1000") }
    if let report, ReportCommand.format(ofFile: report) == nil {
      throw ValidationError("--report must name a file ending in .md, .csv, .json or .html, got '\(report)'")
    }
  }

  func run() async throws {
    StopSignals.install()
    MemoryTuning.returnLargeBuffersToTheKernel()
    if !headless, let problem = DashboardTerminal.problem() {
      printError("bridgewatch: \(problem); use --headless to run the demo without the dashboard")
      throw ExitCode(2)
    }
    var template = "/tmp/bridgewatch-demo-XXXXXX".utf8CString
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      printError("bridgewatch: cannot create a temporary folder: \(String(cString: strerror(errno)))")
      throw ExitCode(1)
    }
    let directory = String(cString: made)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var demoConfig = try DemoConference.config(sites: sites, districts: shape == .shape2021, directory: directory)
    try metrics.apply(to: &demoConfig)
    let bridge: SimulatedJanus
    let secondBridge: SimulatedPexip
    do {
      bridge = try DemoConference.playBridge(&demoConfig)
      secondBridge = try DemoConference.playSecondBridge(&demoConfig)
    } catch {
      printError("bridgewatch demo: cannot play the conference bridge: \(error)")
      throw ExitCode(1)
    }
    let plan = SimulationPlan(config: demoConfig, scenario: SimulationScenario(rawValue: scenario)!, seed: seed, playsBridge: true)
    let endpoints = DemoConference.probeSomeSites(&demoConfig, plan: plan)
    let config = demoConfig
    let speed = self.speed
    let headless = self.headless
    let holder = DriverHolder()
    var runner = MonitorRunner(config: config, warnings: [], listen: ("127.0.0.1", 0))
    runner.options.language = dashboard.language.language
    // The simulator starts once the monitor listens: it sends to the ports the monitor bound (port 0 each).
    runner.onStart = { started in
      guard case .success(let address) = UDPAddress.resolve(host: "127.0.0.1", port: started.address.port ?? 0) else { return }
      // Without its events the demo still plays: the bridges are polled.
      func pusher(_ make: () throws -> BridgeEventPusher?) -> BridgeEventPusher? {
        do { return try make() } catch {
          printError("bridgewatch demo: a bridge's events are not posted, it is polled only: \(error)")
          return nil
        }
      }
      let ports = started.bridgeEventPorts
      let bridgeEvents = pusher { try DemoConference.bridgeEvents(config, playing: bridge, listening: ports) }
      let secondBridgeEvents = pusher { try DemoConference.secondBridgeEvents(config, playing: secondBridge, listening: ports) }
      if headless { Self.sayWherePosted(bridgeEvents, secondBridgeEvents) }
      let driver = SimulatorDriver(
        plan: plan, config: config, addresses: [address], speed: speed, endpoints: endpoints, bridge: bridge,
        bridgeEvents: bridgeEvents, secondBridge: secondBridge, secondBridgeEvents: secondBridgeEvents)
      holder.driver = driver
      let thread = Thread { try? driver.run() }
      thread.name = "simulator"
      thread.start()
    }
    runner.onStop = { holder.driver?.stop() }
    let what = sites.map { "\(NumberText.grouped($0)) simulated sites" } ?? "simulated Hòa Bình roster"
    if headless {
      printError("demo: \(what), scenario \(scenario), seed \(seed); status file: \(directory)/status.json")
      for line in plan.roles(names: config.sites.map(\.name)) { printError("demo: " + line) }
      let probed = config.sites.filter { $0.probe != nil }
      printError("demo: conference bridge (a simulated Janus AudioBridge): \(bridge.url) room \(bridge.room)")
      printError(
        "demo: a second bridge (a simulated Pexip conference, with its verdict on each call) carrying one site in ten: \(secondBridge.url)")
      printError("demo: probed by the monitor, without an agent: \(probed.map { "\($0.id) (\($0.probe!))" }.joined(separator: ", "))")
      try await exitOnFailure { try await runner.runHeadless(summaryEvery: 10) }
    } else {
      let banner = dashboard.language.strings(.demoBanner)
      let options = try dashboard.options(config: config, banner: banner)
      try await exitOnFailure { try await runner.runDashboard(options) }
    }
    if let report { try writeReport(to: report, config: config) }
  }

  /// Where the played bridges post their events, once the monitor's receivers have their ports.
  private static func sayWherePosted(_ bridgeEvents: BridgeEventPusher?, _ secondBridgeEvents: BridgeEventPusher?) {
    if let events = bridgeEvents {
      printError(
        "demo: the Janus bridge's joins and leaves posted to the monitor's events_listen \(HostPortText.format(host: events.host, port: events.port))"
      )
    }
    if let events = secondBridgeEvents {
      printError(
        "demo: the Pexip bridge's connects, verdicts and disconnects posted as its event sink to \(HostPortText.format(host: events.host, port: events.port))\(events.path)"
      )
    }
  }

  /// The report of the journal just played, before its folder goes.
  private func writeReport(to path: String, config: ConferenceConfig) throws {
    switch ReportCommand.build(config: config, journal: config.journalPath) {
    case .success(let built):
      try ReportCommand.write(
        built, config: config, format: ReportCommand.format(ofFile: path)!, language: dashboard.language.language, to: path)
      printError("demo: report written to \(path)")
    case .failure(let problem):
      printError("bridgewatch demo: no report: \(problem)")
      throw ExitCode(1)
    }
  }
}

/// The simulator, once the monitor has a port.
final class DriverHolder: Sendable {
  private let stored = Mutex<SimulatorDriver?>(nil)
  var driver: SimulatorDriver? {
    get { stored.withLock { $0 } }
    set { stored.withLock { $0 = newValue } }
  }
}

/// The shape of a generated national roster.
enum RosterShape: String, ExpressibleByArgument, CaseIterable {
  case shape2026 = "2026"
  case shape2021 = "2021"
}
