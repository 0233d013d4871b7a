public struct ClockStepNote: Sendable, Equatable {
  public var unixSeconds: Double
  public var seconds: Double

  public init(unixSeconds: Double, seconds: Double) {
    self.unixSeconds = unixSeconds
    self.seconds = seconds
  }
}

/// Where a headcount came from: how it reached the monitor, who typed it when it was set by hand, and when it
/// arrived. Every count the report publishes carries one.
public struct CountProvenance: Sendable, Equatable {
  public var source: HeartbeatSource
  /// The operator, for a count set by hand (phoned in); nil otherwise.
  public var operatorName: String?
  public var unixSeconds: Double

  public init(source: HeartbeatSource, operatorName: String? = nil, unixSeconds: Double) {
    self.source = source
    self.operatorName = operatorName
    self.unixSeconds = unixSeconds
  }
}

/// A headcount and where it came from.
public struct CountReading: Sendable, Equatable {
  public var count: Int
  public var provenance: CountProvenance

  public init(count: Int, provenance: CountProvenance) {
    self.count = count
    self.provenance = provenance
  }
}

/// A site marked offline before its session began and still marked at the roll call: a planned absence. It
/// leaves the session's denominators and is listed apart, with who marked it and why.
public struct PlannedAbsence: Sendable, Equatable {
  public var operatorName: String?
  public var reason: String?
  public var unixSeconds: Double?

  public init(operatorName: String?, reason: String?, unixSeconds: Double?) {
    self.operatorName = operatorName
    self.reason = reason
    self.unixSeconds = unixSeconds
  }
}

/// Figures for one bridge point over one session. The rules are in docs/REPORT.md.
public struct SiteReport: Sendable, Equatable {
  public var site: Int
  public var expected: Int
  /// Seconds online or late (heard in time, or nearly).
  public var upSeconds: Double = 0
  public var sessionSeconds: Double = 0
  public var outages = 0
  public var outageSeconds: Double = 0
  public var longestOutageSeconds: Double = 0
  /// Each outage's start and end (clipped to the session), in time order.
  public var outageSpans: [ClosedRange<Double>] = []
  /// From the session's start to the first moment up in it; nil if never up.
  public var firstConnectSeconds: Double?
  /// Whether the site was connected (online or late) at the roll call; false when the roll call is not reached.
  public var connectedAtRollCall = false
  /// The counted headcount at the roll call: the count in force then, at a connected site. Nil when the site was
  /// not connected or had no count, or the journal ends before the roll call.
  public var rollCall: CountReading?
  /// The highest counted headcount in the session (a sample's own peak included), and where it came from.
  public var peak: CountReading?
  /// The counted headcount averaged over the session's observed length (no count counts as 0); nil before
  /// anything was counted.
  public var averageHeadcount: Double?
  /// Set when the site was a planned absence; its figures then count in no group.
  public var plannedAbsence: PlannedAbsence?
  /// How the site was heard over the whole journal (agent datagrams, heartbeat files, the monitor's probes), as
  /// the status records of its heartbeats say; empty for journals from before that was recorded.
  public var heardBy: [HeartbeatSource] = []
  /// Seconds in the conference bridge in the session (docs/REPORT.md, "The conference bridge").
  public var bridgeSeconds: Double = 0
  /// Whether the site was in the bridge at some moment of the session.
  public var wasInBridge = false
  /// Dropped calls: leaves of the bridge at a moment of the session before its end.
  public var bridgeDrops = 0
  /// Of `bridgeSeconds`, the seconds the bridge said the site's call was degraded, and bad (`bridge_quality`).
  public var callDegradedSeconds: Double = 0
  public var callBadSeconds: Double = 0
  /// Seconds in each disagreement between the bridge and the heartbeats (`bridge_disagreement`): in the bridge with
  /// the agent silent, and the agent alive while not in the bridge.
  public var agentSilentSeconds: Double = 0
  public var aliveNotInBridgeSeconds: Double = 0

