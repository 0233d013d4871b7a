/// Each site's status and headcount over time, rebuilt from the journal one record at a time.
///
/// While the journal is read, steps go to the end of one log in journal order: appending to one array per site
/// missed the cache twice a record (7,400 arrays) and took a quarter of the report's time. `seal` then groups
/// the log by site with a counting sort, which keeps journal order within a site (StepLog.swift).
///
/// A long journal is read in stretches on all cores, one timeline each, joined in order (Timeline+Join.swift). A
/// stretch does not know the state its first records meet (is a site marked when a start comes, whose count does
/// a hand count correct): what depends on it is kept as unresolved and settled by the join, or by `seal` with the
/// state at the journal's beginning (nothing marked, no counts). One journal read whole goes the same way. The
/// steps' types are in TimelineSteps.swift.
struct Timeline: Sendable {
  let siteCount: Int
  // Internal, not private: the join (Timeline+Join.swift) works on them.
  /// Each time a site came into or went out of a conference bridge as the report counts it (BridgeTimeFigures.swift);
  /// made from `bridgeEvents` by `seal`, then grouped and re-based like the other steps.
  var bridgeSteps = StepLog<BridgeStep>()
  var bridgeEvents: [BridgeEvent] = []
  /// A restarted monitor with exactly one bridge takes back who was in it (BridgeBoard's `restoredSince`) and
  /// journals only a leave for a site gone; with several it journals its first poll's joins anew.
  let bridgeCarriesAcrossStart: Bool
  /// Whether the journal has any `bridge` record: only then does the report show bridge figures.
  var hasBridgeRecords = false
  /// Whether it has any `bridge_quality` record: only then does the report show the calls' quality.
  var hasQualityRecords = false
  /// Whether it has any `bridge_disagreement` record: only then does the report show the disagreements.
  var hasDisagreementRecords = false
  /// Each status change, in journal order until `seal` groups them into `statusesBySite`.
  var statusSteps = StepLog<StatusStep>()
  /// Each headcount (or its loss at a start or stop), with the highest count since the previous sample; in
  /// journal order until `seal` groups them into `countsBySite`.
  var countSteps = StepLog<CountStep>()
  /// Operator actions, in journal order (few: people make them).
  var actions: [OperatorAction] = []
  /// After `seal`: each site's steps, in time order.
  private var statusesBySite = StepsBySite<StatusStep>()
  private var countsBySite = StepsBySite<CountStep>()
  private var bridgeBySite = StepsBySite<BridgeStep>()
  private(set) var isSealed = false
  var marked: [Known<Bool>]
  /// Per site, the sources its heartbeat-caused status changes named.
  var heardBy: [Set<HeartbeatSource>]
  /// The last headcount set by hand, while no heartbeat has replaced it: a restarted monitor shows it again.
  var manual: [Known<ManualCount?>]
  /// Per site, where its latest count step is in `countSteps` (-1: none in this stretch), for corrections.
  var latestCount: [Int]
  /// Unresolved: starts' status steps of sites whose mark is from before, and count steps carrying a hand count
  /// from before (`CountStep.carriedFromBefore`); hand counts that may correct a count from before.
  var markedFromBefore: [Int] = []
  var carriedFromBefore: [Int] = []
  var pendingCorrections: [PendingCorrection] = []
  /// After `seal`: per site, where its marks are in `actions` (few: people make them).
  private var marksBySite: [Int: [Int]] = [:]
  /// Who set counts by hand, each name once; a step refers to it by number.
  var operatorNames: [String] = []
  var operatorNumbers: [String: UInt16] = [:]

  /// A stretch of the journal on one wall clock: a new one begins at each start and at each clock step.
  struct Segment {
    var firstStatus: Int
    var firstCount: Int
    var firstAction: Int
    /// Where it begins in `bridgeEvents`; in `bridgeSteps` once `seal` has replayed them.
    var firstBridge = 0
    var earliest = Double.infinity
    var latest = -Double.infinity
    /// The clock step that ended it; nil when a start (or the journal's end) did.
    var stepAtEnd: Double?
    /// Seconds added to its times by `seal`.
    var offset = 0.0
  }

  var segments = [Segment(firstStatus: 0, firstCount: 0, firstAction: 0)]
  /// Clock steps: the segment each begins, and by how much.
  var steps: [(segment: Int, unixSeconds: Double, seconds: Double)] = []
  /// After `seal`: the earliest and latest time of any record, re-based.
  private(set) var firstTime = Double.infinity
  private(set) var lastTime = -Double.infinity

