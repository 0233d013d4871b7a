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
      - {id: HB-TU, name: "Tỉnh ủy Hòa Bình", group: "Hòa Bình", expected: 150}
      - {id: HB-DB-TULY, name: "Xã Tú Lý", group: "Hòa Bình / Đà Bắc", expected: 45}
      - {id: HB-DB-GIAPDAT, name: "Xã Giáp Đắt", group: "Hòa Bình / Đà Bắc", expected: 40}
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

  @Test func aStopWhileTheJournalIsStillBeingReadIsACleanStop() throws {
    let directory = try conference(lines: 400_000)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binary.path)
    process.arguments = ["run", directory + "/conference.yaml", "--headless", "--listen", "127.0.0.1:0"]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    // Well before 400,000 lines are read.
    Thread.sleep(forTimeInterval: 0.15)
    kill(process.processIdentifier, SIGTERM)
    let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(log)")
    #expect(log.contains("received SIGTERM, stopping"), "\(log)")
    let content = JournalContent.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/bridgewatch.journal"))))
    #expect(content.badLines.isEmpty && content.tornLine == nil)
    #expect(content.records.count == 400_002)
    #expect(content.records.suffix(2).map(\.kind) == [.start(sites: 3), .stop])
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
  }
}
