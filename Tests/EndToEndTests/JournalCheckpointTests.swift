import BridgeCore
import BridgeField
import BridgeMonitor
import Foundation
import TestSupport
import Testing

/// The journal's checkpoint (`PATH.checkpoint`): a restart reads it and only what the journal holds after it, and
/// restores exactly what reading the whole journal restores; a checkpoint that does not match its journal is
/// ignored with a note and the whole journal is read.
@Suite(.serialized) struct JournalCheckpointTests {
  static let sites: [SiteConfig] = {
    (try? ConfigLoader.load(path: Repository.path("examples/hoa-binh.yaml")).config.sites) ?? []
  }()
  static let firstDay = 1_795_000_000.0

  /// A generated two-day journal of the Hòa Bình roster, then what the generator does not write: claims (one
  /// released), hand counts with who set them, bridge joins and a leave, and a mark of a site no longer in the config.
  static func journal(lines: Int) -> [JournalRecord] {
    var records: [JournalRecord] = []
    JournalGenerator(sites: sites, lines: lines, firstDay: firstDay).generate { records.append($0) }
    let end = records.last!.unixSeconds
    let ids = sites.map(\.id)
    records += [
      JournalRecord(unixSeconds: end + 1, site: ids[1], kind: .claim(operatorName: "lan")),
      JournalRecord(unixSeconds: end + 2, site: ids[2], kind: .claim(operatorName: "minh")),
      JournalRecord(unixSeconds: end + 3, site: ids[2], kind: .release(operatorName: nil)),
      JournalRecord(unixSeconds: end + 4, site: ids[3], kind: .headcount(count: 97, source: .manual, operatorName: "lan")),
      // Typed on the check-in page: it stands like a hand count, and comes back as the check-in's.
      JournalRecord(unixSeconds: end + 4, site: ids[8], kind: .headcount(count: 31, source: .checkin, operatorName: "Chị Lan")),
      JournalRecord(unixSeconds: end + 5, site: ids[4], kind: .bridge(inBridge: true)),
      JournalRecord(unixSeconds: end + 6, site: ids[5], kind: .bridge(inBridge: true)),
      JournalRecord(unixSeconds: end + 7, site: ids[5], kind: .bridge(inBridge: false)),
      JournalRecord(unixSeconds: end + 8, site: "HB-GONE", kind: .mark(operatorName: "lan", reason: "đã giải thể")),
      JournalRecord(unixSeconds: end + 9, site: ids[6], kind: .mark(operatorName: "minh", reason: "mất điện")),
      JournalRecord(unixSeconds: end + 10, site: ids[6], kind: .acknowledge(operatorName: "lan")),
    ]
    // As a journal holds them (times to the millisecond), which is what a checkpoint is made from.
    return records.map { try! JournalCodec.decode(Substring(JournalCodec.encode($0))).get() }
  }

  static func replay(_ records: [JournalRecord]) -> RestoredSite.Replay {
    var replay = RestoredSite.Replay(sites: sites)
    for record in records { replay.take(record) }
    return replay
  }

  static func orphans(_ replay: RestoredSite.Replay) -> [String] { replay.orphanMarks.map { "\($0.site) \($0.mark)" } }

  @Test func theStateRecordsRestoreWhatTheWholeJournalRestores() throws {
    try #require(Self.sites.count == 61)
    let full = Self.replay(Self.journal(lines: 20_000))
    // Every kind of restorable state is there, so that the comparison below compares something.
    let restored = full.sites
    #expect(restored.contains { $0.mark != nil } && restored.contains { $0.acknowledgedBy != nil })
    #expect(restored.contains { $0.manualHeadcountBy != nil } && restored.contains { $0.claim != nil })
    #expect(restored.contains { $0.bridgeSince != nil } && restored.filter(\.wasHeard).count > 50)
    #expect(Self.orphans(full).count == 1)
    #expect(restored[8].manualHeadcount == 31 && restored[8].manualHeadcountSource == .checkin)

    // Through the journal's own text, as the checkpoint file holds them.
    let state = full.stateRecords(sites: Self.sites, unixSeconds: Self.firstDay + 200_000)
    let text = JournalCheckpoint(offset: 0, lines: 0, records: 0, tailDigest: 0, device: 0, inode: 0, unixSeconds: 0).fileText(state: state)
    let content = JournalContent.parse(Array(text.utf8.drop { $0 != 0x0A }.dropFirst()))
    #expect(content.badLines.isEmpty && content.records.count == state.count)
    let again = Self.replay(content.records)
    #expect(again.sites == full.sites)
    #expect(Self.orphans(again) == Self.orphans(full))
    #expect(state.count < 61 * 4, "a few lines per site, not the journal: \(state.count)")
  }

