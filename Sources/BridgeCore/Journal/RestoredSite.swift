import Foundation

/// What a restarted monitor takes back from the journal: per site, the mark, the acknowledgement, and a
/// headcount set by hand that no heartbeat has replaced.
public struct RestoredSite: Sendable, Equatable {
  public var mark: OperatorMark?
  public var acknowledgedBy: String?
  public var manualHeadcount: Int?
  /// Who set it and when (nil in journals from before that was kept).
  public var manualHeadcountBy: OperatorStamp?
  /// How it was typed: `manual` (an operator) or `checkin` (the site's check-in page).
  public var manualHeadcountSource: HeartbeatSource = .manual
  /// The site was heard in an earlier run: if it stays silent after the restart, it is an outage, not `unknown`.
  public var wasHeard: Bool
  /// Someone was on the site and had not released it.
  public var claim: SiteClaim?
  /// When the site joined the conference bridge, if the journal's last bridge record for it is a join.
  public var bridgeSince: Double? = nil

  public init(
    mark: OperatorMark? = nil, acknowledgedBy: String? = nil, manualHeadcount: Int? = nil, wasHeard: Bool = false,
    claim: SiteClaim? = nil, manualHeadcountBy: OperatorStamp? = nil
  ) {
    self.mark = mark
    self.acknowledgedBy = acknowledgedBy
    self.manualHeadcount = manualHeadcount
    self.manualHeadcountBy = manualHeadcountBy
    self.wasHeard = wasHeard
    self.claim = claim
  }

  /// Replays the records in order; sites no longer in the config are ignored (see `orphanMarks`).
  public static func replay(_ records: [JournalRecord], siteIndex: (String) -> Int?, siteCount: Int) -> [RestoredSite] {
    var replay = Replay(siteCount: siteCount)
    for record in records { replay.take(record, siteIndex: record.site.flatMap(siteIndex)) }
    return replay.sites
  }

  /// The replay one record at a time, as the journal is read. Each site keeps the last change of each thing a
  /// record can change, so the replays of two consecutive stretches of the journal compose (`append`): a long
  /// journal is read in pieces on all cores and the pieces' replays joined in order.
  public struct Replay: Sendable {
    /// The last value a stretch of the journal gave, or nothing (the value from before it stands).
    enum Change<Value: Sendable>: Sendable {
      case unchanged
      case set(Value)

      func after(_ earlier: Change) -> Change {
        if case .set = self { return self }
        return earlier
      }

      func value(or fallback: Value) -> Value {
        if case .set(let value) = self { return value }
        return fallback
      }
    }

    struct SiteChanges: Sendable, Equatable {
      var mark = Change<OperatorMark?>.unchanged
      var acknowledgedBy = Change<String?>.unchanged
      var manualHeadcount = Change<Int?>.unchanged
      var manualHeadcountBy = Change<OperatorStamp?>.unchanged
      var manualHeadcountSource = Change<HeartbeatSource>.unchanged
      var wasHeard = false
      var claim = Change<SiteClaim?>.unchanged
      var bridgeSince = Change<Double?>.unchanged

      func after(_ earlier: SiteChanges) -> SiteChanges {
        SiteChanges(
          mark: mark.after(earlier.mark), acknowledgedBy: acknowledgedBy.after(earlier.acknowledgedBy),
          manualHeadcount: manualHeadcount.after(earlier.manualHeadcount),
          manualHeadcountBy: manualHeadcountBy.after(earlier.manualHeadcountBy),
          manualHeadcountSource: manualHeadcountSource.after(earlier.manualHeadcountSource), wasHeard: wasHeard || earlier.wasHeard,
          claim: claim.after(earlier.claim), bridgeSince: bridgeSince.after(earlier.bridgeSince))
      }
    }

    private var changes: SiteChangeTable
    private var orphans: [String: Change<OperatorMark?>] = [:]
    private var orphanOrder: [String] = []
    /// Each site id's place in the config, for `take(_:)`.
    public let siteIndex: SiteIndex

    public init(siteCount: Int) {
      changes = SiteChangeTable(count: siteCount)
      siteIndex = SiteIndex(sites: [])
    }

    /// A replay for the config's `sites`, looking each record's site up by its id in `siteIndex` (the sites', built
    /// when not given).
    public init(sites: [SiteConfig], siteIndex: SiteIndex? = nil) {
      changes = SiteChangeTable(count: sites.count)
      self.siteIndex = siteIndex ?? SiteIndex(sites: sites)
    }

    public var sites: [RestoredSite] {
      changes.indices.map { index in
        let site = changes[index]
        var restored = RestoredSite(
          mark: site.mark.value(or: nil), acknowledgedBy: site.acknowledgedBy.value(or: nil),
          manualHeadcount: site.manualHeadcount.value(or: nil), wasHeard: site.wasHeard, claim: site.claim.value(or: nil),
          manualHeadcountBy: site.manualHeadcountBy.value(or: nil))
        restored.manualHeadcountSource = site.manualHeadcountSource.value(or: .manual)
        restored.bridgeSince = site.bridgeSince.value(or: nil)
        return restored
      }
    }

    /// Marks in force for sites the config no longer has, in the order they were made.
    public var orphanMarks: [(site: String, mark: OperatorMark)] {
      orphanOrder.compactMap { id in orphans[id].flatMap { $0.value(or: nil) }.map { (id, $0) } }
    }

