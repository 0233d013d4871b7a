/// Joining the timelines of consecutive stretches of a journal, read on all cores at once: the later stretch's
/// steps go after this one's, and what the later one could not know (the state its first records met) is settled
/// from this one's state, or left for the next join, or for `seal` when this one does not know it either.
extension Timeline {
  /// This timeline followed by `later`, the timeline of the records right after the ones this one took. Its
  /// steps are moved, not copied: its blocks are given back as they are taken.
  mutating func append(_ later: consuming Timeline) {
    precondition(!isSealed && !later.isSealed, "only timelines still taking records are joined")
    let statusOffset = statusSteps.count
    let countOffset = countSteps.count
    let actionOffset = actions.count
    let bridgeOffset = bridgeEvents.count
    let segmentOffset = segments.count - 1

    // Who set counts by hand: the later stretch's numbers become this one's.
    let numbers = [UInt16(0)] + later.operatorNames.map { operatorNumber($0) }
    let renumbered = numbers.indices.contains { numbers[$0] != UInt16($0) }
    func renumber(_ count: ManualCount?) -> ManualCount? {
      count.map { ManualCount(count: $0.count, operatorNumber: numbers[Int($0.operatorNumber)]) }
    }

    statusSteps.append(draining: &later.statusSteps)
    countSteps.append(draining: &later.countSteps)
    actions.append(contentsOf: later.actions)
    bridgeEvents.append(contentsOf: later.bridgeEvents)
    if renumbered {
      for position in countOffset..<countSteps.count where countSteps[position].storedOperator != 0 {
        countSteps[position].storedOperator = numbers[Int(countSteps[position].storedOperator)]
      }
    }

    // A start in the later stretch met the marks and hand counts this one ends with.
    for found in later.markedFromBefore {
      let position = found + statusOffset
      switch marked[Int(statusSteps[position].site)] {
      case .set(let isMarked): if isMarked { statusSteps[position].status = .marked }
      case .fromBefore: markedFromBefore.append(position)
      }
    }
    for found in later.carriedFromBefore {
      let position = found + countOffset
      switch manual[Int(countSteps[position].site)] {
      case .set(let count): carry(count, into: position)
      case .fromBefore: carriedFromBefore.append(position)
      }
    }
    // Its first hand count of a site may correct the count this one ends with.
    for pending in later.pendingCorrections {
      var correction = PendingCorrection(
        step: pending.step + countOffset, action: pending.action.map { $0 + actionOffset },
        target: pending.target.map { $0 + countOffset })
      if correction.target == nil {
        let site = Int(countSteps[correction.step].site)
        correction.target = latestCount[site] >= 0 ? latestCount[site] : nil
      }
      if let target = correction.target, countSteps[target].storedSource != CountStep.carriedFromBefore {
        correct(correction, target: target)
      } else {
        pendingCorrections.append(correction)
      }
    }

    // The state at the end of both: the later stretch's wherever it set it.
    for site in 0..<siteCount {
      if case .set = later.marked[site] { marked[site] = later.marked[site] }
      if case .set(let count) = later.manual[site] { manual[site] = .set(renumber(count)) }
      if later.latestCount[site] >= 0 { latestCount[site] = later.latestCount[site] + countOffset }
      if !later.heardBy[site].isEmpty { heardBy[site].formUnion(later.heardBy[site]) }
    }
    hasBridgeRecords = hasBridgeRecords || later.hasBridgeRecords
    hasQualityRecords = hasQualityRecords || later.hasQualityRecords
    hasDisagreementRecords = hasDisagreementRecords || later.hasDisagreementRecords

    // The later stretch's first segment goes on with this one's last (a start or clock step would have begun one).
    let first = later.segments[0]
    segments[segmentOffset].earliest = min(segments[segmentOffset].earliest, first.earliest)
    segments[segmentOffset].latest = max(segments[segmentOffset].latest, first.latest)
    segments[segmentOffset].stepAtEnd = first.stepAtEnd
    for var segment in later.segments.dropFirst() {
      segment.firstStatus += statusOffset
      segment.firstCount += countOffset
      segment.firstAction += actionOffset
      segment.firstBridge += bridgeOffset
      segments.append(segment)
    }
    steps += later.steps.map { (segment: $0.segment + segmentOffset, unixSeconds: $0.unixSeconds, seconds: $0.seconds) }
  }

  /// What no stretch before settled is settled with the journal's beginning: nothing marked, no counts.
  mutating func settleWithJournalStart() {
    for position in carriedFromBefore { carry(nil, into: position) }
    for correction in pendingCorrections {
      if let target = correction.target { correct(correction, target: target) }
    }
    markedFromBefore = []
    carriedFromBefore = []
    pendingCorrections = []
  }

  /// A start's count step given the hand count it carries over the restart (nil: none).
  private mutating func carry(_ count: ManualCount?, into position: Int) {
    let step = countSteps[position]
    countSteps[position] = CountStep(
      time: step.time, site: Int(step.site), count: count?.count, peak: nil, source: .manual, operatorNumber: count?.operatorNumber ?? 0)
  }
}
