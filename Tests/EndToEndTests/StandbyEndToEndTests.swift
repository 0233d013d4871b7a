import BridgeCore
import BridgeMonitor
import Foundation
import TestSupport
import Testing

/// Two real monitors on loopback, each with its own journal and socket: a primary, and a standby following it
/// (the field tools' conference: three sites, one signing).
@Suite(.serialized) struct StandbyEndToEndTests {
  /// A console on `directory`'s monitor, as an operator would open one, to make actions with.
  static func console(_ directory: String, operatorName: String = "lan") throws -> ConsoleClient {
    let client = try ConsoleClient(
      path: directory + "/conference.sock", hello: ConsoleHello(operatorName: operatorName, readOnly: false, group: nil, purpose: .console))
    client.attach { _ in }
    return client
  }

  static func role(_ json: [String: Any]) -> String? { json["role"] as? String }
  static func standbyPart(_ json: [String: Any]) -> [String: Any] { json["standby"] as? [String: Any] ?? [:] }

  /// The journal's operator actions as lines, in order, each as journaled where it was made (a standby's copy
  /// journaled later keeps the original time in `made_at`).
  static func actionLines(_ monitor: HeadlessMonitor) throws -> [String] {
    try monitor.journal().records.filter(\.isOperatorAction).map { JournalCodec.encode($0.asMade) }
  }

  @Test func theStandbyFollowsOutlivesThePrimaryIsPromotedAndTheOldPrimaryLearnsItWasReplaced() throws {
    let primary = try HeadlessMonitor(config: fieldConfig, files: fieldKeys)
    defer { _ = primary.stop() }
    let primarySocket = primary.directory + "/conference.sock"
    let standby = try HeadlessMonitor(
      config: fieldConfig, files: fieldKeys, arguments: ["--follow", primarySocket, "--primary-silent-after", "3s"])
    defer { _ = standby.stop() }
    let sim = try BackgroundProcess([
      "sim", primary.directory + "/conference.yaml", "--monitor", "127.0.0.1:\(primary.port)", "--monitor", "127.0.0.1:\(standby.port)",
      "--scenario", "load",
    ])
    defer { _ = sim.stop() }
    // Both monitors hear every site from the simulator, each on its own.
    for monitor in [primary, standby] {
      let allUp = monitor.waitForStatus(seconds: 15) { ($0["total"] as? [String: Any])?["online"] as? Int == 3 }
      #expect(allUp != nil, "\(monitor.log)\n\(sim.output)")
    }
    let following = try #require(
      standby.waitForStatus { Self.role($0) == "standby" && Self.standbyPart($0)["primary_last_contact"] is Double })
    #expect(Self.standbyPart(following)["following"] as? String == primarySocket)
    #expect(Self.role(try #require(primary.statusFile())) == "primary")

    // A mark on the primary reaches the standby's status file within 2 s, with its operator.
    let desk = try Self.console(primary.directory)
    defer { desk.detach() }
    #expect(desk.answer(to: OperatorRequest(site: "HB-DB-TULY", action: .mark(reason: "mất điện")), operatorName: "lan").isApplied)
    let followed = standby.waitForStatus(seconds: 2) { json in
      (standby.site("HB-DB-TULY", in: json)?["mark"] as? [String: Any])?["reason"] as? String == "mất điện"
    }
    let mark = try #require(followed.flatMap { standby.site("HB-DB-TULY", in: $0)?["mark"] as? [String: Any] }, "\(standby.log)")
    #expect((mark["operator"] as? String)?.hasPrefix("lan") == true)

    // Nobody acts on the standby while its primary is alive; the answer says where to act.
    let standbyDesk = try Self.console(standby.directory, operatorName: "minh")
    defer { standbyDesk.detach() }
    let refused = standbyDesk.answer(to: OperatorRequest(site: "HB-MC-HU", action: .mark(reason: "thử")), operatorName: "minh")
    guard case .notAllowed(let why) = refused else {
      Issue.record("an action on the standby: \(refused)")
      return
    }
    #expect(why.contains("standby") && why.contains("act on the primary"), "\(why)")
    let early = try Binary.run(["promote", standby.directory + "/conference.yaml"])
    #expect(early.status == 1 && early.stderr.contains("the primary is alive"), "\(early.stderr)")

