import Foundation
import Synchronization
import Testing

@testable import BridgeCore
@testable import BridgeMonitor
@testable import BridgeTUI

/// The dashboard's runtime on a recording terminal, linked to a real monitor in this process: what it draws,
/// when it rings, what it hands on after giving the terminal back.
@Suite struct DashboardRuntimeTests {
  final class Notices: Sendable {
    let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
  }

  struct Rig {
    let fixture: MonitorFixture
    let link: InProcessLink
    let runtime: DashboardRuntime
    let backend: RecordingBackend
    let notices: Notices

    static func start(bell: Bool = true, theme: String = "default", width: Int = 120) async throws -> Rig {
      let fixture = try await MonitorFixture.start()
      let link = InProcessLink(monitor: fixture.monitor, facts: ConsoleFacts(config: fixture.config, listenAddress: "127.0.0.1:7400"))
      let options = DashboardOptions(
        themeName: theme, operatorName: "lan", monochrome: false, bell: bell, themeDirectories: [], banner: nil,
        language: .en)
      let notices = Notices()
      let recording = RecordingBackend(width: width, height: 30)
      let runtime = DashboardRuntime(
        link: link, initial: try await fixture.snapshot(), options: options, operatorIdentity: OperatorIdentity(name: "lan"),
        notice: { notices.append($0) },
        backend: { theme, _ in
          recording.setTheme(theme)
          return recording
        })
      _ = runtime.start()
      let backend = recording
      return Rig(fixture: fixture, link: link, runtime: runtime, backend: backend, notices: notices)
    }

    func stop() async {
      runtime.finish(backend)
      link.detach()
      await fixture.stop()
    }

    /// Every site heard now.
    func hearAll() async throws {
      let sites = fixture.config.sites.count
      try await fixture.monitor.withEngineForTests { engine, now in
        for site in 0..<sites {
          engine.heartbeat(
            HeartbeatInput(source: .udp, sequence: UInt64(now.unixSeconds), count: 40), site: site, heardAt: now, now: now)
        }
      }
      try await fixture.monitor.tickNow()
    }

    /// Moves time on, ticks, and lets the runtime take in what was published.
    func pass(seconds: Int) async throws {
      fixture.clock.advance(by: .seconds(seconds))
      try await fixture.monitor.tickNow()
      settle()
    }

    func settle() {
      for _ in 0..<5 { _ = runtime.step(backend, waitMilliseconds: 20) }
      runtime.redraw(backend)
    }

    var screen: String { backend.screen.joined(separator: "\n") }
  }

  @Test func theBellRingsForASiteLostToSilenceThatNobodyAcknowledged() async throws {
    let rig = try await Rig.start()
    try await rig.hearAll()
    rig.settle()
    #expect(rig.backend.bells == 0)
    #expect(rig.screen.contains("Online 3/3"), "\(rig.screen)")

    // Late is an alert in the log, not a bell.
    try await rig.pass(seconds: 13)
    #expect(rig.backend.bells == 0, "late sites do not ring")
    #expect(rig.screen.contains("Late 3"), "\(rig.screen)")

    // Acknowledged while late: when silence takes them offline, nobody is called.
    for site in ["HB-TU", "HB-DB-HU", "HB-DB-TULY"] {
      #expect(await rig.link.answer(to: OperatorRequest(site: site, action: .acknowledge), operatorName: "lan").isApplied)
    }
    try await rig.pass(seconds: 20)
    #expect(rig.screen.contains("Offline 3"), "\(rig.screen)")
    #expect(rig.backend.bells == 0, "acknowledged sites do not ring")

    // Back online (two heartbeats), the acknowledgement ends; lost to silence again, they ring, once.
    try await rig.hearAll()
    try await rig.pass(seconds: 1)
    try await rig.hearAll()
    rig.settle()
    #expect(rig.screen.contains("Online 3/3"), "\(rig.screen)")
    try await rig.pass(seconds: 31)
    #expect(rig.screen.contains("Offline 3"), "\(rig.screen)")
    #expect(rig.backend.bells == 1)
    await rig.stop()
    #expect(rig.backend.ended, "the terminal is given back")
  }

