import BridgeCore
import BridgeMonitor
import Foundation
import TestSupport
import Testing

/// Times and operator texts from outside, at the real binary's doors (issue 28 §1): the journal on disk, the console
/// socket, the follow link.
@Suite(.serialized) struct BoundsEndToEndTests {
  static let start = #"{"t":1763800000,"type":"start","v":1,"sites":3}"#

  @Test func aJournalTimeNoRunCanHaveIsABadLineThatRunAndReportNameAndSkip() throws {
    let journal =
      [
        Self.start,
        #"{"t":1e308,"type":"mark","site":"HB-TU","operator":"lan","reason":"line down"}"#,
        #"{"t":1763800100,"type":"clock","step":1e308}"#,
        #"{"t":1763800200,"type":"mark","site":"HB-DB-TULY","operator":"lan","reason":"mất điện"}"#,
      ].joined(separator: "\n") + "\n"
    let folder = try makeScratchDirectory("bw-bounds")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/bridgewatch.journal"
    try journal.write(toFile: path, atomically: true, encoding: .utf8)
    try fieldConfig.write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    try fieldKeys["keys.yaml"]!.write(toFile: folder + "/keys.yaml", atomically: true, encoding: .utf8)
    chmod(folder + "/keys.yaml", 0o600)

    // The report names both lines and refuses, or leaves them out when told; it never traps on them.
    for format in ["md", "json"] {
      let refused = try Binary.run(["report", folder + "/conference.yaml", "--journal", path, "--format", format])
      #expect(refused.status == 1, "\(refused.stderr)")
      #expect(refused.stderr.contains("2 bad journal line(s)"), "\(refused.stderr)")
      let skipped = try Binary.run([
        "report", folder + "/conference.yaml", "--journal", path, "--format", format, "--skip-bad-journal-lines",
      ])
      #expect(skipped.status == 0, "\(skipped.stderr)")
      #expect(skipped.stdout.contains("mất điện"), "\(skipped.stdout)")
    }

    // `run` refuses the journal with the line and the reason; with the flag it starts, with the good mark restored.
    let refused = try Binary.run(["run", folder + "/conference.yaml", "--headless", "--listen", "127.0.0.1:0"], timeout: 20)
    #expect(refused.status == 1)
    #expect(refused.stderr.contains(#"\#(path):2: "t": time 1e+308 is outside 1970-01-01…2100-01-01"#), "\(refused.stderr)")
    let monitor = try HeadlessMonitor(config: fieldConfig, files: fieldKeys, directory: folder, arguments: ["--skip-bad-journal-lines"])
    defer { _ = monitor.finish() }
    let restored = monitor.waitForStatus { json in (monitor.site("HB-DB-TULY", in: json)?["mark"] as? [String: Any]) != nil }
    #expect(restored != nil, "\(monitor.log)")
    #expect(!(monitor.site("HB-TU", in: restored ?? [:])?["mark"] is [String: Any]))
    #expect(monitor.finish() == 0, "\(monitor.log)")
  }

