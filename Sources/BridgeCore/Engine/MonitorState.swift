/// The engine plus everything that turns raw input into engine calls: decoder, site lookup,
/// authentication, counters. Pure and single-owner; the ingest layer feeds it from the network and disk.
public struct MonitorState {
  public static let maximumHeartbeatFileSize = 4096

  public private(set) var engine: StatusEngine
  public private(set) var counters = IngestCounters()
  /// Replaced whole when the keys file is loaded again (`replaceKeys`).
  public private(set) var authenticator: HeartbeatAuthenticator
  /// Why the keys file as it is now on disk was refused (FILE:LINE and rule), while the keys loaded before stay in
  /// force; nil once a good one is loaded.
  public private(set) var keysFileProblem: String?
  /// Content of each site's heartbeat file as last read, so a file that was only touched counts as a bare heartbeat.
  private var lastFileContent: [[UInt8]?]

  /// Signed heartbeats whose `ts` is before this (Unix seconds) are refused as replays until the site's first one
  /// after it is accepted: the monitor's start, since the last accepted `ts`/`seq` of the previous run is gone.
  public let refuseSignedBefore: UInt64
  /// What the faces show of each site, taken from the config once: snapshots carry facts, not config.
  public let siteFacts: [SiteFacts]
  /// The conference bridges' rosters (empty without `bridges:`).
  public private(set) var bridges: BridgeBoard
  /// Each site's disagreement as last journaled (`bridge_disagreement`), so that only its changes are; empty until
  /// the first tick with bridges, which journals whatever disagreement there is then (a start says nothing of them).
  private var journaledDisagreements: [BridgeDisagreement?] = []

  public init(config: ConferenceConfig, refuseSignedBefore: UInt64 = 0, siteIndex: SiteIndex? = nil) {
    engine = StatusEngine(config: config, siteIndex: siteIndex)
    siteFacts = engine.sites.map(SiteFacts.init)
    authenticator = HeartbeatAuthenticator(config: config)
    lastFileContent = Array(repeating: nil, count: config.sites.count)
    self.refuseSignedBefore = refuseSignedBefore
    bridges = BridgeBoard(config: config)
  }

  // MARK: Keys file reloaded by the running monitor (issue 33, rotation without a restart)

  /// The keys file as loaded again: the sites' verifying keys (and a rotated site's previous one until its grace
  /// ends) are these from the next heartbeat on. A site's last accepted `ts`/`seq` stays: a replay stays a replay.
  public mutating func replaceKeys(_ entries: [String: SiteKeyEntry], sites: [SiteConfig], requireAuth: Bool) {
    authenticator = HeartbeatAuthenticator(sites: sites, siteKeys: entries, requireAuth: requireAuth)
    keysFileProblem = nil
  }

  /// The keys file on disk was refused: the keys in force stay, and every face can say why.
  public mutating func refuseKeysFile(_ problem: String) { keysFileProblem = problem }

  /// The keys file on disk is again the one in force (a refused change was undone).
  public mutating func clearKeysFileProblem() { keysFileProblem = nil }

  /// The bridge board anew with when each site joined as the journal says (`RestoredSite.bridgeSince`).
  public mutating func restoreBridges(config: ConferenceConfig, since: [Double?]) {
    bridges = BridgeBoard(config: config, restoredSince: since)
  }

  /// Applies one poll of a bridge (`BridgeBoard.apply`).
  @discardableResult
  public mutating func receiveBridgePoll(_ outcome: BridgePollOutcome, bridge: Int, now: ClockReading, sessionRenewed: Bool = false)
    -> BridgeReconcile?
  {
    bridges.apply(outcome, bridge: bridge, now: now.unixSeconds, sessionRenewed: sessionRenewed)
  }

  /// What a pass of bridge `bridge` starts from (`BridgeBoard.passBase`): taken under the lock in constant time, so
  /// the bridge input reconciles outside it.
  public func bridgePassBase(bridge: Int) -> BridgePassBase? { bridges.passBase(bridge: bridge) }

