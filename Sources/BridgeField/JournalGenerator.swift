import BridgeCore

/// Writes a journal shaped like two national days, for the journal benchmark: sites join in the first half hour
/// of each day, then their headcounts move, some go late, drop out and come back, operators mark, clear and
/// acknowledge, and the monitor is restarted at midday and stopped overnight. Every record is one the monitor
/// writes, with the status each site really has at that moment, so `run` and `report` read it as a real one.
public struct JournalGenerator {
  public var sites: [SiteConfig]
  /// Lines to write in all (about 2,000,000 for two national days).
  public var lines: Int
  /// Unix time of the first day's start; the second day starts 24 h later.
  public var firstDay: Double
  public var seed: UInt64 = 1

  public init(sites: [SiteConfig], lines: Int, firstDay: Double) {
    self.sites = sites
    self.lines = lines
    self.firstDay = firstDay
  }

  /// Lines for two days of a conference of `sites` sites: as many per site as the 2,000,000 lines of the 7,400-site
  /// journal this generator was first made for (8.4 million at 31,097 sites, 27 million at 100,000).
  public static func lines(forSites sites: Int) -> Int { sites * 2_000_000 / 7_400 }

  /// Each day: 9 hours, with a restart at half time.
  static let dayLength = 9.0 * 3600

  /// Produces the journal's lines in order; `emit` gets each record (the caller encodes and writes it).
  public func generate(_ emit: (JournalRecord) -> Void) {
    var status = [SiteStatus](repeating: .unknown, count: sites.count)
    var marked = [Bool](repeating: false, count: sites.count)
    var headcount = sites.map { max(1, $0.expected) }
    var written = 0
    func write(_ time: Double, _ site: Int?, _ kind: JournalRecord.Kind) {
      emit(JournalRecord(unixSeconds: time, site: site.map { sites[$0].id }, kind: kind))
      written += 1
    }
    func setStatus(_ time: Double, _ site: Int, _ to: SiteStatus, _ cause: String) {
      write(time, site, .status(from: status[site], to: to, cause: cause))
      status[site] = to
    }
    var draw: UInt64 = 0
    func unit() -> Double {
      draw += 1
      return SimRandom.unit(seed, draw)
    }
    let perDay = lines / 2
    for day in 0..<2 {
      let dayStart = firstDay + Double(day) * 86_400
      let dayEnd = day == 0 ? perDay : lines
      // Two runs a day: a restart at midday, as a machine swap would.
      for half in 0..<2 {
        let runStart = dayStart + Double(half) * Self.dayLength / 2
        write(runStart, nil, .start(sites: sites.count))
        for site in sites.indices where status[site] != .marked { status[site] = .unknown }
        // Joining: the first half hour of the day, a few minutes after a restart.
        let joinSpan = half == 0 ? 1800.0 : 120.0
        for site in sites.indices where !marked[site] {
          let time = runStart + 1 + unit() * joinSpan
          setStatus(time, site, .online, "heartbeat")
          write(time, site, .headcount(count: headcount[site], source: .udp, operatorName: nil))
        }
        let runEnd = half == 0 ? written + (dayEnd - written) / 2 : dayEnd - 1
        let remaining = max(1, runEnd - written)
        let step = (Self.dayLength / 2 - joinSpan - 60) / Double(remaining)
        var time = runStart + joinSpan + 30
        while written < runEnd {
          time += step
          let site = Int(unit() * Double(sites.count))
          let roll = unit()
          switch roll {
          case ..<0.86:
            let expected = max(1, sites[site].expected)
            headcount[site] = max(0, min(HeartbeatCodec.maximumCount, headcount[site] + Int(unit() * 7) - 3))
            let peak = unit() < 0.2 ? min(expected * 2, headcount[site] + 2) : nil
            write(time, site, .headcount(count: headcount[site], source: unit() < 0.05 ? .file : .udp, operatorName: nil, peak: peak))
          case ..<0.92:
            guard !marked[site] else { continue }
            setStatus(time, site, status[site] == .online ? .late : .online, "heartbeat")
          case ..<0.96:
            guard !marked[site] else { continue }
            if status[site] == .offline {
              setStatus(time, site, .online, "heartbeat")
            } else {
              setStatus(time, site, .offline, "silence")
            }
          case ..<0.975:
            if marked[site] {
              write(time, site, .clear(operatorName: "Lan"))
              marked[site] = false
              setStatus(time, site, .online, "clear")
            } else {
              write(time, site, .mark(operatorName: "Minh", reason: "mất tín hiệu đường truyền"))
              marked[site] = true
              setStatus(time, site, .marked, "mark")
            }
          case ..<0.985:
            write(time, site, .acknowledge(operatorName: "Hương"))
          case ..<0.99:
            write(time, site, .headcount(count: max(1, sites[site].expected), source: .manual, operatorName: "Lan"))
          case ..<0.995:
            write(time, site, .flapping(unit() < 0.5))
          default:
            write(time, site, .help(unit() < 0.5))
          }
        }
        if half == 1 { write(dayStart + Self.dayLength, nil, .stop) }
      }
    }
  }
}
