import BridgeCore
import Foundation

/// The simulator's second bridge: a stand-in for Pexip Infinity's status API on loopback, the part the monitor's
/// Pexip input reads (`GET <base>/participant/?conference=<name>&limit=<n>&offset=<m>`, pages chained by
/// `meta.next`; HTTP Basic authentication; docs/BRIDGES.md "Pexip Infinity"), in the shape its guide prints. Unlike
/// Janus's room, a Pexip participant carries the bridge's own verdict on its call (`call_quality`), so `demo` shows
/// calls going bad without a real bridge. Who is in the conference comes from `roster` at each request.
public final class SimulatedPexip: Sendable {
  /// A participant as the status API lists it.
  public struct Participant: Sendable, Equatable {
    public var id: String
    public var display: String
    public var alias: String
    /// `0_unknown`, `1_good`, `2_ok`, `3_bad` or `4_terrible`.
    public var callQuality: String

    public init(id: String, display: String, alias: String, callQuality: String) {
      self.id = id
      self.display = display
      self.alias = alias
      self.callQuality = callQuality
    }
  }

  public let path = "/api/admin/status/v1"
  public let conference: String
  public let credentials: BridgeSettings.Credentials
  private let server: LoopbackHTTPServer
  /// The largest page it serves, whatever `limit` asks (Pexip's own default is 20; the monitor asks for 500).
  static let maximumPage = 500

  /// Listens on `host`:`port` (0: a free port, read back in `port`); serves nothing until `start`.
  public init(host: String = "127.0.0.1", port: Int = 0, conference: String, username: String, password: String) throws {
    server = try LoopbackHTTPServer(host: host, port: port, threadName: "sim-pexip")
    self.conference = conference
    credentials = BridgeSettings.Credentials(username: username, password: password)
  }

  public var host: String { server.host }
  public var port: Int { server.port }
  /// The `url` a config's `bridges:` entry names this bridge by.
  public var url: String { "http://\(host):\(port)\(path)" }
  public var requestsServed: Int { server.requestsServed }

  /// Serves until `stop`, asking `roster` for the conference's participants at each request.
  public func start(roster: @escaping @Sendable () -> [Participant]) {
    let refused = LoopbackHTTPServer.Response(status: 400, body: LoopbackHTTPServer.json(["error": "too large, cut short or too slow"]))
    server.start(refused: refused) { [self] request in answer(request, roster: roster) }
  }

  public func stop() { server.stop() }

  func answer(_ request: LoopbackHTTPServer.Request, roster: () -> [Participant]) -> LoopbackHTTPServer.Response {
    let token = Data("\(credentials.username ?? ""):\(credentials.password ?? "")".utf8).base64EncodedString()
    guard request.headers["authorization"] == "Basic \(token)" else {
      return .init(
        status: 401, body: LoopbackHTTPServer.json(["error": "authentication required"]),
        headers: [("WWW-Authenticate", "Basic realm=\"Pexip\"")])
    }
    guard request.method == "GET" else { return .init(status: 405, body: LoopbackHTTPServer.json(["error": "only GET is played"])) }
    guard let components = URLComponents(string: request.target), components.path == path + "/participant/" else {
      return .init(status: 404, body: LoopbackHTTPServer.json(["error": "no such resource"]))
    }
    let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    let limit = min(max(Int(query["limit"] ?? "") ?? 20, 1), Self.maximumPage)
    let offset = max(Int(query["offset"] ?? "") ?? 0, 0)
    // Another conference's name lists nobody, as the API's filter does.
    let everyone = query["conference"] == conference ? roster() : []
    let page = everyone.dropFirst(offset).prefix(limit)
    var next: Any = NSNull()
    if offset + page.count < everyone.count {
      var following = components
      following.queryItems = [
        URLQueryItem(name: "conference", value: conference), URLQueryItem(name: "limit", value: String(limit)),
        URLQueryItem(name: "offset", value: String(offset + page.count)),
      ]
      next = following.string ?? NSNull()
    }
    let objects: [[String: Any]] = page.map { participant in
      [
        "id": participant.id, "display_name": participant.display, "remote_alias": participant.alias,
        "source_alias": participant.alias, "call_quality": participant.callQuality, "conference": conference, "role": "guest",
        "protocol": "SIP", "call_direction": "in",
      ]
    }
    return .init(
      status: 200,
      body: LoopbackHTTPServer.json([
        "meta": ["limit": limit, "next": next, "offset": offset, "previous": NSNull(), "total_count": everyone.count],
        "objects": objects,
      ]))
  }
}

