/// The last hour of every site, in fixed-size rings so two days of conference never grow memory:
/// one bit per heartbeat interval (heard or not), the headcount once a minute, and the site's latest events.
/// Flat arrays, one slice per site, updated in place by the engine; the dashboard gets a copy of one site's
/// slice (`SiteHistoryView`) for its detail pane.
public struct HistoryStore: Sendable {
  public static let window: Int64 = 3600 * 1_000_000_000
  public static let minuteSlots = 60
  public static let eventsPerSite = 8
  static let noCount: Int32 = -1

  /// Length of one heartbeat slot: the configured interval, at least one second.
  public let slotNanos: Int64
  /// Slots in the window: an hour of intervals (3,600 at a one-second interval).
  public let slotCount: Int
  let wordsPerSite: Int
  /// When history began (the engine's first tick or heartbeat): slots before it are "no data", not "missed".
  public private(set) var startNanos = Int64.max
  private var beatBits: [UInt64]
  /// The newest slot written per site, or `Int64.min` when none yet.
  private var lastBeatSlot: [Int64]
  private var minuteCounts: [Int32]
  private var lastMinute: [Int64]
  /// Per site, its latest events: appended up to `eventsPerSite`, then a ring (`eventCounts` says where). An
  /// array each, not one flat array of optionals: most sites have one or two events in an hour, and a flat array
  /// of `eventsPerSite` slots a site was 3.8 MB at 10,000 sites, all of it written at start.
  private var events: [[EngineEvent]]
  private var eventCounts: [UInt32]

  public init(sites: Int, interval: Duration) {
    slotNanos = max(1_000_000_000, interval.nanoseconds)
    slotCount = Int((Self.window + slotNanos - 1) / slotNanos)
    wordsPerSite = (slotCount + 63) / 64
    beatBits = Array(repeating: 0, count: sites * wordsPerSite)
    lastBeatSlot = Array(repeating: .min, count: sites)
    minuteCounts = Array(repeating: Self.noCount, count: sites * Self.minuteSlots)
    lastMinute = Array(repeating: .min, count: sites)
    events = Array(repeating: [], count: sites)
    eventCounts = Array(repeating: 0, count: sites)
  }

