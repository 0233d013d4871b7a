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

    /// The report, once every record is in. Once: the builder gives up its steps as it makes the figures.
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
      let windows = sessions.map { SessionWindow(session: $0, observedEnd: max($0.start, min($0.end, lastTime))) }
      let (sitesBySession, figuredChanges) = Self.siteFigures(&timeline, config: config, windows: windows, parts: siteParts)
      var changesBySession = figuredChanges
      let tree = GroupTree(sites: config.sites)
      var reports: [SessionReport] = []
      for (index, window) in windows.enumerated() {
        let (session, observedEnd) = (window.session, window.observedEnd)
        let sites = sitesBySession[index]
        var groups = tree.nodes.map { GroupReport(path: $0.path) }
        for site in sites {
          for node in tree.ancestorsOfSite[site.site] { groups[node].add(site) }
        }
        let rollCallReached = session.rollCall <= observedEnd
        for node in groups.indices { groups[node].rollCallReached = rollCallReached }
        // Taken out, so that the sweep sorts the only copy where it lies, and it is freed before the next session's.
        var changes: [[Timeline.CountedChange]] = []
        swap(&changes, &changesBySession[index])
        let sweep = Timeline.sweep(&changes, tree: tree, siteCount: config.sites.count, from: session.start, to: observedEnd)
        changes = []
        for node in groups.indices {
          groups[node].peakHeadcount = sweep.peaks[node]?.count
          groups[node].peakAt = sweep.peaks[node]?.at
        }
        reports.append(
          SessionReport(
            name: session.name, start: session.start, end: session.end, rollCall: session.rollCall, observedEnd: observedEnd,
            sites: sites,
            // Each province followed by its own districts, wherever the roster first mentions them.
            groups: tree.depthFirstOrder.dropFirst().map { groups[$0] }, total: groups[0],
            actions: timeline.actions(from: session.start, through: observedEnd), connectedSeries: sweep.connected,
            headcountSeries: sweep.headcount, hasBridge: timeline.hasBridgeRecords, hasCallQuality: timeline.hasQualityRecords,
            hasDisagreements: timeline.hasDisagreementRecords))
      }
      return ConferenceReport(title: config.title, sessions: reports, clockSteps: timeline.clockSteps)
    }

    struct SessionWindow: Sendable {
      var session: ScheduleSession
      /// Where the journal's records stop within the session.
      var observedEnd: Double
    }

    /// A run of consecutive sites, a timeline holding their steps only, and their figures in each session.
    private struct SitePart: Sendable {
      var range: Range<Int>
      var timeline: Timeline
      var sites: [[SiteReport]] = []
      var changes: [[Timeline.CountedChange]] = []
    }

    /// Every site's figures in each session, and its changes of counted headcount for the group sums: the sites in
    /// as many consecutive parts as there are cores, each part on its own core with its own lists of changes. Each
    /// site's figures in every session are made at once, so that each part gives back its steps as it goes: the
    /// changes grow as the steps shrink. `timeline` holds no steps after.
    static func siteFigures(
      _ timeline: inout Timeline, config: ConferenceConfig, windows: [SessionWindow], parts: Int?
    ) -> (sites: [[SiteReport]], changes: [[[Timeline.CountedChange]]]) {
      let siteCount = config.sites.count
      let partCount = max(1, min(parts ?? min(ProcessInfo.processInfo.activeProcessorCount, siteCount / 1_000), siteCount))
      var siteParts = (0..<partCount).map { part in
        let range = (siteCount * part / partCount)..<(siteCount * (part + 1) / partCount)
        return SitePart(range: range, timeline: timeline.keepingSteps(ofSites: range))
      }
      timeline.releaseSteps()
      // Each part changed where it lies, its timeline the only holder of its steps.
      OnAllCores.update(&siteParts) { part in
        // At most one change a site per step and one at the session's start; reserved, not written, so only what
        // is used is in memory, and the array is never copied as it grows.
        let room = part.timeline.stepCount + part.range.count
        part.changes = windows.map { _ in
          var changes: [Timeline.CountedChange] = []
          changes.reserveCapacity(room)
          return changes
        }
        part.sites = windows.map { _ in
          var sites: [SiteReport] = []
          sites.reserveCapacity(part.range.count)
          return sites
        }
        for index in part.range {
          for (session, window) in windows.enumerated() {
            let before = part.changes[session].count
            var site = part.timeline.report(
              site: index, from: window.session.start, to: window.observedEnd, rollCall: window.session.rollCall,
              expected: config.sites[index].expected, changes: &part.changes[session])
            part.timeline.bridgeFigures(of: &site, from: window.session.start, to: window.observedEnd, sessionEnd: window.session.end)
            // A planned absence is in no group's figures.
            if site.plannedAbsence != nil { part.changes[session].removeSubrange(before...) }
            part.sites[session].append(site)
          }
          part.timeline.releaseSteps(ofSitesBefore: index + 1)
        }
        // The run it shares with the next part, if any.
        part.timeline.releaseSteps()
      }
      var sitesBySession = [[SiteReport]](repeating: [], count: windows.count)
      var changesBySession = [[[Timeline.CountedChange]]](repeating: [], count: windows.count)
      for part in siteParts.indices {
        for session in windows.indices {
          sitesBySession[session].append(contentsOf: siteParts[part].sites[session])
          // Moved, not shared: the sweep sorts each list where it lies.
          changesBySession[session].append(siteParts[part].changes[session])
          siteParts[part].changes[session] = []
        }
      }
      return (sitesBySession, changesBySession)
    }
  }
}
