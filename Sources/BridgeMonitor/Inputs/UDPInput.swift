import BridgeCore
import NIOCore
import Synchronization

/// The UDP heartbeats (`udp.listen`): a `DatagramListener` whose thread applies each batch of up to 64 datagrams
/// under one lock and queues an ack for each one accepted; rejections are never answered, and are logged at most
/// once a second.
public final class UDPInput: MonitorInput {
  public let host: String
  public let port: Int
  private let listener = Mutex<DatagramListener?>(nil)
  /// Rejection logging: taken only on the listener's thread, and only for a batch with rejections.
  private let rejectionLog = Mutex(ThrottledNote())

  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  /// The bound address, once started.
  public var address: SocketAddress? { listener.withLock { $0?.address } }

  /// What the kernel counts for one queued heartbeat: its bytes and its bookkeeping (832 for a 150-byte heartbeat
  /// on Linux 6.x, measured on loopback; docs/PERFORMANCE.md).
  static let queuedHeartbeatBytes = 832

  /// The receive buffer asked for: a second and more of heartbeats at one per site per second (the kernel counts
  /// twice what is asked), so that the receiving thread may stall that long without a heartbeat lost; 8 MiB at
  /// least, 256 MiB at most.
  package static func receiveBufferAsked(sites: Int) -> Int32 {
    Int32(min(max(sites * queuedHeartbeatBytes * 12 / 20, 8 << 20), 256 << 20))
  }

  /// The line said at start when the kernel granted less than asked and what it holds is under a second of
  /// heartbeats at one per site per second; nil otherwise.
  package static func receiveBufferNote(asked: Int32, granted: Int, sites: Int) -> String? {
    let heldMilliseconds = granted / queuedHeartbeatBytes * 1000 / max(sites, 1)
    guard granted < 2 * Int(asked), heldMilliseconds < 1000 else { return nil }
    return "udp receive buffer: the kernel holds \(granted >> 20) MiB of the \((2 * Int(asked)) >> 20) MiB asked "
      + "(net.core.rmem_max caps it), about \(NumberText.grouped(heldMilliseconds)) ms of heartbeats at one per site per "
      + "second for \(NumberText.grouped(sites)) sites: a longer stall of the receiving thread drops heartbeats in the "
      + "kernel (counted as kernel drops). Raise the cap: sysctl -w net.core.rmem_max=\(asked), and keep it in "
      + "/etc/sysctl.d/ (the Debian package's /usr/lib/sysctl.d/60-bridgewatch.conf does)"
  }

  public func start(deliver intake: MonitorIntake) async throws {
    let asked = Self.receiveBufferAsked(sites: intake.config.sites.count)
    let listener = try DatagramListener(host: host, port: port, askedBufferBytes: asked)
    if let note = Self.receiveBufferNote(asked: asked, granted: listener.receiveBufferBytes, sites: intake.config.sites.count) {
      intake.logger.warning("\(note)")
    }
    // "BW1 ack site=<id> seq=" of every site, back to back; site i's runs from `ends[i]` to `ends[i + 1]`.
    var prefixes: [UInt8] = []
    var ends = [0]
    for site in intake.config.sites {
      prefixes += HeartbeatCodec.ackPrefix(site: site.id).utf8
      ends.append(prefixes.count)
    }
    let acks = (prefixes: prefixes, ends: ends)
    listener.start { [self] batch in receive(batch, into: intake, acks: acks) }
    self.listener.withLock { $0 = listener }
  }

  /// Waits for the listener's thread, so no datagram is applied after it returns.
  public func stop() async {
    listener.withLock { listener in
      defer { listener = nil }
      return listener
    }?.stop()
  }

  /// Applies a batch of datagrams under one lock and queues an ack for each one accepted.
  private func receive(_ batch: DatagramBatch, into intake: MonitorIntake, acks: (prefixes: [UInt8], ends: [Int])) {
    let now = intake.clock.now()
    var firstRejection: (index: Int, reason: RejectionReason, detail: MalformedDetail?, site: Int?)?
    var rejections = 0
    intake.withState { state in
      for index in 0..<batch.count {
        switch state.receiveDatagram(batch.datagram(index), now: now) {
        case .accepted(let site, let sequence):
          acks.prefixes.withUnsafeBytes { prefixes in
            let prefix = UnsafeRawBufferPointer(rebasing: prefixes[acks.ends[site]..<acks.ends[site + 1]])
            batch.queueAck(to: index, prefix: prefix, sequence: sequence)
          }
          state.countAck()
        case .rejected(let reason, let detail, let site):
          // Never answer a rejection. One that names a site of the roster shows on that site.
          if let site { state.withEngine { $0.noteRejection(reason, site: site, at: now, from: batch.sender(index)) } }
          if firstRejection == nil { firstRejection = (index, reason, detail, site) }
          rejections += 1
        }
      }
    }
    if let first = firstRejection {
      noteRejections(
        rejections, first.reason, detail: first.detail, site: first.site, from: batch.sender(first.index), now: now, intake: intake,
        unknownID: first.reason == .unknownSite ? { Self.claimedSite(batch.datagram(first.index)) } : nil)
    }
  }

  /// Logs why a datagram was rejected, at most once a second (a flood must not flood the log). `unknownID` reads
  /// the id an unknown site gave, only when a line is written: unknown senders allocate nothing otherwise.
  private func noteRejections(
    _ count: Int, _ reason: RejectionReason, detail: MalformedDetail?, site: Int?, from sender: String, now: ClockReading,
    intake: MonitorIntake, unknownID: (() -> String?)? = nil
  ) {
    guard let more = rejectionLog.withLock({ $0.due(count: count, now: now) }) else { return }
    let what = detail.map { "\(reason.rawValue): \($0.rawValue)" } ?? reason.rawValue
    let sites = intake.config.sites
    let claimed = site.map { " for site \(sites[$0].id)" } ?? unknownID?().map { Self.unknownSiteText($0, sites: sites) } ?? ""
    intake.logger.notice("rejected datagram from \(sender)\(claimed): \(what)\(more)")
  }

  /// " for site 'hb-tu', not in the roster (ids are case-sensitive: did you mean HB-TU?)": a wrong-case id is the
  /// usual mistake at a site, and the log line is written at most once a second, so the roster scan costs nothing.
  private static func unknownSiteText(_ id: String, sites: [SiteConfig]) -> String {
    let lowered = id.lowercased()
    let near = sites.first { $0.id.lowercased() == lowered }.map { " (ids are case-sensitive: did you mean \($0.id)?)" } ?? ""
    return " for site '\(id)', not in the roster\(near)"
  }

  /// The site id a datagram gives, printable, when it decodes.
  private static func claimedSite(_ bytes: UnsafeRawBufferPointer) -> String? {
    guard case .success(let heartbeat) = HeartbeatCodec.decode(bytes) else { return nil }
    return String(TextSanitizer.printable(heartbeat.site).prefix(64))
  }
}
