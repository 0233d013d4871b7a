import BridgeCore
import BridgeMonitor
import Foundation
import NIOCore
import Prometheus
import Synchronization

/// The monitor's figures in Prometheus' text format. Every series is made at start (a group, status or reason
/// with nothing in it reads 0, never appears late); the exposition is rendered from the latest snapshot into a
/// reused buffer, at most once per snapshot however often it is scraped, on the caller's thread (the HTTP
/// server's, never the ingest's). No label carries an operator's name, a reason, a sequence number or an address.
public final class MetricsExporter: MonitorHealthObserver, Sendable {
  /// Prometheus 3 refuses a scrape without it.
  public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  /// Bounds of the tick-duration histogram, in seconds: a tick is normally well under a millisecond per thousand
  /// sites; a second means the monitor falls behind.
  public static let tickBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
  /// Bounds of the journal's fdatasync histogram, in seconds: local disks sync in milliseconds, a failing or
  /// overloaded one in seconds.
  public static let syncBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

  /// The series that grow with the roster, rendered by the exporter itself (see `GaugeFamily`): per group, and per
  /// site with `metrics.per_site`. Group i's count of sites in status s is `sites.values[i * statusCount + s]`;
  /// every other family has one series per group (or site), in `GroupTree` (or roster) order.
  fileprivate struct RosterSeries {
    static let statusCount = SiteStatus.allCases.count
    var sites: GaugeFamily
    var expected: GaugeFamily
    var reported: GaugeFamily
    var help: GaugeFamily
    var countFileProblems: GaugeFamily
    var unacknowledged: GaugeFamily
    var siteUp: GaugeFamily
    var siteLastHeard: GaugeFamily
    var siteHeadcount: GaugeFamily
    var siteUnacknowledged: GaugeFamily
    /// Bridge call quality (issue 32): per site, with `metrics.per_site` and a bridge that gives figures (CMS).
    var siteBridgeQuality: BridgeQualityFamilies

    var families: [GaugeFamily] {
      [sites, expected, reported, help, countFileProblems, unacknowledged, siteUp, siteLastHeard, siteHeadcount, siteUnacknowledged]
        + siteBridgeQuality.families
    }
  }

  /// What the monitor's loop hands over; read by the renderer under the lock, held only to copy.
  private struct Latest {
    var snapshot: MonitorSnapshot?
    var generation = 0
    var actions = [UInt64](repeating: 0, count: OperatorActionKind.allCases.count)
  }

  /// The renderer's own state: what the counters already carry, and the last exposition.
  private struct Rendering {
    var generation = -1
    var exportedCounters = IngestCounters()
    var exportedActions = [UInt64](repeating: 0, count: OperatorActionKind.allCases.count)
    /// The last exposition's length: the next one is built in a buffer of about that size, allocated once.
    var lastLength = 0
    var body = ByteBuffer()
    var roster: RosterSeries
    var exportedBridgePolls: [BridgePollState] = []
    var exportedCheckins = CheckinCounters()
  }

  private let registry = PrometheusCollectorRegistry()
  private let schedule: Schedule
  private let heartbeatsUDP: Counter
  private let heartbeatsFile: Counter
  private let heartbeatsProbe: Counter
  private let probesSent: Counter
  private let probeTimeouts: Counter
  private let probeRejected: [Counter]  // indexed like ProbeRejection.allCases
  private let datagramsReceived: Counter
  private let rejected: [Counter]  // indexed like RejectionReason.allCases
  private let acksSent: Counter
  private let fileReads: Counter
  private let fileUnreadable: Counter
  private let fileBad: Counter
  private let actions: [Counter]  // indexed like OperatorActionKind.allCases
  private let journalFailures: Counter
  private let journalLastWrite: Gauge
  private let consolesAttached: Gauge
  private let standby: Gauge
  private let primarySilent: Gauge
  private let primaryLastContact: Gauge
  private let replaced: Gauge
  private let sessionActive: Gauge
  private let tickDuration: ValueHistogram
  private let journalSync: ValueHistogram
  private let bridgeSeries: BridgeSeries?
  private let latest = Mutex(Latest())
  private let rendering: Mutex<Rendering>
  /// Series made through the library's registry: a fixed few, whatever the roster (tests check it stays so).
  let seriesInRegistry: Int
  private let consoleCount = Mutex<@Sendable () -> Int>({ 0 })
  // MARK: Check-in page (issue 33): its series exist only when `checkin.enabled`.
  private let checkinSeries: CheckinSeries?
  private let checkinCounters = Mutex<@Sendable () -> CheckinCounters>({ CheckinCounters() })

