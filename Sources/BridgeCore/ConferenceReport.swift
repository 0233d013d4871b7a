public struct ClockStepNote: Sendable, Equatable {
  public var unixSeconds: Double
  public var seconds: Double

  public init(unixSeconds: Double, seconds: Double) {
    self.unixSeconds = unixSeconds
    self.seconds = seconds
  }
}

/// Figures for one bridge point over one session.
public struct SiteReport: Sendable, Equatable {
  public var site: Int
  public var expected: Int
  /// Seconds online or late (heard in time, or nearly).
  public var upSeconds: Double = 0
  public var sessionSeconds: Double = 0
  public var outages = 0
  public var outageSeconds: Double = 0
  public var longestOutageSeconds: Double = 0
  /// From the session's start to the first moment up in it; nil if never up.
  public var firstConnectSeconds: Double?
  public var peakHeadcount: Int?
  public var averageHeadcount: Double?
  /// How the site was heard over the whole journal (agent datagrams, heartbeat files, the monitor's probes), as
  /// the status records of its heartbeats say; empty for journals from before that was recorded.
  public var heardBy: [HeartbeatSource] = []

  public var onlinePercent: Double { sessionSeconds > 0 ? upSeconds * 100 / sessionSeconds : 0 }
  public var attendancePercent: Double? {
    guard expected > 0, let peakHeadcount else { return nil }
    return Double(peakHeadcount) * 100 / Double(expected)
  }
}

/// A district, a province, or the whole conference: sums over the sites under it.
public struct GroupReport: Sendable, Equatable {
  public var path: [String]
  public var sites = 0
  /// Sites up at least once in the session.
  public var connected = 0
  public var upSeconds: Double = 0
  public var siteSeconds: Double = 0
  public var outages = 0
  public var outageSeconds: Double = 0
  /// Sum of each site's peak headcount.
  public var peakHeadcount = 0
  public var expected = 0

  public var onlinePercent: Double { siteSeconds > 0 ? upSeconds * 100 / siteSeconds : 0 }
  public var attendancePercent: Double? { expected > 0 ? Double(peakHeadcount) * 100 / Double(expected) : nil }

  mutating func add(_ site: SiteReport) {
    sites += 1
    connected += site.firstConnectSeconds == nil ? 0 : 1
    upSeconds += site.upSeconds
    siteSeconds += site.sessionSeconds
    outages += site.outages
    outageSeconds += site.outageSeconds
    peakHeadcount += site.peakHeadcount ?? 0
    expected += site.expected
  }
}

public struct SessionReport: Sendable, Equatable {
  public var name: String
  public var start: Double
  public var end: Double
  /// Where the journal's data for this session ends (earlier than `end` while it is still running).
  public var observedEnd: Double
  public var sites: [SiteReport]
  /// Every group at every depth, depth first: each group directly followed by the groups under it.
  public var groups: [GroupReport]
  public var total: GroupReport
  /// What operators did in the session, in time order.
  public var actions: [OperatorAction] = []
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