  @Test func anOperatorsMarkNeverRingsAndNoBellMeansNone() async throws {
    let rig = try await Rig.start()
    try await rig.hearAll()
    rig.settle()
    #expect(await rig.link.answer(to: OperatorRequest(site: "HB-TU", action: .mark(reason: "line down")), operatorName: "lan").isApplied)
    rig.settle()
    #expect(rig.backend.bells == 0, "a mark is the operator's own doing")
    #expect(rig.screen.contains("marked by lan"), "the event log says who: \(rig.screen)")
    await rig.stop()

    let quiet = try await Rig.start(bell: false)
    try await quiet.hearAll()
    try await quiet.pass(seconds: 45)
    #expect(quiet.screen.contains("Offline 3"), "\(quiet.screen)")
    #expect(quiet.backend.bells == 0, "--no-bell")
    await quiet.stop()
  }

  /// While nothing but the time moves, a frame patches the clock and the ages into the last one: it must be what
  /// a whole frame would draw. A heartbeat, an event or a key brings whole frames back.
  @Test func framesWhereOnlyTheTimeMovedMatchWholeFrames() async throws {
    let rig = try await Rig.start()
    try await rig.hearAll()
    rig.settle()
    /// Ticks `seconds` on and lets the runtime draw at its own pace (no forced redraw) until a frame shows the new
    /// time. The monitor also publishes on its own each second of real time, so on a busy machine a snapshot from
    /// before the clock moved can still be drawn first; only the frame of the new time is looked at.
    func pass(seconds: Int) async throws -> ScreenBuffer {
      rig.fixture.clock.advance(by: .seconds(seconds))
      try await rig.fixture.monitor.tickNow()
      let clock = DashboardView.clock(rig.fixture.now.unixSeconds, offset: TimeZone.current.secondsFromGMT())
      for _ in 0..<200 where rig.backend.screen.first?.contains(clock) != true {
        _ = rig.runtime.step(rig.backend, waitMilliseconds: 30)
      }
      let frame = try #require(rig.backend.frames.last)
      #expect(rig.backend.screen.first?.contains(clock) == true, "a frame at \(clock)")
      return frame
    }
    /// The last frame drawn, against a whole frame of the same state.
    func expectSameAsWhole(_ frame: ScreenBuffer) {
      rig.runtime.redraw(rig.backend)
      #expect(frame == rig.backend.frames.last, "\(Self.differences(frame, rig.backend.frames.last))")
    }

    let patched = try await pass(seconds: 7)
    #expect(rig.runtime.lastFrameWasTimeOnly)
    #expect(rig.backend.screen.joined().contains(" 7s "), "\(rig.screen)")
    expectSameAsWhole(patched)

    // One site heard again: a record changed, so a whole frame comes next, that site heard a second ago.
    try await rig.fixture.monitor.withEngineForTests { engine, now in
      engine.heartbeat(HeartbeatInput(source: .udp, sequence: 1_000_000, count: 41), site: 0, heardAt: now, now: now)
    }
    let (framesBefore, patchedBefore) = (rig.backend.frames.count, rig.runtime.timeOnlyFrames)
    let afterHeartbeat = try await pass(seconds: 1)
    #expect(rig.runtime.timeOnlyFrames - patchedBefore < rig.backend.frames.count - framesBefore, "a whole frame came")
    #expect(rig.screen.contains(" 1s ") && rig.screen.contains(" 8s "), "\(rig.screen)")
    expectSameAsWhole(afterHeartbeat)

    // Quiet again: patched, and still the same as a whole frame.
    let patchedAgain = try await pass(seconds: 2)
    #expect(rig.runtime.lastFrameWasTimeOnly)
    expectSameAsWhole(patchedAgain)
    await rig.stop()
  }

