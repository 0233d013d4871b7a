/// Counters shown on the dashboard and in the status file. Unknown senders only move counters.
public struct IngestCounters: Sendable, Hashable, Codable {
  public var datagramsReceived: UInt64 = 0
  public var datagramsAccepted: UInt64 = 0
  /// Accepted datagrams that were signed: set against `stale` refusals to tell when the monitor's clock is off.
  public var signedAccepted: UInt64 = 0
  /// Indexed like `RejectionReason.allCases`.
  public private(set) var rejections = [UInt64](repeating: 0, count: RejectionReason.allCases.count)
  public var acksSent: UInt64 = 0
  public var filesRead: UInt64 = 0
  public var fileErrors: UInt64 = 0
  public var badFiles: UInt64 = 0
  /// Heartbeats taken from heartbeat files (a changed modification time), good content or not.
  public var fileHeartbeats: UInt64 = 0
  /// Probes sent, answered alive (each a heartbeat), and not answered in time.
  public var probesSent: UInt64 = 0
  public var probeHeartbeats: UInt64 = 0
  public var probeTimeouts: UInt64 = 0
  /// Answers on the probe sockets that were dropped, indexed like `ProbeRejection.allCases`.
  public var probeRejections = [UInt64](repeating: 0, count: ProbeRejection.allCases.count)

  public init() {}

  enum CodingKeys: String, CodingKey {
    case datagramsReceived = "datagrams_received", datagramsAccepted = "datagrams_accepted"
    case signedAccepted = "signed_accepted", rejections, acksSent = "acks_sent", filesRead = "files_read"
    case fileErrors = "file_errors", badFiles = "bad_files", fileHeartbeats = "file_heartbeats"
    case probesSent = "probes_sent", probeHeartbeats = "probe_heartbeats", probeTimeouts = "probe_timeouts"
    case probeRejections = "probe_rejections"
  }

  public subscript(probe reason: ProbeRejection) -> UInt64 {
    get { probeRejections[ProbeRejection.allCases.firstIndex(of: reason)!] }
    set { probeRejections[ProbeRejection.allCases.firstIndex(of: reason)!] = newValue }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    datagramsReceived = try container.decode(UInt64.self, forKey: .datagramsReceived)
    datagramsAccepted = try container.decode(UInt64.self, forKey: .datagramsAccepted)
    signedAccepted = try container.decode(UInt64.self, forKey: .signedAccepted)
    rejections = try container.decode([UInt64].self, forKey: .rejections)
    guard rejections.count == RejectionReason.allCases.count else {
      throw DecodingError.dataCorruptedError(
        forKey: .rejections, in: container, debugDescription: "expected \(RejectionReason.allCases.count) rejection counts")
    }
    acksSent = try container.decode(UInt64.self, forKey: .acksSent)
    filesRead = try container.decode(UInt64.self, forKey: .filesRead)
    fileErrors = try container.decode(UInt64.self, forKey: .fileErrors)
    badFiles = try container.decode(UInt64.self, forKey: .badFiles)
    // Added after version 1 of the console protocol was written down: absent from older monitors.
    fileHeartbeats = try container.decodeIfPresent(UInt64.self, forKey: .fileHeartbeats) ?? 0
    probesSent = try container.decodeIfPresent(UInt64.self, forKey: .probesSent) ?? 0
    probeHeartbeats = try container.decodeIfPresent(UInt64.self, forKey: .probeHeartbeats) ?? 0
    probeTimeouts = try container.decodeIfPresent(UInt64.self, forKey: .probeTimeouts) ?? 0
    let rejections = try container.decodeIfPresent([UInt64].self, forKey: .probeRejections) ?? []
    if rejections.count == ProbeRejection.allCases.count { probeRejections = rejections }
  }

  public subscript(reason: RejectionReason) -> UInt64 {
    get { rejections[Self.position(reason)] }
    set { rejections[Self.position(reason)] = newValue }
  }

  public var datagramsRejected: UInt64 { rejections.reduce(0, +) }

  private static func position(_ reason: RejectionReason) -> Int {
    switch reason {
    case .tooLarge: 0
    case .malformed: 1
    case .unknownSite: 2
    case .unauthenticated: 3
    case .badMAC: 4
    case .stale: 5
    case .replayed: 6
    }
  }
}

/// The outcome of one datagram.
public enum DatagramOutcome: Sendable, Equatable {
  case accepted(site: Int, sequence: UInt64)
  /// `site` is the site the datagram claimed to come from, when that id is known.
  case rejected(RejectionReason, MalformedDetail?, site: Int? = nil)
}

/// What the file poller saw for one site's heartbeat file.
public enum FileObservation: Sendable, Equatable {
  /// No file: the site does not use one, or has not written it yet.
  case missing
  /// The file cannot be used: permission denied, a directory, a symlink loop...
  case unreadable(String)
  /// A new modification time. `content` is nil when the file is larger than the read limit.
  case modified(mtimeUnixSeconds: Double, content: [UInt8]?)
}
