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
}

/// The post-conference report, computed from the journal alone.
public struct ConferenceReport: Sendable, Equatable {
  public var title: String
  public var sessions: [SessionReport]

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
    guard let first = records.first else { throw .emptyJournal }
    let timeline = Timeline(config: config, records: records)
    let lastTime = records.map(\.unixSeconds).max() ?? first.unixSeconds
    var sessions = config.schedule.sessions
    if sessions.isEmpty {
      sessions = [ScheduleSession(name: "whole recorded span", start: records.map(\.unixSeconds).min()!, end: lastTime)]
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
        groups: tree.depthFirstOrder.dropFirst().map { groups[$0] }, total: groups[0])
    }
    return ConferenceReport(title: config.title, sessions: reports)
  }
}

/// Each site's status and headcount over time, rebuilt from the journal.
struct Timeline {
  /// Per site: (time, status) at each change, in time order.
  var statuses: [[(time: Double, status: SiteStatus)]]
  /// Per site: (time, headcount or nil, highest count since the previous sample) at each change.
  var headcounts: [[(time: Double, count: Int?, peak: Int?)]]

  init(config: ConferenceConfig, records: [JournalRecord]) {
    let count = config.sites.count
    var index: [String: Int] = [:]
    for (position, site) in config.sites.enumerated() { index[site.id] = position }
    statuses = Array(repeating: [], count: count)
    headcounts = Array(repeating: [], count: count)
    var marked = [Bool](repeating: false, count: count)
    /// The last headcount set by hand, while no heartbeat has replaced it: a restarted monitor shows it again.
    var manual = [Int?](repeating: nil, count: count)
    // Journal order is time order except within a second (actions are written before the tick's batch).
    let ordered = records.enumerated().sorted { ($0.element.unixSeconds, $0.offset) < ($1.element.unixSeconds, $1.offset) }
    for (_, record) in ordered {
      let time = record.unixSeconds
      switch record.kind {
      case .start, .stop:
        // A (re)started monitor knows nothing until sites are heard again; marks and hand counts carry over.
        let starting = if case .start = record.kind { true } else { false }
        for site in 0..<count {
          statuses[site].append((time, starting && marked[site] ? .marked : .unknown))
          headcounts[site].append((time, starting ? manual[site] : nil, nil))
        }
        continue
      default: break
      }
      guard let id = record.site, let site = index[id] else { continue }
      switch record.kind {
      case .status(_, let to, _): statuses[site].append((time, to))
      case .mark: marked[site] = true
      case .clear: marked[site] = false
      case .headcount(let value, let source, _, let peak):
        headcounts[site].append((time, value, peak))
        manual[site] = source == .manual ? value : nil
      default: break
      }
    }
  }

  func report(site: Int, from start: Double, to end: Double, expected: Int) -> SiteReport {
    var report = SiteReport(site: site, expected: expected)
    report.sessionSeconds = max(0, end - start)
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
    let changes = statuses[site]
    for (position, change) in changes.enumerated() {
      let segmentEnd = position + 1 < changes.count ? changes[position + 1].time : Double.infinity
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
    let steps = headcounts[site]
    for (position, step) in steps.enumerated() {
      let stepEnd = position + 1 < steps.count ? steps[position + 1].time : Double.infinity
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
