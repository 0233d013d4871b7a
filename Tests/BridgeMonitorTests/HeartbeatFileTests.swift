import BridgeCore
import Foundation
import TestSupport
import Testing

@testable import BridgeMonitor

@Suite struct HeartbeatFileTests {
  @Test func freshStaleMissingUnparsableAndHuge() async throws {
    let fixture = try await MonitorFixture.start(sites: [
      ("FRESH", "P"), ("STALE", "P"), ("MISSING", "P"), ("BAD", "P"), ("HUGE", "P"), ("EMPTY", "P"),
    ])
    try await stopping(fixture.stop) { () async throws in
      let now = fixture.now.unixSeconds
      try "BW1 site=FRESH seq=5 count=33\n".write(toFile: fixture.heartbeatFile("FRESH"), atomically: true, encoding: .utf8)
      setModificationTime(fixture.heartbeatFile("FRESH"), unixSeconds: now - 1)
      try "BW1 site=STALE seq=5 count=20\n".write(toFile: fixture.heartbeatFile("STALE"), atomically: true, encoding: .utf8)
      setModificationTime(fixture.heartbeatFile("STALE"), unixSeconds: now - 3600)
      try "hello, I am not a heartbeat\n".write(toFile: fixture.heartbeatFile("BAD"), atomically: true, encoding: .utf8)
      setModificationTime(fixture.heartbeatFile("BAD"), unixSeconds: now - 2)
      try String(repeating: "x", count: 100_000).write(toFile: fixture.heartbeatFile("HUGE"), atomically: true, encoding: .utf8)
      setModificationTime(fixture.heartbeatFile("HUGE"), unixSeconds: now - 2)
      _ = FileManager.default.createFile(atPath: fixture.heartbeatFile("EMPTY"), contents: Data())
      setModificationTime(fixture.heartbeatFile("EMPTY"), unixSeconds: now - 2)

      try await fixture.monitor.pollFilesNow()
      let snapshot = try await fixture.snapshot()
      let byID = Dictionary(uniqueKeysWithValues: snapshot.sites.indices.map { (snapshot.sites[$0].id, snapshot.records[$0]) })
      #expect(byID["FRESH"]!.status == .online && byID["FRESH"]!.headcount == 33 && byID["FRESH"]!.lastSource == .file)
      #expect(byID["FRESH"]!.flags.isEmpty)
      #expect(byID["STALE"]!.status == .offline)
      #expect(byID["MISSING"]!.status == .unknown && byID["MISSING"]!.flags.isEmpty)
      // Unparsable and oversized files still prove the site alive by mtime, flagged.
      #expect(byID["BAD"]!.status == .online && byID["BAD"]!.flags.contains(.badHeartbeatFile))
      #expect(byID["HUGE"]!.status == .online && byID["HUGE"]!.flags.contains(.badHeartbeatFile))
      #expect(byID["EMPTY"]!.status == .online && byID["EMPTY"]!.flags.isEmpty)
      #expect(snapshot.counters.badFiles == 2)
      #expect(snapshot.counters.filesRead == 4)  // the empty file is read too
    }
  }

  @Test func onlyChangedFilesAreReadAgainAndATouchIsABareHeartbeat() async throws {
    let fixture = try await MonitorFixture.start(sites: [("A", "P")])
    try await stopping(fixture.stop) { () async throws in
      let path = fixture.heartbeatFile("A")
      try "BW1 site=A seq=1 count=10".write(toFile: path, atomically: true, encoding: .utf8)
      setModificationTime(path, unixSeconds: fixture.now.unixSeconds - 1)
      try await fixture.monitor.pollFilesNow()
      try await fixture.monitor.pollFilesNow()
      #expect(try await fixture.snapshot().counters.filesRead == 1)
      // The site phones in a count; a touch of the old file must not override it.
      fixture.clock.advance(by: .seconds(5))
      try await fixture.monitor.withEngineForTests { engine, now in try engine.setHeadcount(12, site: 0, operatorName: "lan", now: now) }
      fixture.clock.advance(by: .seconds(5))
      setModificationTime(path, unixSeconds: fixture.now.unixSeconds)
      try await fixture.monitor.pollFilesNow()
      let record = try await fixture.record("A")
      #expect(record.headcount == 12 && record.headcountSource == .manual)
      #expect(record.lastHeard?.unixSeconds == fixture.now.unixSeconds)
      #expect(!record.flags.contains(.badHeartbeatFile))
    }
  }

  @Test func directoriesAndSymlinkLoopsAreFlaggedNotFatal() async throws {
    let fixture = try await MonitorFixture.start(sites: [("DIR", "P"), ("LOOP", "P"), ("OK", "P")])
    try await stopping(fixture.stop) { () async throws in
      try FileManager.default.createDirectory(atPath: fixture.heartbeatFile("DIR"), withIntermediateDirectories: false)
      try FileManager.default.createSymbolicLink(atPath: fixture.heartbeatFile("LOOP"), withDestinationPath: fixture.heartbeatFile("LOOP"))
      _ = FileManager.default.createFile(atPath: fixture.heartbeatFile("OK"), contents: Data())
      try await fixture.monitor.pollFilesNow()
      let snapshot = try await fixture.snapshot()
      #expect(snapshot.records[0].flags.contains(.heartbeatFileError) && snapshot.records[0].status == .unknown)
      #expect(snapshot.records[1].flags.contains(.heartbeatFileError))
      #expect(snapshot.records[2].status == .online)
      #expect(snapshot.counters.fileErrors == 2)
      // Fixing the file clears the flag.
      try FileManager.default.removeItem(atPath: fixture.heartbeatFile("DIR"))
      try await fixture.monitor.pollFilesNow()
      #expect(try await fixture.snapshot().records[0].flags.isEmpty)
    }
  }