  public init(unixSeconds: Double, site: Int, kind: Kind, operatorName: String?, detail: String? = nil) {
    self.unixSeconds = unixSeconds
    self.site = site
    self.kind = kind
    self.operatorName = operatorName
    self.detail = detail
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
        let sites = config.sites.indices.map {
          timeline.report(site: $0, from: session.start, to: observedEnd, expected: config.sites[$0].expected)
        }
        var groups = tree.nodes.map { GroupReport(path: $0.path) }
        for site in sites {
          for node in tree.ancestorsOfSite[site.site] { groups[node].add(site) }
        }
        return SessionReport(
          name: session.name, start: session.start, end: session.end, observedEnd: observedEnd, sites: sites,
          // Each province followed by its own districts, wherever the roster first mentions them.
          groups: tree.depthFirstOrder.dropFirst().map { groups[$0] }, total: groups[0],
          actions: timeline.actions.filter { $0.unixSeconds >= session.start && $0.unixSeconds <= observedEnd })
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

    init(time: Double, site: Int, count: Int?, peak: Int?) {
      self.time = time
      self.site = Int32(site)
      storedCount = count.map { Int32(clamping: $0) } ?? -1
      storedPeak = peak.map { Int32(clamping: $0) } ?? -1
    }

    var count: Int? { storedCount < 0 ? nil : Int(storedCount) }
    var peak: Int? { storedPeak < 0 ? nil : Int(storedPeak) }
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
  private var marked: [Bool]
  /// Per site, the sources its heartbeat-caused status changes named.
  private var heardBy: [Set<HeartbeatSource>]
  /// The last headcount set by hand, while no heartbeat has replaced it: a restarted monitor shows it again.
  private var manual: [Int?]

  /// A stretch of the journal on one wall clock: a new one begins at each start and at each clock step.
  private struct Segment {
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

  private var segments = [Segment(firstStatus: 0, firstCount: 0, firstAction: 0)]
  /// Clock steps: the segment each begins, and by how much.
  private var steps: [(segment: Int, unixSeconds: Double, seconds: Double)] = []
  /// After `seal`: the earliest and latest time of any record, re-based.
  private(set) var firstTime = Double.infinity
  private(set) var lastTime = -Double.infinity

  init(siteCount: Int) {
    self.siteCount = siteCount
    marked = Array(repeating: false, count: siteCount)
    manual = Array(repeating: nil, count: siteCount)
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
        countSteps.append(CountStep(time: time, site: site, count: starting ? manual[site] : nil, peak: nil))
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
      countSteps.append(CountStep(time: time, site: site, count: value, peak: peak))
      manual[site] = source == .manual ? value : nil
      if let name, source == .manual {
        actions.append(OperatorAction(unixSeconds: time, site: site, kind: .headcount, operatorName: name, detail: "\(value)"))
      }
    default: break
    }
  }

  /// Re-bases the times before each clock step, then groups the steps by site, each site's in time order.
  mutating func seal() {
    guard !isSealed else { return }
    rebase()
    // Re-based runs can interleave; equal times keep journal order.
    actions = actions.enumerated().sorted { ($0.element.unixSeconds, $0.offset) < ($1.element.unixSeconds, $1.offset) }.map(\.element)
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

  func report(site: Int, from start: Double, to end: Double, expected: Int) -> SiteReport {
    var report = SiteReport(site: site, expected: expected)
    report.sessionSeconds = max(0, end - start)
    report.heardBy = [HeartbeatSource.udp, .file, .probe].filter { heardBy[site].contains($0) }
    // Status: walk the segments, remembering whether the site was ever up (an outage needs a prior connection).
    var everUp = false
    var outageOpen = false
    var currentOutage = 0.0
    func closeOutage() {
      if outageOpen {
        report.longestOutageSeconds = max(report.longestOutageSeconds, currentOutage)
        outageOpen = false
        currentOutage = 0
      }
    }
    let changes = statuses(of: site)
    for position in changes.indices {
      let change = changes[position]
      let segmentEnd = position + 1 < changes.endIndex ? changes[position + 1].time : Double.infinity
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
    // Headcount: the value in force at each moment of the session.
    var weighted = 0.0
    var known = 0.0
    let steps = headcounts(of: site)
    for position in steps.indices {
      let step = steps[position]
      let stepEnd = position + 1 < steps.endIndex ? steps[position + 1].time : Double.infinity
      let clippedStart = max(step.time, start)
      let clippedEnd = min(stepEnd, end)
      guard let value = step.count, clippedEnd > clippedStart || (step.time >= start && step.time <= end) else { continue }
      // A sample's `peak` is the highest count since the previous sample, reported at or before its time.
      let peak = step.time >= start && step.time <= end ? max(value, step.peak ?? value) : value
      report.peakHeadcount = max(report.peakHeadcount ?? peak, peak)
      if clippedEnd > clippedStart {
        weighted += Double(value) * (clippedEnd - clippedStart)
        known += clippedEnd - clippedStart
      }
    }
    if known > 0 { report.averageHeadcount = weighted / known }
    return report
  }
}

protocol TimedStep {
  var time: Double { get }
  var site: Int32 { get }
}
