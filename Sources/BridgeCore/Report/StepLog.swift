/// The report's steps in journal order, kept in blocks of 2,097,152 steps (32 MiB or more each) rather than one
/// array: a two-day journal of a 31,097-site conference is 8.4 million headcount steps (200 MB), and one array of
/// them was copied whole at each join of two stretches and again when grouped by site, two copies alive at once
/// (the report's 550 MiB peak). A block of 32 MiB or more is always mapped by malloc on its own (its dynamic
/// threshold stops at 32 MiB), so a block given back is memory given back; one only partly filled costs only the
/// pages written.
struct StepLog<Step: Sendable>: Sendable {
  static var defaultBlockShift: Int { 21 }

  /// Steps a block holds: 1 << `blockShift` (small in tests, to cross the blocks' seams).
  let blockShift: Int
  var blockSize: Int { 1 << blockShift }
  private var blockMask: Int { blockSize - 1 }

  private(set) var blocks: [[Step]] = []
  private(set) var count = 0

  init(blockShift: Int = defaultBlockShift) {
    precondition((0...30).contains(blockShift), "a block of 1 to 2^30 steps")
    self.blockShift = blockShift
  }

  var isEmpty: Bool { count == 0 }

  subscript(position: Int) -> Step {
    get { blocks[position >> blockShift][position & blockMask] }
    set { blocks[position >> blockShift][position & blockMask] = newValue }
  }

  mutating func append(_ step: Step) {
    if count & blockMask == 0 { startBlock() }
    blocks[blocks.count - 1].append(step)
    count += 1
  }

  /// Appends `later`'s steps, giving each of its blocks back once copied: at most one block more is alive than
  /// the steps themselves.
  mutating func append(draining later: inout StepLog) {
    for index in later.blocks.indices {
      let block = later.blocks[index]
      later.blocks[index] = []
      var copied = 0
      while copied < block.count {
        if count & blockMask == 0 { startBlock() }
        let room = blockSize - (count & blockMask)
        let taken = min(room, block.count - copied)
        blocks[blocks.count - 1].append(contentsOf: block[copied..<copied + taken])
        copied += taken
        count += taken
      }
    }
    later = StepLog(blockShift: later.blockShift)
  }

  /// Visits each step in order, giving each block back once visited.
  mutating func drain(_ visit: (Step) -> Void) {
    for index in blocks.indices {
      let block = blocks[index]
      blocks[index] = []
      for step in block { visit(step) }
    }
    self = StepLog(blockShift: blockShift)
  }

  /// The first block grows as an array does (a short journal's log stays small); the next ones are reserved
  /// whole, so that none is copied as it grows.
  private mutating func startBlock() {
    var block: [Step] = []
    if !blocks.isEmpty { block.reserveCapacity(blockSize) }
    blocks.append(block)
  }
}

/// Steps grouped by site, each site's in time order, in runs of consecutive sites: grouping a run at a time keeps
/// one run's steps in two places at once, not the whole log's.
struct StepsBySite<Step: TimedStep & Sendable>: Sendable {
  private struct Run: Sendable {
    var steps: [Step]
    /// Where each site's steps start in `steps`, and one more entry: the end.
    var starts: [Int]
  }

  private let sitesPerRun: Int
  private var runs: [Run]
  /// Runs before this one are given back (`release(sitesBefore:)`).
  private var firstHeldRun = 0

  init() {
    sitesPerRun = 1
    runs = []
  }

  /// Groups `log` (journal order) by site; steps of one site at the same time keep journal order. A run holds
  /// about an eighth of a log block.
  init(grouping log: inout StepLog<Step>, siteCount: Int) {
    let stepsPerRun = max(1, log.blockSize / 8)
    let runCount = max(1, min(siteCount, (log.count + stepsPerRun - 1) / stepsPerRun))
    let sitesPerRun = max(1, (siteCount + runCount - 1) / runCount)
    // Each run's steps, journal order kept, sized exactly; the log's blocks are given back as they are read.
    var runSizes = [Int](repeating: 0, count: runCount)
    for block in log.blocks {
      for step in block { runSizes[Int(step.site) / sitesPerRun] += 1 }
    }
    var unsorted: [[Step]] = runSizes.map { size in
      var steps: [Step] = []
      steps.reserveCapacity(size)
      return steps
    }
    log.drain { step in unsorted[Int(step.site) / sitesPerRun].append(step) }
    // The runs grouped on all cores at once, each run's unsorted steps given back as soon as it is grouped.
    var numbered = unsorted.enumerated().map { (run: $0.offset, steps: $0.element) }
    unsorted = []
    self.runs = OnAllCores.map(&numbered) { unsortedRun in
      let firstSite = unsortedRun.run * sitesPerRun
      return Self.grouped(unsortedRun.steps, firstSite: firstSite, sites: max(0, min(sitesPerRun, siteCount - firstSite)))
    }
    self.sitesPerRun = sitesPerRun
  }

  /// Steps of every site still held.
  var count: Int { runs.reduce(0) { $0 + $1.steps.count } }

  /// The steps of the sites in `sites` only: the runs of no site in it are not held by the copy, so a part of the
  /// roster computed on its own core frees its runs as it goes (`release`), whatever the other parts hold.
  func keeping(sites: Range<Int>) -> StepsBySite {
    var kept = self
    for run in runs.indices where !(run * sitesPerRun..<(run + 1) * sitesPerRun).overlaps(sites) {
      kept.runs[run] = Run(steps: [], starts: [])
    }
    return kept
  }

  /// Gives back the runs that hold only sites before `site`, whose figures are made; their steps are freed once no
  /// other part holds them. A site before `site` is not asked for again.
  mutating func release(sitesBefore site: Int) {
    let end = min(site / sitesPerRun, runs.count)
    while firstHeldRun < end {
      runs[firstHeldRun] = Run(steps: [], starts: [])
      firstHeldRun += 1
    }
  }

  subscript(site: Int) -> ArraySlice<Step> {
    let run = site / sitesPerRun
    guard run < runs.count else { return [] }
    precondition(run >= firstHeldRun, "the steps of site \(site) were given back")
    let local = site - run * sitesPerRun
    return runs[run].steps[runs[run].starts[local]..<runs[run].starts[local + 1]]
  }

  /// A counting sort by site (stable), then each site's steps put in time order: journal order is time order
  /// except within a second (actions are written before the tick's batch), so equal times keep journal order.
  private static func grouped(_ log: [Step], firstSite: Int, sites: Int) -> Run {
    var starts = [Int](repeating: 0, count: sites + 1)
    for step in log { starts[Int(step.site) - firstSite + 1] += 1 }
    for site in 0..<sites { starts[site + 1] += starts[site] }
    var next = starts
    var grouped = [Step](unsafeUninitializedCapacity: log.count) { buffer, initialized in
      for step in log {
        let site = Int(step.site) - firstSite
        (buffer.baseAddress! + next[site]).initialize(to: step)
        next[site] += 1
      }
      initialized = log.count
    }
    for site in 0..<sites {
      // Insertion sort: nearly always already in order, so one comparison a step.
      var position = starts[site] + 1
      while position < starts[site + 1] {
        let step = grouped[position]
        var hole = position
        while hole > starts[site] && grouped[hole - 1].time > step.time {
          grouped[hole] = grouped[hole - 1]
          hole -= 1
        }
        grouped[hole] = step
        position += 1
      }
    }
    return Run(steps: grouped, starts: starts)
  }
}
