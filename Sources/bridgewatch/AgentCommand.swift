import ArgumentParser
import BridgeCore
import BridgeField
import BridgeIngest
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

  @Option(help: "The monitor's HOST:PORT (not needed with --heartbeat-file).")
  var monitor: String?

  @Option(name: .customLong("key-file"), help: "A file holding this site's secret (one line); heartbeats are signed with it.")
  var keyFile: String?

  @Option(help: "Time between heartbeats (e.g. 5s).")
  var interval = "5s"

  @Option(help: "A fixed headcount to report.")
  var count: Int?

  @Option(name: .customLong("count-file"), help: "A file holding the headcount (one number); re-read whenever it changes.")
  var countFile: String?

  @Option(name: .customLong("heartbeat-file"), help: "Keep this heartbeat file fresh instead of sending UDP.")
  var heartbeatFile: String?

  func validate() throws {
    guard SiteID.isValid(site) else { throw ValidationError("--site must be a site id ([A-Za-z0-9._-], 1 to 64 characters)") }
    if monitor == nil && heartbeatFile == nil { throw ValidationError("give --monitor HOST:PORT (or --heartbeat-file PATH)") }
    if monitor != nil && heartbeatFile != nil { throw ValidationError("give either --monitor or --heartbeat-file, not both") }
    if let monitor, HostPort.parse(monitor) == nil { throw ValidationError("--monitor must be HOST:PORT, got '\(monitor)'") }
    if count != nil && countFile != nil { throw ValidationError("give either --count or --count-file, not both") }
    if let count, count < 0 || count > HeartbeatCodec.maximumCount {
      throw ValidationError("--count must be from 0 to \(HeartbeatCodec.maximumCount)")
    }
    guard let period = DurationText.parse(interval), period >= .milliseconds(100) else {
      throw ValidationError("--interval must be a duration of at least 100ms (e.g. 5s), got '\(interval)'")
    }
    _ = period
  }

  func run() throws {
    let period = DurationText.parse(interval)!
    let secret = try KeyFile.secretOrExit(keyFile, command: "agent")
    StopFlag.install()
    let output = AgentOutput(site: site)
    var headcount = HeadcountSource(fixed: count, path: countFile)
    var loop = AgentLoop(session: AgentSession(site: site, secret: secret), interval: period, output: output)
    if let heartbeatFile {
      loop.runWritingFile(heartbeatFile, headcount: &headcount)
    } else {
      let target = HostPort.parse(monitor!)!
      loop.runSending(to: target, headcount: &headcount)
    }
    output.finish("stopped after \(loop.session.sentCount) heartbeats, \(loop.session.ackedCount) acknowledged")
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
  private(set) var current: Int?
  private var signature: [Int] = []
  private var lastProblem: String?

  init(fixed: Int?, path: String?) {
    self.fixed = fixed
    self.path = path
    current = fixed
  }

  /// Re-reads the count file if it changed; returns what to say about it (a new count or a problem), once.
  mutating func refresh() -> String? {
    guard let path else { return nil }
    var info = stat()
    guard stat(path, &info) == 0 else {
      return report("count file \(path): \(String(cString: strerror(errno)))\(keeping)")
    }
    let newSignature = [Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
    guard newSignature != signature else { return nil }
    signature = newSignature
    guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= 64,
      let data = FileManager.default.contents(atPath: path)
    else {
      return report("count file \(path): not a small text file\(keeping)")
    }
    switch CountText.parse(Array(data)) {
    case .success(let number):
      lastProblem = nil
      defer { current = number }
      if number == current { return nil }
      return "headcount \(current.map { NumberText.grouped($0) } ?? "none") → \(NumberText.grouped(number)) (from \(path))"
    case .failure(let problem):
      return report("\(path):1: \(problem)\(keeping)")
    }
  }

  private var keeping: String {
    current.map { "; still reporting \(NumberText.grouped($0))" } ?? "; sending without a headcount"
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
  let clock = SystemClock()

  mutating func runSending(to target: (host: String, port: Int), headcount: inout HeadcountSource) {
    let destination = HostPortText.format(host: target.host, port: target.port)
    output.event(
      "sending heartbeats for \(session.site) to \(destination) every \(DurationText.format(interval))"
        + (session.isSigned ? ", signed" : ", unsigned"))
    var address: UDPAddress?
    var client: UDPClient?
    var resolvedAt: Int64 = 0
    var problem: String?
    var nextSend = clock.now().monotonicNanos
    var lastState = AgentSession.LineState.waitingForFirstAck
    var lastAckAt: ClockReading?
    // Without a terminal (systemd) the status line is not shown: a monitor that never answers must still be said,
    // after three intervals and then every five minutes.
    let startedAt = clock.now().monotonicNanos
    var nextNoAnswerNote = startedAt + 3 * interval.nanoseconds
    while !StopFlag.isSet {
      var now = clock.now()
      if now.monotonicNanos >= nextSend {
        nextSend = max(nextSend + interval.nanoseconds, now.monotonicNanos + interval.nanoseconds / 2)
        if let change = headcount.refresh() { output.event(change) }
        // A monitor that moved to another address is found again by resolving anew while no ack comes back.
        if address != nil, session.lineState(now: now, interval: interval) != .connected,
          now.monotonicNanos - resolvedAt > 60_000_000_000
        {
          address = nil
        }
        if address == nil {
          switch UDPAddress.resolve(host: target.host, port: target.port) {
          case .success(let resolved):
            resolvedAt = now.monotonicNanos
            if client?.family != resolved.family { client = try? UDPClient(family: resolved.family) }
            address = resolved
          case .failure(let error):
            problem = note("\(error); retrying every \(DurationText.format(interval))", previous: problem)
          }
        }
        if let address, let client {
          let line = session.nextHeartbeat(count: headcount.current, now: now)
          if let failure = client.send(Array(line.utf8), to: address) {
            problem = note(
              "cannot send to \(destination): \(String(cString: strerror(failure))); retrying every \(DurationText.format(interval))",
              previous: problem)
          } else {
            problem = nil
          }
        }
      }
      let wait = max(0, min(nextSend - now.monotonicNanos, 1_000_000_000)) / 1_000_000
      if let client {
        if client.waitReadable(timeoutMilliseconds: Int32(wait)) {
          while let datagram = client.receiveNow() { _ = session.receive(datagram, now: clock.now()) }
        }
      } else {
        StopFlag.sleep(milliseconds: wait)
      }
      now = clock.now()
      let state = session.lineState(now: now, interval: interval)
      switch (lastState, state) {
      case (.waitingForFirstAck, .connected):
        output.event("connected: the monitor acknowledged seq \(session.sequence) (rtt \(session.lastRTTMilliseconds ?? 0) ms)")
      case (.connected, .noAck):
        output.event("no ack for \(Int(intervalSeconds * 3))s; still sending every \(DurationText.format(interval))")
      case (.noAck, .connected):
        let gap = lastAckAt.map { Int(Double(session.lastAck!.monotonicNanos - $0.monotonicNanos) / 1e9) } ?? 0
        output.event("acks are back after \(gap)s (rtt \(session.lastRTTMilliseconds ?? 0) ms)")
      default: break
      }
      if state == .waitingForFirstAck && now.monotonicNanos >= nextNoAnswerNote {
        let waited = Int((now.monotonicNanos - startedAt) / 1_000_000_000)
        output.event(
          "no answer from \(destination) yet after \(waited)s (\(session.sentCount) heartbeats sent); check the monitor's "
            + "address and port, a firewall, and that the site's id and key match the monitor's config")
        nextNoAnswerNote = now.monotonicNanos + 300_000_000_000
      }
      if state == .connected { lastAckAt = session.lastAck }
      lastState = state
      output.status(statusText(state: state, destination: destination, problem: problem, now: now, count: headcount.current))
    }
  }

  mutating func runWritingFile(_ path: String, headcount: inout HeadcountSource) {
    output.event("keeping \(path) fresh for \(session.site) every \(DurationText.format(interval))" + (session.isSigned ? ", signed" : ""))
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
          if problem != nil { output.event("writing \(path) again") }
          problem = nil
          lastWrite = now
        } catch {
          problem = note("cannot write \(error); retrying every \(DurationText.format(interval))", previous: problem)
        }
      }
      var parts = ["\(session.site) → \(path)"]
      if let problem {
        parts.append(problem)
      } else if let lastWrite {
        parts.append("written \(Int(Double(now.monotonicNanos - lastWrite.monotonicNanos) / 1e9))s ago")
      }
      parts.append("headcount \(headcount.current.map { NumberText.grouped($0) } ?? "–")")
      parts.append("seq \(session.sequence)")
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

  private func statusText(state: AgentSession.LineState, destination: String, problem: String?, now: ClockReading, count: Int?)
    -> String
  {
    var parts = ["\(session.site) → \(destination)"]
    if let problem {
      parts.append(problem)
    } else {
      switch state {
      case .waitingForFirstAck:
        parts.append("waiting for the first ack (\(session.sentCount) sent)")
      case .connected:
        let age = session.lastAck.map { Int(Double(now.monotonicNanos - $0.monotonicNanos) / 1e9) } ?? 0
        parts.append("connected")
        parts.append("last ack \(age)s ago")
        parts.append("rtt \(session.lastRTTMilliseconds ?? 0) ms")
      case .noAck(let seconds):
        parts.append("NO ACK for \(Int(seconds))s, still sending every \(DurationText.format(interval))")
      }
    }
    parts.append("headcount \(count.map { NumberText.grouped($0) } ?? "–")")
    parts.append("seq \(session.sequence)")
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
