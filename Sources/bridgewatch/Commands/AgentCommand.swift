import ArgumentParser
import BridgeCore
import BridgeField
import BridgeMonitor
import Foundation
import Synchronization

struct AgentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "agent",
    abstract: "Run at a bridge point: keep the monitor told that this site is up, and how many people are in the room.",
    discussion: """
      Sends a heartbeat every interval (signed when --key-file is given), measures the round trip from the monitor's \
      acks and reports it, and re-reads --count-file whenever it changes, so the site's staff only edit one number. \
      A monitor that does not answer is retried at the same pace, forever. With --heartbeat-file it keeps that file \
      fresh instead of sending UDP.
      """)

  @Option(help: "This site's id, exactly as in the monitor's config.")
  var site: String

  @Option(
    help: ArgumentHelp(
      "The monitor's HOST:PORT (not needed with --heartbeat-file). Give it twice for a primary and its standby: each heartbeat goes to both.",
      valueName: "host:port"))
  var monitor: [String] = []

  @Option(name: .customLong("key-file"), help: "A file holding this site's secret (one line); heartbeats are signed with it.")
  var keyFile: String?

  @Option(help: "Time between heartbeats (e.g. 5s).")
  var interval = "5s"

  @Option(parsing: .unconditional, help: "A fixed headcount to report (0 to 1,000,000).")
  var count: Int?

  @Option(name: .customLong("count-file"), help: "A file holding the headcount (one number); re-read whenever it changes.")
  var countFile: String?

  @Option(name: .customLong("heartbeat-file"), help: "Keep this heartbeat file fresh instead of sending UDP.")
  var heartbeatFile: String?

  @OptionGroup var language: LanguageFlag

  func validate() throws {
    guard SiteID.isValid(site) else { throw ValidationError("--site must be a site id ([A-Za-z0-9._-], 1 to 64 characters)") }
    if monitor.isEmpty && heartbeatFile == nil { throw ValidationError("give --monitor HOST:PORT (or --heartbeat-file PATH)") }
    if !monitor.isEmpty && heartbeatFile != nil { throw ValidationError("give either --monitor or --heartbeat-file, not both") }
    for monitor in monitor where HostPort.parse(monitor) == nil {
      throw ValidationError("--monitor must be HOST:PORT, got '\(monitor)'")
    }
    if monitor.count > 8 { throw ValidationError("at most 8 --monitor (a primary and its standby need two)") }
    if count != nil && countFile != nil { throw ValidationError("give either --count or --count-file, not both") }
    if let count { try FieldToolOptions.checkCount(count) }
    guard let period = DurationText.parse(interval), period >= .milliseconds(100) else {
      throw ValidationError("--interval must be a duration of at least 100ms (e.g. 5s), got '\(interval)'")
    }
    _ = period
  }

  func run() throws {
    let period = DurationText.parse(interval)!
    let strings = language.strings
    let secret = try KeyFile.secretOrExit(keyFile, command: "agent", strings: strings)
    StopFlag.install()
    let output = AgentOutput(site: site)
    var headcount = HeadcountSource(fixed: count, path: countFile, strings: strings)
    var loop = AgentLoop(
      session: AgentSession(site: site, secret: secret, monitors: max(1, monitor.count)), interval: period, output: output,
      strings: strings)
    if let heartbeatFile {
      loop.runWritingFile(heartbeatFile, headcount: &headcount)
    } else {
      loop.runSending(to: monitor.map { HostPort.parse($0)! }, headcount: &headcount)
    }
    output.finish(strings(.agentStopped, strings.number(Int(loop.session.sentCount)), strings.number(Int(loop.session.ackedCount))))
  }
}

/// What `agent` and `send` both check in their options.
enum FieldToolOptions {
  /// A headcount given with --count: the range is said, with what was given.
  static func checkCount(_ count: Int) throws {
    guard (0...HeartbeatCodec.maximumCount).contains(count) else {
      throw ValidationError(
        "--count must be a headcount from 0 to \(NumberText.grouped(HeartbeatCodec.maximumCount)), got \(NumberText.grouped(count))")
    }
  }
}

/// Set by SIGINT, SIGTERM or SIGHUP; loops check it between waits (poll returns early with EINTR).
enum StopFlag {
  static let requested = Atomic<Bool>(false)
  static var isSet: Bool { requested.load(ordering: .relaxed) }