  /// Every series of `config`, at their values before anything is heard: all sites unknown, the expected
  /// headcounts set.
  public init(config: ConferenceConfig, startUnixSeconds: Double) {
    self.schedule = config.schedule
    let groups = GroupTree(sites: config.sites)
    let made = SeriesCount()
    let registry = CountingRegistry(self.registry, made)
    rendering = Mutex(Rendering(roster: Self.rosterSeries(config, groups)))

    let heartbeats = "Heartbeats accepted, by how they came (udp datagram, heartbeat file, or an answered probe)"
    heartbeatsUDP = registry.counter("bridgewatch_heartbeats_accepted_total", labels: [("source", "udp")], help: heartbeats)
    heartbeatsFile = registry.counter("bridgewatch_heartbeats_accepted_total", labels: [("source", "file")], help: heartbeats)
    heartbeatsProbe = registry.counter(
      "bridgewatch_heartbeats_accepted_total", labels: [("source", "probe")], help: heartbeats)
    probesSent = registry.counter(
      "bridgewatch_probes_sent_total", help: "Probes sent to sites without an agent (SIP OPTIONS, TCP connect, ICMP echo)")
    probeTimeouts = registry.counter("bridgewatch_probe_timeouts_total", help: "Probes not answered within probing.timeout")
    probeRejected = ProbeRejection.allCases.map { reason in
      registry.counter(
        "bridgewatch_probe_answers_rejected_total", labels: [("reason", reason.rawValue)],
        help: "Answers on the probe sockets dropped, by reason (too_large, malformed, unmatched, wrong_source)")
    }
    datagramsReceived = registry.counter(
      "bridgewatch_datagrams_received_total", help: "UDP datagrams received on the heartbeat port, accepted or not")
    rejected = RejectionReason.allCases.map { reason in
      registry.counter(
        "bridgewatch_datagrams_rejected_total", labels: [("reason", reason.rawValue)],
        help: "UDP datagrams rejected, by reason (too_large, malformed, unknown_site, unauthenticated, bad_mac, stale, replayed)")
    }
    acksSent = registry.counter("bridgewatch_acks_sent_total", help: "Acknowledgements sent to agents")
    fileReads = registry.counter("bridgewatch_heartbeat_file_reads_total", help: "Heartbeat files read after they changed")
    let fileProblems = "Heartbeat files that could not be used, by problem (unreadable, bad: too large or not a heartbeat)"
    fileUnreadable = registry.counter("bridgewatch_heartbeat_file_problems_total", labels: [("problem", "unreadable")], help: fileProblems)
    fileBad = registry.counter("bridgewatch_heartbeat_file_problems_total", labels: [("problem", "bad")], help: fileProblems)
    actions = OperatorActionKind.allCases.map { kind in
      registry.counter(
        "bridgewatch_operator_actions_total", labels: [("action", kind.metricLabel)],
        help: "Operator actions applied, by kind (\(OperatorActionKind.allCases.map(\.metricLabel).joined(separator: ", ")))")
    }
    journalFailures = registry.counter(
      "bridgewatch_journal_write_failures_total",
      help: "Journal appends that failed (disk full, journal deleted or replaced); their records wait and are retried")
    journalLastWrite = registry.gauge(
      "bridgewatch_journal_last_write_timestamp_seconds",
      help: "When lines last reached the journal, as a Unix time; 0 before the first")
    consolesAttached = registry.gauge("bridgewatch_consoles_attached", help: "Consoles attached to the monitor")
    standby = registry.gauge("bridgewatch_standby", help: "1 while this monitor is a standby following a primary, else 0")
    primarySilent = registry.gauge(
      "bridgewatch_primary_silent", help: "1 while this standby's primary has been silent longer than --primary-silent-after, else 0")
    primaryLastContact = registry.gauge(
      "bridgewatch_primary_last_contact_timestamp_seconds",
      help: "When this standby last heard from its primary, as a Unix time; 0 if never or not a standby")
    replaced = registry.gauge(
      "bridgewatch_replaced", help: "1 once this monitor learned (--peer) that its standby was promoted in its place, else 0")
    sessionActive = registry.gauge("bridgewatch_session_active", help: "1 while a session of the config's schedule is running, else 0")
    tickDuration = registry.histogram(
      "bridgewatch_tick_duration_seconds", buckets: Self.tickBuckets,
      help: "Time the monitor's once-a-second tick took (timeouts, journal batch, publishing)")
    journalSync = registry.histogram(
      "bridgewatch_journal_fsync_duration_seconds", buckets: Self.syncBuckets,
      help: "Time the journal's fdatasync took")
    registry.gauge("bridgewatch_start_time_seconds", help: "When the monitor started, as a Unix time").set(to: startUnixSeconds)
    registry.gauge(
      "bridgewatch_build_info", labels: [("version", BuildInfo.version)], help: "The running build; always 1"
    ).set(to: 1)
    bridgeSeries = BridgeSeries(config: config, registry: registry)
    checkinSeries = config.checkin.enabled ? CheckinSeries(registry: registry, heartbeatsHelp: heartbeats) : nil
    seriesInRegistry = made.value
  }

