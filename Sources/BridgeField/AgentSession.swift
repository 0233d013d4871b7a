import BridgeCore

/// What a site agent knows about its lines: the heartbeats it sent, the acks that came back from each monitor, the
/// round trips. One sequence for all monitors (the same heartbeat goes to each); acks are tracked per monitor, and
/// an ack from any of them means the site is heard. Pure (the clock is passed in); `bridgewatch agent` and
/// `bridgewatch send` drive it over real sockets.
public struct AgentSession: Sendable {
  /// One monitor's side of the line: what it has not acknowledged yet, and its last ack.
  public struct Line: Sendable {
    /// Send times of the latest heartbeats not yet acknowledged; bounded, since a dead line acks nothing.
    fileprivate var inFlight: [(sequence: UInt64, sentNanos: Int64)] = []
    public fileprivate(set) var lastRTTMilliseconds: Int?
    public fileprivate(set) var lastAck: ClockReading?
    public fileprivate(set) var ackedCount: UInt64 = 0

    public func state(now: ClockReading, interval: Duration) -> LineState {
      guard let lastAck else { return .waitingForFirstAck }
      let age = Double(now.monotonicNanos - lastAck.monotonicNanos) / 1e9
      return age > 3 * Double(interval.nanoseconds) / 1e9 ? .noAck(sinceSeconds: age) : .connected
    }
  }

  public let site: String
  private let secret: [UInt8]?
  public private(set) var sequence: UInt64
  static let inFlightLimit = 32
  /// One per monitor, in the order given.
  public private(set) var lines: [Line]
  public private(set) var sentCount: UInt64 = 0
  /// Heartbeats acknowledged by at least one monitor.
  public private(set) var ackedCount: UInt64 = 0
  /// The highest sequence any monitor acknowledged (so a heartbeat acked by two monitors counts once).
  private var highestAcked: UInt64 = 0

  /// `firstSequence` is the number the first heartbeat carries; `monitors` how many monitors it is sent to.
  public init(site: String, secret: [UInt8]?, firstSequence: UInt64 = 1, monitors: Int = 1) {
    self.site = site
    self.secret = secret
    sequence = firstSequence - 1
    lines = Array(repeating: Line(), count: max(1, monitors))
  }

  public var isSigned: Bool { secret != nil }

  /// The round trip of the latest ack from any monitor.
  public var lastRTTMilliseconds: Int? { latestLine?.lastRTTMilliseconds }
  /// The latest ack from any monitor.
  public var lastAck: ClockReading? { latestLine?.lastAck }

  private var latestLine: Line? {
    lines.filter { $0.lastAck != nil }.max { $0.lastAck!.monotonicNanos < $1.lastAck!.monotonicNanos }
  }

  /// The next heartbeat, one line per monitor: the same sequence number, each with the round trip of that
  /// monitor's last ack, signed when there is a key.
  public mutating func nextHeartbeats(
    count: Int?, state: ReportedState? = nil, countProblem: CountFileProblem? = nil, now: ClockReading
  ) -> [String] {
    sequence += 1
    sentCount += 1
    return lines.indices.map { monitor in
      lines[monitor].inFlight.append((sequence, now.monotonicNanos))
      if lines[monitor].inFlight.count > Self.inFlightLimit {
        lines[monitor].inFlight.removeFirst(lines[monitor].inFlight.count - Self.inFlightLimit)
      }
      let line = HeartbeatCodec.encode(
        site: site, sequence: sequence, count: count, timestamp: secret == nil ? nil : UInt64(now.unixSeconds), state: state,
        rttMilliseconds: lines[monitor].lastRTTMilliseconds, countProblem: countProblem)
      return secret.map { HeartbeatAuthenticator.sign(line, secret: $0) } ?? line
    }
  }

  /// The next heartbeat for the first monitor (a session with one).
  public mutating func nextHeartbeat(
    count: Int?, state: ReportedState? = nil, countProblem: CountFileProblem? = nil, now: ClockReading
  ) -> String {
    nextHeartbeats(count: count, state: state, countProblem: countProblem, now: now)[0]
  }

  /// Takes a datagram from monitor number `monitor`. Returns the round trip in milliseconds when it acknowledges
  /// one of our heartbeats still in flight to that monitor; anything else (another site's ack, a duplicate, noise,
  /// an ack arriving on the wrong monitor's socket) is ignored.
  public mutating func receive(_ datagram: [UInt8], from monitor: Int = 0, now: ClockReading) -> Int? {
    guard lines.indices.contains(monitor), let acked = Self.parseAck(datagram, site: site),
      let position = lines[monitor].inFlight.firstIndex(where: { $0.sequence == acked })
    else { return nil }
    let sentNanos = lines[monitor].inFlight[position].sentNanos
    lines[monitor].inFlight.removeFirst(position + 1)  // older ones will not be acked any more
    let rtt = Int((now.monotonicNanos - sentNanos + 999_999) / 1_000_000)
    lines[monitor].lastRTTMilliseconds = rtt
    lines[monitor].lastAck = now
    lines[monitor].ackedCount += 1
    if acked > highestAcked {
      highestAcked = acked
      ackedCount += 1
    }
    return rtt
  }

  /// The sequence number of `BW1 ack site=<site> seq=<n>`, or nil if the datagram is anything else.
  public static func parseAck(_ datagram: [UInt8], site: String) -> UInt64? {
    var text = String(decoding: datagram, as: UTF8.self)
    if text.hasSuffix("\n") { text.removeLast() }
    let prefix = "BW1 ack site=\(site) seq="
    guard text.hasPrefix(prefix) else { return nil }
    let digits = text.dropFirst(prefix.count)
    guard !digits.isEmpty, digits.count <= 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    return UInt64(digits)
  }

  public enum LineState: Sendable, Equatable {
    case waitingForFirstAck
    case connected
    /// Acks stopped: nothing came back for longer than three intervals.
    case noAck(sinceSeconds: Double)
  }

  /// The site's state as a whole: connected when any monitor acknowledges.
  public func lineState(now: ClockReading, interval: Duration) -> LineState {
    let states = lines.map { $0.state(now: now, interval: interval) }
    if states.contains(.connected) { return .connected }
    return latestLine?.state(now: now, interval: interval) ?? .waitingForFirstAck
  }
}
