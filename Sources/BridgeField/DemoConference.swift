import BridgeCore
import Foundation

/// The demo's conference: the built-in Hòa Bình roster or a generated national one (the 2026 shape, or with
/// `districts` the 2021 one), in a folder of its own, with some sites probed at endpoints the simulator plays.
public enum DemoConference {
  /// Gives some plain sites (no special role in the plan, one of them dropping out) a probe at an endpoint the
  /// simulator plays: SIP (one in three answering 486, busy) and TCP, beside the sites with an agent.
  public static func probeSomeSites(_ config: inout ConferenceConfig, plan: SimulationPlan) -> SimulatedEndpoints {
    let count = config.sites.count
    let (sip, tcp) = count < 100 ? (4, 2) : (max(4, count / 60), max(2, count / 200))
    let plain = plan.sites.indices.filter { index in
      let site = plan.sites[index]
      return !site.usesHeartbeatFile && !site.signsWithWrongKey && !site.asksForHelp && !site.flaps && site.lossPercent == 0
        && site.agentStopsAt == nil && !site.neverInBridge
        && !config.sites[index].heartbeatFileIsExplicit
    }
    let dropping = plain.filter { plan.sites[$0].dropsOut || plan.sites[$0].inStormDistrict }.prefix(1)
    let stride = max(1, plain.count / (sip + tcp + 1))
    var chosen = Array(dropping)
    for (offset, index) in plain.enumerated() where offset % stride == stride / 2 && chosen.count < sip + tcp && !chosen.contains(index) {
      chosen.append(index)
    }
    let (endpoints, targets) = SimulatedEndpoints.forDemo(sip: min(sip, chosen.count), tcp: max(0, min(tcp, chosen.count - sip)))
    let played = Array(chosen.prefix(targets.count))
    for (site, target) in zip(played, targets) { config.sites[site].probe = target }
    endpoints.assign(sites: played)
    return endpoints
  }

  /// The built-in roster (or a national one), with files under `directory`, a third of the sites signing, and two
  /// sites keeping heartbeat files, so the demo shows every way in.
  public static func config(sites count: Int?, districts: Bool = false, directory: String) throws -> ConferenceConfig {
    let heartbeats = directory + "/heartbeats"
    var config: ConferenceConfig
    if let count {
      config = ConferenceConfig(
        sites: districts
          ? DemoRoster.national(sites: count, heartbeatDirectory: heartbeats)
          : DemoRoster.conference2026(sites: count, heartbeatDirectory: heartbeats), baseDirectory: directory,
        path: "<demo>")
      config.title = "Hội nghị trực tuyến toàn quốc (demo, \(NumberText.grouped(count, separator: ".")) điểm cầu)"
    } else {
      config = try ConfigLoader.load(yaml: DemoRoster.hoaBinhYAML, path: "hoa-binh.yaml (built in)").config
    }
    config.path = directory + "/demo.yaml"
    config.heartbeatDirectory = heartbeats
    config.journalPath = directory + "/bridgewatch.journal"
    config.statusFilePath = directory + "/status.json"
    config.udp.host = "127.0.0.1"
    config.udp.port = 0
    try FileManager.default.createDirectory(atPath: heartbeats, withIntermediateDirectories: true)
    for index in config.sites.indices {
      config.sites[index].heartbeatFile = heartbeats + "/" + config.sites[index].id + ".hb"
      if index % 3 == 1 { config.keys[config.sites[index].id] = Array("demo-secret-\(config.sites[index].id)".utf8) }
    }
    for index in [3, config.sites.count / 2] where index < config.sites.count && config.sites.count >= 4 {
      config.sites[index].heartbeatFileIsExplicit = true
    }
    return config
  }

  /// The demo's conference bridge: a simulated Janus AudioBridge on a free loopback port, and the config's
  /// `bridges:` entry polling it every 5 s with its push receiver (`events_listen`) on loopback port 0, so the
  /// demo shows who is in the bridge and both disagreements, a join before the next poll (`bridgeEvents`). Port 0:
  /// the receiver takes the port the kernel gives as it binds, which nothing can take first, and the demo posts
  /// to it once the monitor has started (`MonitorProcess.Started`).
  ///
  /// A roster that Janus's Admin API can be read for within its cap (`adminSiteLimit`: about two requests a
  /// participant, `JanusRosterClient.maximumAdminRequests` a poll) also has it played and read (`admin_url`): each
  /// site's audio arriving or not, and the call quality of the third that join over WebRTC
  /// (`SimulationPlan.webrtcCounts`).
  public static func playBridge(_ config: inout ConferenceConfig) throws -> SimulatedJanus {
    let readsAdmin = config.sites.count <= adminSiteLimit
    let bridge = try SimulatedJanus(adminPath: readsAdmin ? "/admin" : nil)
    var settings = BridgeSettings(
      kind: .janus, url: bridge.url, host: bridge.host, port: bridge.port, path: bridge.path, room: bridge.room, poll: .seconds(5),
      eventsListen: "127.0.0.1:0", location: FileLine(file: config.path, line: 0))
    if let adminPath = bridge.adminPath {
      settings.admin = .init(host: bridge.host, port: bridge.port, path: adminPath, secure: false)
    }
    config.bridges = [settings]
    return bridge
  }

