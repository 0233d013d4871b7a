import BridgeCore
import BridgeMonitor
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

/// The hub through its ports alone: an input that is no socket, an output that records what it is handed, and a
/// manual clock; no UDP port, no file.
@Suite struct HubPortsTests {
  final class ScriptedInput: MonitorInput {
    let intake = Mutex<MonitorIntake?>(nil)
    let stopped = Atomic<Bool>(false)
    func start(deliver intake: MonitorIntake) async throws { self.intake.withLock { $0 = intake } }
    func stop() async { stopped.store(true, ordering: .relaxed) }
    func hear(site: Int, count: Int) {
      intake.withLock { $0 }?.deliver([(site, HeartbeatInput(source: .udp, sequence: 1, count: count))])
    }
  }

  final class RecordingOutput: MonitorOutput {
    let facts = Mutex<ConsoleFacts?>(nil)
    let updates = Mutex<[MonitorUpdate]>([])
    let stopped = Atomic<Bool>(false)
    func start(facts: ConsoleFacts) async throws { self.facts.withLock { $0 = facts } }
    func receive(_ update: MonitorUpdate) { updates.withLock { $0.append(update) } }
    func stop() async { stopped.store(true, ordering: .relaxed) }
  }

  /// An output that shows the last hour of the sites in `asked`.
  final class DetailOutput: MonitorOutput {
    let asked = Mutex<Set<Int>>([])
    let updates = Mutex<[MonitorUpdate]>([])
    func start(facts: ConsoleFacts) async throws {}
    func receive(_ update: MonitorUpdate) { updates.withLock { $0.append(update) } }
    func stop() async {}
    var detailSites: Set<Int> { asked.withLock { $0 } }
  }

  /// An output that acts as a console would, at the hub's final update: it asks for a mark.
  final class LateConsole: MonitorOutput {
    let monitor = Mutex<Monitor?>(nil)
    let outcome = Mutex<Result<[EngineEvent], any Error>?>(nil)
    func start(facts: ConsoleFacts) async throws {}
    func receive(_ update: MonitorUpdate) {
      guard update.isFinal, let monitor = monitor.withLock({ $0 }) else { return }
      let request = OperatorRequest(site: "HB-TU", action: .mark(reason: "muộn"))
      monitor.applyAndPublish(request, by: OperatorIdentity(name: "lan")).whenComplete { result in
        self.outcome.withLock { $0 = result }
      }
    }
    func stop() async {}
  }

  static func config() -> ConferenceConfig {
    var config = ConferenceConfig(
      sites: [("HB-TU", "Hòa Bình"), ("BK-TU", "Bắc Kạn")].map { id, group in
        SiteConfig(id: id, name: id, group: GroupPath.parse(group)!, expected: 50, heartbeatFile: "/nonexistent/\(id).hb")
      }, baseDirectory: "/nonexistent", path: "/nonexistent/test.yaml")
    config.statusFilePath = nil
    return config
  }