  /// Applies a pass the bridge input reconciled outside the lock (`BridgeBoard.apply(_: BridgePreparedPass)`).
  @discardableResult
  public mutating func receiveBridgePass(_ prepared: BridgePreparedPass) -> BridgeReconcile? { bridges.apply(prepared) }

  /// Applies changes a bridge's receiver pushed (`BridgeBoard.apply(changes:bridge:now:)`); false while the
  /// bridge's roster is not known.
  public mutating func receiveBridgeChanges(_ changes: [BridgeRosterChange], bridge: Int, now: ClockReading) -> Bool {
    bridges.apply(changes: changes, bridge: bridge, now: now.unixSeconds)
  }

  /// A body bridge `bridge`'s receiver answered other than 200.
  public mutating func noteBridgeBodyRefused(bridge: Int) { bridges.noteBodyRefused(bridge: bridge) }

  /// The bridges' joins and leaves since the last call, for the journal, stamped `now` (the tick's time: a poll's
  /// own time could be before an operator action journaled since, and the journal never goes back in time); then
  /// each site whose disagreement in `view` (the tick's snapshot's) is not the one last journaled.
  public mutating func drainBridgeRecords(now: ClockReading, view: BridgeView? = nil) -> [JournalRecord] {
    guard !bridges.isEmpty else { return [] }
    var records = bridges.drainRecords().map { JournalRecord(unixSeconds: now.unixSeconds, site: $0.site, kind: $0.kind) }
    if let view {
      if journaledDisagreements.count != view.disagreements.count {
        journaledDisagreements = Array(repeating: nil, count: view.disagreements.count)
      }
      for site in view.disagreements.indices where view.disagreements[site] != journaledDisagreements[site] {
        journaledDisagreements[site] = view.disagreements[site]
        records.append(
          JournalRecord(
            unixSeconds: now.unixSeconds, site: engine.sites[site].id,
            kind: .bridgeDisagreement(view.disagreements[site]?.journalWord)))
      }
    }
    return records
  }

  @discardableResult
  public mutating func withEngine<T, E: Error>(_ body: (inout StatusEngine) throws(E) -> T) throws(E) -> T {
    try body(&engine)
  }

  /// Decode, authenticate and apply one UDP datagram.
  public mutating func receiveDatagram(_ bytes: UnsafeRawBufferPointer, now: ClockReading) -> DatagramOutcome {
    counters.datagramsReceived += 1
    let outcome = evaluate(bytes, now: now)
    switch outcome {
    case .accepted:
      counters.datagramsAccepted += 1
    case .rejected(let reason, _, _):
      counters[reason] += 1
    }
    return outcome
  }

  private mutating func evaluate(_ bytes: UnsafeRawBufferPointer, now: ClockReading)
    -> DatagramOutcome
  {
    let heartbeat: Heartbeat
    switch HeartbeatCodec.decode(bytes) {
    case .success(let decoded): heartbeat = decoded
    case .failure(.tooLarge): return .rejected(.tooLarge, nil)
    case .failure(.malformed(let detail)): return .rejected(.malformed, detail)
    }
    guard let index = engine.index(of: heartbeat.site) else {
      return .rejected(.unknownSite, nil)
    }
    switch authenticatedInput(heartbeat, bytes: bytes, site: index, source: .udp, now: now) {
    case .failure(let reason):
      return .rejected(reason, nil, site: index)
    case .success(let input):
      engine.heartbeat(input, site: index, heardAt: now, now: now)
      if input.senderTimestamp != nil { counters.signedAccepted += 1 }
      return .accepted(site: index, sequence: heartbeat.sequence)
    }
  }