  init(siteCount: Int, bridgeCarriesAcrossStart: Bool = false, stepBlockShift: Int = StepLog<CountStep>.defaultBlockShift) {
    self.siteCount = siteCount
    statusSteps = StepLog(blockShift: stepBlockShift)
    countSteps = StepLog(blockShift: stepBlockShift)
    bridgeSteps = StepLog(blockShift: stepBlockShift)
    self.bridgeCarriesAcrossStart = bridgeCarriesAcrossStart
    marked = Array(repeating: .fromBefore, count: siteCount)
    manual = Array(repeating: .fromBefore, count: siteCount)
    latestCount = Array(repeating: -1, count: siteCount)
    heardBy = Array(repeating: [], count: siteCount)
  }

  mutating func take(_ record: JournalRecord, site: Int?) {
    precondition(!isSealed, "a sealed timeline takes no more records")
    let time = record.unixSeconds
    switch record.kind {
    case .clock(let step):
      segments[segments.count - 1].stepAtEnd = step
      segments.append(
        Segment(firstStatus: statusSteps.count, firstCount: countSteps.count, firstAction: actions.count, firstBridge: bridgeEvents.count))
      steps.append((segments.count - 1, time, step))
    case .start:
      segments.append(
        Segment(firstStatus: statusSteps.count, firstCount: countSteps.count, firstAction: actions.count, firstBridge: bridgeEvents.count))
    default: break
    }
    noteTime(time)
    switch record.kind {
    case .start, .stop:
      // A (re)started monitor knows nothing until sites are heard again; marks and hand counts carry over.
      let starting = if case .start = record.kind { true } else { false }
      bridgeEvents.append(BridgeEvent(time: time, site: starting ? -1 : -2, change: .notWatched))
      for site in 0..<siteCount {
        var status = SiteStatus.unknown
        var carried: ManualCount?
        var carriesFromBefore = false
        if starting {
          switch marked[site] {
          case .set(let isMarked): if isMarked { status = .marked }
          case .fromBefore: markedFromBefore.append(statusSteps.count)
          }
          switch manual[site] {
          case .set(let count): carried = count
          case .fromBefore: carriesFromBefore = true
          }
        }
        statusSteps.append(StatusStep(time: time, site: Int32(site), status: status))
        latestCount[site] = countSteps.count
        var step = CountStep(
          time: time, site: site, count: carried?.count, peak: nil, source: .manual, operatorNumber: carried?.operatorNumber ?? 0)
        if carriesFromBefore {
          step.storedSource = CountStep.carriedFromBefore
          carriedFromBefore.append(countSteps.count)
        }
        countSteps.append(step)
      }
      return
    default: break
    }
    guard let site else { return }
    switch record.kind {
    case .bridge(let joined):
      hasBridgeRecords = true
      bridgeEvents.append(BridgeEvent(time: time, site: Int32(site), change: joined ? .joined : .left))
    case .bridgeQuality(let verdict):
      hasQualityRecords = true
      bridgeEvents.append(BridgeEvent(time: time, site: Int32(site), change: BridgeStep.State(verdict: verdict)))
    case .bridgeDisagreement(let word):
      hasDisagreementRecords = true
      bridgeEvents.append(BridgeEvent(time: time, site: Int32(site), change: BridgeStep.State(disagreement: word)))
    case .status(_, let to, _, let source): takeStatus(time: time, site: site, to: to, source: source)
    case .mark(let name, let reason):
      marked[site] = .set(true)
      actions.append(OperatorAction(unixSeconds: time, site: site, kind: .mark, operatorName: name, detail: reason))
    case .clear(let name):
      marked[site] = .set(false)
      actions.append(OperatorAction(unixSeconds: time, site: site, kind: .clear, operatorName: name))
    case .acknowledge(let name): actions.append(OperatorAction(unixSeconds: time, site: site, kind: .acknowledge, operatorName: name))
    case .claim(let name): actions.append(OperatorAction(unixSeconds: time, site: site, kind: .claim, operatorName: name))
    case .release(let name, _): actions.append(OperatorAction(unixSeconds: time, site: site, kind: .release, operatorName: name))
    case .headcount(let value, let source, let name, let peak):
      takeHeadcount(time: time, site: site, count: value, source: source, operatorName: name, peak: peak)
    default: break
    }
  }