    // The primary's machine dies. The standby says so within its configured time and keeps every site's status.
    primary.finish(signal: SIGKILL)
    let silent = standby.waitForStatus(seconds: 8) { Self.standbyPart($0)["primary_silent_since"] is Double }
    #expect(silent != nil, "\(standby.log)")
    #expect(standby.waitFor(seconds: 2) { $0.contains("PRIMARY SILENT") ? true : nil } == true)
    let live = try #require(standby.statusFile())
    for id in ["HB-TU", "HB-MC-HU"] { #expect(standby.site(id, in: live)?["status"] as? String == "online", "\(id)") }
    #expect(standby.site("HB-DB-TULY", in: live)?["status"] as? String == "marked")
    let status = try Binary.run(["status", standby.directory + "/conference.yaml"])
    #expect(status.stdout.contains("role: STANDBY of \(primarySocket) · PRIMARY SILENT since"), "\(status.stdout)")
    // The real command to promote it, with the config's absolute path.
    let configPath = URL(fileURLWithPath: standby.directory + "/conference.yaml").standardized.path
    #expect(status.stdout.contains("; if it is down: bridgewatch promote \(configPath)"), "\(status.stdout)")

    // Promoted, it takes actions.
    let promote = try Binary.run(["promote", standby.directory + "/conference.yaml", "--operator", "minh"])
    #expect(promote.status == 0 && promote.stdout.contains("promoted"), "\(promote.stdout)\(promote.stderr)")
    #expect(standbyDesk.answer(to: OperatorRequest(site: "HB-MC-HU", action: .mark(reason: "đứt cáp")), operatorName: "minh").isApplied)
    let promoted = try #require(standby.waitForStatus { Self.role($0) == "primary" && Self.standbyPart($0)["promoted_at"] is Double })
    #expect(standby.site("HB-MC-HU", in: promoted)?["status"] as? String == "marked")

    // Its journal alone is the conference: both marks.
    let report = try Binary.run(["report", standby.directory + "/conference.yaml"])
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stdout.contains("| mất điện |") && report.stdout.contains("| đứt cáp |"), "\(report.stdout)")

    // The old primary comes back with --peer: it shows it was replaced, and refuses actions.
    let returned = try HeadlessMonitor(
      config: fieldConfig, files: fieldKeys, directory: primary.directory, arguments: ["--peer", standby.directory + "/conference.sock"])
    defer { returned.finish() }
    let replaced = returned.waitForStatus(seconds: 10) { $0["replaced_by"] is [String: Any] }
    #expect((replaced?["replaced_by"] as? [String: Any])?["peer"] as? String == standby.directory + "/conference.sock", "\(returned.log)")
    #expect(returned.log.contains("REPLACED: the standby"))
    let oldStatus = try Binary.run(["status", primary.directory + "/conference.yaml"])
    #expect(oldStatus.stdout.contains("REPLACED: the standby"), "\(oldStatus.stdout)")
    let oldDesk = try Self.console(primary.directory)
    defer { oldDesk.detach() }
    if case .notAllowed(let why) = oldDesk.answer(to: OperatorRequest(site: "HB-TU", action: .clear), operatorName: "lan") {
      #expect(why.contains("replaced"), "\(why)")
    } else {
      Issue.record("a replaced primary took an action")
    }
    returned.finish()

