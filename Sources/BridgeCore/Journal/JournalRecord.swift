import Foundation

/// One line of the journal (docs/JOURNAL.md is the contract): a status change, an operator action, a headcount
/// sample, or the monitor starting and stopping.
public struct JournalRecord: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    case start(sites: Int)
    case stop
    /// `source`: how the heartbeat that caused it came (`udp`, `file`, `probe`), when `cause` is `heartbeat`.
    case status(from: SiteStatus, to: SiteStatus, cause: String, source: HeartbeatSource? = nil)
    case mark(operatorName: String, reason: String)
    case clear(operatorName: String)
    case acknowledge(operatorName: String)
    /// `operatorName` only for a headcount set by hand. `peak`: the highest count reported since the previous
    /// sample when it was above `count` (samples are at most one per 10 s; the peak must not fall between them).
    case headcount(count: Int, source: HeartbeatSource, operatorName: String?, peak: Int? = nil)
    case claim(operatorName: String)
    /// `operatorName` nil: ended by itself, the site back online. `claimedBy`: whose claim it ended (nil in
    /// journals written before it was kept).
    case release(operatorName: String?, claimedBy: String? = nil)
    case flapping(Bool)
    case help(Bool)
    /// `dropped` status changes and headcount samples, from this record's time to `until`, could not be written
    /// (the journal's disk was full or the file was gone) and were dropped to keep the backlog bounded.
    case gap(dropped: Int, until: Double)
    /// The monitor's wall clock stepped by `step` seconds (positive: forward) just before this record's time. The
    /// report re-bases the run's earlier times onto the clock after the step.
    case clock(step: Double)
    /// The monitor's role from here on (standby at a start with --follow, primary when promoted, replaced when it
    /// learns its standby was promoted), and why: `report --journal A --journal B` takes each stretch from the
    /// monitor that was primary.
    case role(String, note: String)
    /// The site joined (`true`) or left a conference bridge's roster, as a poll saw it (`source: bridge`).
    case bridge(inBridge: Bool)
    /// The site's call-quality verdict as the bridge judges it changed to `verdict` (`good`, `degraded`, `bad`; nil:
    /// the bridge no longer says), as a poll saw it (`source: bridge`; docs/BRIDGES.md "Call quality").
    case bridgeQuality(verdict: String?)
    /// The site's disagreement between the bridge and its heartbeats (README "Status rules") changed to
    /// `disagreement` (`BridgeDisagreement.journalWord`; nil: none), as the tick saw it (`source: bridge`).
    case bridgeDisagreement(String?)
    /// The site's agent began (`problem`, its wire word) or stopped (nil) saying its count file cannot be read.
    case countFile(problem: String?)
  }

  public var unixSeconds: Double
  /// The site id; nil for start and stop.
  public var site: String?
  public var kind: Kind
  /// When the operator made this action, for one journaled later than that (`made_at`): a standby that learns of
  /// it in a resync, or catches up after its link was down, journals it at its own time so its journal never
  /// goes back in time, and keeps the original time here.
  public var madeAt: Double?

  public init(unixSeconds: Double, site: String?, kind: Kind, madeAt: Double? = nil) {
    self.unixSeconds = unixSeconds
    self.site = site
    self.kind = kind
    self.madeAt = madeAt
  }

  /// When the action was made: `made_at` if it was journaled later, else its time.
  public var actionTime: Double { madeAt ?? unixSeconds }

  /// The record as it was journaled where the action was made (at its own time): the same action copied later by a
  /// standby compares equal to the primary's.
  public var asMade: JournalRecord { JournalRecord(unixSeconds: actionTime, site: site, kind: kind) }

  /// The values of a `role` record.
  public static let roles: Set<String> = ["primary", "standby", "replaced"]

  /// Operator actions are fsynced before the screen confirms them; the rest may wait for the next batch.
  public var isOperatorAction: Bool {
    switch kind {
    case .mark, .clear, .acknowledge, .claim: true
    case .release(let operatorName, _): operatorName != nil
    case .headcount(_, let source, _, _): source == .manual
    default: false
    }
  }

  /// A headcount sent from a check-in page (a standby copying the primary's keeps when it was sent in `made_at`).
  public var isCheckinHeadcount: Bool {
    if case .headcount(_, .checkin, _, _) = kind { return true }
    return false
  }

  /// Never dropped from a full backlog: operator actions, and what the report needs to place everything else in
  /// time (starts, stops, clock steps).
  public var isNeverDropped: Bool {
    switch kind {
    case .start, .stop, .clock, .role: true
    // A count sent from a check-in page: someone typed it and the page said it was recorded.
    case .headcount(_, .checkin, _, _): true
    default: isOperatorAction
    }
  }

  /// The journal records for an engine event, if it is one the journal keeps. `heardBy`: how the site was last
  /// heard, recorded with a status change a heartbeat caused.
  public static func records(for event: EngineEvent, sites: [SiteConfig], heardBy: HeartbeatSource? = nil) -> [JournalRecord] {
    let site = sites[event.siteIndex].id
    let time = event.time.unixSeconds
    switch event.kind {
    case .statusChanged(let from, let to, let cause):
      var records: [JournalRecord] = []
      let causeName: String
      switch cause {
      case .heartbeat: causeName = "heartbeat"
      case .silence: causeName = "silence"
      case .marked(let operatorName, let reason):
        causeName = "mark"
        records.append(JournalRecord(unixSeconds: time, site: site, kind: .mark(operatorName: operatorName, reason: reason)))
      case .markCleared(let operatorName):
        causeName = "clear"
        records.append(JournalRecord(unixSeconds: time, site: site, kind: .clear(operatorName: operatorName)))
      }
      let source = cause == .heartbeat ? heardBy : nil
      records.append(JournalRecord(unixSeconds: time, site: site, kind: .status(from: from, to: to, cause: causeName, source: source)))
      return records
    case .acknowledged(let operatorName):
      return [JournalRecord(unixSeconds: time, site: site, kind: .acknowledge(operatorName: operatorName))]
    case .headcountSet(let count, let operatorName):
      return [JournalRecord(unixSeconds: time, site: site, kind: .headcount(count: count, source: .manual, operatorName: operatorName))]
    case .checkinHeadcount(let count, let typedBy):
      return [JournalRecord(unixSeconds: time, site: site, kind: .headcount(count: count, source: .checkin, operatorName: typedBy))]
    case .claimed(let operatorName):
      return [JournalRecord(unixSeconds: time, site: site, kind: .claim(operatorName: operatorName))]
    case .claimReleased(let operatorName, let claimedBy):
      return [JournalRecord(unixSeconds: time, site: site, kind: .release(operatorName: operatorName, claimedBy: claimedBy))]
    case .flappingChanged(let isFlapping):
      return [JournalRecord(unixSeconds: time, site: site, kind: .flapping(isFlapping))]
    case .helpRequestChanged(let isRequested):
      return [JournalRecord(unixSeconds: time, site: site, kind: .help(isRequested))]
    case .heardWhileMarked:
      return []
    case .countProblemChanged(let problem):
      return [JournalRecord(unixSeconds: time, site: site, kind: .countFile(problem: problem?.word))]
    }
  }
}