  /// Every group's series (and every site's when asked), at their values before the first snapshot: every site
  /// unknown, each group's expected headcount from the config.
  private static func rosterSeries(_ config: ConferenceConfig, _ groups: GroupTree) -> RosterSeries {
    let groupCount = groups.nodes.count
    let siteCount = config.metrics.perSite ? config.sites.count : 0
    var roster = RosterSeries(
      sites: GaugeFamily(
        name: "bridgewatch_sites",
        help: "Bridge points by status (unknown, online, late, offline, marked) in a group; depth 0 is the whole conference",
        expectedSeries: groupCount * RosterSeries.statusCount),
      expected: GaugeFamily(
        name: "bridgewatch_headcount_expected", help: "Attendees expected in a group's bridge points", expectedSeries: groupCount),
      reported: GaugeFamily(
        name: "bridgewatch_headcount_reported",
        help: "Attendees last reported by a group's bridge points that are up (online or late); others count 0", expectedSeries: groupCount),
      help: GaugeFamily(
        name: "bridgewatch_help_requests", help: "Bridge points of a group asking for help", expectedSeries: groupCount),
      countFileProblems: GaugeFamily(
        name: "bridgewatch_count_file_problems",
        help: "Bridge points of a group whose agent cannot read its count file (their headcount is not updated)",
        expectedSeries: groupCount),
      unacknowledged: GaugeFamily(
        name: "bridgewatch_unacknowledged_alerts", help: "Late or offline bridge points of a group that no operator has acknowledged",
        expectedSeries: groupCount),
      siteUp: GaugeFamily(
        name: "bridgewatch_site_up", help: "1 while a bridge point is heard (online or late), else 0", expectedSeries: siteCount),
      siteLastHeard: GaugeFamily(
        name: "bridgewatch_site_last_heard_timestamp_seconds",
        help: "When a bridge point was last heard, as a Unix time; 0 if not heard since the monitor started", expectedSeries: siteCount),
      siteHeadcount: GaugeFamily(
        name: "bridgewatch_site_headcount", help: "Attendees last reported by a bridge point while it is up (online or late), else 0",
        expectedSeries: siteCount),
      siteUnacknowledged: GaugeFamily(
        name: "bridgewatch_site_unacknowledged_alert",
        help: "1 while a bridge point is late or offline and no operator has acknowledged it (a marked one is not)",
        expectedSeries: siteCount),
      siteBridgeQuality: BridgeQualityFamilies(config: config))
    // Families with the same series share their labels' bytes.
    var groupSeries = SeriesLabels()
    groupSeries.reserve(groupCount)
    for node in groups.nodes {
      let labels = groupLabels(node)
      for status in SiteStatus.allCases { roster.sites.add(labels: labels + [("status", status.description)]) }
      groupSeries.add(labels)
    }
    for family in [\RosterSeries.expected, \.reported, \.help, \.countFileProblems, \.unacknowledged] {
      roster[keyPath: family].adopt(groupSeries)
    }
    if config.metrics.perSite {
      var siteSeries = SeriesLabels()
      siteSeries.reserve(siteCount)
      for site in config.sites {
        siteSeries.add([
          ("site", site.id), ("group", site.group.joined(separator: GroupPath.separator)), ("province", site.group.first ?? ""),
        ])
      }
      for family in [\RosterSeries.siteUp, \.siteLastHeard, \.siteHeadcount, \.siteUnacknowledged] {
        roster[keyPath: family].adopt(siteSeries)
      }
      roster.siteBridgeQuality.adopt(siteSeries)
    }
    for (site, ancestors) in zip(config.sites, groups.ancestorsOfSite) {
      for node in ancestors {
        roster.sites.values[node * RosterSeries.statusCount + SiteStatus.unknown.rawValue] += 1
        roster.expected.values[node] += Double(site.expected)
      }
    }
    return roster
  }

