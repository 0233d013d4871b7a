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

/// The post-conference report, computed from the journal alone.
public struct ConferenceReport: Sendable, Equatable {
  public var title: String
  public var sessions: [SessionReport]
  /// Steps of the monitor's wall clock found in the journal: when (on the re-based time line) and by how much.
  /// Times before a step, back to the start of its run, are re-based onto the clock after it.
  public var clockSteps: [ClockStepNote] = []
  /// What the reader must know about how the figures were put together (two journals that were both primary).
  public var warnings: [String] = []

  /// A count set by hand this soon after the site's previous count replaces it, as if the earlier one had never
  /// been in force: an operator correcting a typo, or a site's wrong count phoned in right.
  public static let correctionWindow = 300.0
  /// How many points a chart's series has at most.
  public static let seriesSamples = 240

  public enum BuildError: Error, Equatable, CustomStringConvertible {
    case noSuchSession(String, known: [String])
    case emptyJournal

    public var description: String {
      switch self {
      case .noSuchSession(let name, let known):
        "no session named '\(name)' in the schedule"
          + (known.isEmpty ? " (the config has no schedule)" : "; sessions: \(known.joined(separator: ", "))")
      case .emptyJournal: "the journal has no records: nothing to report"
      }
    }
  }

  /// Replays `records` (in journal order) against the config's sites and sessions. Without a schedule, one
  /// session covers the whole recorded span.
  public static func build(config: ConferenceConfig, records: [JournalRecord], session name: String? = nil) throws(BuildError)
    -> ConferenceReport
  {
    var builder = Builder(config: config)
    for record in records { builder.take(record) }
    return try builder.build(session: name)
  }

  /// The report's state, fed one record at a time as the journal is read: what it keeps per site is the steps
  /// of its status and headcount, never the records themselves.
  public struct Builder: Sendable {
    let config: ConferenceConfig
    var timeline: Timeline
    private let siteIndex: [String: Int]
    public private(set) var recordCount = 0

    public init(config: ConferenceConfig) {
      self.config = config
      timeline = Timeline(siteCount: config.sites.count)
      var index: [String: Int] = [:]
      for (position, site) in config.sites.enumerated() { index[site.id] = position }
      siteIndex = index
    }

    public mutating func take(_ record: JournalRecord) {
      recordCount += 1
      timeline.take(record, site: record.site.flatMap { siteIndex[$0] })
    }

    /// The report, once every record is in.
    public mutating func build(session name: String? = nil) throws(BuildError) -> ConferenceReport {
      guard recordCount > 0 else { throw .emptyJournal }
      timeline.seal()
      let (firstTime, lastTime) = (timeline.firstTime, timeline.lastTime)
      var sessions = config.schedule.sessions
      if sessions.isEmpty {
        sessions = [ScheduleSession(name: "whole recorded span", start: firstTime, end: lastTime)]
      }
      if let name {
        guard let chosen = sessions.first(where: { $0.name == name }) else {
          throw .noSuchSession(name, known: config.schedule.sessions.map(\.name))
        }
        sessions = [chosen]
      }
      let tree = GroupTree(sites: config.sites)
      let reports = sessions.map { session -> SessionReport in
        let observedEnd = max(session.start, min(session.end, lastTime))
        var changes: [Timeline.CountedChange] = []
        let sites = config.sites.indices.map { index in
          let before = changes.count
          let site = timeline.report(
            site: index, from: session.start, to: observedEnd, rollCall: session.rollCall, expected: config.sites[index].expected,
            changes: &changes)
          // A planned absence is in no group's figures.
          if site.plannedAbsence != nil { changes.removeSubrange(before...) }
          return site
        }
        var groups = tree.nodes.map { GroupReport(path: $0.path) }
        for site in sites {
          for node in tree.ancestorsOfSite[site.site] { groups[node].add(site) }
        }
        let rollCallReached = session.rollCall <= observedEnd
        for node in groups.indices { groups[node].rollCallReached = rollCallReached }
        let sweep = Timeline.sweep(changes, tree: tree, siteCount: config.sites.count, from: session.start, to: observedEnd)
        for node in groups.indices {
          groups[node].peakHeadcount = sweep.peaks[node]?.count
          groups[node].peakAt = sweep.peaks[node]?.at
        }
        return SessionReport(
          name: session.name, start: session.start, end: session.end, rollCall: session.rollCall, observedEnd: observedEnd,
          sites: sites,
          // Each province followed by its own districts, wherever the roster first mentions them.
          groups: tree.depthFirstOrder.dropFirst().map { groups[$0] }, total: groups[0],
          actions: timeline.actions.filter { $0.unixSeconds >= session.start && $0.unixSeconds <= observedEnd },
          connectedSeries: sweep.connected, headcountSeries: sweep.headcount)
      }
      return ConferenceReport(title: config.title, sessions: reports, clockSteps: timeline.clockSteps)
    }
  }
}

