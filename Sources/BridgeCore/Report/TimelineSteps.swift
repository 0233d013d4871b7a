/// What a timeline keeps of the journal: its steps (24 bytes or fewer each: a two-day journal holds millions), the
/// changes of the group sums, and what a stretch of the journal does not know yet.
extension Timeline {
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
    /// `storedSource` of a start's step that carries the count set by hand before the stretch (unresolved).
    static let carriedFromBefore: UInt8 = 255
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
  /// 16 bytes, not 24 (a two-day journal at 31,097 sites has millions): whether the site is connected is the top
  /// bit of its index (a roster has at most 100,000 sites).
  struct CountedChange: Sendable {
    var time: Double
    private var siteAndConnected: UInt32
    /// The counted headcount from then on: 0 when none counts.
    var counted: Int32

    init(time: Double, site: Int32, counted: Int32, connected: Bool) {
      precondition(site >= 0, "a site's index")
      self.time = time
      siteAndConnected = UInt32(site) | (connected ? 1 << 31 : 0)
      self.counted = counted
    }

    var site: Int32 { Int32(siteAndConnected & ~(1 << 31)) }
    var connected: Bool { siteAndConnected & (1 << 31) != 0 }
  }

  /// What a stretch of the journal knows of a site's state: what one of its records set, or nothing yet.
  enum Known<Value: Sendable>: Sendable {
    case fromBefore
    case set(Value)
  }

  /// A count set by hand, carried over a restart.
  struct ManualCount: Sendable {
    var count: Int
    var operatorNumber: UInt16
  }

  /// A hand count that may correct the count before it, where that one is not known yet: `target` is where the
  /// site's latest step is (a start's unresolved one), nil when it lies before the stretch.
  struct PendingCorrection: Sendable {
    var step: Int
    var action: Int?
    var target: Int?
  }

  /// A `bridge` or `bridge_quality` record, or a start (`site` -1) or stop (-2): replayed in order by `seal`, since
  /// what a start does to the bridge depends on who was in it.
  struct BridgeEvent: Sendable {
    var time: Double
    var site: Int32
    /// `.joined` or `.left` for a `bridge` record, a verdict for a `bridge_quality` one; unused for a start or stop.
    var change: BridgeStep.State
  }
}