  /// A common line (a headcount sample or status change as the writer gives it): what `take` does with its record.
  mutating func take(_ line: JournalCommonLine, site: Int?) {
    precondition(!isSealed, "a sealed timeline takes no more records")
    noteTime(line.unixSeconds)
    guard let site else { return }
    switch line.kind {
    case .status(_, let to, _, let source): takeStatus(time: line.unixSeconds, site: site, to: to, source: source)
    case .headcount(let count, let source, let peak):
      takeHeadcount(time: line.unixSeconds, site: site, count: count, source: source, operatorName: nil, peak: peak)
    }
  }

  /// The current segment spans `time`.
  private mutating func noteTime(_ time: Double) {
    segments[segments.count - 1].earliest = min(segments[segments.count - 1].earliest, time)
    segments[segments.count - 1].latest = max(segments[segments.count - 1].latest, time)
  }

  private mutating func takeStatus(time: Double, site: Int, to: SiteStatus, source: HeartbeatSource?) {
    statusSteps.append(StatusStep(time: time, site: Int32(site), status: to))
    if let source { heardBy[site].insert(source) }
  }

  private mutating func takeHeadcount(
    time: Double, site: Int, count value: Int, source: HeartbeatSource, operatorName name: String?, peak: Int?
  ) {
    var number: UInt16 = 0
    if source.isTypedByPerson, let name { number = operatorNumber(name) }
    let previous = latestCount[site]
    let position = countSteps.count
    latestCount[site] = position
    countSteps.append(CountStep(time: time, site: site, count: value, peak: peak, source: source, operatorNumber: number))
    manual[site] = .set(source == .manual ? ManualCount(count: value, operatorNumber: number) : nil)
    guard source == .manual else { return }
    var action: Int?
    if let name {
      action = actions.count
      actions.append(OperatorAction(unixSeconds: time, site: site, kind: .headcount, operatorName: name, detail: "\(value)"))
    }
    let correction = PendingCorrection(step: position, action: action, target: previous < 0 ? nil : previous)
    if previous >= 0 && countSteps[previous].storedSource != CountStep.carriedFromBefore {
      correct(correction, target: previous)
    } else {
      pendingCorrections.append(correction)
    }
  }

  mutating func operatorNumber(_ name: String) -> UInt16 {
    if let number = operatorNumbers[name] { return number }
    // Names beyond the 65,535th stay unnamed in the provenance (never in practice: people set counts).
    guard operatorNames.count < Int(UInt16.max) else { return 0 }
    operatorNames.append(name)
    operatorNumbers[name] = UInt16(operatorNames.count)
    return UInt16(operatorNames.count)
  }

  /// A hand count within the correction window after the site's previous count replaces it: the count it
  /// replaces is taken as never in force (a typo must not reach a published peak).
  mutating func correct(_ correction: PendingCorrection, target: Int) {
    let previous = countSteps[target]
    let step = countSteps[correction.step]
    guard let previousCount = previous.count, step.time - previous.time <= ConferenceReport.correctionWindow, step.time >= previous.time
    else { return }
    countSteps[target] = CountStep(
      time: previous.time, site: Int(step.site), count: step.count, peak: nil, source: .manual, operatorNumber: step.storedOperator)
    if let action = correction.action { actions[action].correctedCount = previousCount }
  }

