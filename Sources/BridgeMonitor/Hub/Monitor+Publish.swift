import BridgeCore

/// The hub's publishing: one snapshot for every subscriber and output, each with the detail panes it asked for,
/// after a tick (`Monitor.tick`) or at once after an operator action or a face's request (`publishNow`).
extension Monitor {
  /// The sites whose last hour a subscriber or an output (the console server, for its consoles) asked about.
  static func detailSites(_ audience: [MonitorSubscription], _ outputs: [any MonitorOutput]) -> Set<Int> {
    audience.reduce(into: Set<Int>()) { $0.formUnion($1.detailSites) }.union(outputs.flatMap(\.detailSites))
  }

  /// One snapshot for all subscribers and outputs, and the last hour of each site in `wanted`. Under the lock.
  func snapshot(of state: inout MonitorState, wanted: Set<Int>, now: ClockReading) -> (
    MonitorSnapshot, [Int: SiteHistoryView]
  ) {
    let details = Dictionary(uniqueKeysWithValues: wanted.compactMap { site in state.detail(site: site, now: now).map { (site, $0) } })
    return (state.snapshotToPublish(now: now, title: config.title), details)
  }

  /// What the hub adds to the engine's snapshot: the journal's problem, the clock's note, the role.
  func completed(_ taken: MonitorSnapshot, now: ClockReading) -> MonitorSnapshot {
    var snapshot = taken
    snapshot.journalProblem = journal.problem
    snapshot.clockNote = owned.value.clockWatcher.note(now: now)
    snapshot.role = pair.current
    return snapshot
  }

  /// Hands the update (its snapshot completed) to every subscriber, each with the detail pane it asked for, then to
  /// the outputs (the journal first), each with the last hours it asked for.
  func publish(
    _ taken: MonitorUpdate, _ details: [Int: SiteHistoryView], to audience: [MonitorSubscription], _ outputs: [any MonitorOutput],
    now: ClockReading
  ) -> MonitorSnapshot {
    var update = taken
    update.snapshot = completed(taken.snapshot, now: now)
    let snapshot = update.snapshot
    for subscriber in audience {
      var own = snapshot
      let asked = subscriber.detailSites
      own.detail = asked.count == 1 ? details[asked.first!] : nil
      subscriber.deliver(MonitorUpdate(events: update.events, snapshot: own, details: details.filter { asked.contains($0.key) }))
    }
    for output in outputs {
      let asked = output.detailSites
      guard !asked.isEmpty else {
        output.receive(update)
        continue
      }
      var own = update
      own.details = details.filter { asked.contains($0.key) }
      output.receive(own)
    }
    return snapshot
  }

  /// Publishes the current state and the events of operator actions now, without the tick's work (silence,
  /// journal batch, status file): an action or a detail request shows on every face at once.
  func publishNow() {
    let now = clock.now()
    let audience = subscribers.all
    let outputs = self.outputs.withLock { $0 }
    let wanted = Self.detailSites(audience, outputs)
    let (taken, details) = intake.withState { state in self.snapshot(of: &state, wanted: wanted, now: now) }
    let events = owned.value.carriedEvents
    owned.value.carriedEvents = []
    var update = MonitorUpdate(events: events, snapshot: taken)
    update.eventsJournaled = events.count
    _ = publish(update, details, to: audience, outputs, now: now)
  }
}
