/// Watches the monitor's wall clock against its monotonic clock, once a tick.
///
/// Ages and timeouts run on the monotonic clock, so a step of the wall clock (NTP correcting a clock that was
/// wrong at boot, someone setting the time) does not make sites go offline by itself. But the journal's times
/// are wall times, so a step makes the report's durations fiction unless it is journaled; and signed heartbeats
/// are checked against the wall clock, so a monitor whose clock is off refuses every signed site as stale, which
/// looks like a national outage. Both must be said, on screen and in the log.
public struct ClockWatch: Sendable {
  /// A difference between the two clocks' progress larger than this is a step. NTP slews at most 0.5 ms a second;
  /// both clocks are read at the same moment, so a late tick does not count.
  public static let stepThresholdSeconds = 2.0
  /// How long a step stays on screen.
  public static let stepShownNanos: Int64 = 600_000_000_000
  /// Signed heartbeats are judged over this window...
  public static let staleWindowNanos: Int64 = 30_000_000_000
  /// ...and the clock is suspected when at least this many were refused as stale, more than were accepted.
  public static let staleMinimum = 5

  private var last: ClockReading?
  private var lastStep: ClockNote.Step?
  /// (monotonic nanos, stale refusals so far, signed accepts so far) at each observation within the window.
  private var samples: [(nanos: Int64, stale: UInt64, signed: UInt64)] = []

  public init() {}

  /// Takes a reading and the counters as they stand; returns the step (seconds, positive: forward) if the wall
  /// clock stepped since the last reading.
  public mutating func observe(_ now: ClockReading, staleRefused: UInt64, signedAccepted: UInt64) -> Double? {
    defer { last = now }
    samples.append((now.monotonicNanos, staleRefused, signedAccepted))
    if let first = samples.first, now.monotonicNanos - first.nanos > Self.staleWindowNanos {
      samples.removeAll { now.monotonicNanos - $0.nanos > Self.staleWindowNanos }
    }
    guard let last else { return nil }
    let wallProgress = now.unixSeconds - last.unixSeconds
    let monotonicProgress = Double(now.monotonicNanos - last.monotonicNanos) / 1e9
    let step = wallProgress - monotonicProgress
    guard abs(step) > Self.stepThresholdSeconds else { return nil }
    lastStep = ClockNote.Step(seconds: step, unixSeconds: now.unixSeconds, monotonicNanos: now.monotonicNanos)
    return step
  }

  /// What the faces show about the clock now, if anything.
  public func note(now: ClockReading) -> ClockNote? {
    var note = ClockNote()
    if let lastStep, now.monotonicNanos - lastStep.monotonicNanos < Self.stepShownNanos { note.step = lastStep }
    if let first = samples.first, let latest = samples.last {
      let stale = Int(latest.stale - first.stale)
      let accepted = Int(latest.signed - first.signed)
      if stale >= Self.staleMinimum && stale > accepted {
        note.staleSigned = stale
        note.acceptedSigned = accepted
      }
    }
    return note.step == nil && note.staleSigned == 0 ? nil : note
  }
}

/// What the monitor says about its clock: a recent step, and whether most signed heartbeats are refused as stale.
public struct ClockNote: Sendable, Equatable, Codable {
  public struct Step: Sendable, Equatable, Codable {
    /// Positive: the wall clock jumped forward.
    public var seconds: Double
    /// When, on the clock after the step.
    public var unixSeconds: Double
    var monotonicNanos: Int64

    enum CodingKeys: String, CodingKey { case seconds, unixSeconds, monotonicNanos }

    init(seconds: Double, unixSeconds: Double, monotonicNanos: Int64) {
      self.seconds = seconds
      self.unixSeconds = unixSeconds
      self.monotonicNanos = monotonicNanos
    }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      seconds = try container.decode(Double.self, forKey: .seconds)
      guard abs(seconds) <= UnixTime.maximumStep else {
        throw DecodingError.dataCorruptedError(forKey: .seconds, in: container, debugDescription: "clock step \(seconds) out of range")
      }
      unixSeconds = try container.decodeTime(forKey: .unixSeconds)
      monotonicNanos = try container.decode(Int64.self, forKey: .monotonicNanos)
    }
  }

  public var step: Step?
  /// Signed heartbeats of the last 30 s refused as stale, and accepted; non-zero only when most were stale.
  public var staleSigned = 0
  public var acceptedSigned = 0

  public init(step: Step? = nil, staleSigned: Int = 0, acceptedSigned: Int = 0) {
    self.step = step
    self.staleSigned = staleSigned
    self.acceptedSigned = acceptedSigned
  }

  public var clockLooksOff: Bool { staleSigned > 0 }

  /// One line for the log and the status file.
  public var text: String {
    var parts: [String] = []
    if let step {
      parts.append("the monitor's wall clock stepped \(Self.signedDuration(step.seconds)); the report re-bases the times before it")
    }
    if clockLooksOff {
      parts.append(
        "monitor clock off? \(staleSigned) of \(staleSigned + acceptedSigned) signed heartbeats in the last 30 s were refused "
          + "as stale (more than 120 s from this machine's clock); check it with timedatectl")
    }
    return parts.joined(separator: "; ")
  }

  /// "+1 h 0 min 5 s", "-3 s".
  public static func signedDuration(_ seconds: Double) -> String {
    let whole = Int(abs(seconds).rounded())
    let sign = seconds < 0 ? "-" : "+"
    if whole < 60 { return "\(sign)\(whole) s" }
    if whole < 3600 { return "\(sign)\(whole / 60) min \(whole % 60) s" }
    return "\(sign)\(whole / 3600) h \(whole % 3600 / 60) min \(whole % 60) s"
  }
}
