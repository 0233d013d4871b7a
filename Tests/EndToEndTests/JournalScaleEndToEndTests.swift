import BridgeCore
import BridgeField
import Foundation
import TestSupport
import Testing

/// A long journal against the real binary: what a restart and the report do with it, and a stop that comes
/// while it is still being read.
@Suite(.serialized) struct JournalScaleEndToEndTests {
  static let config = """
    title: "Hội nghị thử"
    timing: {interval: 1s, late_after: 3s, offline_after: 6s}
    status_file: status.json
    sites:
    \(TestRoster.yaml("HB-TU", "HB-DB-TULY", "HB-DB-GIAPDAT"))
    """

  /// A generated journal of `lines` lines for the config's sites in a fresh folder; returns the folder.
  func conference(lines: Int) throws -> String {
    let directory = try makeScratchDirectory("bw-journal-scale")
    try Self.config.write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
    let sites = try ConfigLoader.load(path: directory + "/conference.yaml").config.sites
    var text: [UInt8] = []
    JournalGenerator(sites: sites, lines: lines, firstDay: Date().timeIntervalSince1970 - 3 * 86_400).generate { record in
      text += JournalCodec.encode(record).utf8
      text.append(0x0A)
    }
    #expect(FileManager.default.createFile(atPath: directory + "/bridgewatch.journal", contents: Data(text)))
    chmod(directory + "/bridgewatch.journal", 0o600)
    return directory
  }

  /// A stop while the journal is still being read ends the process there and then, before the monitor starts:
  /// the journal is left as it was (no `start`, no `stop`); before, the whole journal was read first.
  @Test func aStopWhileTheJournalIsStillBeingReadStopsBeforeTheMonitorStarts() throws {
    let directory = try conference(lines: 400_000)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binary.path)
    process.arguments = ["run", directory + "/conference.yaml", "--headless", "--listen", "127.0.0.1:0"]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    // Once the monitor catches SIGTERM (before, the signal's default action would kill it), and well before
    // 400,000 lines are read.
    let caught = (0..<2000).contains { _ in
      if Self.catchesSIGTERM(process.processIdentifier) { return true }
      usleep(1000)
      return false
    }
    #expect(caught, "the monitor never caught SIGTERM")
    kill(process.processIdentifier, SIGTERM)
    let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(log)")
    // The signal may come while the config is still loading (a slow machine): any phase before the start will do.
    #expect(log.contains(#/bridgewatch: SIGTERM while [a-z ]+; stopped before the monitor started/#), "\(log)")
    #expect(!log.contains("listening on udp"), "\(log)")
    let content = JournalContent.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/bridgewatch.journal"))))
    #expect(content.badLines.isEmpty && content.tornLine == nil)
    #expect(content.records.count == 400_000)
  }

  /// Whether the process has a handler for SIGTERM (`SigCgt` in /proc/PID/status, a hexadecimal mask).
  static func catchesSIGTERM(_ pid: Int32) -> Bool {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
      let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16)
    else { return false }
    return mask & (1 << (UInt64(SIGTERM) - 1)) != 0
  }

  @Test func aRestartAndTheReportReadALongJournalWhole() throws {
    let directory = try conference(lines: 200_000)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let records = JournalContent.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/bridgewatch.journal")))).records
    let config = try ConfigLoader.load(path: directory + "/conference.yaml").config
    var index: [String: Int] = [:]
    for (position, site) in config.sites.enumerated() { index[site.id] = position }
    let restored = RestoredSite.replay(records, siteIndex: { index[$0] }, siteCount: 3)
    let expected = try ConferenceReport.build(config: config, records: records)

    let report = try Binary.run(["report", directory + "/conference.yaml", "--format", "json"])
    #expect(report.status == 0, "\(report.stderr)")
    let rendered = ReportRenderer.render(expected, config: config, format: .json)
    #expect(report.stdout == TextSanitizer.printableLines(rendered))

    // The same journal under a restarted monitor: its note counts every record and what was restored.
    let journal = try String(contentsOfFile: directory + "/bridgewatch.journal", encoding: .utf8)
    let again = try HeadlessMonitor(config: Self.config, files: ["bridgewatch.journal": journal])
    defer { _ = again.stop() }
    let marks = restored.filter { $0.mark != nil }.count
    let acks = restored.filter { $0.acknowledgedBy != nil }.count
    #expect(again.log.contains("replayed 200,000 records in "), "\(again.log)")
    #expect(again.log.contains("restored \(marks) marks, \(acks) acknowledgements"), "\(again.log)")

    // Stopped cleanly, it leaves a checkpoint of its whole journal: the next start reads that and nothing else,
    // and restores the same.
    #expect(again.finish() == 0)
    let written = try again.journal()
    let third = try HeadlessMonitor(config: Self.config, directory: again.directory)
    defer { _ = third.stop() }
    #expect(
      third.log.contains("replayed its checkpoint of \(NumberText.grouped(written.records.count)) records and the 0 written after it"),
      "\(third.log)")
    #expect(third.log.contains("restored \(marks) marks, \(acks) acknowledgements"), "\(third.log)")
  }
}