/// Each site's status and headcount over time, rebuilt from the journal one record at a time.
///
/// While the journal is read, steps go to the end of one log in journal order: appending to one array per site
/// missed the cache twice a record (7,400 arrays) and took a quarter of the report's time. `seal` then groups
/// the log by site with a counting sort, which keeps journal order within a site.
struct Timeline: Sendable {
  struct StatusStep: Sendable, TimedStep {
    var time: Double
    var site: Int32
    var status: SiteStatus
  }

  /// 24 bytes a step: a two-day journal holds millions of them. -1 stands for "none".
  struct CountStep: Sendable, TimedStep {
    var time: Double
    var site: Int32
    var storedCount: Int32
    var storedPeak: Int32
    /// `sources`' index of how the count arrived.
    var storedSource: UInt8
    /// 1 + the index in `Timeline.operatorNames` of who set it by hand; 0 for none.
    var storedOperator: UInt16

    init(time: Double, site: Int, count: Int?, peak: Int?, source: HeartbeatSource = .udp, operatorNumber: UInt16 = 0) {
      self.time = time
      self.site = Int32(site)
      storedCount = count.map { Int32(clamping: $0) } ?? -1
      storedPeak = peak.map { Int32(clamping: $0) } ?? -1
      // A switch, not a search of `sources`: this runs for every headcount line of a two-day journal.
      storedSource =
        switch source {
        case .udp: 0
        case .file: 1
        case .manual: 2
        case .probe: 3
        }
      storedOperator = operatorNumber
    }

    static let sources: [HeartbeatSource] = [.udp, .file, .manual, .probe]

    var count: Int? { storedCount < 0 ? nil : Int(storedCount) }
    var peak: Int? { storedPeak < 0 ? nil : Int(storedPeak) }
    var source: HeartbeatSource { Self.sources[Int(storedSource)] }
  }

  /// A change of one site's counted headcount or of whether it is connected, for the group sums at each moment.
  struct CountedChange: Sendable {
    var time: Double
    var site: Int32
    /// The counted headcount from then on: 0 when none counts.
    var counted: Int32
    var connected: Bool
  }

  let siteCount: Int
  /// Each status change; after `seal`, grouped by site, each site's in time order.
  private var statusSteps: [StatusStep] = []
  /// Each headcount (or its loss at a start or stop), with the highest count since the previous sample.
  private var countSteps: [CountStep] = []
  /// Operator actions, in journal order (few: people make them).
  private(set) var actions: [OperatorAction] = []
  /// After `seal`: where each site's steps start in the arrays above (one more entry: the end).
  private var statusStarts: [Int] = []
  private var countStarts: [Int] = []
  private(set) var marked: [Bool]
  /// Per site, the sources its heartbeat-caused status changes named.
  private(set) var heardBy: [Set<HeartbeatSource>]
  /// The last headcount set by hand, while no heartbeat has replaced it: a restarted monitor shows it again.
  private var manual: [(count: Int, operatorNumber: UInt16)?]
  /// Per site, where its latest count step is in `countSteps` (-1: none yet), for corrections.
  private var latestCount: [Int]
  /// After `seal`: per site, where its marks are in `actions` (few: people make them).
  private var marksBySite: [Int: [Int]] = [:]
  /// Who set counts by hand, each name once; a step refers to it by number.
  private(set) var operatorNames: [String] = []
  private var operatorNumbers: [String: UInt16] = [:]

  /// A stretch of the journal on one wall clock: a new one begins at each start and at each clock step.
  struct Segment {
    var firstStatus: Int
    var firstCount: Int
    var firstAction: Int
    var earliest = Double.infinity
    var latest = -Double.infinity
    /// The clock step that ended it; nil when a start (or the journal's end) did.
    var stepAtEnd: Double?
    /// Seconds added to its times by `seal`.
    var offset = 0.0
  }