  /// The largest demo roster whose Admin API is played: a session list, then two requests a participant (the
  /// guests' included) within `JanusRosterClient.maximumAdminRequests`.
  static let adminSiteLimit = 900

  /// The demo's second bridge: a simulated Pexip conference on a free loopback port carrying a tenth of the sites
  /// (`SimulationPlan.isOnSecondBridge`) with Pexip's verdict on each call, and the config's `bridges:` entry
  /// polling it every 5 s with an account made for the run and its event sink's receiver (`events_listen`) on
  /// loopback port 0 as the first's: the demo shows calls going bad, which its simulated Janus (no Admin API) cannot say. A site is in the
  /// bridge when it is in either.
  public static func playSecondBridge(_ config: inout ConferenceConfig) throws -> SimulatedPexip {
    let password = (0..<4).map { _ in String(UInt32.random(in: .min ... .max), radix: 36) }.joined()
    let bridge = try SimulatedPexip(conference: "Hội nghị trực tuyến toàn quốc", username: "bridgewatch-demo", password: password)
    config.bridges.append(
      BridgeSettings(
        kind: .pexip, url: bridge.url, host: bridge.host, port: bridge.port, path: bridge.path, room: 0, poll: .seconds(5),
        eventsListen: "127.0.0.1:0", credentials: bridge.credentials, location: FileLine(file: config.path, line: 0),
        conference: bridge.conference))
    return bridge
  }

  /// The second bridge's event sink, posting to the config's `events_listen` for it (path /pexip-events, as an event
  /// sink's URL names it), on the port its receiver bound when `listening` has it; nil when it has none.
  public static func secondBridgeEvents(
    _ config: ConferenceConfig, playing bridge: SimulatedPexip, listening: [Int: Int] = [:]
  ) throws -> BridgeEventPusher? {
    guard let index = config.bridges.firstIndex(where: { $0.kind == .pexip && $0.conference == bridge.conference }),
      let (host, port) = try eventsTarget(config.bridges[index], bound: listening[index])
    else { return nil }
    return try BridgeEventPusher(host: host, port: port, path: "/pexip-events", onePerPost: true)
  }

  /// The played bridge's event handler, posting to the config's `events_listen` for it, on the port its receiver
  /// bound when `listening` has it; nil when it has none.
  public static func bridgeEvents(
    _ config: ConferenceConfig, playing bridge: SimulatedJanus, listening: [Int: Int] = [:]
  ) throws -> BridgeEventPusher? {
    guard let index = config.bridges.firstIndex(where: { $0.kind == .janus && $0.plugin == bridge.plugin }),
      let (host, port) = try eventsTarget(config.bridges[index], bound: listening[index])
    else { return nil }
    return try BridgeEventPusher(host: host, port: port, room: bridge.room, plugin: bridge.plugin)
  }

  /// Where a played bridge posts its events: the entry's `events_listen` (its port the one `bound` if given), nil
  /// without one.
  static func eventsTarget(_ played: BridgeSettings, bound: Int?) throws -> (host: String, port: Int)? {
    guard let listen = played.eventsListen else { return nil }
    guard let (host, port) = HostPort.parse(listen), let port = bound ?? (port > 0 ? port : nil) else {
      throw SimulatedJanus.ListenFailure(description: "\(played.location): events_listen \(listen) names no port to post to")
    }
    return (host, port)
  }

  /// For `sim --play-bridge`: a simulated Janus where the config's first Janus room (AudioBridge or VideoRoom) is,
  /// which must be on this machine's loopback (127.0.0.1) so the simulator can take its port; with its Admin API
  /// where the config's `admin_url` names the same port.
  public static func bridgeToPlay(_ config: ConferenceConfig) throws -> SimulatedJanus {
    guard let bridge = config.bridges.first(where: { $0.kind == .janus }) else {
      throw SimulatedJanus.ListenFailure(description: "the config has no Janus room under bridges: to play")
    }
    guard bridge.host == "127.0.0.1" || bridge.host == "localhost" else {
      throw SimulatedJanus.ListenFailure(description: "\(bridge.location): the bridge to play must be at 127.0.0.1, not \(bridge.host)")
    }
    // Its Admin API too when the config's `admin_url` is on the same port (a real Janus serves it on another: there
    // the monitor says the audio is not read).
    let admin = bridge.admin.flatMap { $0.port == bridge.port && !$0.secure && $0.path != bridge.path ? $0.path : nil }
    return try SimulatedJanus(
      host: "127.0.0.1", port: bridge.port, path: bridge.path, room: bridge.room, plugin: bridge.plugin, adminPath: admin)
  }
}