  /// The rows where two frames differ, each as the patched one and the whole one, for a failure's message.
  static func differences(_ patched: ScreenBuffer, _ whole: ScreenBuffer?) -> String {
    guard let whole else { return "no whole frame" }
    let rows = zip(patched.lines, whole.lines).enumerated().filter { $0.element.0 != $0.element.1 }
    if rows.isEmpty { return "the same text, other roles" }
    return rows.map { "row \($0.offset):\n  patched \($0.element.0)\n  whole   \($0.element.1)" }.joined(separator: "\n")
  }

  @Test func keysBecomeRequestsTheMonitorApplies() async throws {
    let rig = try await Rig.start()
    try await rig.hearAll()
    rig.settle()
    rig.backend.type(.character("s"), .character("s"))  // sort by name; the selection stays on its site (HB-TU)
    rig.settle()
    rig.backend.type(.character("o"), .character("3"), .enter)  // mark offline, reason 3 "line down", confirm
    rig.settle()
    let marked = try await rig.fixture.snapshot().records.compactMap(\.mark)
    #expect(marked.map(\.reason) == ["line down"], "\(rig.screen)")
    #expect(marked.first?.operatorName == "lan")
    #expect(try await rig.fixture.record("HB-TU").status == .marked, "the selected site")
    #expect(rig.screen.contains("⊘ marked  HB-TU"), "\(rig.screen)")
    #expect(rig.screen.contains("by lan: line down"), "\(rig.screen)")
    rig.backend.type(.character("q"), .character("y"))
    #expect(rig.runtime.step(rig.backend, waitMilliseconds: 10) == false, "q then y quits")
    await rig.stop()
  }

  /// A standby's dashboard: says it is one, refuses action keys at once with where to act, rings once when its
  /// primary falls silent, and takes actions once promoted.
  @Test func aStandbysDashboardSaysWhereToActRingsWhenThePrimaryIsSilentAndActsOncePromoted() async throws {
    // Wide enough for the promote command, whose path has a UUID in it.
    let rig = try await Rig.start(width: 220)
    rig.fixture.monitor.becomeStandby(following: "/run/bridgewatch/primary.sock", silentAfter: .seconds(5))
    try await rig.hearAll()
    try await rig.pass(seconds: 1)
    #expect(rig.screen.contains(" STANDBY "), "\(rig.screen)")
    rig.backend.type(.character("s"), .character("s"), .character("o"))
    rig.settle()
    #expect(rig.screen.contains("standby: act on the primary (/run/bridgewatch/primary.sock)"), "\(rig.screen)")
    #expect(!rig.screen.contains("Reason:"), "no prompt for an action that would be refused")
    #expect(rig.backend.bells == 0)

    try await rig.pass(seconds: 5)
    // The header's first line, whole, is the alarm, with the command that promotes this very standby; the log
    // and the refusal of an action key say the same command.
    let command = "bridgewatch promote \(rig.fixture.config.path)"
    let alarm = rig.backend.screen.first ?? ""
    #expect(alarm.contains("PRIMARY SILENT") && alarm.contains(command), "\(alarm)")
    let frame = try #require(rig.backend.frames.last)
    #expect((0..<frame.width).allSatisfy { frame[$0, 0].role == .headerAlert }, "\(alarm)")
    #expect(rig.screen.contains("promote this standby (\(command) on this machine)"), "\(rig.screen)")
    rig.backend.type(.character("o"))
    rig.settle()
    #expect(rig.screen.contains("promote this monitor first (\(command)), then act"), "\(rig.screen)")
    #expect(!rig.screen.contains("CONFIG"), "\(rig.screen)")
    #expect(rig.backend.bells == 1)
    try await rig.pass(seconds: 1)
    #expect(rig.backend.bells == 1, "rings once")

    try await rig.fixture.monitor.promote(by: OperatorIdentity(name: "minh")).get()
    rig.settle()
    let header = rig.backend.screen.first ?? ""
    #expect(!header.contains("STANDBY") && !header.contains("PRIMARY SILENT"), "\(header)")
    #expect(rig.screen.contains("promoted to primary"), "\(rig.screen)")
    rig.backend.type(.character("o"), .character("3"), .enter)
    rig.settle()
    #expect(try await rig.fixture.snapshot().records.compactMap(\.mark).map(\.reason) == ["line down"], "\(rig.screen)")
    await rig.stop()
  }

