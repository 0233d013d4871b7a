/// Walks a plan in time order: every site's heartbeats, earliest first, skipping the silent ones.
/// A binary heap of each site's next heartbeat keeps this O(log sites) per heartbeat.
public struct SimulationRun: Sendable {
  public let plan: SimulationPlan
  private var heap: [Entry]

  private struct Entry: Sendable {
    var time: Double
    var site: Int
    var number: UInt64
    func precedes(_ other: Entry) -> Bool { (time, site) < (other.time, other.site) }
  }

  public init(plan: SimulationPlan) {
    self.plan = plan
    heap = plan.sites.indices.map { Entry(time: plan.time(site: $0, number: 0), site: $0, number: 0) }
    heap.sort { $0.precedes($1) }  // a sorted array is a valid heap
  }

  /// When the next heartbeat (sent or silent) is due.
  public var nextTime: Double? { heap.first?.time }

  /// The next heartbeat due at or before `time`, or nil when there is none yet.
  public mutating func next(upTo time: Double) -> SimulatedBeat? {
    while let top = heap.first, top.time <= time {
      let beat = plan.beat(site: top.site, number: top.number)
      heap[0].number += 1
      heap[0].time = plan.time(site: top.site, number: top.number + 1)
      siftDown(0)
      if let beat { return beat }
    }
    return nil
  }

  private mutating func siftDown(_ start: Int) {
    var parent = start
    while true {
      let left = 2 * parent + 1
      let right = left + 1
      var smallest = parent
      if left < heap.count && heap[left].precedes(heap[smallest]) { smallest = left }
      if right < heap.count && heap[right].precedes(heap[smallest]) { smallest = right }
      if smallest == parent { return }
      heap.swapAt(parent, smallest)
      parent = smallest
    }
  }
}