  static func install() {
    for number in StopSignals.numbers {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { _ in StopFlag.requested.store(true, ordering: .relaxed) }
      sigemptyset(&action.sa_mask)
      action.sa_flags = 0  // no SA_RESTART: a blocking poll returns at once
      sigaction(number, &action, nil)
    }
  }

  /// Sleeps up to `milliseconds`, returning early when a stop is requested.
  static func sleep(milliseconds: Int64) {
    guard milliseconds > 0, !isSet else { return }
    _ = poll(nil, 0, Int32(min(milliseconds, 1000)))
  }
}

/// The headcount to report: fixed, from a count file (re-read when it changes), or none.
struct HeadcountSource {
  let fixed: Int?
  let path: String?
  let strings: Strings
  private(set) var current: Int?
  private var signature: [Int] = []
  private var lastProblem: String?

  init(fixed: Int?, path: String?, strings: Strings = .english) {
    self.fixed = fixed
    self.path = path
    self.strings = strings
    current = fixed
  }

  /// Re-reads the count file if it changed; returns what to say about it (a new count or a problem), once.
  mutating func refresh() -> String? {
    guard let path else { return nil }
    var info = stat()
    guard stat(path, &info) == 0 else {
      return report(strings(.agentCountFileProblem, path, String(cString: strerror(errno)), keeping))
    }
    let newSignature = [Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
    guard newSignature != signature else { return nil }
    signature = newSignature
    guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= 64,
      let data = FileManager.default.contents(atPath: path)
    else {
      return report(strings(.agentCountFileNotSmall, path, keeping))
    }
    switch CountText.parse(Array(data)) {
    case .success(let number):
      lastProblem = nil
      defer { current = number }
      if number == current { return nil }
      return strings(.agentHeadcountChanged, current.map { strings.number($0) } ?? strings(.agentNoHeadcount), strings.number(number), path)
    case .failure(let problem):
      return report("\(path):1: \(strings.countProblem(problem))\(keeping)")
    }
  }

  private var keeping: String {
    current.map { strings(.agentStillReporting, strings.number($0)) } ?? strings(.agentSendingWithoutCount)
  }

  private mutating func report(_ problem: String) -> String? {
    defer { lastProblem = problem }
    return problem == lastProblem ? nil : problem
  }
}

/// The agent's two ways of working: UDP heartbeats to the monitor, or a heartbeat file kept fresh.
struct AgentLoop {
  var session: AgentSession
  let interval: Duration
  let output: AgentOutput
  let strings: Strings
  let clock = SystemClock()

  /// One monitor as the agent sees it: where it is, its socket, and what was last said about it.
  private struct MonitorLine {
    let target: (host: String, port: Int)
    let destination: String
    var address: UDPAddress?
    var client: UDPClient?
    var resolvedAt: Int64 = 0
    var problem: String?
    var lastState = AgentSession.LineState.waitingForFirstAck
    var lastAckAt: ClockReading?
  }

