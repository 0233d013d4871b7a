/// Journal records that could not be written yet (disk full, journal gone), in the order they happened.
///
/// Bounded: when more than `capacity` records wait, the oldest records that are not operator actions (status
/// changes, headcount samples) are dropped and counted, so a `gap` record can say how many. Operator actions are
/// never dropped: there are few of them (a person types each), and they are what the report cannot rebuild; nor
/// are starts, stops and clock steps, which place everything else in time.
public struct JournalBacklog: Sendable {
  public let capacity: Int
  public private(set) var records: [JournalRecord] = []
  /// Records dropped to stay within `capacity` since the backlog was last emptied.
  public private(set) var droppedCount = 0
  /// When the first dropped record happened.
  public private(set) var droppedSince: Double?
  public private(set) var operatorActionCount = 0

  public init(capacity: Int = 50_000) {
    self.capacity = max(capacity, 1)
  }

  public var isEmpty: Bool { records.isEmpty && droppedCount == 0 }

  public mutating func append(contentsOf new: [JournalRecord]) {
    records += new
    operatorActionCount += new.count { $0.isOperatorAction }
    guard records.count > capacity else { return }
    // Drop a tenth of the capacity at once so a long outage costs one pass per many records, not one per record.
    var excess = records.count - capacity + capacity / 10
    var kept: [JournalRecord] = []
    kept.reserveCapacity(records.count - excess)
    for record in records {
      if excess > 0 && !record.isNeverDropped {
        excess -= 1
        droppedCount += 1
        droppedSince = min(droppedSince ?? record.unixSeconds, record.unixSeconds)
        continue
      }
      kept.append(record)
    }
    records = kept
  }

  /// The records to write now: a `gap` record first when some were dropped, then the rest in order.
  public func recordsToWrite(now unixSeconds: Double) -> [JournalRecord] {
    guard droppedCount > 0 else { return records }
    let gap = JournalRecord(
      unixSeconds: droppedSince ?? unixSeconds, site: nil, kind: .gap(dropped: droppedCount, until: unixSeconds))
    return [gap] + records
  }

  public mutating func removeAll() {
    records = []
    droppedCount = 0
    droppedSince = nil
    operatorActionCount = 0
  }
}