  public init(site: Int, expected: Int) {
    self.site = site
    self.expected = expected
  }

  public var peakHeadcount: Int? { peak?.count }
  public var rollCallHeadcount: Int? { rollCall?.count }
  public var onlinePercent: Double { sessionSeconds > 0 ? upSeconds * 100 / sessionSeconds : 0 }
  /// Attendance: the roll-call headcount over expected.
  public var attendancePercent: Double? {
    guard expected > 0, let rollCall else { return nil }
    return Double(rollCall.count) * 100 / Double(expected)
  }
  /// A count above expected (at the roll call or at the peak): published, but flagged for a person to check.
  public var countAboveExpected: Bool {
    expected > 0 && max(rollCall?.count ?? 0, peak?.count ?? 0) > expected
  }
}

/// A group at any depth, or the whole conference: its sites' figures added at the same moments. Planned
/// absences are left out of every figure but `plannedAbsences`.
public struct GroupReport: Sendable, Equatable {
  public var path: [String]
  /// Sites in the group, planned absences included.
  public var sites = 0
  public var plannedAbsences = 0
  /// Sites up at least once in the session.
  public var connected = 0
  public var connectedAtRollCall = 0
  public var upSeconds: Double = 0
  public var siteSeconds: Double = 0
  public var outages = 0
  public var outageSeconds: Double = 0
  /// The sum of its sites' roll-call headcounts: all taken at the one roll-call moment.
  public var rollCallHeadcount = 0
  /// The highest sum of its sites' counted headcounts at one moment (sampled counts; a sample's own in-between
  /// peak is a site figure only), and when; nil when nothing was counted.
  public var peakHeadcount: Int?
  public var peakAt: Double?
  /// The sum of its sites' averages: the average of its counted headcount over the session.
  public var averageHeadcount: Double = 0
  public var expected = 0
  /// Sites whose count went above their expected.
  public var countsAboveExpected = 0
  /// False while the journal ends before the roll call: no attendance yet.
  public var rollCallReached = true
  /// Sites in the conference bridge at some moment of the session, their seconds in it and their dropped calls.
  public var inBridge = 0
  public var bridgeSeconds: Double = 0
  public var bridgeDrops = 0
  /// Sites whose call the bridge said was degraded or bad at some moment of the session, and the sums of their
  /// seconds so.
  public var callProblemPoints = 0
  public var callDegradedSeconds: Double = 0
  public var callBadSeconds: Double = 0
  /// Sites in a disagreement at some moment of the session, and the sums of their seconds in each.
  public var disagreementPoints = 0
  public var agentSilentSeconds: Double = 0
  public var aliveNotInBridgeSeconds: Double = 0

  public init(path: [String]) { self.path = path }

  /// Points that were to take part: the sites less the planned absences.
  public var points: Int { sites - plannedAbsences }
  public var onlinePercent: Double { siteSeconds > 0 ? upSeconds * 100 / siteSeconds : 0 }
  /// Attendance: the roll-call headcount over expected; nil before the roll call or when nothing is expected.
  public var attendancePercent: Double? {
    rollCallReached && expected > 0 ? Double(rollCallHeadcount) * 100 / Double(expected) : nil
  }

  mutating func add(_ site: SiteReport) {
    sites += 1
    if site.plannedAbsence != nil {
      plannedAbsences += 1
      return
    }
    connected += site.firstConnectSeconds == nil ? 0 : 1
    connectedAtRollCall += site.connectedAtRollCall ? 1 : 0
    upSeconds += site.upSeconds
    siteSeconds += site.sessionSeconds
    outages += site.outages
    outageSeconds += site.outageSeconds
    rollCallHeadcount += site.rollCall?.count ?? 0
    averageHeadcount += site.averageHeadcount ?? 0
    expected += site.expected
    countsAboveExpected += site.countAboveExpected ? 1 : 0
    inBridge += site.wasInBridge ? 1 : 0
    bridgeSeconds += site.bridgeSeconds
    bridgeDrops += site.bridgeDrops
    callProblemPoints += site.callDegradedSeconds + site.callBadSeconds > 0 ? 1 : 0
    callDegradedSeconds += site.callDegradedSeconds
    callBadSeconds += site.callBadSeconds
    disagreementPoints += site.agentSilentSeconds + site.aliveNotInBridgeSeconds > 0 ? 1 : 0
    agentSilentSeconds += site.agentSilentSeconds
    aliveNotInBridgeSeconds += site.aliveNotInBridgeSeconds
  }
}

