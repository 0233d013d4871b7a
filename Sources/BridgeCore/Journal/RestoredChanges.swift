extension RestoredSite.Replay.Change {
  var isSet: Bool {
    if case .set = self { return true }
    return false
  }
}

extension RestoredSite.Replay {
  /// Every site's changes, kept small: the monitor holds them for its whole run (the checkpoint's state), and
  /// nearly every site's are only that it was heard, that a heartbeat cleared its acknowledgement (it came back
  /// online) and that one cleared its typed count (a count from the agent). Those three are bits, a byte a site;
  /// what people do (marks, acknowledgements, typed counts, claims) and bridge joins are kept in `details`, for the
  /// sites that have any. 5 bytes a site instead of 144 (1.4 MB at 10,000 sites, 14 MB at 100,000).
  struct SiteChangeTable: Sendable {
    private static let heard: UInt8 = 1
    private static let acknowledgementCleared: UInt8 = 2
    private static let typedCountCleared: UInt8 = 4

    private var flags: [UInt8]
    /// Where a site's other changes are in `details`; -1 for none.
    private var detailOf: [Int32]
    private var details: [SiteChanges] = []

    init(count: Int) {
      flags = Array(repeating: 0, count: count)
      detailOf = Array(repeating: -1, count: count)
    }

    var count: Int { flags.count }
    /// Sites with changes beyond the three bits.
    var detailCount: Int { details.count }
    var indices: Range<Int> { flags.indices }

    /// A site's changes, whole: unpacked to read, packed again when set.
    subscript(site: Int) -> SiteChanges {
      get {
        var changes = detailOf[site] < 0 ? SiteChanges() : details[Int(detailOf[site])]
        let bits = flags[site]
        changes.wasHeard = bits & Self.heard != 0
        if bits & Self.acknowledgementCleared != 0 { changes.acknowledgedBy = .set(nil) }
        if bits & Self.typedCountCleared != 0 {
          changes.manualHeadcount = .set(nil)
          changes.manualHeadcountBy = .set(nil)
          changes.manualHeadcountSource = .set(.manual)
        }
        return changes
      }
      set {
        var rest = newValue
        var bits: UInt8 = rest.wasHeard ? Self.heard : 0
        rest.wasHeard = false
        if case .set(.none) = rest.acknowledgedBy {
          bits |= Self.acknowledgementCleared
          rest.acknowledgedBy = .unchanged
        }
        if case .set(.none) = rest.manualHeadcount, case .set(.none) = rest.manualHeadcountBy,
          case .set(.manual) = rest.manualHeadcountSource
        {
          bits |= Self.typedCountCleared
          rest.manualHeadcount = .unchanged
          rest.manualHeadcountBy = .unchanged
          rest.manualHeadcountSource = .unchanged
        }
        flags[site] = bits
        let hasDetails =
          rest.mark.isSet || rest.acknowledgedBy.isSet || rest.manualHeadcount.isSet || rest.manualHeadcountBy.isSet
          || rest.manualHeadcountSource.isSet || rest.claim.isSet || rest.bridgeSince.isSet
        if detailOf[site] >= 0 {
          details[Int(detailOf[site])] = rest
        } else if hasDetails {
          detailOf[site] = Int32(details.count)
          details.append(rest)
        }
      }
    }

    // What a heartbeat's records do, on the bits alone (a site's details, if it has any, drop the same change):
    // the restart replays millions of them.

    mutating func markHeard(_ site: Int) { flags[site] |= Self.heard }

    mutating func clearAcknowledgement(_ site: Int) {
      flags[site] |= Self.acknowledgementCleared
      if detailOf[site] >= 0 { details[Int(detailOf[site])].acknowledgedBy = .unchanged }
    }

    mutating func clearTypedCount(_ site: Int) {
      flags[site] |= Self.typedCountCleared
      if detailOf[site] >= 0 {
        details[Int(detailOf[site])].manualHeadcount = .unchanged
        details[Int(detailOf[site])].manualHeadcountBy = .unchanged
        details[Int(detailOf[site])].manualHeadcountSource = .unchanged
      }
    }
  }
}