  @Test func theHeaderReadsBackAndRefusesWhatItDoesNotKnow() throws {
    let checkpoint = JournalCheckpoint(
      offset: 177_000_000, lines: 2_000_000, records: 1_999_990, tailDigest: 0xdead_beef_0123_4567, device: 2049, inode: 131_077,
      unixSeconds: 1_795_000_000)
    #expect(try JournalCheckpoint.parseHeader(Substring(checkpoint.headerLine)).get() == checkpoint)
    for bad in [
      "", "BWCHECKPOINT", checkpoint.headerLine.replacingOccurrences(of: "v=1", with: "v=2"),
      checkpoint.headerLine.replacingOccurrences(of: "offset=177000000", with: "offset=-1"),
      checkpoint.headerLine.replacingOccurrences(of: "lines=2000000", with: "lines=5"),
      checkpoint.headerLine.replacingOccurrences(of: "tail=", with: "tail=zz"), checkpoint.headerLine + " extra=1",
      checkpoint.headerLine.replacingOccurrences(of: "dev=2049", with: "offset=1"),
    ] {
      guard case .failure = JournalCheckpoint.parseHeader(Substring(bad)) else {
        Issue.record("took \"\(bad)\"")
        continue
      }
    }
  }

  /// Opens the journal in `directory` as a start does; returns what it restored and its notes, the file closed.
  func start(_ directory: String) throws -> (restored: [RestoredSite], notes: [String]) {
    let replay = try JournalReplay.open(
      path: directory + "/bridgewatch.journal", sites: Self.sites, skipBadLines: false, progress: { _, _ in })
    replay.file.close()
    return (replay.restored, replay.notes)
  }

  func write(_ records: [JournalRecord], to path: String) {
    let text = records.map { JournalCodec.encode($0) + "\n" }.joined()
    #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
  }

  @Test func aRestartReadsOnlyWhatFollowsTheCheckpointAndRestoresTheSame() throws {
    let directory = try makeScratchDirectory("bw-checkpoint")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/bridgewatch.journal"
    let records = Self.journal(lines: 20_000)
    write(records, to: path)

    // The first start reads the whole journal and leaves a checkpoint of it.
    let whole = try start(directory)
    #expect(whole.notes.contains { $0.contains("replayed \(NumberText.grouped(records.count)) records in") }, "\(whole.notes)")
    #expect(FileManager.default.fileExists(atPath: JournalFile.checkpointPath(journal: path)))
    let mode = try FileManager.default.attributesOfItem(atPath: JournalFile.checkpointPath(journal: path))[.posixPermissions] as? Int
    #expect(mode == 0o600)

    // The next reads the checkpoint and nothing after it.
    let resumed = try start(directory)
    #expect(resumed.restored == whole.restored)
    #expect(
      resumed.notes.contains {
        $0.contains("replayed its checkpoint of \(NumberText.grouped(records.count)) records and the 0 written after it")
      },
      "\(resumed.notes)")