  private(set) var segments = [Segment(firstStatus: 0, firstCount: 0, firstAction: 0)]
  /// Clock steps: the segment each begins, and by how much.
  private var steps: [(segment: Int, unixSeconds: Double, seconds: Double)] = []
  /// After `seal`: the earliest and latest time of any record, re-based.
  private(set) var firstTime = Double.infinity
  private(set) var lastTime = -Double.infinity

  init(siteCount: Int) {
    self.siteCount = siteCount
    marked = Array(repeating: false, count: siteCount)
    manual = Array(repeating: nil, count: siteCount)
    latestCount = Array(repeating: -1, count: siteCount)
    heardBy = Array(repeating: [], count: siteCount)
  }

  var isSealed: Bool { !statusStarts.isEmpty }

  mutating func take(_ record: JournalRecord, site: Int?) {
    precondition(!isSealed, "a sealed timeline takes no more records")
    let time = record.unixSeconds
    switch record.kind {
    case .clock(let step):
      segments[segments.count - 1].stepAtEnd = step
      segments.append(Segment(firstStatus: statusSteps.count, firstCount: countSteps.count, firstAction: actions.count))
      steps.append((segments.count - 1, time, step))
    case .start:
      segments.append(Segment(firstStatus: statusSteps.count, firstCount: countSteps.count, firstAction: actions.count))
    default: break
    }
    segments[segments.count - 1].earliest = min(segments[segments.count - 1].earliest, time)
    segments[segments.count - 1].latest = max(segments[segments.count - 1].latest, time)
    switch record.kind {
    case .start, .stop:
      // A (re)started monitor knows nothing until sites are heard again; marks and hand counts carry over.
      let starting = if case .start = record.kind { true } else { false }
      for site in 0..<siteCount {
        statusSteps.append(StatusStep(time: time, site: Int32(site), status: starting && marked[site] ? .marked : .unknown))
        let carried = starting ? manual[site] : nil
        latestCount[site] = countSteps.count
        countSteps.append(
          CountStep(
            time: time, site: site, count: carried?.count, peak: nil, source: .manual, operatorNumber: carried?.operatorNumber ?? 0))
      }
      return
    default: break
    }
    guard let site else { return }
    switch record.kind {
    case .status(_, let to, _, let source):
      statusSteps.append(StatusStep(time: time, site: Int32(site), status: to))
      if let source { heardBy[site].insert(source) }
    case .mark(let name, let reason):
      marked[site] = true
      actions.append(OperatorAction(unixSeconds: time, site: site, kind: .mark, operatorName: name, detail: reason))
    case .clear(let name):
      marked[site] = false
      actions.append(OperatorAction(unixSeconds: time, site: site, kind: .clear, operatorName: name))
    case .acknowledge(let name): actions.append(OperatorAction(unixSeconds: time, site: site, kind: .acknowledge, operatorName: name))
    case .claim(let name): actions.append(OperatorAction(unixSeconds: time, site: site, kind: .claim, operatorName: name))
    case .release(let name): actions.append(OperatorAction(unixSeconds: time, site: site, kind: .release, operatorName: name))
    case .headcount(let value, let source, let name, let peak):
      var number: UInt16 = 0
      if source == .manual, let name { number = operatorNumber(name) }
      let step = CountStep(time: time, site: site, count: value, peak: peak, source: source, operatorNumber: number)
      var corrected: Int?
      let previous = latestCount[site]
      if source == .manual, previous >= 0, let previousCount = countSteps[previous].count,
        time - countSteps[previous].time <= ConferenceReport.correctionWindow, time >= countSteps[previous].time
      {
        // A correction: the count it replaces is taken as never in force (a typo must not reach a published peak).
        corrected = previousCount
        countSteps[previous] = CountStep(
          time: countSteps[previous].time, site: site, count: value, peak: nil, source: .manual, operatorNumber: number)
      }
      latestCount[site] = countSteps.count
      countSteps.append(step)
      manual[site] = source == .manual ? (value, number) : nil
      if let name, source == .manual {
        actions.append(
          OperatorAction(
            unixSeconds: time, site: site, kind: .headcount, operatorName: name, detail: "\(value)", correctedCount: corrected))
      }
    default: break
    }
  }

