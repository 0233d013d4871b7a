import BridgeCore

/// What a site agent knows about its line: the heartbeats it sent, the acks that came back, the round trip.
/// Pure (the clock is passed in); `bridgewatch agent` and `bridgewatch send` drive it over a real socket.
public struct AgentSession: Sendable {
  public let site: String
  private let secret: [UInt8]?
  public private(set) var sequence: UInt64
  /// Send times of the latest heartbeats not yet acknowledged; bounded, since a dead line acks nothing.
  private var inFlight: [(sequence: UInt64, sentNanos: Int64)] = []
  static let inFlightLimit = 32
  public private(set) var lastRTTMilliseconds: Int?
  public private(set) var lastAck: ClockReading?
  public private(set) var sentCount: UInt64 = 0
  public private(set) var ackedCount: UInt64 = 0

  /// `firstSequence` is the number the first heartbeat carries.
  public init(site: String, secret: [UInt8]?, firstSequence: UInt64 = 1) {
    self.site = site
    self.secret = secret
    sequence = firstSequence - 1
  }

  public var isSigned: Bool { secret != nil }

  /// The next heartbeat line: a new sequence number, the round trip of the last ack, signed when there is a key.
  public mutating func nextHeartbeat(count: Int?, state: ReportedState? = nil, now: ClockReading) -> String {
    sequence += 1
    sentCount += 1
    inFlight.append((sequence, now.monotonicNanos))
    if inFlight.count > Self.inFlightLimit { inFlight.removeFirst(inFlight.count - Self.inFlightLimit) }
    let line = HeartbeatCodec.encode(
      site: site, sequence: sequence, count: count, timestamp: secret == nil ? nil : UInt64(now.unixSeconds), state: state,
      rttMilliseconds: lastRTTMilliseconds)
    return secret.map { HeartbeatAuthenticator.sign(line, secret: $0) } ?? line
  }

  /// Takes a datagram from the monitor. Returns the round trip in milliseconds when it acknowledges one of our
  /// heartbeats still in flight; anything else (another site's ack, a duplicate, noise) is ignored.
  public mutating func receive(_ datagram: [UInt8], now: ClockReading) -> Int? {
    guard let acked = Self.parseAck(datagram, site: site),
      let position = inFlight.firstIndex(where: { $0.sequence == acked })
    else { return nil }
    let sentNanos = inFlight[position].sentNanos
    inFlight.removeFirst(position + 1)  // older ones will not be acked any more
    let rtt = Int((now.monotonicNanos - sentNanos + 999_999) / 1_000_000)
    lastRTTMilliseconds = rtt
    lastAck = now
    ackedCount += 1
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

  public func lineState(now: ClockReading, interval: Duration) -> LineState {
    guard let lastAck else { return .waitingForFirstAck }
    let age = Double(now.monotonicNanos - lastAck.monotonicNanos) / 1e9
    return age > 3 * Double(interval.nanoseconds) / 1e9 ? .noAck(sinceSeconds: age) : .connected
  }
}