  @Test func aReasonTooLongForTheRuleIsRefusedOnTheSocketAndTheJournalStaysReadable() throws {
    let monitor = try HeadlessMonitor(config: fieldConfig, files: fieldKeys)
    defer { _ = monitor.stop() }
    let desk = try ConsoleClient(
      path: monitor.directory + "/conference.sock",
      hello: ConsoleHello(operatorName: "lan", readOnly: false, group: nil, purpose: .console))
    desk.attach { _ in }
    defer { desk.detach() }
    let long = String(repeating: "x", count: 65_400)
    #expect(
      desk.answer(to: OperatorRequest(site: "HB-TU", action: .mark(reason: long)), operatorName: "lan")
        == .refused(.invalidText(OperatorTextError(field: .reason, problem: .tooLong))))
    #expect(
      desk.answer(to: OperatorRequest(site: "HB-TU", action: .mark(reason: "dòng 1\u{1B}[2Jdòng 2")), operatorName: "lan")
        == .refused(.invalidText(OperatorTextError(field: .reason, problem: .controlCharacter))))
    #expect(desk.answer(to: OperatorRequest(site: "HB-TU", action: .mark(reason: "mất điện")), operatorName: "lan").isApplied)
    desk.detach()
    #expect(monitor.finish() == 0)

    // Every line is one its reader takes, so the next start and the report read the journal whole.
    let content = try monitor.journal()
    #expect(content.badLines.isEmpty)
    #expect(
      content.records.contains { $0.kind == .mark(operatorName: "lan", reason: "mất điện") || $0.site == "HB-TU" && $0.isOperatorAction })
    let report = try Binary.run(["report", monitor.directory + "/conference.yaml", "--journal", monitor.directory + "/bridgewatch.journal"])
    #expect(report.status == 0, "\(report.stderr)")
    let again = try HeadlessMonitor(config: fieldConfig, files: fieldKeys, directory: monitor.directory)
    defer { _ = again.finish() }
    #expect(
      again.waitForStatus { json in (again.site("HB-TU", in: json)?["mark"] as? [String: Any])?["reason"] as? String == "mất điện" } != nil)
  }

  @Test func aFollowedTimeNoRunCanHaveDropsTheLinkWithTheReasonAndTheStandbyLives() throws {
    try RequiredTool.require("socat")
    let primary = try HeadlessMonitor(config: fieldConfig, files: fieldKeys)
    defer { _ = primary.stop() }
    // A relay that rewrites every action's time, as a broken or hostile primary would send it.
    let relay = "socat - UNIX-CONNECT:\(primary.directory)/conference.sock | sed -u 's/\"at\":[0-9.e+]*/\"at\":1e300/g'"
    let standby = try HeadlessMonitor(
      config: fieldConfig, files: fieldKeys, arguments: ["--follow", relay, "--primary-silent-after", "30s"])
    defer { _ = standby.stop() }
    #expect(standby.waitForStatus { ($0["standby"] as? [String: Any])?["primary_last_contact"] is Double } != nil, "\(standby.log)")

    let desk = try ConsoleClient(
      path: primary.directory + "/conference.sock",
      hello: ConsoleHello(operatorName: "lan", readOnly: false, group: nil, purpose: .console))
    desk.attach { _ in }
    defer { desk.detach() }
    #expect(desk.answer(to: OperatorRequest(site: "HB-DB-TULY", action: .mark(reason: "mất điện")), operatorName: "lan").isApplied)
    let dropped = standby.waitFor(seconds: 10) { log in log.contains("outside 1970-01-01…2100-01-01") ? true : nil }
    #expect(dropped == true, "\(standby.log)")
    #expect(standby.process.isRunning)
    #expect(!(standby.site("HB-DB-TULY", in: standby.statusFile() ?? [:])?["mark"] is [String: Any]))
    #expect(standby.finish() == 0, "\(standby.log)")
    #expect(try standby.journal().badLines.isEmpty)
  }
}

/// A site whose datagrams are refused is a problem the control room sees on the site (issue 29 §4), not only a
/// counter; an id the roster lacks is named in the log.
@Suite(.serialized) struct RefusedSiteEndToEndTests {
  @Test func aSiteSigningWithAWrongKeyShowsAsRefusedWithReasonCountAndSender() throws {
    let monitor = try HeadlessMonitor(config: fieldConfig, files: fieldKeys)
    defer { _ = monitor.stop() }
    let keyFile = monitor.directory + "/wrong.key"
    try "not-the-hall-secret\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
    for seq in 1...3 {
      let send = try Binary.run([
        "send", "--site", "HB-TU", "--monitor", "127.0.0.1:\(monitor.port)", "--key-file", keyFile, "--seq", "\(seq)", "--timeout", "1s",
      ])
      #expect(send.status == 1, "no ack for a refused heartbeat")
    }
    let refused = monitor.waitForStatus { json in
      (monitor.site("HB-TU", in: json)?["rejected"] as? [String: Any])?["count"] as? Int == 3
    }
    let rejected = try #require(refused.flatMap { monitor.site("HB-TU", in: $0)?["rejected"] as? [String: Any] }, "\(monitor.log)")
    #expect(rejected["reason"] as? String == "bad_mac")
    #expect(rejected["now"] as? Bool == true)
    #expect((rejected["from"] as? String)?.hasPrefix("127.0.0.1:") == true)
    #expect(monitor.site("HB-TU", in: refused!)?["status"] as? String == "unknown")

    // The right key: accepted, and the refusals are history (no longer "now"), kept with their count.
    try "hall-secret\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
    let good = try Binary.run(["send", "--site", "HB-TU", "--monitor", "127.0.0.1:\(monitor.port)", "--key-file", keyFile, "--seq", "9"])
    #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
    let after = monitor.waitForStatus { json in (monitor.site("HB-TU", in: json)?["rejected"] as? [String: Any])?["now"] as? Bool == false }
    #expect(after != nil, "\(monitor.log)")

    // A wrong-case id is not in the roster: the log names the id it received, and the id it was probably meant to be.
    _ = try Binary.run(["send", "--site", "hb-tu", "--monitor", "127.0.0.1:\(monitor.port)", "--timeout", "1s"])
    let named = monitor.waitFor(seconds: 5) {
      $0.contains("for site 'hb-tu', not in the roster (ids are case-sensitive: did you mean HB-TU?): unknown_site") ? true : nil
    }
    #expect(named == true, "\(monitor.log)")
  }
}
