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
        case .checkin: 4
        }
      storedOperator = operatorNumber
    }

    static let sources: [HeartbeatSource] = [.udp, .file, .manual, .probe, .checkin]

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
  /// Each time a site came into or went out of a conference bridge as the report counts it (BridgeTimeFigures.swift);
  /// grouped and re-based like the other steps.
  private var bridgeSteps: [BridgeStep] = []
  private var bridgeStarts: [Int] = []
  /// Whether each site is in a bridge now, as the journal read so far says.
  private var inBridge: [Bool]
  /// A restarted monitor with exactly one bridge takes back who was in it (BridgeBoard's `restoredSince`) and
  /// journals only a leave for a site gone; with several it journals its first poll's joins anew.
  let bridgeCarriesAcrossStart: Bool
  /// Whether the journal has any `bridge` record: only then does the report show bridge figures.
  private(set) var hasBridgeRecords = false
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
    var firstBridge = 0
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

  init(siteCount: Int, bridgeCarriesAcrossStart: Bool = false) {
    self.siteCount = siteCount
    self.bridgeCarriesAcrossStart = bridgeCarriesAcrossStart
    inBridge = Array(repeating: false, count: siteCount)
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
      segments.append(
        Segment(firstStatus: statusSteps.count, firstCount: countSteps.count, firstAction: actions.count, firstBridge: bridgeSteps.count))
      steps.append((segments.count - 1, time, step))
    case .start:
      segments.append(
        Segment(firstStatus: statusSteps.count, firstCount: countSteps.count, firstAction: actions.count, firstBridge: bridgeSteps.count))
    default: break
    }
    segments[segments.count - 1].earliest = min(segments[segments.count - 1].earliest, time)
    segments[segments.count - 1].latest = max(segments[segments.count - 1].latest, time)
    switch record.kind {
    case .start, .stop:
      // A (re)started monitor knows nothing until sites are heard again; marks and hand counts carry over.
      let starting = if case .start = record.kind { true } else { false }
      bridgeStretchesEnd(at: time, starting: starting)
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
    case .bridge(let joined):
      hasBridgeRecords = true
      // A join while in (a checkpoint's, or a restarted monitor's) keeps the stretch; a leave while out is no leave.
      if joined != inBridge[site] {
        inBridge[site] = joined
        bridgeSteps.append(BridgeStep(time: time, site: Int32(site), state: joined ? .joined : .left))
      }
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
      if source.isTypedByPerson, let name { number = operatorNumber(name) }
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
    (bridgeSteps, bridgeStarts) = Self.groupedBySite(bridgeSteps, siteCount: siteCount)
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
        let bridgeEnd = index + 1 < segments.count ? segments[index + 1].firstBridge : bridgeSteps.count
        for position in segments[index].firstBridge..<bridgeEnd { bridgeSteps[position].time += offset }
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
  func bridgeChanges(of site: Int) -> ArraySlice<BridgeStep> { bridgeSteps[bridgeStarts[site]..<bridgeStarts[site + 1]] }

  /// A stop or a start ends every stretch in the bridge, as it ends every status: nobody watched the bridge in
  /// between. A start with one bridge takes the sites that were in back in, as the restarted monitor does.
  private mutating func bridgeStretchesEnd(at time: Double, starting: Bool) {
    for site in 0..<siteCount where inBridge[site] {
      bridgeSteps.append(BridgeStep(time: time, site: Int32(site), state: .notWatched))
      if starting && bridgeCarriesAcrossStart {
        bridgeSteps.append(BridgeStep(time: time, site: Int32(site), state: .carried))
      } else if starting {
        inBridge[site] = false
      }
    }
  }

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
}

protocol TimedStep {
  var time: Double { get }
  var site: Int32 { get }
}