  /// Re-bases the times before each clock step, then groups the steps by site, each site's in time order.
  mutating func seal() {
    guard !isSealed else { return }
    settleWithJournalStart()
    replayBridgeEvents()
    rebase()
    // Re-based runs can interleave; equal times keep journal order. Most journals need no sort: no copy then (a
    // two-day journal's actions are tens of megabytes).
    if zip(actions, actions.dropFirst()).contains(where: { $0.unixSeconds > $1.unixSeconds }) {
      let order = actions.indices.sorted { (actions[$0].unixSeconds, $0) < (actions[$1].unixSeconds, $1) }
      actions = order.map { actions[$0] }
    }
    for (position, action) in actions.enumerated() where action.kind == .mark { marksBySite[action.site, default: []].append(position) }
    statusesBySite = StepsBySite(grouping: &statusSteps, siteCount: siteCount)
    countsBySite = StepsBySite(grouping: &countSteps, siteCount: siteCount)
    bridgeBySite = StepsBySite(grouping: &bridgeSteps, siteCount: siteCount)
    isSealed = true
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

  /// After `seal`: the operator actions from `start` through `end`, shared with the timeline's when that is all
  /// of them.
  func actions(from start: Double, through end: Double) -> [OperatorAction] {
    let first = firstAction { $0.unixSeconds >= start }
    let after = max(first, firstAction { $0.unixSeconds > end })
    return first == 0 && after == actions.count ? actions : Array(actions[first..<after])
  }

  /// The first action for which `isAtOrPast` holds, in time order (`actions.count` if none): a binary search.
  private func firstAction(where isAtOrPast: (OperatorAction) -> Bool) -> Int {
    var (low, high) = (0, actions.count)
    while low < high {
      let middle = (low + high) / 2
      if isAtOrPast(actions[middle]) { high = middle } else { low = middle + 1 }
    }
    return low
  }

  func markActions(of site: Int) -> [OperatorAction] { (marksBySite[site] ?? []).map { actions[$0] } }

  /// After `seal`: the status and headcount steps of every site still held.
  var stepCount: Int { statusesBySite.count + countsBySite.count }

  /// A copy that holds the steps of `sites` only, to make their figures on a core of its own; `releaseSteps` then
  /// gives up this timeline's, so that each part frees its steps as it goes (the report's peak was every site's
  /// steps alive beside every change of the group sums: 1.3 GiB at 100,000 sites).
  func keepingSteps(ofSites sites: Range<Int>) -> Timeline {
    var part = self
    part.statusesBySite = statusesBySite.keeping(sites: sites)
    part.countsBySite = countsBySite.keeping(sites: sites)
    part.bridgeBySite = bridgeBySite.keeping(sites: sites)
    return part
  }

  /// Gives up every site's steps (the parts from `keepingSteps` hold them).
  mutating func releaseSteps() {
    statusesBySite = StepsBySite()
    countsBySite = StepsBySite()
    bridgeBySite = StepsBySite()
  }

  /// Gives back what holds only the steps of sites before `site`: their figures are made.
  mutating func releaseSteps(ofSitesBefore site: Int) {
    statusesBySite.release(sitesBefore: site)
    countsBySite.release(sitesBefore: site)
    bridgeBySite.release(sitesBefore: site)
  }

  func statuses(of site: Int) -> ArraySlice<StatusStep> { statusesBySite[site] }
  func headcounts(of site: Int) -> ArraySlice<CountStep> { countsBySite[site] }
  func bridgeChanges(of site: Int) -> ArraySlice<BridgeStep> { bridgeBySite[site] }

  /// The bridge's steps from its records, in journal order; each segment's `firstBridge` becomes a step's place.
  /// A join while in (a checkpoint's, or a restarted monitor's) keeps the stretch; a leave while out is no leave.
  /// A stop or a start ends every stretch in the bridge, as it ends every status: nobody watched the bridge in
  /// between. A start with one bridge takes the sites that were in back in, as the restarted monitor does.
  private mutating func replayBridgeEvents() {
    var inBridge = [Bool](repeating: false, count: siteCount)
    var disagreeing = [Bool](repeating: false, count: siteCount)
    var segment = 0
    for (index, event) in bridgeEvents.enumerated() {
      while segment < segments.count && segments[segment].firstBridge <= index {
        segments[segment].firstBridge = bridgeSteps.count
        segment += 1
      }
      if event.site >= 0 {
        let site = Int(event.site)
        switch event.change {
        case .joined, .left:
          let joined = event.change == .joined
          if joined != inBridge[site] {
            inBridge[site] = joined
            bridgeSteps.append(BridgeStep(time: event.time, site: event.site, state: event.change))
          }
        case .agentSilent, .aliveNotInBridge, .agreeing:
          disagreeing[site] = event.change != .agreeing
          bridgeSteps.append(BridgeStep(time: event.time, site: event.site, state: event.change))
        default:
          bridgeSteps.append(BridgeStep(time: event.time, site: event.site, state: event.change))
        }
        continue
      }
      let starting = event.site == -1
      // A stop or start ends every disagreement (the restarted monitor journals those it sees anew).
      for site in 0..<siteCount where disagreeing[site] && !inBridge[site] {
        bridgeSteps.append(BridgeStep(time: event.time, site: Int32(site), state: .agreeing))
        disagreeing[site] = false
      }
      for site in 0..<siteCount where inBridge[site] {
        disagreeing[site] = false
        bridgeSteps.append(BridgeStep(time: event.time, site: Int32(site), state: .notWatched))
        if starting && bridgeCarriesAcrossStart {
          bridgeSteps.append(BridgeStep(time: event.time, site: Int32(site), state: .carried))
        } else if starting {
          inBridge[site] = false
        }
      }
    }
    while segment < segments.count {
      segments[segment].firstBridge = bridgeSteps.count
      segment += 1
    }
    bridgeEvents = []
  }
}

protocol TimedStep {
  var time: Double { get }
  var site: Int32 { get }
}