    // Lines written after the checkpoint (a crash before the next one) are read and replayed over it.
    let opened = try JournalReplay.open(path: path, sites: Self.sites, skipBadLines: false, progress: { _, _ in })
    let ids = Self.sites.map(\.id)
    let later = [
      JournalRecord(unixSeconds: Self.firstDay + 300_000, site: ids[6], kind: .clear(operatorName: "lan")),
      JournalRecord(unixSeconds: Self.firstDay + 300_001, site: ids[7], kind: .mark(operatorName: "minh", reason: "hỏng loa")),
      JournalRecord(unixSeconds: Self.firstDay + 300_002, site: ids[1], kind: .release(operatorName: "lan")),
    ]
    #expect(opened.file.append(later, sync: true, now: Self.firstDay + 300_003, checkpoint: { [] }) == .written)
    opened.file.close()
    let afterCrash = try start(directory)
    #expect(
      afterCrash.notes.contains {
        $0.contains("replayed its checkpoint of \(NumberText.grouped(records.count)) records and the 3 written after it")
      }, "\(afterCrash.notes)")
    #expect(afterCrash.restored == Self.replay(records + later).sites)
    #expect(afterCrash.restored[6].mark == nil && afterCrash.restored[7].mark?.reason == "hỏng loa" && afterCrash.restored[1].claim == nil)

    // And the same as reading the whole journal.
    unlink(JournalFile.checkpointPath(journal: path))
    let wholeAgain = try start(directory)
    #expect(wholeAgain.notes.contains { $0.contains("replayed \(NumberText.grouped(records.count + 3)) records in") })
    #expect(wholeAgain.restored == afterCrash.restored)
  }

  /// Each way a checkpoint can stop matching its journal: the whole journal is read, with a note saying why, and
  /// what is restored is what the journal says.
  @Test(arguments: ["edited", "shorter", "replaced", "bad header", "bad line"])
  func aCheckpointThatDoesNotMatchIsIgnored(_ change: String) throws {
    let directory = try makeScratchDirectory("bw-checkpoint")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/bridgewatch.journal"
    let checkpointPath = JournalFile.checkpointPath(journal: path)
    var records = Self.journal(lines: 5_000)
    write(records, to: path)
    _ = try start(directory)
    var text = try String(contentsOfFile: path, encoding: .utf8)
    let expectedNote: String
    switch change {
    case "edited":
      // The last line (an acknowledgement) names another operator: same length, same shape.
      let last = records.removeLast()
      records.append(JournalRecord(unixSeconds: last.unixSeconds, site: last.site, kind: .acknowledge(operatorName: "hoa")))
      let lastOperator = try #require(text.range(of: "\"operator\":\"lan\"}\n", options: .backwards))
      text.replaceSubrange(lastOperator, with: "\"operator\":\"hoa\"}\n")
      try text.write(toFile: path, atomically: false, encoding: .utf8)
      expectedNote = "the journal's bytes before its offset are not the ones it saw"
    case "shorter":
      // Cut in place (the same file): its last line gone.
      let last = records.removeLast()
      truncate(path, off_t(text.utf8.count - JournalCodec.encode(last).utf8.count - 1))
      expectedNote = "the journal is shorter"
    case "replaced":
      try text.write(toFile: path + ".copy", atomically: false, encoding: .utf8)
      chmod(path + ".copy", 0o600)
      rename(path + ".copy", path)
      expectedNote = "it was written for another file at this path"
    case "bad header":
      try "BWCHECKPOINT v=1 offset=12\n".write(toFile: checkpointPath, atomically: false, encoding: .utf8)
      expectedNote = "bridgewatch.journal.checkpoint:1: "
    default:
      let checkpoint = try String(contentsOfFile: checkpointPath, encoding: .utf8)
      try (checkpoint + "{\"t\":1,\"type\":\"mark\"}\n").write(toFile: checkpointPath, atomically: false, encoding: .utf8)
      expectedNote = "bridgewatch.journal.checkpoint:"
    }
    let again = try start(directory)
    #expect(
      again.notes.contains {
        $0.contains("its checkpoint was not used (") && $0.contains(expectedNote) && $0.hasSuffix("read the whole journal")
      },
      "\(again.notes)")
    #expect(again.notes.contains { $0.contains("replayed \(NumberText.grouped(records.count)) records in") }, "\(again.notes)")
    #expect(again.restored == Self.replay(records).sites)
    if change == "edited" { #expect(again.restored[6].acknowledgedBy == "hoa") }
  }
}
