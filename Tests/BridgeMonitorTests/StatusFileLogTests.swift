import BridgeCore
import BridgeMonitor
import Foundation
import Logging
import Synchronization
import Testing

/// Keeps every line logged, for tests that count them.
final class CapturedLog: Sendable {
  private let lines = Mutex<[String]>([])

  var all: [String] { lines.withLock { $0 } }

  func logger() -> Logger { Logger(label: "test") { _ in Handler(log: self) } }

  struct Handler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
      let line = "\(event.level): \(event.message)"
      log.lines.withLock { $0.append(line) }
    }
  }
}

@Suite struct StatusFileLogTests {
  @Test func aFailingStatusFileIsLoggedOnceThenRemindedThenSaidWhenItWorks() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-status-log-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory + "/heartbeats", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var config = ConferenceConfig(
      sites: [SiteConfig(id: "A", name: "Điểm A", group: ["P"], expected: 1, heartbeatFile: directory + "/heartbeats/A.hb")],
      baseDirectory: directory, path: directory + "/test.yaml")
    config.udp.host = "127.0.0.1"
    config.udp.port = 0
    // Its folder does not exist yet: every attempt fails creating the temporary file (a new random name each time).
    config.statusFilePath = directory + "/missing/status.json"
    let clock = ManualClock(unixSeconds: Date().timeIntervalSince1970)
    let log = CapturedLog()
    let monitor = Monitor(config: config, clock: clock, logger: log.logger())
    _ = try await monitor.start()

    func statusLines() -> [String] { log.all.filter { $0.contains("status file") } }
    /// Runs ticks 5 s apart (the status file's refresh) until `done` or 1,000 simulated seconds.
    func tick(until done: ([String]) -> Bool) async throws {
      for _ in 0..<200 where !done(statusLines()) {
        clock.advance(by: .seconds(5))
        try await monitor.tickNow()
        try await Task.sleep(for: .milliseconds(10))
      }
    }

    try await tick { $0.contains { $0.contains("still cannot write") } }
    let failing = statusLines()
    #expect(failing.count == 2, "one line when it starts failing and one reminder, not one per attempt: \(failing)")
    #expect(failing.first?.hasPrefix("error: cannot write status file \(directory)/missing/status.json: ") == true, "\(failing)")
    #expect(failing.first?.contains("status.json.tmp-*") == true, "no random name in the reason: \(failing)")
    #expect(failing.last?.contains("more failed attempts") == true, "\(failing)")

    try FileManager.default.createDirectory(atPath: directory + "/missing", withIntermediateDirectories: true)
    try await tick { $0.contains { $0.contains("written again") } }
    let recovered = statusLines()
    #expect(recovered.count == 3, "\(recovered)")
    #expect(
      recovered.last?.hasPrefix("notice: status file \(directory)/missing/status.json is written again, after ") == true, "\(recovered)")
    #expect(FileManager.default.fileExists(atPath: directory + "/missing/status.json"))
    await monitor.stop()
  }
}

@Suite struct RepeatedFailureLogTests {
  @Test func firstFailureThenAReminderWithACountThenRecovery() {
    var log = RepeatedFailureLog(subject: "status file s.json", reminderNanos: 300_000_000_000)
    var lines: [String] = []
    for attempt in 0..<130 {  // every 5 s for 650 s
      if let line = log.failed("No space left on device", atNanos: Int64(attempt) * 5_000_000_000) { lines.append(line) }
    }
    #expect(
      lines == [
        "cannot write status file s.json: No space left on device (tried again on schedule; said again every 5m while it fails)",
        "still cannot write status file s.json: No space left on device (60 more failed attempts, 61 since it started failing 5m ago)",
        "still cannot write status file s.json: No space left on device (60 more failed attempts, 121 since it started failing 10m ago)",
      ])
    #expect(log.succeeded(atNanos: 655_000_000_000) == "status file s.json is written again, after 130 failed attempts over 655s")
    #expect(log.succeeded(atNanos: 660_000_000_000) == nil, "said once")
    #expect(log.failed("x", atNanos: 665_000_000_000)?.hasPrefix("cannot write") == true, "a new failure is said at once")
  }
}