  /// Where the `bridgewatch_checkin_*` counters come from (the check-in page's input).
  public func countCheckins(with counters: @escaping @Sendable () -> CheckinCounters) { checkinCounters.withLock { $0 = counters } }

  /// Where `bridgewatch_consoles_attached` comes from (the console server, once it runs).
  public func countConsoles(with count: @escaping @Sendable () -> Int) { consoleCount.withLock { $0 = count } }

  private static func groupLabels(_ node: GroupTree.Node) -> [(String, String)] {
    [("group", node.path.joined(separator: GroupPath.separator)), ("province", node.path.first ?? ""), ("depth", String(node.depth))]
  }

  /// Takes the monitor's update: the snapshot to render next, and the operator actions among its events. Cheap:
  /// called on the monitor's loop.
  public func observe(_ update: MonitorUpdate) {
    latest.withLock { latest in
      latest.snapshot = update.snapshot
      latest.generation += 1
      for event in update.events {
        if let kind = OperatorActionKind(event) { latest.actions[OperatorActionKind.allCases.firstIndex(of: kind)!] += 1 }
      }
    }
  }

  // MARK: - MonitorHealthObserver (on the monitor's loop; each call is an atomic update)

  public func tickTook(seconds: Double) { tickDuration.record(seconds) }

  public func journalWritten(atUnixSeconds unixSeconds: Double, syncSeconds: Double?) {
    journalLastWrite.set(to: unixSeconds)
    if let syncSeconds { journalSync.record(syncSeconds) }
  }

  public func journalWriteFailed() { journalFailures.increment() }

  // MARK: - Rendering

  /// The exposition of the latest snapshot. The same buffer is handed out until the next snapshot arrives, so a
  /// flood of scrapes costs one rendering per tick.
  public func render() -> ByteBuffer {
    let (snapshot, generation, actionCounts) = latest.withLock { ($0.snapshot, $0.generation, $0.actions) }
    return rendering.withLock { rendering in
      if rendering.generation == generation { return rendering.body }
      if let snapshot { update(from: snapshot, actionCounts: actionCounts, &rendering) }
      // One exposition is kept, not three: the last one is let go before the new one is built (a scrape still
      // writing it holds its own reference), and the text is built in a buffer freed once copied. With series per
      // site the exposition is 19 MB at 31,097 sites; a kept scratch buffer and the old body beside the new one
      // held 56 MB at each render.
      rendering.body = ByteBuffer()
      var text: [UInt8] = []
      text.reserveCapacity(rendering.lastLength + rendering.lastLength / 16)
      registry.emit(into: &text)
      for family in rendering.roster.families { family.emit(into: &text) }
      rendering.lastLength = text.count
      rendering.body = ByteBuffer(bytes: text)
      rendering.generation = generation
      return rendering.body
    }
  }

  /// `render()` as text (tests, `promtool`).
  public func renderText() -> String {
    let body = render()
    return body.getString(at: body.readerIndex, length: body.readableBytes) ?? ""
  }