    /// `siteIndex`: the record's site in the config, nil if it has none or the config no longer has it.
    public mutating func take(_ record: JournalRecord, siteIndex: Int?) {
      guard let index = siteIndex else {
        guard let id = record.site else { return }
        switch record.kind {
        case .mark(let operatorName, let reason):
          if !orphanOrder.contains(id) { orphanOrder.append(id) }
          orphans[id] = .set(OperatorMark(operatorName: operatorName, reason: reason, unixSeconds: record.actionTime))
        case .clear:
          if !orphanOrder.contains(id) { orphanOrder.append(id) }
          orphans[id] = .set(nil)
        default: break
        }
        return
      }
      switch record.kind {
      case .mark(let operatorName, let reason):
        changes[index].mark = .set(OperatorMark(operatorName: operatorName, reason: reason, unixSeconds: record.actionTime))
        changes[index].acknowledgedBy = .set(nil)
      case .clear:
        changes[index].mark = .set(nil)
      case .acknowledge(let operatorName):
        changes[index].acknowledgedBy = .set(operatorName)
      case .status(_, let to, _, _):
        if to == .online { changes.clearAcknowledgement(index) }
        if to == .online || to == .late || to == .offline { changes.markHeard(index) }
      case .headcount(_, let source, _, _) where !source.isTypedByPerson:
        // A count from the agent (the common case, on the bits alone): it ends a typed one, and the site was heard.
        changes.clearTypedCount(index)
        changes.markHeard(index)
      case .headcount(let count, let source, let operatorName, _):
        // A typed count (by an operator or on the check-in page) stands across a restart, with who typed it.
        var site = changes[index]
        site.manualHeadcount = .set(count)
        site.manualHeadcountBy = .set(operatorName.map { OperatorStamp(operatorName: $0, unixSeconds: record.actionTime) })
        site.manualHeadcountSource = .set(source)
        // A count from the check-in page says someone is at the site.
        if source != .manual { site.wasHeard = true }
        changes[index] = site
      case .claim(let operatorName):
        changes[index].claim = .set(SiteClaim(operatorName: operatorName, unixSeconds: record.actionTime))
      case .release:
        changes[index].claim = .set(nil)
      case .bridge(let inBridge):
        // A join keeps the earliest time of a stretch in the bridge; a leave ends it.
        if inBridge, case .set(.some) = changes[index].bridgeSince { break }
        changes[index].bridgeSince = .set(inBridge ? record.actionTime : nil)
      default: break
      }
    }

    /// Journal records whose replay from nothing gives this replay's state (`sites`, the config it was made for):
    /// what a journal checkpoint holds. Per site, in the order the replay needs them (a mark clears an
    /// acknowledgement, so the acknowledgement comes after it); `unixSeconds` for what keeps no time of its own.
    public func stateRecords(sites: [SiteConfig], unixSeconds: Double) -> [JournalRecord] {
      var records: [JournalRecord] = []
      for index in changes.indices {
        let site = changes[index]
        let id = sites[index].id
        if site.wasHeard {
          records.append(
            JournalRecord(unixSeconds: unixSeconds, site: id, kind: .status(from: .unknown, to: .offline, cause: "checkpoint")))
        }
        if let mark = site.mark.value(or: nil) {
          records.append(
            JournalRecord(unixSeconds: mark.unixSeconds, site: id, kind: .mark(operatorName: mark.operatorName, reason: mark.reason)))
        }
        if let name = site.acknowledgedBy.value(or: nil) {
          records.append(JournalRecord(unixSeconds: unixSeconds, site: id, kind: .acknowledge(operatorName: name)))
        }
        if let count = site.manualHeadcount.value(or: nil) {
          let stamp = site.manualHeadcountBy.value(or: nil)
          records.append(
            JournalRecord(
              unixSeconds: stamp?.unixSeconds ?? unixSeconds, site: id,
              kind: .headcount(count: count, source: site.manualHeadcountSource.value(or: .manual), operatorName: stamp?.operatorName)))
        }
        if let claim = site.claim.value(or: nil) {
          records.append(JournalRecord(unixSeconds: claim.unixSeconds, site: id, kind: .claim(operatorName: claim.operatorName)))
        }
        if let since = site.bridgeSince.value(or: nil) {
          records.append(JournalRecord(unixSeconds: since, site: id, kind: .bridge(inBridge: true)))
        }
      }
      for (id, mark) in orphanMarks {
        records.append(
          JournalRecord(unixSeconds: mark.unixSeconds, site: id, kind: .mark(operatorName: mark.operatorName, reason: mark.reason)))
      }
      return records
    }

    /// This replay followed by `later`, the replay of the stretch of journal right after this one's.
    public mutating func append(_ later: Replay) {
      precondition(later.changes.count == changes.count, "replays of different configs")
      for index in changes.indices { changes[index] = later.changes[index].after(changes[index]) }
      for id in later.orphanOrder {
        if !orphanOrder.contains(id) { orphanOrder.append(id) }
        orphans[id] = (later.orphans[id] ?? .unchanged).after(orphans[id] ?? .unchanged)
      }
    }
  }
}

extension RestoredSite.Replay.Change: Equatable where Value: Equatable {}
