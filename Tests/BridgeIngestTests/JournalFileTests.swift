import BridgeCore
import BridgeIngest
import Foundation
import Testing

@Suite struct JournalFileTests {
  func scratchPath() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-journal-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory + "/conference.journal"
  }

  let record = JournalRecord(unixSeconds: 1_763_800_000, site: "HB-TU", kind: .mark(operatorName: "Lan", reason: "line down"))

  @Test func aNewJournalIsPrivateAndASecondWriterIsRefused() throws {
    let path = try scratchPath()
    let first = try JournalFile.open(path: path, skipBadLines: false)
    var info = stat()
    #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
    #expect(throws: JournalFile.OpenError.self) { try JournalFile.open(path: path, skipBadLines: false) }
    do {
      _ = try JournalFile.open(path: path, skipBadLines: false)
    } catch {
      #expect(error.description.contains("is locked by another running monitor"))
    }
    try first.file.append([record], sync: true)
    first.file.close()
    // The lock goes with the first writer; the record is there for the next.
    let second = try JournalFile.open(path: path, skipBadLines: false)
    #expect(second.content.records == [record])
  }

  @Test func aTornLastLineIsCutOffWithOneWarningAndWritingGoesOn() throws {
    let path = try scratchPath()
    let good = JournalCodec.encode(record)
    try (good + "\n" + #"{"t":1763800001,"type":"sta"#).write(toFile: path, atomically: false, encoding: .utf8)
    chmod(path, 0o600)
    let opened = try JournalFile.open(path: path, skipBadLines: false)
    #expect(opened.content.records == [record])
    #expect(opened.warnings.count == 1 && opened.warnings[0].hasSuffix("dropped it, 27 bytes"), "\(opened.warnings)")
    try opened.file.append([record], sync: true)
    opened.file.close()
    #expect(try String(contentsOfFile: path, encoding: .utf8) == good + "\n" + good + "\n")
  }

  @Test func aBadLineInTheMiddleStopsTheStartUnlessToldToSkipIt() throws {
    let path = try scratchPath()
    let good = JournalCodec.encode(record)
    let original = good + "\n" + "{\"t\": oops\n" + good + "\n"
    try original.write(toFile: path, atomically: false, encoding: .utf8)
    do {
      _ = try JournalFile.open(path: path, skipBadLines: false)
      Issue.record("opened a journal with a bad line")
    } catch {
      #expect(error.description.hasPrefix("\(path):2: not a JSON object"))
      #expect(error.description.contains("--skip-bad-journal-lines"))
    }
    let skipped = try JournalFile.open(path: path, skipBadLines: true)
    #expect(skipped.content.records.count == 2)
    #expect(skipped.warnings == ["skipping bad journal line \(path):2: not a JSON object"])
    skipped.file.close()
    // Nothing is dropped from the file.
    #expect(try String(contentsOfFile: path, encoding: .utf8) == original)
  }

  @Test func aLooseModeIsTightened() throws {
    let path = try scratchPath()
    _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644])
    let opened = try JournalFile.open(path: path, skipBadLines: false)
    var info = stat()
    #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
    #expect(opened.warnings.first?.contains("made it 600") == true)
  }
}