  /// Applies the key rules to a decoded heartbeat of site `index` and turns it into engine input.
  private func authenticatedInput(
    _ heartbeat: Heartbeat, bytes: UnsafeRawBufferPointer, site index: Int, source: HeartbeatSource, now: ClockReading
  ) -> Result<HeartbeatInput, RejectionReason> {
    // Two fields, not the whole record: a copy of a record costs retains and touches memory a heartbeat needs not.
    let lastTimestamp = engine.records[index].lastSenderTimestamp
    let lastSequence = engine.records[index].lastSequence
    let last =
      lastTimestamp.map { ($0, lastSequence ?? 0) }
      ?? (refuseSignedBefore > 0 ? (refuseSignedBefore - 1, UInt64.max) : nil)
    if let reason = authenticator.check(heartbeat, bytes: bytes, site: index, last: last, nowUnixSeconds: now.unixSeconds) {
      return .failure(reason)
    }
    // A heartbeat without `state=` means ok: a site that stops asking for help clears its request.
    // Only an authenticated ts orders later heartbeats; an unsigned one is not trusted for that.
    return .success(
      HeartbeatInput(
        source: source, sequence: heartbeat.sequence, count: heartbeat.count, state: heartbeat.state ?? .ok,
        rttMilliseconds: heartbeat.rttMilliseconds,
        senderTimestamp: authenticator.hasKey(site: index) ? heartbeat.timestamp : nil, countProblem: heartbeat.countProblem))
  }

  /// Applies what the poller saw for site `index`'s heartbeat file.
  public mutating func receiveFile(_ observation: FileObservation, site index: Int, now: ClockReading) {
    switch observation {
    case .missing:
      lastFileContent[index] = nil
      engine.setFileFlags([], site: index)
    case .unreadable:
      counters.fileErrors += 1
      engine.setFileFlags(.heartbeatFileError, site: index)
    case .modified(let mtime, let content):
      counters.fileHeartbeats += 1
      let heardAt = now.at(unixSeconds: min(mtime, now.unixSeconds))
      guard let content else {
        counters.badFiles += 1
        engine.setFileFlags(.badHeartbeatFile, site: index)
        engine.heartbeat(HeartbeatInput(source: .file), site: index, heardAt: heardAt, now: now)
        return
      }
      counters.filesRead += 1
      if content.isEmpty || content == lastFileContent[index] {
        // An empty file is a bare heartbeat; so is a file that was only touched (its claims were applied already).
        if content.isEmpty { engine.setFileFlags([], site: index) }
        engine.heartbeat(HeartbeatInput(source: .file), site: index, heardAt: heardAt, now: now)
        return
      }
      lastFileContent[index] = content
      let outcome = content.withUnsafeBytes { applyFileContent($0, site: index, heardAt: heardAt, now: now) }
      if !outcome {
        counters.badFiles += 1
        engine.setFileFlags(.badHeartbeatFile, site: index)
        engine.heartbeat(HeartbeatInput(source: .file), site: index, heardAt: heardAt, now: now)
      } else {
        engine.setFileFlags([], site: index)
      }
    }
  }

  private mutating func applyFileContent(_ bytes: UnsafeRawBufferPointer, site index: Int, heardAt: ClockReading, now: ClockReading)
    -> Bool
  {
    guard case .success(let heartbeat) = HeartbeatCodec.decode(bytes), heartbeat.site == engine.sites[index].id,
      case .success(let input) = authenticatedInput(heartbeat, bytes: bytes, site: index, source: .file, now: now)
    else { return false }
    engine.heartbeat(input, site: index, heardAt: heardAt, now: now)
    return true
  }

  /// Probes sent and answers dropped in one wake-up of the prober (`rejections` indexed like
  /// `ProbeRejection.allCases`).
  public mutating func countProbes(sent: Int, rejections: [Int]) {
    counters.probesSent += UInt64(sent)
    for (index, count) in rejections.enumerated() where count > 0 { counters.probeRejections[index] += UInt64(count) }
  }

  /// What the prober found for one site.
  public mutating func receiveProbe(
    _ outcome: ProbeOutcome, rttMilliseconds: Int?, site index: Int, sentAt: ClockReading, now: ClockReading
  ) {
    if outcome.isAlive { counters.probeHeartbeats += 1 } else { counters.probeTimeouts += 1 }
    engine.probeResult(outcome, rttMilliseconds: rttMilliseconds, site: index, sentAt: sentAt, now: now)
  }

  /// `detailSite`: the site whose last hour the dashboard's detail pane shows, if one is open.
  public func snapshot(now: ClockReading, title: String, detailSite: Int? = nil) -> MonitorSnapshot {
    MonitorSnapshot(
      title: title, takenAt: now, sites: siteFacts, records: engine.records.all, rollups: engine.rollups,
      groups: engine.groups, counters: counters, detail: detailSite.flatMap { detail(site: $0, now: now) },
      recordsRevision: engine.recordsRevision, bridge: bridges.isEmpty ? nil : bridges.view(records: engine.records.all),
      keysFileProblem: keysFileProblem)
  }

