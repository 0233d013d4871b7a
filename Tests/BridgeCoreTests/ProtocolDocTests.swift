import Foundation
import TestSupport
import Testing

@testable import BridgeCore

@Suite struct ProtocolDocTests {
  @Test func theDocumentedExampleMACIsRight() throws {
    let doc = try String(contentsOfFile: Repository.path("docs/PROTOCOL.md"), encoding: .utf8)
    func field(_ name: String) throws -> String {
      let line = try #require(doc.split(separator: "\n").first { $0.hasPrefix(name + ":") })
      return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }
    let secret = try field("secret")
    let signed = try field("signed")
    let datagram = try field("datagram")
    #expect(datagram.hasPrefix(signed + " mac="))
    #expect(HeartbeatAuthenticator.sign(signed, secret: Array(secret.utf8)) == datagram)

    // And the monitor's rules accept it at its own ts.
    let config = ConferenceConfig(sites: [SiteConfig(id: "HB-TU", name: "Tỉnh ủy", group: ["Hòa Bình"], expected: 150, heartbeatFile: "/x")]
    )
    let authenticator = HeartbeatAuthenticator(sites: config.sites, keys: ["HB-TU": Array(secret.utf8)], requireAuth: true)
    let bytes = Array(datagram.utf8)
    let heartbeat = try HeartbeatCodec.decode(bytes).get()
    let verdict = bytes.withUnsafeBytes {
      authenticator.check(heartbeat, bytes: $0, site: 0, last: nil, nowUnixSeconds: 1_763_800_030)
    }
    #expect(verdict == nil)
    let tampered = Array(datagram.replacingOccurrences(of: "count=148", with: "count=149").utf8)
    let tamperedVerdict = tampered.withUnsafeBytes {
      authenticator.check(try! HeartbeatCodec.decode(tampered).get(), bytes: $0, site: 0, last: nil, nowUnixSeconds: 1_763_800_030)
    }
    #expect(tamperedVerdict == .badMAC)
  }

