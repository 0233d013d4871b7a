import BridgeCore
import BridgePlatform
import Foundation

/// The agent's two ways of working: UDP heartbeats to the monitor, or a heartbeat file kept fresh. Each runs until a
/// stop signal (`StopSignals.install()` first).
public struct AgentLoop {
  public private(set) var session: AgentSession
  let interval: Duration
  let output: AgentOutput
  let strings: Strings
  let clock = SystemClock()

  public init(session: AgentSession, interval: Duration, output: AgentOutput, strings: Strings) {
    self.session = session
    self.interval = interval
    self.output = output
    self.strings = strings
  }

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

  public mutating func runSending(to targets: [(host: String, port: Int)], headcount: inout HeadcountSource) {
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
    while !StopSignals.isRequested {
      var now = clock.now()
      if now.monotonicNanos >= nextSend {
        nextSend = max(nextSend + interval.nanoseconds, now.monotonicNanos + interval.nanoseconds / 2)
        if let change = headcount.refresh() { output.event(change) }
        let lines = session.nextHeartbeats(count: headcount.current, countProblem: headcount.problem, now: now)
        for index in monitors.indices {
          send(lines[index], to: &monitors[index], state: session.lines[index].state(now: now, interval: interval), now: now)
        }
      }
      let wait = max(0, min(nextSend - now.monotonicNanos, 1_000_000_000)) / 1_000_000
      if monitors.contains(where: { $0.client != nil }) {
        let readable = UDPClient.waitReadable(
          monitors.map(\.client), timeoutMilliseconds: Int32(wait), orStop: StopSignals.stopDescriptor)
        for index in monitors.indices where readable[index] {
          guard let client = monitors[index].client else { continue }
          while let datagram = client.receiveNow(from: monitors[index].address) {
            _ = session.receive(datagram, from: index, now: clock.now())
          }
        }
      } else {
        StopSignals.sleep(milliseconds: wait)
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

  public mutating func runWritingFile(_ path: String, headcount: inout HeadcountSource) {
    output.event(
      strings(.agentKeepingFile, path, session.site, DurationText.format(interval), session.isSigned ? strings(.agentSigned) : ""))
    var problem: String?
    var lastWrite: ClockReading?
    var nextWrite = clock.now().monotonicNanos
    while !StopSignals.isRequested {
      let now = clock.now()
      if now.monotonicNanos >= nextWrite {
        nextWrite = max(nextWrite + interval.nanoseconds, now.monotonicNanos + interval.nanoseconds / 2)
        if let change = headcount.refresh() { output.event(change) }
        let line = session.nextHeartbeat(count: headcount.current, countProblem: headcount.problem, now: now)
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
      StopSignals.sleep(milliseconds: max(0, min(nextWrite - clock.now().monotonicNanos, 1_000_000_000)) / 1_000_000)
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
