import BridgeCore
import BridgeField
import Foundation

/// The conference bridge's reconcile at national scale (issue 32: a 31,097-participant roster under 20 ms).
extension MicroBenchmarks {
  /// The national roster the bridge figures use, whatever `--sites` says: the issue's 31,097 points.
  static let bridgeSites = 31_097

  /// The 31,097-site national roster, each site's `bridge_name` its Vietnamese name with its id (the names alone
  /// repeat: "Xã Bình Hòa" is in many districts), as a control room names its endpoints; and a roster of as many
  /// participants whose display names are those names: every 25th site not in, and guests no site claims in
  /// their place (some unmatched).
  static func bridgeRoster() -> (config: ConferenceConfig, roster: [BridgeParticipant]) {
    var sites = DemoRoster.national(sites: bridgeSites, heartbeatDirectory: "/nonexistent")
    for index in sites.indices { sites[index].bridgeName = "\(sites[index].name) · \(sites[index].id)" }
    var config = ConferenceConfig(sites: sites)
    config.bridges = [BridgeSettings(url: "http://127.0.0.1:8088/janus", host: "127.0.0.1", port: 8088, path: "/janus", room: 1234)]
    var roster: [BridgeParticipant] = []
    roster.reserveCapacity(sites.count)
    for (index, site) in sites.enumerated() {
      let display = index % 25 == 7 ? "Khách mời \(index / 25)" : site.bridgeMatchName
      roster.append(BridgeParticipant(id: String(1_000_000 + index), display: display, muted: index % 3 == 0, mediaUp: true))
    }
    return (config, roster)
  }

  /// One reconcile pass as the bridge input makes it, on a board that already holds the same roster (the steady
  /// state of a conference: no join, no leave); the reference looks up the same display names in the same index,
  /// the floor of any pass that matches by name.
  func bridgeReconcile(unixSeconds: Double) -> [Result] {
    let (config, roster) = Self.bridgeRoster()
    var board = BridgeBoard(config: config)
    board.apply(.roster(roster), bridge: 0, now: unixSeconds)
    let expectedIn = roster.count - roster.count / 25 - (roster.count % 25 > 7 ? 1 : 0)
    let sitesIn = config.sites.indices.filter { if case .inBridge = board.state(site: $0) { true } else { false } }.count
    precondition(sitesIn == expectedIn, "every site whose name is in the roster must be in the bridge")
    var now = unixSeconds
    let pass = median {
      let begin = Self.now()
      for _ in 0..<5 {
        now += 5
        board.apply(.roster(roster), bridge: 0, now: now)
      }
      return (5, Self.now() - begin)
    }
    precondition(board.drainRecords().count == expectedIn, "the steady passes must journal nothing beyond the first joins")
    let index = BridgeNameIndex(sites: config.sites)
    var found = 0
    let lookups = median {
      let begin = Self.now()
      for participant in roster where index.site(named: participant.display) != nil { found += 1 }
      return (1, Self.now() - begin)
    }
    precondition(found == expectedIn * samples)
    return [
      Result(
        name: "bridge reconcile, \(NumberText.grouped(roster.count)) participants", nanosecondsPerOperation: pass, target: 20_000_000,
        note: "\(NumberText.grouped(roster.count - expectedIn)) unmatched; Vietnamese display names"),
      Result(name: "  reference: the name lookups alone", nanosecondsPerOperation: lookups),
      bridgeEvent(config: config, roster: roster, unixSeconds: now),
    ]
  }

  /// A pushed event as the receiver takes it (`BridgeInput.receive`, less the HTTP): a Janus sample handler's body
  /// of one AudioBridge event parsed, admitted by the members and applied to the board of the national roster.
  /// The sites out of the roster (every 25th) join and are kicked in turn, so each event moves a site and
  /// journals it.
  func bridgeEvent(config: ConferenceConfig, roster: [BridgeParticipant], unixSeconds: Double) -> Result {
    var board = BridgeBoard(config: config)
    board.apply(.roster(roster), bridge: 0, now: unixSeconds)
    _ = board.drainRecords()
    var members = BridgeMembers()
    members.replace(with: roster)
    let outside = config.sites.indices.filter { $0 % 25 == 7 }.prefix(1000)
    func body(_ event: String, site: Int) -> [UInt8] {
      let name = config.sites[site].bridgeMatchName
      let display = event == "joined" ? #","display":"\#(name)","setup":false,"muted":false"# : ""
      return Array(
        #"[{"emitter":"MyJanusInstance","type":64,"timestamp":1796456594206389,"session_id":3281067703620077,"handle_id":1402601622309469,"event":{"plugin":"janus.plugin.audiobridge","data":{"event":"\#(event)","room":1234,"id":\#(9_000_000 + site)\#(display)}}}]"#
          .utf8)
    }
    let bodies = outside.flatMap { [body("joined", site: $0), body("kicked", site: $0)] }
    var now = unixSeconds
    var moved = 0
    let perEvent = median {
      let begin = Self.now()
      for bytes in bodies {
        now += 0.001
        guard let batch = try? JanusEventPayload.parse(bytes, room: 1234, plugin: .audiobridge) else { continue }
        let changes = batch.events.compactMap { members.admit($0) }
        if board.apply(changes: changes, bridge: 0, now: now) { moved += changes.count }
      }
      return (bodies.count, Self.now() - begin)
    }
    precondition(moved == bodies.count * samples, "every event must move a site")
    precondition(board.drainRecords().count == moved, "every event must be journaled")
    return Result(
      name: "bridge event received (parse + apply)", nanosecondsPerOperation: perEvent,
      note: "a Janus AudioBridge join or kick on the \(NumberText.grouped(roster.count))-participant board")
  }
}