  @Test func anInputsBatchIsTickedJournaledAndPublishedToEveryOutput() async throws {
    let clock = ManualClock(unixSeconds: 1_770_000_000)
    let input = ScriptedInput()
    let output = RecordingOutput()
    let monitor = Monitor(
      config: Self.config(), clock: clock, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
      inputs: [input], outputs: [output])
    let address = try await monitor.startPorts()
    #expect(address == nil)
    #expect(output.facts.withLock { $0 }?.sites.map(\.id) == ["HB-TU", "BK-TU"])

    // The hub's own once-a-second tick runs on a real loop beside `tickNow`, so the updates are read as a whole
    // rather than by position: whichever tick came first carried the batch's events.
    let before = output.updates.withLock { $0.count }
    input.hear(site: 1, count: 42)
    try await monitor.tickNow()
    let ticks = output.updates.withLock { Array($0[before...]) }.filter(\.isTick)
    let ticked = try #require(ticks.last)
    #expect(ticked.snapshot.records[1].status == .online && ticked.snapshot.records[1].headcount == 42)
    #expect(ticks.contains { $0.events.contains { $0.siteIndex == 1 } })

    // An operator action is published at once, outside the tick: `apply` returns after that publish.
    let beforeAction = output.updates.withLock { $0.count }
    try await monitor.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "mất điện")), by: OperatorIdentity(name: "lan"))
    let afterAction = output.updates.withLock { Array($0[beforeAction...]) }
    #expect(afterAction.contains { !$0.isTick && $0.snapshot.records[0].mark?.operatorName == "lan" })

    await monitor.stop()
    let stopped = (input: input.stopped.load(ordering: .relaxed), output: output.stopped.load(ordering: .relaxed))
    #expect(stopped.input && stopped.output)
    // The last tick at stop goes to the outputs too, not as a tick but as the final update (the status file writes
    // it itself); no other update is final.
    let updates = output.updates.withLock { $0 }
    #expect(updates.last?.isTick == false && updates.last?.isFinal == true)
    #expect(updates.dropLast().allSatisfy { !$0.isFinal })
  }

  /// An output that shows sites' last hour (as the console server does for its consoles) gets those it asks for
  /// in every update, and no other; an output that asks for none gets none.
  @Test func anOutputGetsTheDetailPanesItAsksFor() async throws {
    let clock = ManualClock(unixSeconds: 1_770_000_000)
    let input = ScriptedInput()
    let plain = RecordingOutput()
    let detailed = DetailOutput()
    let monitor = Monitor(
      config: Self.config(), clock: clock, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
      inputs: [input], outputs: [plain, detailed])
    _ = try await monitor.startPorts()
    try await stopping(monitor.stop) { () async throws in
      input.hear(site: 1, count: 42)
      try await monitor.tickNow()
      #expect(detailed.updates.withLock { $0.last }?.details.isEmpty == true, "nothing asked, nothing given")
      detailed.asked.withLock { $0 = [1] }
      try await monitor.tickNow()
      let last = try #require(detailed.updates.withLock { $0.last })
      #expect(Array(last.details.keys) == [1])
      #expect(plain.updates.withLock { $0.last }?.details.isEmpty == true)
    }
  }

  /// An operator action that reaches the hub after its last tick (a console's: the console server stops after the
  /// hub's last update) is refused, not applied: the journal is closed, and an action it did not take would be lost.
  @Test func anActionAfterTheLastTickIsRefused() async throws {
    let late = LateConsole()
    let monitor = Monitor(
      config: Self.config(), clock: ManualClock(unixSeconds: 1_770_000_000),
      logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), inputs: [ScriptedInput()], outputs: [late])
    late.monitor.withLock { $0 = monitor }
    _ = try await monitor.startPorts()
    await monitor.stop()
    late.monitor.withLock { $0 = nil }
    let outcome = try #require(eventually { late.outcome.withLock { $0 } }, "the late action was answered")
    #expect(throws: MonitorStopped.self) { try outcome.get() }
  }

  /// The status file as an output: written after a tick, and at stop with the last state even when that came
  /// after the last tick (an operator's mark), though it keeps no tick's snapshot between ticks.
  @Test func theStatusFileWrittenAtStopShowsAnActionAfterTheLastTick() async throws {
    let directory = try makeScratchDirectory("bw-hubports")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var config = Self.config()
    config.statusFilePath = directory + "/status.json"
    let input = ScriptedInput()
    let monitor = Monitor(
      config: config, clock: ManualClock(unixSeconds: 1_770_000_000),
      logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), inputs: [input])
    _ = try await monitor.startPorts()
    input.hear(site: 1, count: 42)
    try await monitor.tickNow()
    #expect(eventually { FileManager.default.fileExists(atPath: config.statusFilePath!) }, "the tick's write")
    try await monitor.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "mất điện")), by: OperatorIdentity(name: "lan"))
    await monitor.stop()

    let data = try Data(contentsOf: URL(fileURLWithPath: config.statusFilePath!))
    let file = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let sites = try #require(file["sites"] as? [[String: Any]])
    let marked = try #require(sites.first { $0["id"] as? String == "HB-TU" })
    let heard = try #require(sites.first { $0["id"] as? String == "BK-TU" })
    #expect(marked["status"] as? String == "marked", "\(marked)")
    #expect(heard["status"] as? String == "online" && heard["headcount"] as? Int == 42, "\(heard)")
  }

  /// Each update says which sites changed since the one before it, a tick's or an action's alike: the lists chain
  /// from one update's revision to the next and name the sites heard or acted on, so that a console's delta and
  /// the journal's samples look at those alone.
  @Test func everyUpdateListsTheSitesChangedSinceTheOneBefore() async throws {
    let input = ScriptedInput()
    let output = RecordingOutput()
    let monitor = Monitor(
      config: Self.config(), clock: ManualClock(unixSeconds: 1_770_000_000),
      logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), inputs: [input], outputs: [output])
    _ = try await monitor.startPorts()
    try await stopping(monitor.stop) { () async throws in
      input.hear(site: 1, count: 42)
      try await monitor.tickNow()
      try await monitor.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "mất điện")), by: OperatorIdentity(name: "lan"))
      try await monitor.tickNow()
    }
    let updates = output.updates.withLock { $0 }
    #expect(updates.count >= 4)
    for (earlier, later) in zip(updates, updates.dropFirst()) {
      let changes = try #require(later.snapshot.changes)
      #expect(changes.baseRevision == earlier.snapshot.recordsRevision)
      #expect(changes.sites.isEmpty == (later.snapshot.recordsRevision == earlier.snapshot.recordsRevision))
    }
    #expect(updates.contains { $0.snapshot.changes?.sites == [1] && $0.snapshot.records[1].headcount == 42 })
    #expect(updates.contains { !$0.isTick && $0.snapshot.changes?.sites == [0] && $0.snapshot.records[0].status == .marked })
  }

  /// A count that changed within 10 seconds of the site's last sample waits for its window: the tick at the end of
  /// the window journals it though nothing was heard since (the sampling looks at the sites written since the last
  /// pass and at those still waiting, not at every site).
  @Test func aCountWaitingForItsWindowIsJournaledWhenTheWindowEndsWithoutAnotherHeartbeat() async throws {
    let directory = try makeScratchDirectory("bw-hubports")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var config = Self.config()
    config.journalPath = directory + "/bridgewatch.journal"
    let clock = ManualClock(unixSeconds: 1_770_000_000)
    let input = ScriptedInput()
    let file = try JournalFile.open(path: config.journalPath, skipBadLines: false).file
    let monitor = Monitor(
      config: config, clock: clock, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), journal: file,
      inputs: [input])
    _ = try await monitor.startPorts()
    try await stopping(monitor.stop) { () async throws in
      input.hear(site: 1, count: 10)
      try await monitor.tickNow()
      clock.advance(by: .seconds(2))
      input.hear(site: 1, count: 20)
      try await monitor.tickNow()
      try await monitor.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "mất điện")), by: OperatorIdentity(name: "lan"))
      clock.advance(by: .seconds(9))
      try await monitor.tickNow()
      clock.advance(by: .seconds(30))
    }
    let journal = JournalContent.parse(Array(try Data(contentsOf: URL(fileURLWithPath: config.journalPath))))
    let samples = journal.records.compactMap { record -> (count: Int, at: Double)? in
      guard case .headcount(let count, _, _, _) = record.kind, record.site == "BK-TU" else { return nil }
      return (count, record.unixSeconds)
    }
    #expect(samples.map { $0.count } == [10, 20], "\(samples)")
    #expect(samples.map { $0.at } == [1_770_000_000, 1_770_000_011], "the waiting count at its window's end, not at stop")
  }
}