  mutating func runSending(to targets: [(host: String, port: Int)], headcount: inout HeadcountSource) {
    var monitors = targets.map { MonitorLine(target: $0, destination: HostPortText.format(host: $0.host, port: $0.port)) }
    let several = monitors.count > 1
    output.event(
      strings(
        .agentSending, session.site, monitors.map(\.destination).joined(separator: strings(.agentAnd)), DurationText.format(interval),
        strings(session.isSigned ? .agentSigned : .agentUnsigned)))
    var nextSend = clock.now().monotonicNanos
    var lastOverall = AgentSession.LineState.waitingForFirstAck
    // Without a terminal (systemd) the status line is not shown: a monitor that never answers must still be said,
    // after three intervals and then every five minutes.
    let startedAt = clock.now().monotonicNanos
    var nextNoAnswerNote = startedAt + 3 * interval.nanoseconds
    while !StopFlag.isSet {
      var now = clock.now()
      if now.monotonicNanos >= nextSend {
        nextSend = max(nextSend + interval.nanoseconds, now.monotonicNanos + interval.nanoseconds / 2)
        if let change = headcount.refresh() { output.event(change) }
        let lines = session.nextHeartbeats(count: headcount.current, now: now)
        for index in monitors.indices {
          send(lines[index], to: &monitors[index], state: session.lines[index].state(now: now, interval: interval), now: now)
        }
      }
      let wait = max(0, min(nextSend - now.monotonicNanos, 1_000_000_000)) / 1_000_000
      if monitors.contains(where: { $0.client != nil }) {
        let readable = UDPClient.waitReadable(monitors.map(\.client), timeoutMilliseconds: Int32(wait))
        for index in monitors.indices where readable[index] {
          guard let client = monitors[index].client else { continue }
          while let datagram = client.receiveNow(from: monitors[index].address) {
            _ = session.receive(datagram, from: index, now: clock.now())
          }
        }
      } else {
        StopFlag.sleep(milliseconds: wait)
      }
      now = clock.now()
      for index in monitors.indices {
        let line = session.lines[index]
        let state = line.state(now: now, interval: interval)
        let name = several ? "\(monitors[index].destination): " : ""
        switch (monitors[index].lastState, state) {
        case (.waitingForFirstAck, .connected):
          output.event(strings(.agentConnected, name, session.sequence, line.lastRTTMilliseconds ?? 0))
        case (.connected, .noAck):
          output.event(strings(.agentNoAck, name, Int(intervalSeconds * 3), DurationText.format(interval)))
        case (.noAck, .connected):
          let gap = monitors[index].lastAckAt.map { Int(Double(line.lastAck!.monotonicNanos - $0.monotonicNanos) / 1e9) } ?? 0
          output.event(strings(.agentAcksBack, name, gap, line.lastRTTMilliseconds ?? 0))
        default: break
        }
        if state == .connected { monitors[index].lastAckAt = line.lastAck }
        monitors[index].lastState = state
      }
      let overall = session.lineState(now: now, interval: interval)
      if several {
        switch (lastOverall, overall) {
        case (.connected, .noAck): output.event(strings(.agentNoMonitorAcks))
        case (.noAck, .connected): output.event(strings(.agentHeardAgain))
        default: break
        }
      }
      lastOverall = overall
      if overall == .waitingForFirstAck && now.monotonicNanos >= nextNoAnswerNote {
        let waited = Int((now.monotonicNanos - startedAt) / 1_000_000_000)
        output.event(
          strings(.agentNoAnswerYet, monitors.map(\.destination).joined(separator: strings(.agentOr)), waited, session.sentCount))
        nextNoAnswerNote = now.monotonicNanos + 300_000_000_000
      }
      output.status(statusText(monitors: monitors, now: now, count: headcount.current))
    }
  }

  /// Sends one heartbeat to one monitor, resolving its address first when needed.
  private func send(_ line: String, to monitor: inout MonitorLine, state: AgentSession.LineState, now: ClockReading) {
    // A monitor that moved to another address is found again by resolving anew while no ack comes back.
    if monitor.address != nil, state != .connected, now.monotonicNanos - monitor.resolvedAt > 60_000_000_000 {
      monitor.address = nil
    }
    if monitor.address == nil {
      switch UDPAddress.resolve(host: monitor.target.host, port: monitor.target.port) {
      case .success(let resolved):
        monitor.resolvedAt = now.monotonicNanos
        if monitor.client?.family != resolved.family { monitor.client = try? UDPClient(family: resolved.family) }
        monitor.address = resolved
      case .failure(let error):
        monitor.problem = note(strings(.agentRetrying, "\(error)", DurationText.format(interval)), previous: monitor.problem)
      }
    }
    guard let address = monitor.address, let client = monitor.client else { return }
    if let failure = client.send(Array(line.utf8), to: address) {
      monitor.problem = note(
        strings(.agentCannotSend, monitor.destination, String(cString: strerror(failure)), DurationText.format(interval)),
        previous: monitor.problem)
    } else {
      monitor.problem = nil
    }
  }