  private mutating func operatorNumber(_ name: String) -> UInt16 {
    if let number = operatorNumbers[name] { return number }
    // Names beyond the 65,535th stay unnamed in the provenance (never in practice: people set counts).
    guard operatorNames.count < Int(UInt16.max) else { return 0 }
    operatorNames.append(name)
    operatorNumbers[name] = UInt16(operatorNames.count)
    return UInt16(operatorNames.count)
  }

  /// Re-bases the times before each clock step, then groups the steps by site, each site's in time order.
  mutating func seal() {
    guard !isSealed else { return }
    rebase()
    // Re-based runs can interleave; equal times keep journal order.
    actions = actions.enumerated().sorted { ($0.element.unixSeconds, $0.offset) < ($1.element.unixSeconds, $1.offset) }.map(\.element)
    for (position, action) in actions.enumerated() where action.kind == .mark { marksBySite[action.site, default: []].append(position) }
    (statusSteps, statusStarts) = Self.groupedBySite(statusSteps, siteCount: siteCount)
    (countSteps, countStarts) = Self.groupedBySite(countSteps, siteCount: siteCount)
  }

  /// Times before a clock step, back to the start of its run, move onto the clock after it (the later clock is
  /// taken as right: a step is most often NTP correcting a clock that was wrong at boot). Durations across the
  /// step then come out as they were, not an hour too long or negative.
  private mutating func rebase() {
    var offset = 0.0
    for index in segments.indices.reversed() {
      offset = segments[index].stepAtEnd.map { offset + $0 } ?? 0
      segments[index].offset = offset
      if offset != 0 {
        let statusEnd = index + 1 < segments.count ? segments[index + 1].firstStatus : statusSteps.count
        let countEnd = index + 1 < segments.count ? segments[index + 1].firstCount : countSteps.count
        for position in segments[index].firstStatus..<statusEnd { statusSteps[position].time += offset }
        for position in segments[index].firstCount..<countEnd { countSteps[position].time += offset }
        let actionEnd = index + 1 < segments.count ? segments[index + 1].firstAction : actions.count
        for position in segments[index].firstAction..<actionEnd { actions[position].unixSeconds += offset }
      }
      if segments[index].earliest <= segments[index].latest {
        firstTime = min(firstTime, segments[index].earliest + offset)
        lastTime = max(lastTime, segments[index].latest + offset)
      }
    }
  }

  /// The clock steps, at their re-based times.
  var clockSteps: [ClockStepNote] {
    steps.map { ClockStepNote(unixSeconds: $0.unixSeconds + segments[$0.segment].offset, seconds: $0.seconds) }
  }

  func markActions(of site: Int) -> [OperatorAction] { (marksBySite[site] ?? []).map { actions[$0] } }

  func statuses(of site: Int) -> ArraySlice<StatusStep> { statusSteps[statusStarts[site]..<statusStarts[site + 1]] }
  func headcounts(of site: Int) -> ArraySlice<CountStep> { countSteps[countStarts[site]..<countStarts[site + 1]] }

  /// A counting sort by site (stable), then each site's run put in time order: journal order is time order
  /// except within a second (actions are written before the tick's batch), so equal times keep journal order.
  private static func groupedBySite<Step: TimedStep>(_ log: [Step], siteCount: Int) -> ([Step], [Int]) {
    var starts = [Int](repeating: 0, count: siteCount + 1)
    for step in log { starts[Int(step.site) + 1] += 1 }
    for site in 0..<siteCount { starts[site + 1] += starts[site] }
    var next = starts
    var grouped = [Step](unsafeUninitializedCapacity: log.count) { buffer, initialized in
      for step in log {
        let site = Int(step.site)
        (buffer.baseAddress! + next[site]).initialize(to: step)
        next[site] += 1
      }
      initialized = log.count
    }
    for site in 0..<siteCount {
      // Insertion sort: nearly always already in order, so one comparison a step.
      var position = starts[site] + 1
      while position < starts[site + 1] {
        let step = grouped[position]
        var hole = position
        while hole > starts[site] && grouped[hole - 1].time > step.time {
          grouped[hole] = grouped[hole - 1]
          hole -= 1
        }
        grouped[hole] = step
        position += 1
      }
    }
    return (grouped, starts)
  }

