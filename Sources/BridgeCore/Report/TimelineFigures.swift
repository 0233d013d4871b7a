/// What the timeline says of one site over a session, and of its groups at each moment.
extension Timeline {
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
  /// Each part of `changes` (a run of sites' changes, `ConferenceReport.Builder.siteFigures`) is put in time order in
  /// place, the parts on all cores at once, then read in time order across them (a copy of millions of changes would
  /// be the report's peak); the order of changes at one moment does not matter, as every change at a moment is
  /// applied before the sums.
  static func sweep(
    _ parts: inout [[CountedChange]], tree: GroupTree, siteCount: Int, from start: Double, to end: Double
  ) -> (peaks: [(count: Int, at: Double)?], connected: [SeriesPoint], headcount: [SeriesPoint]) {
    sortInPlace(&parts)
    // The part whose next change comes first (few parts: one per core).
    var heads = [Int](repeating: 0, count: parts.count)
    func nextPart() -> Int? {
      var best: Int?
      for part in parts.indices where heads[part] < parts[part].count {
        if let chosen = best, parts[chosen][heads[chosen]].time <= parts[part][heads[part]].time { continue }
        best = part
      }
      return best
    }
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
    var first = true
    while let part = nextPart() {
      let time = parts[part][heads[part]].time
      // What happens at the very end (the monitor stopping) lasts no time: it is no moment of the session.
      if time >= end && end > start { break }
      if !first { emitSamples(before: time, inclusive: false) }
      first = false
      // Every change at one moment first, then the sums: a site dropping as another rises is no peak.
      while let next = nextPart(), parts[next][heads[next]].time == time {
        let change = parts[next][heads[next]]
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
        heads[next] += 1
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

  /// Each part sorted by time where it lies, on its own core.
  private static func sortInPlace(_ parts: inout [[CountedChange]]) {
    OnAllCores.update(&parts) { part in part.sort { $0.time < $1.time } }
  }
}
