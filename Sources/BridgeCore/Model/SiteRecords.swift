/// A set of site indices that costs what was put in it, not the roster: a bit per site to refuse a second copy,
/// and the list of those put in. Clearing it walks the list, not the bits.
public struct SiteIndexSet: Sendable {
  private var bits: [UInt64]
  /// The indices in the order they were first inserted.
  public private(set) var indices: [Int32] = []

  /// An empty set over `siteCount` sites.
  public init(siteCount: Int) {
    bits = Array(repeating: 0, count: (siteCount + 63) / 64)
  }

  public var isEmpty: Bool { indices.isEmpty }
  public var count: Int { indices.count }

  public func contains(_ index: Int) -> Bool {
    bits[index >> 6] & (1 << UInt64(index & 63)) != 0
  }

  public mutating func insert(_ index: Int) {
    let bit: UInt64 = 1 << UInt64(index & 63)
    guard bits[index >> 6] & bit == 0 else { return }
    bits[index >> 6] |= bit
    indices.append(Int32(index))
  }

  public mutating func formUnion(_ others: some Sequence<Int32>) {
    for index in others { insert(Int(index)) }
  }

  /// Empties the set and returns what it held, in ascending order.
  public mutating func removeAll() -> [Int32] {
    for index in indices { bits[Int(index) >> 6] = 0 }
    var taken = indices
    indices = []
    taken.sort()
    return taken
  }
}

/// The engine's record of every site, with a revision that moves with every write and the sites written since
/// the faces last took them. Every write goes through the subscript's `_modify`, so no path of the engine can
/// change a record unnoticed.
public struct SiteRecords: Sendable, RandomAccessCollection {
  /// The records as one array: what a snapshot shares.
  public private(set) var all: [SiteRecord]
  /// Moves with every write to any record.
  public private(set) var revision: UInt64 = 0
  private var changed: SiteIndexSet

  init(count: Int) {
    all = Array(repeating: SiteRecord(), count: count)
    changed = SiteIndexSet(siteCount: count)
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { all.count }

  public subscript(index: Int) -> SiteRecord {
    _read { yield all[index] }
    _modify {
      revision &+= 1
      changed.insert(index)
      yield &all[index]
    }
  }

  /// The sites written since the last call, in ascending order (a write may have left a record as it was).
  mutating func takeChanged() -> [Int32] { changed.removeAll() }
}

/// Which sites' records may differ between two snapshots of one engine: those of `sites`, and no other, between the
/// snapshot whose `recordsRevision` is `baseRevision` and the one that carries this. A face that kept the earlier
/// snapshot looks at these sites only; one that did not compares everything, as before.
public struct SiteChanges: Sendable, Equatable {
  public var baseRevision: UInt64
  /// Ascending, each once.
  public var sites: [Int32]

  public init(baseRevision: UInt64, sites: [Int32]) {
    self.baseRevision = baseRevision
    self.sites = sites
  }

  /// These changes followed by `later` (which must start where these end, at `revision`): one span, or nil when
  /// they do not join up.
  public func followed(by later: SiteChanges?, endingAt revision: UInt64) -> SiteChanges? {
    guard let later, later.baseRevision == revision else { return nil }
    var merged: [Int32] = []
    merged.reserveCapacity(sites.count + later.sites.count)
    var (left, right) = (sites[...], later.sites[...])
    while let first = left.first, let second = right.first {
      merged.append(min(first, second))
      if first <= second { left.removeFirst() }
      if second <= first { right.removeFirst() }
    }
    merged += left
    merged += right
    return SiteChanges(baseRevision: baseRevision, sites: merged)
  }
}