    // Both journals merged: each mark once.
    let merged = try Binary.run([
      "report", standby.directory + "/conference.yaml", "--journal", primary.directory + "/bridgewatch.journal", "--journal",
      standby.directory + "/bridgewatch.journal",
    ])
    #expect(merged.status == 0, "\(merged.stderr)")
    #expect(merged.stdout.components(separatedBy: "| mất điện |").count - 1 == 1, "\(merged.stdout)")
    #expect(merged.stdout.components(separatedBy: "| đứt cáp |").count - 1 == 1, "\(merged.stdout)")
  }

  /// The follow link runs through a relay command, as over SSH. Stopped a while, then continued, it catches up;
  /// killed, the standby connects again and asks from where it was; either way every action arrives once.
  @Test func aFollowerCutOffCatchesUpOnEveryActionNoneTwice() throws {
    let primary = try HeadlessMonitor(config: fieldConfig, files: fieldKeys)
    defer { _ = primary.stop() }
    let primarySocket = primary.directory + "/conference.sock"
    let relay = "'\(Binary.path)' console --relay --socket '\(primarySocket)'"
    let standby = try HeadlessMonitor(
      config: fieldConfig, files: fieldKeys, arguments: ["--follow", relay, "--primary-silent-after", "20s"])
    defer { _ = standby.stop() }
    #expect(standby.waitForStatus { Self.standbyPart($0)["primary_last_contact"] is Double } != nil, "\(standby.log)")
    let relayPID = try #require(Self.relayPID(socket: primarySocket), "\(standby.log)")
    let desk = try Self.console(primary.directory)
    defer { desk.detach() }

    // Cut off: the relay is stopped (all its threads) while 12 actions are made.
    #expect(StoppedProcess.stop(relayPID), "the relay \(relayPID) stops")
    var made = 0
    for round in 1...3 {
      for (request, name) in [
        (OperatorRequest(site: "HB-TU", action: .setHeadcount(100 + round)), "lan"),
        (OperatorRequest(site: "HB-DB-TULY", action: .mark(reason: "lần \(round)")), "lan"),
        (OperatorRequest(site: "HB-DB-TULY", action: .clear), "minh"),
        (OperatorRequest(site: "HB-MC-HU", action: .setHeadcount(90 + round)), "minh"),
      ] {
        #expect(desk.answer(to: request, operatorName: name).isApplied)
        made += 1
      }
    }
    Thread.sleep(forTimeInterval: 1)
    #expect(
      try Self.actionLines(standby).isEmpty,
      "nothing reaches a standby whose link is stopped\n\(standby.log)\n\(primary.log)")
    #expect(StoppedProcess.allThreadsStopped(relayPID), "the relay stayed stopped")
    kill(relayPID, SIGCONT)
    var caughtUp = false
    for _ in 0..<100 where !caughtUp {
      Thread.sleep(forTimeInterval: 0.1)
      caughtUp = try Self.actionLines(standby).count >= made
    }
    #expect(try Self.actionLines(primary).count == made)
    #expect(try Self.actionLines(standby) == Self.actionLines(primary), "every action once, in order, with its operator and time")

    // Killed: the standby starts a new relay and asks for what came after its last action.
    kill(relayPID, SIGKILL)
    for count in [201, 202, 203] {
      // Above the hall's 150 expected: confirmed, as a console does after asking; the standby takes it as confirmed.
      let request = OperatorRequest(site: "HB-TU", action: .setHeadcount(count), confirmedAboveExpected: true)
      #expect(desk.answer(to: request, operatorName: "lan").isApplied)
      made += 1
    }
    caughtUp = false
    for _ in 0..<100 where !caughtUp {
      Thread.sleep(forTimeInterval: 0.1)
      caughtUp = try Self.actionLines(standby).count >= made
    }
    #expect(try Self.actionLines(standby) == Self.actionLines(primary), "\(standby.log)")
    #expect(standby.log.contains("follow link to \(relay) dropped"))
    #expect(primary.log.contains("after revision 12"), "the second link asked from where the first left off: \(primary.log)")
    #expect(standby.log.components(separatedBy: "resynchronized").count - 1 == 1, "one whole-state resync, at the first link")
    let standbyFile = try #require(standby.waitForStatus { standby.site("HB-TU", in: $0)?["headcount"] as? Int == 203 })
    #expect(standby.site("HB-MC-HU", in: standbyFile)?["headcount"] as? Int == 93)
  }

  /// A relay that sends garbage (or a process that is no relay at all) is dropped with the reason logged and tried
  /// again; the standby goes on hearing its sites.
  @Test func aHostileRelayIsDroppedWithAReasonAndRetried() throws {
    let folder = try makeScratchDirectory("bw-relay")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let script = folder + "/garbage.sh"
    // First a huge line of random bytes, then a valid-looking but wrong message, then silence.
    try """
    #!/bin/sh
    echo run >> '\(folder)/runs'
    head -c 300000 /dev/urandom | tr -d '\\n'
    echo
    echo '{"type":"welcome","version":1}'
    sleep 30
    """.write(toFile: script, atomically: true, encoding: .utf8)
    chmod(script, 0o755)
    let standby = try HeadlessMonitor(
      config: fieldConfig, files: fieldKeys, arguments: ["--follow", "sh '\(script)'", "--primary-silent-after", "3s"])
    defer { _ = standby.stop() }
    let dropped = standby.waitFor(seconds: 10) { log in
      log.contains("follow link to sh '\(script)' dropped: malformed message") ? true : nil
    }
    #expect(dropped == true, "\(standby.log)")
    var runs = 0
    for _ in 0..<60 where runs < 2 {
      Thread.sleep(forTimeInterval: 0.1)
      runs = ((try? String(contentsOfFile: folder + "/runs", encoding: .utf8)) ?? "").split(separator: "\n").count
    }
    #expect(runs >= 2, "retried")
    // Still a monitor: heartbeats are acknowledged and the primary is reported silent, nothing crashed.
    let send = try Binary.run(["send", "--site", "HB-DB-TULY", "--monitor", "127.0.0.1:\(standby.port)", "--count", "5"])
    #expect(send.status == 0, "\(send.stdout)")
    #expect(standby.waitForStatus(seconds: 8) { Self.standbyPart($0)["primary_silent_since"] is Double } != nil)
    #expect(standby.process.isRunning)
  }

  /// A standby started after the primary's operators acted, then the primary restarted: each resync journals only
  /// what the standby lacked, with the operator who did it, at the standby's own time (the original in `made_at`),
  /// and a resync that finds nothing new journals nothing, so nothing is listed twice and time never goes back.
  @Test func resyncsWithARestartedPrimaryJournalOnlyRealDifferencesAndNeverGoBackInTime() throws {
    var primary = try HeadlessMonitor(config: fieldConfig, files: fieldKeys)
    let primaryDirectory = primary.directory
    defer { try? FileManager.default.removeItem(atPath: primaryDirectory) }
    let primarySocket = primary.directory + "/conference.sock"
    do {
      let desk = try Self.console(primary.directory)
      defer { desk.detach() }
      for request in [
        OperatorRequest(site: "HB-DB-TULY", action: .mark(reason: "mất điện")), OperatorRequest(site: "HB-TU", action: .claim),
        OperatorRequest(site: "HB-MC-HU", action: .setHeadcount(77)),
      ] {
        #expect(desk.answer(to: request, operatorName: "lan").isApplied)
      }
    }
    let primaryActions = try Self.actionLines(primary)
    #expect(primaryActions.count == 3)
    // The actions are older than the standby's start: they reach it in its first resync.
    Thread.sleep(forTimeInterval: 1.5)
    let standby = try HeadlessMonitor(
      config: fieldConfig, files: fieldKeys, arguments: ["--follow", primarySocket, "--primary-silent-after", "20s"])
    defer { _ = standby.stop() }
    let resynced = standby.waitForStatus { standby.site("HB-MC-HU", in: $0)?["headcount"] as? Int == 77 }
    #expect(resynced != nil, "\(standby.log)")
    let first = try standby.journal().records.filter(\.isOperatorAction)
    #expect(first.count == 3, "\(first.map(JournalCodec.encode))")
    // Who did it, and when, as the primary journaled it.
    #expect(first.map { JournalCodec.encode($0.asMade) }.sorted() == primaryActions.sorted(), "\(first.map(JournalCodec.encode))")
    #expect(first.allSatisfy { $0.madeAt != nil && $0.unixSeconds > $0.madeAt! }, "\(first.map(JournalCodec.encode))")
    #expect(!first.map(JournalCodec.encode).joined().contains("resync from the primary"))

    // The primary restarts (a new run: the standby needs its whole state again) and has the same decisions.
    #expect(primary.finish() == 0)
    primary = try HeadlessMonitor(config: fieldConfig, files: fieldKeys, directory: primaryDirectory)
    defer { primary.finish() }
    let twice = standby.waitFor(seconds: 15) { $0.components(separatedBy: "resynchronized").count - 1 >= 2 ? true : nil }
    #expect(twice == true, "\(standby.log)")
    Thread.sleep(forTimeInterval: 1.5)  // the status batch after it
    let records = try standby.journal().records
    #expect(records.filter(\.isOperatorAction) == first, "the second resync journals nothing: \(records.map(JournalCodec.encode))")
    var latest = -Double.infinity
    for record in records {
      // Status changes wait for the second's batch; nothing else comes earlier than what was written before it.
      #expect(record.unixSeconds >= latest - 1, "back in time: \(JournalCodec.encode(record))")
      latest = max(latest, record.unixSeconds)
    }
    let report = try Binary.run(["report", standby.directory + "/conference.yaml"])
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stdout.components(separatedBy: "| mất điện |").count - 1 == 1, "\(report.stdout)")
    #expect(!report.stdout.contains("resync from the primary"), "\(report.stdout)")
  }

  /// A follow command that leaves processes in sessions of their own (`setsid`) and spews on its standard error:
  /// each link's whole tree ends with it, at a reconnect and when the standby stops, and its standard error is read
  /// a bounded chunk at a time and logged in bounded excerpts.
  @Test func aFollowCommandsWholeTreeEndsWithItsLinkAndItsStandardErrorIsBounded() throws {
    let primary = try HeadlessMonitor(config: fieldConfig, files: fieldKeys)
    defer { _ = primary.stop() }
    let primarySocket = primary.directory + "/conference.sock"
    let folder = try makeScratchDirectory("bw-relay")
    let marker = "bw-leftover-\(UUID().uuidString)"
    // "[b]w-…" matches the marker but not the command line of the pgrep looking for it.
    func leftovers() -> [Int32] {
      let found = try? runShell("pgrep -f -- '[b]\(marker.dropFirst())'", environment: [:])
      return (found?.output ?? "").split(separator: "\n").compactMap { Int32($0) }
    }
    defer {
      for pid in leftovers() { kill(pid, SIGKILL) }
      try? FileManager.default.removeItem(atPath: folder)
    }
    let script = folder + "/relay.sh"
    try """
    #!/bin/sh
    setsid sh -c 'sleep 120; echo \(marker) one' &
    setsid -f sh -c 'sleep 120; echo \(marker) two'
    yes '\(marker) spew' >&2 &
    exec '\(Binary.path)' console --relay --socket '\(primarySocket)'
    """.write(toFile: script, atomically: true, encoding: .utf8)
    let started = Date()
    var standby: HeadlessMonitor? = try HeadlessMonitor(
      config: fieldConfig, files: fieldKeys, arguments: ["--follow", "sh '\(script)'", "--primary-silent-after", "3s"])
    defer { _ = standby?.stop() }
    #expect(standby!.waitForStatus { Self.standbyPart($0)["primary_last_contact"] is Double } != nil, "\(standby!.log)")
    // Two sleepers and the spewer (each sleeper's shell and its `sleep`, which has no marker).
    var found: [Int32] = []
    for _ in 0..<50 where found.count < 3 {
      Thread.sleep(forTimeInterval: 0.1)
      found = leftovers()
    }
    #expect(found.count == 3, "\(found)")

    // The spewer is held to the pace the standby reads at: a few hundred kilobytes in 3 s, not gigabytes.
    let spewer = try #require(
      try runShell("pgrep -f -- '^yes [b]\(marker.dropFirst())'", environment: [:]).output.split(separator: "\n").first.flatMap {
        Int32($0)
      })
    func written() -> Int {
      let io = (try? String(contentsOfFile: "/proc/\(spewer)/io", encoding: .utf8)) ?? ""
      return io.split(separator: "\n").first { $0.hasPrefix("wchar:") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }
    let before = written()
    #expect(before > 0, "/proc/\(spewer)/io is readable")
    Thread.sleep(forTimeInterval: 3)
    let spewed = written() - before
    #expect(spewed < 2_000_000, "\(spewed) bytes of standard error taken in 3 s")
    let excerpts = standby!.log.components(separatedBy: "follow relay says:").count - 1
    let allowed = 1 + Int(Date().timeIntervalSince(started) / 10)
    #expect(excerpts >= 1 && excerpts <= allowed, "one excerpt per 10 s at most:\n\(standby!.log.suffix(2000))")
    #expect(standby!.log.contains("more line(s)"), "the rest is counted: \(standby!.log.suffix(1000))")
    // Still following: the link works beside the spew.
    let desk = try Self.console(primary.directory)
    defer { desk.detach() }
    #expect(desk.answer(to: OperatorRequest(site: "HB-TU", action: .setHeadcount(12)), operatorName: "lan").isApplied)
    #expect(standby!.waitForStatus { standby!.site("HB-TU", in: $0)?["headcount"] as? Int == 12 } != nil, "\(standby!.log)")

    // The relay dies: the standby connects again, and the first link's leftovers are gone with it.
    let relay = try #require(Self.relayPID(socket: primarySocket))
    kill(relay, SIGKILL)
    #expect(standby!.waitFor(seconds: 10) { $0.contains("follow link to sh '\(script)' dropped") ? true : nil } == true)
    #expect(standby!.waitFor(seconds: 10) { _ in Self.relayPID(socket: primarySocket).flatMap { $0 != relay ? true : nil } } == true)
    Thread.sleep(forTimeInterval: 0.5)
    #expect(leftovers().count == 3, "only the new link's: \(leftovers())")

    // The standby stops: nothing it started is left.
    _ = standby!.stop()
    standby = nil
    var left = leftovers()
    for _ in 0..<20 where !left.isEmpty {
      Thread.sleep(forTimeInterval: 0.1)
      left = leftovers()
    }
    #expect(left.isEmpty, "left running after the standby stopped: \(left)")
  }

  /// Two standbys of a dead primary, both promoted at the same moment, each hearing a site differently: `report`
  /// with both journals gives the same figures in either order and says where the two primaries overlapped; a
  /// journal with a role it does not know is refused at that line.
  @Test func reportMergesTwoPrimariesTheSameInEitherOrderAndCallsItASplitBrain() throws {
    let folder = try makeScratchDirectory("bw-merge")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try fieldConfig.write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    try fieldKeys["keys.yaml"]!.write(toFile: folder + "/keys.yaml", atomically: true, encoding: .utf8)
    let base = 1_795_393_800.0
    func record(_ t: Double, _ site: String?, _ kind: JournalRecord.Kind) -> JournalRecord {
      JournalRecord(unixSeconds: base + t, site: site, kind: kind)
    }
    func journal(_ name: String, hears status: SiteStatus, promotedBy: String, leaves: Double) throws -> String {
      let records = [
        record(0, nil, .start(sites: 3)), record(0, nil, .role("standby", note: "following hn1")),
        record(1, "HB-TU", .status(from: .unknown, to: status, cause: "heartbeat", source: .udp)),
        record(600, nil, .role("primary", note: "promoted by \(promotedBy)")),
        record(leaves, nil, .role("replaced", note: "by the other")),
        record(3000, nil, .stop),
      ]
      let path = folder + "/" + name
      try (records.map { JournalCodec.encode($0) }.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }
    let east = try journal("east.journal", hears: .online, promotedBy: "lan", leaves: 1800)
    let west = try journal("west.journal", hears: .offline, promotedBy: "minh", leaves: 2400)
    let config = folder + "/conference.yaml"
    let forward = try Binary.run(["report", config, "--journal", east, "--journal", west, "--format", "json"])
    let backward = try Binary.run(["report", config, "--journal", west, "--journal", east, "--format", "json"])
    #expect(forward.status == 0 && backward.status == 0, "\(forward.stderr)\(backward.stderr)")
    func figures(_ json: String) -> String { json.replacingOccurrences(of: east, with: "A").replacingOccurrences(of: west, with: "A") }
    #expect(figures(forward.stdout) == figures(backward.stdout), "the order of --journal decides nothing")
    #expect(forward.stderr.contains("split brain from 2026-11-23 07:40:00 to 2026-11-23 08:00:00"), "\(forward.stderr)")
    #expect(backward.stderr.contains("split brain from 2026-11-23 07:40:00 to 2026-11-23 08:00:00"), "\(backward.stderr)")
    #expect(forward.stdout.contains("\"warnings\": [\"Warning: split brain from"), "\(forward.stdout.prefix(600))")

    var lines = try String(contentsOfFile: west, encoding: .utf8).split(separator: "\n").map(String.init)
    lines[3] = lines[3].replacingOccurrences(of: #""role":"primary""#, with: #""role":"primray""#)
    try (lines.joined(separator: "\n") + "\n").write(toFile: west, atomically: true, encoding: .utf8)
    let refused = try Binary.run(["report", config, "--journal", east, "--journal", west])
    #expect(refused.status == 1, "\(refused.stdout)")
    #expect(refused.stderr.contains("\(west):4: error: unknown role \"primray\""), "\(refused.stderr)")
  }

  /// A site with no agent is known only through its check-in page at the primary: each check-in travels on the
  /// follow link (a live standby gets it at once, one started later in its resync), so after a promotion the site
  /// is still online on the standby with the count its organiser typed, and the standby's journal has it.
  @Test func aCheckinAtThePrimaryReachesTheStandbyAndOutlivesAPromotion() throws {
    let config = CheckinEndToEndTests.config.replacingOccurrences(
      of: "keys: keys.yaml\n", with: "keys: keys.yaml\ntiming:\n  interval: 5s\n  late_after: 90s\n  offline_after: 180s\n")
    let folder = try makeScratchDirectory("bw-standby-checkin")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try config.write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    #expect(try Binary.run(["keys", folder + "/conference.yaml"], environment: ["LANG": "C.UTF-8"]).status == 0)
    let keys = ["keys.yaml": try String(contentsOfFile: folder + "/keys.yaml", encoding: .utf8)]
    let token = try #require(try CheckinEndToEndTests.tokens(folder)["HB-DB-TULY"])

    let primary = try HeadlessMonitor(config: config, files: keys)
    defer { _ = primary.stop() }
    let primarySocket = primary.directory + "/conference.sock"
    let standby = try HeadlessMonitor(config: config, files: keys, arguments: ["--follow", primarySocket, "--primary-silent-after", "3s"])
    defer { _ = standby.stop() }
    #expect(standby.waitForStatus { Self.standbyPart($0)["primary_last_contact"] is Double } != nil, "\(standby.log)")
    let base = try #require(primary.waitFor(seconds: 20) { CheckinEndToEndTests.checkinBase(in: $0) }, "\(primary.log)")

    // The organiser sends the headcount, then asks for help, on the primary's page.
    let who = "Chị Lan 0912 345 678"
    for (action, count) in [("count", "45"), ("help", "")] {
      let page = try CheckinEndToEndTests.curl(base + "/c/" + token)
      let sent = try CheckinEndToEndTests.curl(
        base + "/c/" + token, form: CheckinEndToEndTests.stamp(page.body) + [("who", who), ("count", count), ("action", action)])
      #expect(sent.status == 200, "\(sent.body)")
    }
    func carriesTheCheckin(_ monitor: HeadlessMonitor, _ json: [String: Any]) -> Bool {
      guard let site = monitor.site("HB-DB-TULY", in: json) else { return false }
      return site["status"] as? String == "online" && site["source"] as? String == "checkin" && site["headcount"] as? Int == 45
        && site["headcount_source"] as? String == "checkin" && site["headcount_by"] as? String == who
        && (site["flags"] as? [String])?.contains("help") == true
    }
    #expect(primary.waitForStatus(seconds: 15) { carriesTheCheckin(primary, $0) } != nil, "\(primary.log)")
    #expect(standby.waitForStatus(seconds: 15) { carriesTheCheckin(standby, $0) } != nil, "\(standby.statusFile() ?? [:])\n\(standby.log)")
    // A standby started after the check-ins gets the count (and who typed it) in its resync.
    let late = try HeadlessMonitor(config: config, files: keys, arguments: ["--follow", primarySocket, "--primary-silent-after", "20s"])
    defer { _ = late.stop() }
    let resynced = late.waitForStatus(seconds: 15) { json in
      guard let site = late.site("HB-DB-TULY", in: json) else { return false }
      return site["headcount"] as? Int == 45 && site["headcount_by"] as? String == who && site["headcount_source"] as? String == "checkin"
    }
    #expect(resynced != nil, "\(late.statusFile() ?? [:])\n\(late.log)")

    // The primary dies; the standby is promoted and the site is still there, online, with its count.
    primary.finish(signal: SIGKILL)
    #expect(standby.waitForStatus(seconds: 10) { Self.standbyPart($0)["primary_silent_since"] is Double } != nil, "\(standby.log)")
    let promote = try Binary.run(["promote", standby.directory + "/conference.yaml", "--operator", "minh"])
    #expect(promote.status == 0, "\(promote.stdout)\(promote.stderr)")
    let promoted = standby.waitForStatus { Self.role($0) == "primary" && carriesTheCheckin(standby, $0) }
    #expect(promoted != nil, "\(standby.statusFile() ?? [:])")
    #expect((promoted?["total"] as? [String: Any])?["headcount"] as? Int == 45, "\(promoted?["total"] ?? "")")

    // The standby's journal has the check-in as the primary's: the count with who typed it, the call for help.
    let journal = try standby.journal()
    #expect(journal.records.contains { $0.site == "HB-DB-TULY" && $0.kind == .headcount(count: 45, source: .checkin, operatorName: who) })
    #expect(journal.records.contains { $0.site == "HB-DB-TULY" && $0.kind == .help(true) })
    #expect(
      journal.records.contains {
        $0.site == "HB-DB-TULY" && $0.kind == .status(from: .unknown, to: .online, cause: "heartbeat", source: .checkin)
      }, "\(journal.records.filter { $0.site == "HB-DB-TULY" })")
  }

  /// The pid of the relay process that connects to `socket`. The standby's shell (`sh -c COMMAND`, which does not
  /// exec) and the standby itself hold the same words in their command lines, so the whole line must match.
  static func relayPID(socket: String) -> Int32? {
    for _ in 0..<50 {
      let found = try? runShell("pgrep -x -f -- '\(Binary.path) console --relay --socket \(socket)'", environment: [:])
      if let pid = found.flatMap({ Int32($0.output.trimmingCharacters(in: .whitespacesAndNewlines)) }) { return pid }
      Thread.sleep(forTimeInterval: 0.1)
    }
    return nil
  }
}