extension SimulationPlan {
  /// Which sites the demo's second bridge (a Pexip conference) carries instead of the Janus room: one in ten.
  public static func isOnSecondBridge(site: Int) -> Bool { site % 10 == 4 }

  /// The Pexip conference at simulated time `time`: each site on it that `isInBridge` has in, under its name in the
  /// bridge, with Pexip's verdict on its call. Most calls are good; a site whose plan loses heartbeats has a call to
  /// match (bad or terrible); a few others go ok or bad for a while, each minute drawn again from the seed.
  public func secondBridgeRoster(names: [String], at time: Double) -> [SimulatedPexip.Participant] {
    let minute = UInt64(max(0, time) / 60)
    var roster: [SimulatedPexip.Participant] = []
    for site in names.indices where site < sites.count && Self.isOnSecondBridge(site: site) && isInBridge(site: site, at: time) {
      let key = SimRandom.hash(seed, 71, UInt64(site))
      let draw = SimRandom.hash(seed, 72, UInt64(site) &* 1_000_003 &+ minute) % 100
      let quality: String
      if sites[site].lossPercent > 0 {
        quality = draw < 50 ? "4_terrible" : "3_bad"
      } else {
        quality = draw < 80 ? "1_good" : draw < 92 ? "2_ok" : draw < 98 ? "3_bad" : "0_unknown"
      }
      let id = String(
        format: "%08x-%04x-4%03x-a%03x-%012llx", UInt32(truncatingIfNeeded: key), UInt16(truncatingIfNeeded: key >> 32),
        UInt16(truncatingIfNeeded: key >> 48) & 0xfff, UInt16(truncatingIfNeeded: key >> 20) & 0xfff, key & 0xffff_ffff_ffff)
      roster.append(SimulatedPexip.Participant(id: id, display: names[site], alias: "sip:\(site)@demo.invalid", callQuality: quality))
    }
    return roster
  }
}

/// Successive looks at the simulated Pexip conference made into its event sink's messages (the Administrator Guide's
/// "Event sink API": one JSON object a POST, `{"node", "seq", "version", "time", "event", "data"}`, `seq` counted
/// from 1 by the Conferencing Node): first `eventsink_started`, then a participant not in the last look
/// `participant_connected`, one whose verdict changed `participant_updated`, one gone `participant_disconnected`.
/// The data carries the fields the monitor's receiver reads (`PexipEventPayload`) and the participant's
/// `call_quality`. Pure; the pusher's look thread keeps one.
public struct PexipConferenceEvents: Sendable {
  public let conference: String
  /// The simulated Conferencing Node's address, which names the sender of `seq`.
  public let node: String
  private var sequence: UInt64 = 0
  private var present: [String: SimulatedPexip.Participant] = [:]
  private var previous: [SimulatedPexip.Participant] = []

  public init(conference: String, node: String = "127.0.0.1") {
    self.conference = conference
    self.node = node
  }

  /// The messages since the last look: connects and updates in the conference's order, then disconnects.
  public mutating func events(for roster: [SimulatedPexip.Participant], unixMicroseconds: UInt64) -> [[UInt8]] {
    var events: [[UInt8]] = []
    let time = Double(unixMicroseconds) / 1e6
    if sequence == 0 { events.append(message("eventsink_started", data: [:], time: time)) }
    var now: [String: SimulatedPexip.Participant] = [:]
    now.reserveCapacity(roster.count)
    for participant in roster {
      now[participant.id] = participant
      if let before = present[participant.id] {
        if before != participant { events.append(message("participant_updated", data: data(participant), time: time)) }
      } else {
        events.append(message("participant_connected", data: data(participant), time: time))
      }
    }
    for participant in previous where now[participant.id] == nil {
      events.append(message("participant_disconnected", data: data(participant), time: time))
    }
    present = now
    previous = roster
    return events
  }

  private func data(_ participant: SimulatedPexip.Participant) -> [String: Any] {
    [
      "uuid": participant.id, "conference": conference, "display_name": participant.display, "remote_alias": participant.alias,
      "source_alias": participant.alias, "call_quality": participant.callQuality, "service_type": "conference", "role": "guest",
      "protocol": "SIP", "call_direction": "in",
    ]
  }

  private mutating func message(_ event: String, data: [String: Any], time: Double) -> [UInt8] {
    sequence += 1
    return LoopbackHTTPServer.json(["node": node, "seq": sequence, "version": 1, "time": time, "event": event, "data": data])
  }
}