  /// A snapshot to publish: it also carries which sites changed since the last one published (`changes`), so the
  /// faces that saw that one look at those sites only. Only the hub's publishing takes these.
  public mutating func snapshotToPublish(now: ClockReading, title: String) -> MonitorSnapshot {
    var taken = snapshot(now: now, title: title)
    taken.changes = engine.takeChangedSites()
    return taken
  }

  /// The last hour of one site, for a detail pane; nil for a site the config does not have.
  public func detail(site: Int, now: ClockReading) -> SiteHistoryView? {
    engine.sites.indices.contains(site) ? engine.history.view(site: site, now: now.monotonicNanos) : nil
  }
}

/// An immutable copy of everything the faces (dashboard, status file, report) read.
public struct MonitorSnapshot: Sendable {
  public var title: String
  public var takenAt: ClockReading
  public var sites: [SiteFacts]
  public var records: [SiteRecord] {
    didSet {
      recordsRevision &+= 1
      changes = nil
    }
  }
  public var rollups: [Rollup]
  public var groups: GroupTree
  public var counters: IngestCounters
  /// The last hour of the site the dashboard asked about.
  public var detail: SiteHistoryView?
  /// Why the journal cannot be written, while it cannot.
  public var journalProblem: String?
  /// A recent step of the monitor's wall clock, or signs that it is off.
  public var clockNote: ClockNote?
  /// Primary or standby (nil: a monitor alone, as before standbys).
  public var role: MonitorRole?
  /// Equal in two snapshots from one source (the engine, or a console's mirror) only if no record changed in
  /// between: faces skip work that depends on the records alone (the table's rows, the status file's sites).
  public var recordsRevision: UInt64 = 0
  /// The conference bridges' view of each site, and their polling; nil without `bridges:`.
  public var bridge: BridgeView? = nil
  /// Why a changed keys file was refused, while the keys loaded before stay in force (`MonitorState.keysFileProblem`).
  public var keysFileProblem: String? = nil
  /// The sites whose records may differ from the snapshot published before this one (nil: not said; compare all).
  public var changes: SiteChanges? = nil

  /// Seconds since the site was last heard, nil if never.
  public func ageSeconds(site index: Int) -> Double? {
    records[index].lastHeard.map { Double(takenAt.monotonicNanos - $0.monotonicNanos) / 1e9 }
  }

  /// For a site not heard in this run but awaited (heard before a restart, or probed without an answer): how long
  /// it has been silent at least, counted from when the monitor began waiting for it.
  public func silentAtLeastSeconds(site index: Int) -> Double? {
    guard records[index].lastHeard == nil, let since = records[index].awaitedSince else { return nil }
    return Double(takenAt.monotonicNanos - since.monotonicNanos) / 1e9
  }
}

extension MonitorState {
  public mutating func countAck() { counters.acksSent += 1 }
}

extension MonitorSnapshot {
  /// One line of conference totals for logs: "7,380 of 7,400 sites up (online 7,370, late 10) · offline 12 · ...".
  public var totalsLine: String {
    let total = rollups[0]
    let counts = total.statusCounts
    var parts = [
      "\(NumberText.grouped(total.sitesUp)) of \(NumberText.grouped(total.siteCount)) sites up "
        + "(online \(NumberText.grouped(counts[.online])), late \(NumberText.grouped(counts[.late])))",
      "offline \(NumberText.grouped(counts[.offline]))", "marked \(NumberText.grouped(counts[.marked]))",
      "unknown \(NumberText.grouped(counts[.unknown]))",
      "headcount \(NumberText.grouped(total.reportedHeadcount)) of \(NumberText.grouped(total.expectedHeadcount))",
    ]
    if let percent = total.attendancePercent {
      parts[parts.count - 1] += " (\(Int(percent.rounded(.down)))%)"
    }
    return parts.joined(separator: " · ")
  }
}