  func report(
    site: Int, from start: Double, to end: Double, rollCall: Double, expected: Int, changes: inout [CountedChange]
  ) -> SiteReport {
    var report = SiteReport(site: site, expected: expected)
    report.sessionSeconds = max(0, end - start)
    report.heardBy = [HeartbeatSource.udp, .file, .probe].filter { heardBy[site].contains($0) }
    // Status: walk the segments, remembering whether the site was ever up (an outage needs a prior connection).
    var everUp = false
    var outageOpen = false
    var currentOutage = 0.0
    var outageStart = 0.0
    func closeOutage() {
      if outageOpen {
        report.longestOutageSeconds = max(report.longestOutageSeconds, currentOutage)
        report.outageSpans.append(outageStart...(outageStart + currentOutage))
        outageOpen = false
        currentOutage = 0
      }
    }
    let changesOfStatus = statuses(of: site)
    for position in changesOfStatus.indices {
      let change = changesOfStatus[position]
      let segmentEnd = position + 1 < changesOfStatus.endIndex ? changesOfStatus[position + 1].time : Double.infinity
      let clippedStart = max(change.time, start)
      let clippedEnd = min(segmentEnd, end)
      let inside = clippedEnd > clippedStart || (clippedEnd == clippedStart && change.time >= start && change.time < end)
      switch change.status {
      case .online, .late:
        closeOutage()
        everUp = true
        if clippedEnd > clippedStart {
          report.upSeconds += clippedEnd - clippedStart
          if report.firstConnectSeconds == nil { report.firstConnectSeconds = clippedStart - start }
        }
      case .offline, .marked:
        guard everUp else { continue }
        if clippedEnd > clippedStart || inside {
          if !outageOpen {
            outageOpen = true
            outageStart = clippedStart
            report.outages += 1
          }
          let length = max(0, clippedEnd - clippedStart)
          currentOutage += length
          report.outageSeconds += length
        }
      case .unknown:
        closeOutage()
      }
      if segmentEnd >= end { break }
    }
    closeOutage()
    countedHeadcount(of: &report, from: start, to: end, rollCall: rollCall, changes: &changes)
    return report
  }

  /// The headcount that counts: the count in force while the site is connected (online or late); nothing while
  /// it is offline, marked or not heard. From it: the roll call, the peak, the average, and the site's part of its
  /// groups' sums (`changes`). Also whether the site was a planned absence.
  private func countedHeadcount(
    of report: inout SiteReport, from start: Double, to end: Double, rollCall: Double, changes: inout [CountedChange]
  ) {
    let site = report.site
    let statusLog = statuses(of: site)
    let countLog = headcounts(of: site)
    var nextStatus = statusLog.startIndex
    var nextCount = countLog.startIndex
    var status = SiteStatus.unknown
    var count: CountStep?
    var markedThroughRollCall = true
    var integral = 0.0
    var anythingCounted = false
    var lastEmitted: (counted: Int32, connected: Bool)?
    var moment = start
    var firstMoment = true
    while true {
      // Apply every step at this moment (at the first, every step up to the session's start).
      var sampleAtMoment: CountStep?
      while nextStatus < statusLog.endIndex, firstMoment ? statusLog[nextStatus].time <= moment : statusLog[nextStatus].time == moment {
        status = statusLog[nextStatus].status
        nextStatus += 1
      }
      while nextCount < countLog.endIndex, firstMoment ? countLog[nextCount].time <= moment : countLog[nextCount].time == moment {
        count = countLog[nextCount]
        if countLog[nextCount].time >= start { sampleAtMoment = countLog[nextCount] }
        nextCount += 1
      }
      firstMoment = false
      let connected = status == .online || status == .late
      if moment <= rollCall && status != .marked { markedThroughRollCall = false }
      let counted: CountReading? =
        if connected, let count, let value = count.count {
          CountReading(count: value, provenance: provenance(count))
        } else { nil }
      let nextTime = min(
        nextStatus < statusLog.endIndex ? statusLog[nextStatus].time : .infinity,
        nextCount < countLog.endIndex ? countLog[nextCount].time : .infinity)
      let until = min(nextTime, end)
      if let counted {
        anythingCounted = true
        integral += Double(counted.count) * max(0, until - moment)
        // A sample's `peak` is the highest count since the previous sample, reported at or before its time.
        var candidate = counted
        if let sample = sampleAtMoment, let samplePeak = sample.peak, samplePeak > counted.count {
          candidate.count = samplePeak
        }
        if candidate.count > report.peak?.count ?? -1 { report.peak = candidate }
      }
      if rollCall >= moment && rollCall < nextTime && rollCall <= end {
        report.connectedAtRollCall = connected
        report.rollCall = counted
      }
      let emitted = (counted: Int32(clamping: counted?.count ?? 0), connected: connected)
      if lastEmitted == nil || lastEmitted! != emitted {
        changes.append(CountedChange(time: moment, site: Int32(site), counted: emitted.counted, connected: connected))
        lastEmitted = emitted
      }
      guard nextTime <= end else { break }
      moment = nextTime
    }
    if anythingCounted && end > start { report.averageHeadcount = integral / (end - start) }
    if markedThroughRollCall {
      let mark = markActions(of: site).last { $0.unixSeconds <= start }
      report.plannedAbsence = PlannedAbsence(operatorName: mark?.operatorName, reason: mark?.detail, unixSeconds: mark?.unixSeconds)
    }
  }