  mutating func runWritingFile(_ path: String, headcount: inout HeadcountSource) {
    output.event(
      strings(.agentKeepingFile, path, session.site, DurationText.format(interval), session.isSigned ? strings(.agentSigned) : ""))
    var problem: String?
    var lastWrite: ClockReading?
    var nextWrite = clock.now().monotonicNanos
    while !StopFlag.isSet {
      let now = clock.now()
      if now.monotonicNanos >= nextWrite {
        nextWrite = max(nextWrite + interval.nanoseconds, now.monotonicNanos + interval.nanoseconds / 2)
        if let change = headcount.refresh() { output.event(change) }
        let line = session.nextHeartbeat(count: headcount.current, now: now)
        do {
          try AtomicFile.write(line + "\n", to: path)
          if problem != nil { output.event(strings(.agentWritingAgain, path)) }
          problem = nil
          lastWrite = now
        } catch {
          problem = note(strings(.agentCannotWrite, "\(error)", DurationText.format(interval)), previous: problem)
        }
      }
      var parts = ["\(session.site) → \(path)"]
      if let problem {
        parts.append(problem)
      } else if let lastWrite {
        parts.append(strings(.agentWrittenAgo, Int(Double(now.monotonicNanos - lastWrite.monotonicNanos) / 1e9)))
      }
      parts.append(strings(.agentHeadcount, headcount.current.map { strings.number($0) } ?? "–"))
      parts.append(strings(.agentSequence, session.sequence))
      output.status(parts.joined(separator: " · "))
      StopFlag.sleep(milliseconds: max(0, min(nextWrite - clock.now().monotonicNanos, 1_000_000_000)) / 1_000_000)
    }
  }

  private var intervalSeconds: Double { Double(interval.nanoseconds) / 1e9 }

  /// Says a problem once, not at every retry.
  private func note(_ problem: String, previous: String?) -> String {
    if problem != previous { output.event(problem) }
    return problem
  }

  /// "HB-TU → 10.0.0.1:9999 connected, last ack 2s ago, rtt 3 ms · headcount 148 · seq 12"; with two monitors,
  /// one part per monitor.
  private func statusText(monitors: [MonitorLine], now: ClockReading, count: Int?) -> String {
    var parts: [String] = []
    for (index, monitor) in monitors.enumerated() {
      let line = session.lines[index]
      var text = "\(index == 0 ? "\(session.site) → " : "")\(monitor.destination) "
      if let problem = monitor.problem {
        text += problem
      } else {
        switch line.state(now: now, interval: interval) {
        case .waitingForFirstAck:
          text += strings(.agentWaitingFirstAck, session.sentCount)
        case .connected:
          let age = line.lastAck.map { Int(Double(now.monotonicNanos - $0.monotonicNanos) / 1e9) } ?? 0
          text += strings(.agentLineConnected, age, line.lastRTTMilliseconds ?? 0)
        case .noAck(let seconds):
          text += strings(.agentLineNoAck, Int(seconds), DurationText.format(interval))
        }
      }
      parts.append(text)
    }
    parts.append(strings(.agentHeadcount, count.map { strings.number($0) } ?? "–"))
    parts.append(strings(.agentSequence, session.sequence))
    return parts.joined(separator: " · ")
  }
}

/// On a terminal: events scroll by above one status line that is rewritten in place. Otherwise (systemd, pipes):
/// events only, one per line with the time, so a journal of the agent stays readable.
final class AgentOutput {
  let isTerminal = isatty(STDOUT_FILENO) != 0
  private var statusShown = false
  private var lastStatus = ""
  let site: String

  init(site: String) { self.site = site }

  func event(_ text: String) {
    let formatter = DateFormatter()
    formatter.dateFormat = "HH:mm:ss"
    let line = "\(formatter.string(from: Date())) \(TextSanitizer.printable(text))\n"
    FileHandleOutput.writeAll(fd: 1, (statusShown ? "\r\u{1B}[2K" : "") + line + (statusShown ? lastStatus : ""))
  }

  func status(_ text: String) {
    guard isTerminal else { return }
    let width = terminalWidth()
    var shown = TextSanitizer.printable(text)
    if shown.count > width - 1 { shown = String(shown.prefix(max(10, width - 2))) + "…" }
    guard shown != lastStatus || !statusShown else { return }
    lastStatus = shown
    statusShown = true
    FileHandleOutput.writeAll(fd: 1, "\r\u{1B}[2K" + shown)
  }

  func finish(_ text: String) {
    if statusShown { FileHandleOutput.writeAll(fd: 1, "\r\u{1B}[2K") }
    statusShown = false
    event(text)
  }

  private func terminalWidth() -> Int {
    var size = winsize()
    return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
  }
}