extension JournalRecord {
  /// A `start` and what alone restores the monitor's present state: each site's status, mark, acknowledgement
  /// and headcount. Written first into a journal created anew (the old file was deleted under the monitor).
  public static func checkpoint(_ records: [SiteRecord], sites: [SiteConfig], unixSeconds: Double) -> [JournalRecord] {
    var out = [JournalRecord(unixSeconds: unixSeconds, site: nil, kind: .start(sites: sites.count))]
    for (index, record) in records.enumerated() {
      let id = sites[index].id
      if let mark = record.mark {
        out.append(
          JournalRecord(unixSeconds: mark.unixSeconds, site: id, kind: .mark(operatorName: mark.operatorName, reason: mark.reason)))
      }
      // What heartbeats say, then the mark over it: a later restart must know the site was heard.
      if record.heartbeatStatus != .unknown {
        out.append(
          JournalRecord(unixSeconds: unixSeconds, site: id, kind: .status(from: .unknown, to: record.heartbeatStatus, cause: "checkpoint")))
      }
      if record.status == .marked {
        out.append(
          JournalRecord(unixSeconds: unixSeconds, site: id, kind: .status(from: record.heartbeatStatus, to: .marked, cause: "mark")))
      }
      if let name = record.acknowledgedBy {
        out.append(JournalRecord(unixSeconds: unixSeconds, site: id, kind: .acknowledge(operatorName: name)))
      }
      if let count = record.headcount, let source = record.headcountSource {
        out.append(JournalRecord(unixSeconds: unixSeconds, site: id, kind: .headcount(count: count, source: source, operatorName: nil)))
      }
      if let claim = record.claim {
        out.append(JournalRecord(unixSeconds: claim.unixSeconds, site: id, kind: .claim(operatorName: claim.operatorName)))
      }
    }
    return out
  }
}