  private func provenance(_ step: CountStep) -> CountProvenance {
    let name = step.storedOperator == 0 ? nil : operatorNames[Int(step.storedOperator) - 1]
    return CountProvenance(source: step.source, operatorName: name, unixSeconds: step.time)
  }

  /// The group sums at each moment, from every site's changes: each group's highest counted headcount (and
  /// when), and the conference's connected points and headcount sampled for the charts.
  static func sweep(_ changes: [CountedChange], tree: GroupTree, siteCount: Int, from start: Double, to end: Double) -> (
    peaks: [(count: Int, at: Double)?], connected: [SeriesPoint], headcount: [SeriesPoint]
  ) {
    let ordered = changes.sorted { $0.time < $1.time }
    var counted = [Int32](repeating: 0, count: siteCount)
    var up = [Bool](repeating: false, count: siteCount)
    var sums = [Int](repeating: 0, count: tree.nodes.count)
    var peaks = [(count: Int, at: Double)?](repeating: nil, count: tree.nodes.count)
    var touched = [Int]()
    var touchedMark = [Bool](repeating: false, count: tree.nodes.count)
    var connectedNow = 0
    var fewestConnected = Int.max
    var connectedSeries: [SeriesPoint] = []
    var headcountSeries: [SeriesPoint] = []
    let samples = ConferenceReport.seriesSamples
    let width = end > start ? (end - start) / Double(samples) : 0
    var nextSample = 0
    func sampleTime(_ index: Int) -> Double { index == samples ? end : start + Double(index) * width }
    func emitSamples(before time: Double, inclusive: Bool) {
      while nextSample <= samples, inclusive ? sampleTime(nextSample) <= time : sampleTime(nextSample) < time {
        connectedSeries.append(SeriesPoint(unixSeconds: sampleTime(nextSample), value: min(fewestConnected, connectedNow)))
        headcountSeries.append(SeriesPoint(unixSeconds: sampleTime(nextSample), value: sums[0]))
        fewestConnected = connectedNow
        nextSample += 1
        if width == 0 { nextSample = samples + 1 }
      }
    }
    var position = 0
    while position < ordered.count {
      let time = ordered[position].time
      // What happens at the very end (the monitor stopping) lasts no time: it is no moment of the session.
      if time >= end && end > start { break }
      if position > 0 { emitSamples(before: time, inclusive: false) }
      // Every change at one moment first, then the sums: a site dropping as another rises is no peak.
      while position < ordered.count && ordered[position].time == time {
        let change = ordered[position]
        let site = Int(change.site)
        let delta = Int(change.counted) - Int(counted[site])
        if delta != 0 {
          for node in tree.ancestorsOfSite[site] {
            sums[node] += delta
            if !touchedMark[node] {
              touchedMark[node] = true
              touched.append(node)
            }
          }
        }
        if up[site] != change.connected { connectedNow += change.connected ? 1 : -1 }
        counted[site] = change.counted
        up[site] = change.connected
        position += 1
      }
      for node in touched {
        touchedMark[node] = false
        if sums[node] > peaks[node]?.count ?? 0 { peaks[node] = (sums[node], time) }
      }
      touched.removeAll(keepingCapacity: true)
      fewestConnected = min(fewestConnected, connectedNow)
    }
    emitSamples(before: end, inclusive: true)
    return (peaks, connectedSeries, headcountSeries)
  }
}

protocol TimedStep {
  var time: Double { get }
  var site: Int32 { get }
}
