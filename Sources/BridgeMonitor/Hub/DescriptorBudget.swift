import Foundation

/// What the monitor may hold open at once, against the process's limit on open descriptors (RLIMIT_NOFILE): its
/// own (runtime, event loops, sockets, journal), connections (consoles, standbys, connections before their hello,
/// metrics clients), TCP probes in flight, and a reserve so the journal, the status file and heartbeat files can
/// always be opened. Checked at start: a config that could use more than the process may open would starve those
/// files (a site falsely offline, a status file that stops) at the worst moment.
public struct DescriptorBudget: Sendable, Equatable {
  /// What the monitor holds whatever the config: standard streams, the runtime's and event loops' descriptors,
  /// the UDP, probe and console sockets, pipes, the journal, a follow link (25 measured with metrics and probes).
  public static let base = 32

  public var consoles: Int
  public var standbys: Int
  /// Console connections that have not said hello (or are being answered once).
  public var pending: Int
  public var metricsConnections: Int
  /// Each TCP probe holds a descriptor while in flight; at most one per site probed over TCP.
  public var tcpProbes: Int
  /// Kept free for the journal, the status file and heartbeat files.
  public var reserve: Int

  public init(consoles: Int, standbys: Int, pending: Int, metricsConnections: Int, tcpProbes: Int, reserve: Int) {
    self.consoles = consoles
    self.standbys = standbys
    self.pending = pending
    self.metricsConnections = metricsConnections
    self.tcpProbes = tcpProbes
    self.reserve = reserve
  }

  /// Descriptors this budget may use at once.
  public var total: Int { Self.base + reserve + consoles + standbys + pending + metricsConnections + tcpProbes }

  /// What the total is made of, for a message.
  public var parts: String {
    var parts = [
      "\(consoles) consoles", "\(standbys) standbys", "\(pending) connections before their hello",
    ]
    if metricsConnections > 0 { parts.append("\(metricsConnections) metrics connections") }
    if tcpProbes > 0 { parts.append("\(tcpProbes) TCP probes") }
    parts.append("\(Self.base + reserve) for the monitor itself and its files")
    return parts.joined(separator: ", ")
  }

  /// The caps lowered until the budget fits in `limit` descriptors, and what was lowered ("console.max_consoles
  /// 64 -> 10"); nil when even the lowest caps do not fit. Lowered first: connections before their hello, then
  /// metrics connections, consoles and standbys, each to a floor that still works.
  public func fitted(into limit: Int) -> (budget: DescriptorBudget, lowered: [String])? {
    var budget = self
    var lowered: [String] = []
    // The floors are `minimum(of:)`'s.
    let caps: [(WritableKeyPath<DescriptorBudget, Int>, floor: Int, name: String)] = [
      (\.pending, 4, "connections before their hello"),
      (\.metricsConnections, 2, "metrics connections"),
      (\.consoles, 1, "console.max_consoles"),
      (\.standbys, 1, "standbys"),
    ]
    for (cap, floor, name) in caps where budget.total > limit && budget[keyPath: cap] > floor {
      let before = budget[keyPath: cap]
      budget[keyPath: cap] = max(floor, before - (budget.total - limit))
      lowered.append("\(name) \(before) -> \(budget[keyPath: cap])")
    }
    return budget.total <= limit ? (budget, lowered) : nil
  }

  /// The outcome of fitting the budget to this process.
  public struct Fitted: Sendable {
    public var budget: DescriptorBudget
    /// The soft limit now, and what it was when it had to be raised.
    public var limit: Int
    public var raisedFrom: Int?
    public var lowered: [String]
  }

  public struct Shortage: Error, CustomStringConvertible {
    public var description: String
  }

  /// Raises the soft limit (toward the hard one) when the budget needs more, then lowers the caps if it is
  /// still short; throws when even the lowest caps do not fit.
  public func fitToProcess() throws(Shortage) -> Fitted {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
      return Fitted(budget: self, limit: Int.max, raisedFrom: nil, lowered: [])
    }
    let soft = Self.count(limit.rlim_cur)
    var raisedFrom: Int?
    if soft < total && limit.rlim_cur < limit.rlim_max {
      var raised = limit
      raised.rlim_cur = min(limit.rlim_max, rlim_t(max(total, 65536)))
      if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 {
        limit = raised
        raisedFrom = soft
      }
    }
    let now = Self.count(limit.rlim_cur)
    guard let (budget, lowered) = fitted(into: now) else {
      throw Shortage(
        description:
          "this process may open \(now) descriptors (ulimit -n; hard limit \(Self.count(limit.rlim_max))), and the monitor needs at least "
          + "\(Self.minimum(of: self).total) with this config (\(Self.minimum(of: self).parts)): raise the limit (LimitNOFILE= in "
          + "a systemd unit)")
    }
    return Fitted(budget: budget, limit: now, raisedFrom: raisedFrom, lowered: lowered)
  }

  private static func count(_ value: rlim_t) -> Int { value >= rlim_t(Int.max) ? Int.max : Int(value) }

  /// The budget with every cap at its floor.
  private static func minimum(of budget: DescriptorBudget) -> DescriptorBudget {
    var lowest = budget
    lowest.pending = min(budget.pending, 4)
    lowest.metricsConnections = min(budget.metricsConnections, 2)
    lowest.consoles = min(budget.consoles, 1)
    lowest.standbys = min(budget.standbys, 1)
    return lowest
  }
}