  @Test func signedFileContentFollowsTheKeyRules() async throws {
    let secret = "file-secret-0123456789"
    let fixture = try await MonitorFixture.start(sites: [("SIGNED", "P"), ("FORGED", "P")], keys: ["SIGNED": secret, "FORGED": secret])
    try await stopping(fixture.stop) { () async throws in
      let ts = fixture.unixNow
      let good = HeartbeatAuthenticator.sign("BW1 site=SIGNED seq=1 count=7 ts=\(ts)", secret: Array(secret.utf8))
      try (good + "\n").write(toFile: fixture.heartbeatFile("SIGNED"), atomically: true, encoding: .utf8)
      try "BW1 site=FORGED seq=1 count=999 ts=\(ts)\n".write(toFile: fixture.heartbeatFile("FORGED"), atomically: true, encoding: .utf8)
      try await fixture.monitor.pollFilesNow()
      let snapshot = try await fixture.snapshot()
      #expect(snapshot.records[0].headcount == 7 && snapshot.records[0].flags.isEmpty)
      #expect(snapshot.records[1].headcount == nil && snapshot.records[1].flags.contains(.badHeartbeatFile))
      #expect(snapshot.records[1].status == .online)
    }
  }

  /// Files are found through their folder's listing, kept while the folder is unchanged: a file that appears,
  /// or one rewritten in place (which does not change the folder), must still be seen at the next scan.
  @Test func aSettledFolderIsListedOnceYetNewAndRewrittenFilesAreSeen() async throws {
    let fixture = try await MonitorFixture.start(sites: [("A", "P"), ("B", "P"), ("C", "P")])
    try await stopping(fixture.stop) { () async throws in
      let folder = fixture.directory + "/heartbeats"
      let now = fixture.now.unixSeconds
      try "BW1 site=A seq=1 count=10".write(toFile: fixture.heartbeatFile("A"), atomically: true, encoding: .utf8)
      setModificationTime(fixture.heartbeatFile("A"), unixSeconds: now - 1)
      // The folder has been still for a minute, so its listing is kept after the first scan: the next ones look
      // only at the files it held.
      setModificationTime(folder, unixSeconds: now - 60)
      for _ in 0..<3 { try await fixture.monitor.pollFilesNow() }
      #expect(try await fixture.record("A").headcount == 10)
      #expect(try await fixture.record("B").status == .unknown)

      // Rewritten in place: the folder's mtime does not move.
      let handle = try #require(FileHandle(forWritingAtPath: fixture.heartbeatFile("A")))
      try handle.truncate(atOffset: 0)
      try handle.write(contentsOf: Data("BW1 site=A seq=2 count=11".utf8))
      try handle.close()
      setModificationTime(fixture.heartbeatFile("A"), unixSeconds: now)
      setModificationTime(folder, unixSeconds: now - 60)
      try await fixture.monitor.pollFilesNow()
      #expect(try await fixture.record("A").headcount == 11)

      // A new file changes the folder, so the folder is listed again.
      try "BW1 site=B seq=1 count=20".write(toFile: fixture.heartbeatFile("B"), atomically: true, encoding: .utf8)
      setModificationTime(fixture.heartbeatFile("B"), unixSeconds: now)
      try await fixture.monitor.pollFilesNow()
      #expect(try await fixture.record("B").headcount == 20)

      // Removed: the site is no longer heard from its file (it goes silent, not unknown).
      try FileManager.default.removeItem(atPath: fixture.heartbeatFile("A"))
      try await fixture.monitor.pollFilesNow()
      try await fixture.monitor.pollFilesNow()
      #expect(try await fixture.snapshot().counters.filesRead == 3)
      #expect(try await fixture.record("C").lastHeard == nil)
    }
  }

  /// Sites whose files live in a folder that does not exist are silent, and the scan does not fail. Scans while
  /// it stays absent skip its sites; the folder is looked for again at every scan.
  @Test func aMissingFolderMeansNoFiles() async throws {
    let fixture = try await MonitorFixture.start(sites: [("A", "P")])
    try await stopping(fixture.stop) { () async throws in
      let folder = fixture.directory + "/heartbeats"
      try FileManager.default.removeItem(atPath: folder)
      try await fixture.monitor.pollFilesNow()
      try await fixture.monitor.pollFilesNow()
      #expect(try await fixture.record("A").status == .unknown)
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try "BW1 site=A seq=1 count=7".write(toFile: fixture.heartbeatFile("A"), atomically: true, encoding: .utf8)
      setModificationTime(fixture.heartbeatFile("A"), unixSeconds: fixture.now.unixSeconds)
      try await fixture.monitor.pollFilesNow()
      #expect(try await fixture.record("A").headcount == 7)

      // Gone again for two scans, then back with a new count.
      try FileManager.default.removeItem(atPath: folder)
      try await fixture.monitor.pollFilesNow()
      try await fixture.monitor.pollFilesNow()
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try "BW1 site=A seq=2 count=8".write(toFile: fixture.heartbeatFile("A"), atomically: true, encoding: .utf8)
      setModificationTime(fixture.heartbeatFile("A"), unixSeconds: fixture.now.unixSeconds)
      try await fixture.monitor.pollFilesNow()
      #expect(try await fixture.record("A").headcount == 8)
    }
  }

}
