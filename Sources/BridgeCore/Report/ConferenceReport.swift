import Foundation

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
  public struct Builder: Sendable, JournalFold {
    let config: ConferenceConfig
    var timeline: Timeline
    /// Site ids are ASCII (SiteRow's rule), so their bytes are the id: no normalising hash per record.
    private let siteIndex: SiteNameTable
    private var siteParts: Int?
    public private(set) var recordCount = 0

    public init(config: ConferenceConfig) {
      self.init(config: config, stepBlockShift: StepLog<Timeline.CountStep>.defaultBlockShift)
    }

    /// `stepBlockShift`: how many steps a block of the timeline's logs holds (1 << it); tests make it small so
    /// that a short journal crosses the blocks' seams. `siteParts`: in how many parts the sites' figures are
    /// computed at once (nil: one per core, and none under 1,000 sites; tests split a small roster).
    package init(config: ConferenceConfig, stepBlockShift: Int, siteParts: Int? = nil) {
      self.config = config
      self.siteParts = siteParts
      timeline = Timeline(
        siteCount: config.sites.count, bridgeCarriesAcrossStart: config.bridges.count == 1, stepBlockShift: stepBlockShift)
      var index = SiteNameTable(capacity: config.sites.count)
      for (position, site) in config.sites.enumerated() { index.insert(site.id, site: position) }
      siteIndex = index
    }

    public mutating func take(_ record: JournalRecord) {
      recordCount += 1
      timeline.take(record, site: record.site.flatMap { siteIndex.site(exactly: $0) })
    }

    /// A common line's site found by its id's bytes, with no string made of them.
    public mutating func take(_ line: JournalCommonLine) {
      recordCount += 1
      timeline.take(line, site: siteIndex.site(bytes: UnsafeRawBufferPointer(line.siteID)))
    }

    /// This builder followed by `later`, the builder of the records right after the ones this one took: a long
    /// journal is read in stretches on all cores, each into its own builder, joined in order.
    public mutating func append(_ later: consuming Builder) {
      recordCount += later.recordCount
      var taken = Timeline(siteCount: 0)
      swap(&taken, &later.timeline)
      timeline.append(consume taken)
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
        var changes: [[Timeline.CountedChange]] = []
        let sites = Self.siteFigures(
          timeline, config: config, session: session, observedEnd: observedEnd, parts: siteParts, changes: &changes)
        var groups = tree.nodes.map { GroupReport(path: $0.path) }
        for site in sites {
          for node in tree.ancestorsOfSite[site.site] { groups[node].add(site) }
        }
        let rollCallReached = session.rollCall <= observedEnd
        for node in groups.indices { groups[node].rollCallReached = rollCallReached }
        let sweep = Timeline.sweep(&changes, tree: tree, siteCount: config.sites.count, from: session.start, to: observedEnd)
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
          connectedSeries: sweep.connected, headcountSeries: sweep.headcount, hasBridge: timeline.hasBridgeRecords,
          hasCallQuality: timeline.hasQualityRecords, hasDisagreements: timeline.hasDisagreementRecords)
      }
      return ConferenceReport(title: config.title, sessions: reports, clockSteps: timeline.clockSteps)
    }

    /// Every site's figures in one session, and its changes of counted headcount for the group sums: the sites in
    /// as many consecutive parts as there are cores, each part on its own core with its own list of changes.
    static func siteFigures(
      _ timeline: Timeline, config: ConferenceConfig, session: ScheduleSession, observedEnd: Double, parts: Int?,
      changes: inout [[Timeline.CountedChange]]
    ) -> [SiteReport] {
      let siteCount = config.sites.count
      let partCount = max(1, min(parts ?? min(ProcessInfo.processInfo.activeProcessorCount, siteCount / 1_000), siteCount))
      var ranges = (0..<partCount).map { part in (siteCount * part / partCount)..<(siteCount * (part + 1) / partCount) }
      let results = OnAllCores.map(&ranges) { range in
        // At most one change a site per step and one at the session's start; reserved, not written, so only what
        // is used is in memory, and the array is never copied as it grows.
        var changes: [Timeline.CountedChange] = []
        changes.reserveCapacity(timeline.stepCount + range.count)
        let sites = range.map { index in
          let before = changes.count
          var site = timeline.report(
            site: index, from: session.start, to: observedEnd, rollCall: session.rollCall, expected: config.sites[index].expected,
            changes: &changes)
          timeline.bridgeFigures(of: &site, from: session.start, to: observedEnd, sessionEnd: session.end)
          // A planned absence is in no group's figures.
          if site.plannedAbsence != nil { changes.removeSubrange(before...) }
          return site
        }
        return (sites, changes)
      }
      changes = results.map(\.1)
      return results.flatMap(\.0)
    }
  }
}