  /// Monotonic readings may be negative (tests start anywhere): divide and wrap with floor semantics.
  static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return value % divisor < 0 ? quotient - 1 : quotient
  }

  static func ring(_ slot: Int64, _ count: Int) -> Int {
    let remainder = Int(slot % Int64(count))
    return remainder < 0 ? remainder + count : remainder
  }

  mutating func begin(at nanos: Int64) {
    if nanos < startNanos { startNanos = nanos }
  }

  /// A heartbeat heard at `nanos` (monotonic).
  mutating func noteHeartbeat(site: Int, at nanos: Int64) {
    let slot = Self.floorDivide(nanos, slotNanos)
    let last = lastBeatSlot[site]
    if last != .min && slot < last {
      // An older heartbeat (a file's mtime): set its bit if it is still inside the window.
      if last - slot < Int64(slotCount) { setBeatBit(site: site, slot: slot, to: true) }
      return
    }
    // Slots skipped since the last heartbeat were missed: clear what they held an hour ago.
    if last != .min {
      var cleared = last + 1
      let end = min(slot, last + 1 + Int64(slotCount))
      while cleared < end {
        setBeatBit(site: site, slot: cleared, to: false)
        cleared += 1
      }
    }
    setBeatBit(site: site, slot: slot, to: true)
    lastBeatSlot[site] = slot
  }

  private mutating func setBeatBit(site: Int, slot: Int64, to value: Bool) {
    let position = Self.ring(slot, slotCount)
    let word = site * wordsPerSite + position / 64
    let bit = UInt64(1) << UInt64(position % 64)
    if value { beatBits[word] |= bit } else { beatBits[word] &= ~bit }
  }

  /// The headcount the site reports (or was given) at `nanos`.
  mutating func noteHeadcount(_ count: Int, site: Int, at nanos: Int64) {
    let minute = Self.floorDivide(nanos, 60_000_000_000)
    let last = lastMinute[site]
    if last != .min && minute < last { return }
    if last != .min {
      var cleared = last + 1
      let end = min(minute, last + 1 + Int64(Self.minuteSlots))
      while cleared < end {
        minuteCounts[site * Self.minuteSlots + Self.ring(cleared, Self.minuteSlots)] = Self.noCount
        cleared += 1
      }
    }
    minuteCounts[site * Self.minuteSlots + Self.ring(minute, Self.minuteSlots)] = Int32(clamping: count)
    lastMinute[site] = minute
  }

  mutating func noteEvent(_ event: EngineEvent) {
    let site = event.siteIndex
    let count = Int(eventCounts[site])
    if count < Self.eventsPerSite {
      events[site].append(event)
    } else {
      events[site][count % Self.eventsPerSite] = event
    }
    eventCounts[site] &+= 1
  }

  /// Sizes of the rings, for tests that check they never grow.
  var storageCounts: [Int] { [beatBits.count, lastBeatSlot.count, minuteCounts.count, lastMinute.count, events.count, eventCounts.count] }
  /// The most events any site holds (at most `eventsPerSite`), for the same tests.
  var mostEventsHeld: Int { events.reduce(0) { max($0, $1.count) } }

  /// A copy of one site's last hour as of `now`, oldest first.
  public func view(site: Int, now nanos: Int64) -> SiteHistoryView {
    let nowSlot = Self.floorDivide(nanos, slotNanos)
    let firstSlot = nowSlot - Int64(slotCount) + 1
    let startSlot = startNanos == .max ? Int64.max : Self.floorDivide(startNanos, slotNanos)
    var beats = [BeatSlot]()
    beats.reserveCapacity(slotCount)
    let last = lastBeatSlot[site]
    for slot in firstSlot...nowSlot {
      if slot < startSlot {
        beats.append(.noData)
      } else if last == .min || slot > last || last - slot >= Int64(slotCount) {
        // The interval under way is not missed yet.
        beats.append(slot == nowSlot ? .noData : .missed)
      } else {
        let position = Self.ring(slot, slotCount)
        let word = beatBits[site * wordsPerSite + position / 64]
        beats.append(word & (UInt64(1) << UInt64(position % 64)) != 0 ? .heard : .missed)
      }
    }
    // Minutes: a count stands until a new one arrives, so gaps carry the previous value forward.
    let nowMinute = Self.floorDivide(nanos, 60_000_000_000)
    var counts = [Int?]()
    counts.reserveCapacity(Self.minuteSlots)
    var carried: Int?
    let lastCountMinute = lastMinute[site]
    for minute in (nowMinute - Int64(Self.minuteSlots) + 1)...nowMinute {
      if lastCountMinute != .min && minute <= lastCountMinute && lastCountMinute - minute < Int64(Self.minuteSlots) {
        let value = minuteCounts[site * Self.minuteSlots + Self.ring(minute, Self.minuteSlots)]
        if value != Self.noCount { carried = Int(value) }
      }
      counts.append(carried)
    }
    let total = Int(eventCounts[site])
    let kept = min(total, Self.eventsPerSite)
    let held = events[site]
    let recent = (0..<kept).map { offset in held[(total - kept + offset) % Self.eventsPerSite] }
    return SiteHistoryView(
      site: site, slotSeconds: Int(slotNanos / 1_000_000_000), beats: beats, minuteCounts: counts, recentEvents: recent)
  }
}

public enum BeatSlot: Sendable, Equatable {
  case heard, missed, noData
}

/// One site's last hour, for the detail pane.
public struct SiteHistoryView: Sendable, Equatable {
  public var site: Int
  public var slotSeconds: Int
  /// One entry per heartbeat interval, oldest first, the current interval last.
  public var beats: [BeatSlot]
  /// The headcount in each of the last 60 minutes, oldest first; nil before the first count.
  public var minuteCounts: [Int?]
  /// The site's latest events, oldest first.
  public var recentEvents: [EngineEvent]

  public init(site: Int, slotSeconds: Int, beats: [BeatSlot], minuteCounts: [Int?], recentEvents: [EngineEvent]) {
    self.site = site
    self.slotSeconds = slotSeconds
    self.beats = beats
    self.minuteCounts = minuteCounts
    self.recentEvents = recentEvents
  }
}