/// A site's time in the conference bridge and dropped calls over every session of the report.
public struct BridgeInAllSessions: Sendable, Equatable {
  public var site: Int
  public var seconds: Double
  public var drops: Int
}

extension ConferenceReport {
  /// Each site's bridge figures added over the report's sessions (sessions of a schedule do not overlap); empty
  /// when the journal has no bridge record or the report has a single session (its own figures say it all).
  public var bridgeInAllSessions: [BridgeInAllSessions] {
    guard sessions.count > 1, sessions[0].hasBridge else { return [] }
    return sessions[0].sites.indices.map { index in
      BridgeInAllSessions(
        site: sessions[0].sites[index].site, seconds: sessions.reduce(0) { $0 + $1.sites[index].bridgeSeconds },
        drops: sessions.reduce(0) { $0 + $1.sites[index].bridgeDrops })
    }
  }
}

/// A figure over the session, sampled for a chart.
public struct SeriesPoint: Sendable, Equatable {
  public var unixSeconds: Double
  public var value: Int
}

public struct SessionReport: Sendable, Equatable {
  public var name: String
  public var start: Double
  public var end: Double
  /// Unix seconds of the roll call.
  public var rollCall: Double
  /// Where the journal's data for this session ends (earlier than `end` while it is still running).
  public var observedEnd: Double
  public var sites: [SiteReport]
  /// Every group at every depth, depth first: each group directly followed by the groups under it.
  public var groups: [GroupReport]
  public var total: GroupReport
  /// What operators did in the session, in time order.
  public var actions: [OperatorAction] = []
  /// Points connected over the session: at each sample, the fewest connected since the previous one (a dip
  /// shows).
  public var connectedSeries: [SeriesPoint] = []
  /// The conference's counted headcount over the session, sampled the same way.
  public var headcountSeries: [SeriesPoint] = []
  /// Whether the journal has `bridge` records: only then do the formats show the bridge's figures, so a
  /// conference without a bridge reads as it always did.
  public var hasBridge = false
  /// Whether it has `bridge_quality` records: only then do the formats show the calls' quality.
  public var hasCallQuality = false
  /// Whether it has `bridge_disagreement` records: only then do the formats show the disagreements.
  public var hasDisagreements = false

  public var rollCallReached: Bool { rollCall <= observedEnd }
}

/// An operator's action, from the journal: who marked, cleared, acknowledged, counted by hand, or took a site.
public struct OperatorAction: Sendable, Equatable {
  public enum Kind: String, Sendable {
    case mark, clear, acknowledge, headcount, claim, release
  }
  public var unixSeconds: Double
  public var site: Int
  public var kind: Kind
  /// Nil: a claim that ended by itself when the site came back online.
  public var operatorName: String?
  /// A mark's reason, or the headcount set.
  public var detail: String?
  /// For a headcount set by hand within `ConferenceReport.correctionWindow` of the count before it: the count it
  /// corrects, which the report then never counts.
  public var correctedCount: Int?

  public init(
    unixSeconds: Double, site: Int, kind: Kind, operatorName: String?, detail: String? = nil, correctedCount: Int? = nil
  ) {
    self.unixSeconds = unixSeconds
    self.site = site
    self.kind = kind
    self.operatorName = operatorName
    self.detail = detail
    self.correctedCount = correctedCount
  }
}