  /// Every line of the console protocol's example session is a message this version reads, sent by the side the
  /// document says, and the monitor's lines rebuild the state the text describes.
  @Test func theConsoleProtocolsExampleSessionDecodes() throws {
    let doc = try String(contentsOfFile: Repository.path("docs/CONSOLE-PROTOCOL.md"), encoding: .utf8)
    let lines = doc.split(separator: "\n").filter { $0.hasPrefix("> {") || $0.hasPrefix("< {") }
    #expect(lines.count >= 10)
    var mirror: ConsoleMirror?
    var answers: [ConsoleAnswer] = []
    for line in lines {
      let message = try ConsoleProtocol.decode(Array(line.dropFirst(2).utf8))
      let fromConsole: Bool
      switch message {
      case .hello, .request, .show, .resync: fromConsole = true
      default: fromConsole = false
      }
      #expect(fromConsole == line.hasPrefix(">"), "\(message.typeName) on the wrong side")
      switch message {
      case .welcome(let welcome): mirror = try ConsoleMirror(facts: welcome.facts)
      case .snapshot(let snapshot): mirror?.apply(snapshot)
      case .delta(let delta):
        // The example skips the empty deltas in between: a console would resync; here the base is taken as read.
        if case .needsSnapshot = mirror?.apply(delta) {
          var rebased = delta
          rebased.base = try #require(mirror?.revision)
          _ = mirror?.apply(rebased)
        }
      case .detail(let detail): mirror?.apply(detail)
      case .answer(let answer): answers.append(answer)
      default: break
      }
    }
    let state = try #require(mirror)
    #expect(state.snapshot.sites.map(\.id) == ["BK-TU", "BK-CD"])
    #expect(state.snapshot.records[1].status == .marked)
    #expect(state.snapshot.records[1].mark?.reason == "line down")
    #expect(state.snapshot.records[0].lastSequence == 2)
    #expect(state.snapshot.detail?.beats.last == .heard)
    // The answer carries the event the mark caused, as its delta did.
    let marked = EngineEvent(
      time: ClockReading(monotonicNanos: 33_497_382_947_412, unixSeconds: 1_795_426_998.173246), siteIndex: 1,
      kind: .statusChanged(from: .unknown, to: .marked, cause: .marked(operatorName: "lan (ops)", reason: "line down")))
    #expect(
      answers.map(\.outcome) == [.applied(events: [marked]), .refused(.alreadyMarked(try #require(state.snapshot.records[1].mark)))])
  }

  /// The example's welcome and snapshot as rows give a console the state the objects gave it.
  @Test func theConsoleProtocolsRowsExampleGivesTheSameState() throws {
    let doc = try String(contentsOfFile: Repository.path("docs/CONSOLE-PROTOCOL.md"), encoding: .utf8)
    func messages(_ prefix: String) throws -> [ConsoleMessage] {
      try doc.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map {
        try ConsoleProtocol.decode(Array($0.drop(while: { $0 != "{" }).utf8))
      }
    }
    func mirror(_ messages: [ConsoleMessage]) throws -> ConsoleMirror? {
      // The first welcome and the first snapshot: the objects example goes on with deltas.
      var mirror: ConsoleMirror?
      for message in messages {
        switch message {
        case .welcome(let welcome) where mirror == nil: mirror = try ConsoleMirror(facts: welcome.facts)
        case .snapshot(let snapshot) where mirror != nil && mirror?.revision == nil: mirror?.apply(snapshot)
        default: break
        }
      }
      return mirror
    }
    let rowsMessages = try messages("r< {")
    #expect(rowsMessages.count == 2)
    guard case .hello(let hello)? = try messages("r> {").first else {
      Issue.record("no hello in the rows example")
      return
    }
    #expect(hello.readsRows == true)
    let fromRows = try #require(try mirror(rowsMessages))
    let fromObjects = try #require(try mirror(try messages("< {")))
    #expect(fromRows.snapshot.sites == fromObjects.snapshot.sites)
    #expect(fromRows.snapshot.records.count == 2)
    for (rows, objects) in zip(fromRows.snapshot.records, fromObjects.snapshot.records) {
      #expect(rows.status == objects.status && rows.headcount == objects.headcount && rows.lastSequence == objects.lastSequence)
      #expect(rows.lastHeard?.monotonicNanos == objects.lastHeard?.monotonicNanos)
      #expect(abs((rows.lastHeard?.unixSeconds ?? 0) - (objects.lastHeard?.unixSeconds ?? 0)) < 0.001)
    }
    #expect(fromRows.snapshot.records[0].lastSource == .udp && fromRows.snapshot.records[1].status == .unknown)
  }

  /// The standby example: the follow hello, then the primary's actions and a keep-alive, each as this version reads.
  @Test func theConsoleProtocolsStandbyExampleDecodes() throws {
    let doc = try String(contentsOfFile: Repository.path("docs/CONSOLE-PROTOCOL.md"), encoding: .utf8)
    let lines = doc.split(separator: "\n").filter { $0.hasPrefix("s> {") || $0.hasPrefix("p< {") }
    let messages = try lines.map { try ConsoleProtocol.decode(Array($0.dropFirst(3).utf8)) }
    guard messages.count == 4, case .hello(let hello) = messages[0], case .actions(let batch) = messages[1],
      case .actions(let checkins) = messages[2], case .actions(let keepAlive) = messages[3]
    else {
      Issue.record("\(messages)")
      return
    }
    #expect(hello.purpose == .follow && hello.follow?.after == 6)
    #expect(batch.actions.map(\.revision) == [7] && batch.epoch == hello.follow?.epoch)
    #expect(batch.actions.first?.who.displayName == "lan (ops)")
    #expect(checkins.actions.first?.checkin == FollowedCheckin(site: "BK-CD", count: 45, state: .help))
    #expect(checkins.actions.first?.request == nil && checkins.actions.first?.who.name == "Chị Lan 0912 345 678")
    #expect(keepAlive.actions.isEmpty && keepAlive.revision == 8)
  }
}