  /// A link that answers only when the test says so.
  final class HeldLink: MonitorLink {
    let facts: ConsoleFacts
    let sent = Mutex<[(request: OperatorRequest, answer: @Sendable (ConsoleAnswer.Outcome) -> Void)]>([])
    init(facts: ConsoleFacts) { self.facts = facts }
    func attach(_ deliver: @escaping @Sendable (LinkUpdate) -> Void) {}
    func perform(_ request: OperatorRequest, operatorName: String, answer: @escaping @Sendable (ConsoleAnswer.Outcome) -> Void) {
      sent.withLock { $0.append((request, answer)) }
    }
    func showDetail(site: Int?) {}
    func detach() {}
  }

  /// The UI thread never waits for the monitor: a key's request goes out, the dashboard goes on, and the answer,
  /// coming later from another thread, is said when it arrives.
  @Test func theDashboardNeverWaitsForAnAnswerAndSaysItWhenItComes() async throws {
    let fixture = try await MonitorFixture.start()
    let link = HeldLink(facts: ConsoleFacts(config: fixture.config, listenAddress: "127.0.0.1:7400"))
    let options = DashboardOptions(
      themeName: "default", operatorName: "lan", monochrome: false, bell: false, themeDirectories: [], banner: nil, language: .en)
    let backend = RecordingBackend(width: 120, height: 30)
    let runtime = DashboardRuntime(
      link: link, initial: try await fixture.snapshot(), options: options, operatorIdentity: OperatorIdentity(name: "lan"),
      notice: { _ in },
      backend: { theme, _ in
        backend.setTheme(theme)
        return backend
      })
    _ = runtime.start()
    runtime.redraw(backend)  // lays the rows out: the first site is selected
    backend.type(.character("i"))
    let pressed = ContinuousClock.now
    #expect(runtime.step(backend, waitMilliseconds: 10))
    #expect(ContinuousClock.now - pressed < .seconds(1), "the key's turn did not wait for an answer")
    let sent = link.sent.withLock { $0 }
    let request = try #require(sent.first?.request)
    #expect(sent.count == 1 && request.action == .claim)
    // The answer says what the claim did, as its event reads in the event log (no update carried it here).
    let site = try #require(fixture.config.sites.firstIndex { $0.id == request.site })
    let claimed = EngineEvent(
      time: ClockReading(monotonicNanos: 1, unixSeconds: 1_763_863_920), siteIndex: site, kind: .claimed(operatorName: "lan"))
    let confirmation = "\(request.site) \(fixture.config.sites[site].name): lan is on it"
    runtime.redraw(backend)
    #expect(!backend.screen.joined().contains(confirmation))

    let answer = try #require(sent.first?.answer)
    Thread { answer(.applied(events: [claimed])) }.start()  // as a console link's reader thread answers
    for _ in 0..<100 where !backend.screen.joined().contains(confirmation) {
      _ = runtime.step(backend, waitMilliseconds: 50)
      runtime.redraw(backend)
    }
    #expect(backend.screen.joined().contains(confirmation), "\(backend.screen.joined(separator: "\n"))")
    runtime.finish(backend)
    await fixture.stop()
  }

  @Test func warningsWaitUntilTheTerminalIsGivenBack() async throws {
    let rig = try await Rig.start(theme: "no-such-theme")
    rig.settle()
    #expect(rig.notices.lines.withLock { $0 }.isEmpty, "nothing is written under the dashboard")
    await rig.stop()
    let notices = rig.notices.lines.withLock { $0 }
    #expect(notices.contains { $0.hasPrefix("warning:") && $0.contains("no-such-theme") }, "\(notices)")
    #expect(rig.backend.theme?.name == "default", "an unknown theme falls back, and says so")
    #expect(
      rig.backend.frames.contains { $0.lines.contains { $0.contains("unknown theme 'no-such-theme': the themes are default, light") } })
  }
}