  private func update(from snapshot: MonitorSnapshot, actionCounts: [UInt64], _ rendering: inout Rendering) {
    rendering.roster.update(from: snapshot)
    let counters = snapshot.counters
    let before = rendering.exportedCounters
    heartbeatsUDP.increment(by: Self.delta(counters.datagramsAccepted, before.datagramsAccepted))
    heartbeatsFile.increment(by: Self.delta(counters.fileHeartbeats, before.fileHeartbeats))
    heartbeatsProbe.increment(by: Self.delta(counters.probeHeartbeats, before.probeHeartbeats))
    probesSent.increment(by: Self.delta(counters.probesSent, before.probesSent))
    probeTimeouts.increment(by: Self.delta(counters.probeTimeouts, before.probeTimeouts))
    for (index, reason) in ProbeRejection.allCases.enumerated() {
      probeRejected[index].increment(by: Self.delta(counters[probe: reason], before[probe: reason]))
    }
    datagramsReceived.increment(by: Self.delta(counters.datagramsReceived, before.datagramsReceived))
    for (index, reason) in RejectionReason.allCases.enumerated() {
      rejected[index].increment(by: Self.delta(counters[reason], before[reason]))
    }
    acksSent.increment(by: Self.delta(counters.acksSent, before.acksSent))
    fileReads.increment(by: Self.delta(counters.filesRead, before.filesRead))
    fileUnreadable.increment(by: Self.delta(counters.fileErrors, before.fileErrors))
    fileBad.increment(by: Self.delta(counters.badFiles, before.badFiles))
    rendering.exportedCounters = counters
    for index in actions.indices {
      actions[index].increment(by: Self.delta(actionCounts[index], rendering.exportedActions[index]))
    }
    rendering.exportedActions = actionCounts
    consolesAttached.set(to: Double(consoleCount.withLock { $0 }()))
    sessionActive.set(to: schedule.session(at: snapshot.takenAt.unixSeconds) == nil ? 0 : 1)
    let role = snapshot.role ?? .primary
    standby.set(to: role.kind == .standby ? 1 : 0)
    primarySilent.set(to: role.kind == .standby && role.primarySilentSince != nil ? 1 : 0)
    primaryLastContact.set(to: role.kind == .standby ? role.lastPrimaryContact ?? 0 : 0)
    replaced.set(to: role.replacedBy == nil ? 0 : 1)
    if let bridgeSeries, let view = snapshot.bridge { bridgeSeries.update(from: view, exported: &rendering.exportedBridgePolls) }
    if let checkinSeries {
      let counters = checkinCounters.withLock { $0 }()
      checkinSeries.update(from: counters, exported: rendering.exportedCheckins)
      rendering.exportedCheckins = counters
    }
  }

  /// What a counter gained since it was last exported (never negative: the snapshot's counters only grow).
  private static func delta(_ now: UInt64, _ before: UInt64) -> Int64 { now > before ? Int64(now - before) : 0 }
}

extension MetricsExporter.RosterSeries {
  /// Takes every group's and site's figures from a snapshot: one pass, no lookups.
  fileprivate mutating func update(from snapshot: MonitorSnapshot) {
    for (index, node) in snapshot.rollups.enumerated() where index < expected.count {
      for status in SiteStatus.allCases {
        sites.values[index * Self.statusCount + status.rawValue] = Double(node.statusCounts[status])
      }
      expected.values[index] = Double(node.expectedHeadcount)
      reported.values[index] = Double(node.reportedHeadcount)
      help.values[index] = Double(node.helpRequests)
      countFileProblems.values[index] = Double(node.countFileProblems)
      unacknowledged.values[index] = Double(node.unacknowledgedAlerts)
    }
    // A site's series are its contribution to its groups' (the same rule): its groups' sums add up.
    for (index, record) in snapshot.records.enumerated() where index < siteUp.count {
      let contribution = RollupContribution(record)
      siteUp.values[index] = contribution.status.isUp ? 1 : 0
      siteLastHeard.values[index] = record.lastHeard?.unixSeconds ?? 0
      siteHeadcount.values[index] = Double(contribution.countedHeadcount)
      siteUnacknowledged.values[index] = contribution.alert ? 1 : 0
    }
    if let bridge = snapshot.bridge { siteBridgeQuality.update(from: bridge) }
  }
}
