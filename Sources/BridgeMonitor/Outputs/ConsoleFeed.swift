import BridgeCore
import Foundation
import Logging
import NIOCore
import Synchronization

/// The console thread publishing the monitor's updates: one delta encoded per update for every console, the
/// snapshot a console is due, its detail pane, and a standby's followed actions.
extension ConsoleServerLoop {
  // MARK: Publishing

  var monitorStatus: ConsoleMonitorStatus {
    ConsoleMonitorStatus(
      counters: published?.counters ?? IngestCounters(), journalProblem: published?.journalProblem, clockNote: published?.clockNote,
      consoles: connections.values.filter(\.isAttached).count, role: published?.role)
  }

  /// Sends a standby what it lacks: the actions after its position, or the whole state when they have left the
  /// log (or it has none); with nothing new, a keep-alive (it tells the standby the primary is alive).
  func sendFollowed(to connection: ConsoleConnection, after position: FollowPosition?) {
    let (epoch, revision, actions) = monitor.followedActions(after: position)
    if let actions {
      enqueue(.actions(FollowActions(epoch: epoch, revision: revision, actions: actions)), to: connection)
      connection.followed = FollowPosition(epoch: epoch, after: actions.last?.revision ?? position?.after ?? revision)
    } else {
      let state = monitor.followState()
      enqueue(.state(state), to: connection)
      connection.followed = FollowPosition(epoch: state.epoch, after: state.revision)
    }
  }

  /// `update` is nil when it came while nobody wanted the state (`ConsoleServerInbox.wantsSnapshots`).
  func publish(_ update: MonitorUpdate?, events: [EngineEvent]) {
    for connection in connections.values where connection.isFollower {
      sendFollowed(to: connection, after: connection.followed)
      flush(connection)
    }
    recentEvents += events.suffix(Self.recentEventLimit)
    if recentEvents.count > Self.recentEventLimit { recentEvents.removeFirst(recentEvents.count - Self.recentEventLimit) }
    // Nobody to serve: keep no copy of the state (megabytes at national scale); the first to come asks for one.
    guard let update, servesState else {
      published = nil
      publishedDetails = [:]
      encodedSnapshots = nil
      revision += 1
      return
    }
    let snapshot = update.snapshot
    publishedDetails = update.details
    // Nobody to send a delta to (only consoles waiting for a snapshot): skip comparing 7,400 records.
    let wantsDelta = connections.values.contains { $0.isAttached && !$0.needsSnapshot }
    guard wantsDelta, let previous = published, previous.records.count == snapshot.records.count else {
      published = snapshot
      revision += 1
      return
    }
    var whole: [ConsoleSite] = []
    var beats: [ConsoleBeats.Beat] = []
    func compare(_ index: Int) {
      switch ConsoleSite.change(from: previous.records[index], to: snapshot.records[index]) {
      case .none: break
      case .beat: beats.append(ConsoleBeats.Beat(snapshot.records[index], index: index))
      case .whole: whole.append(ConsoleSite(snapshot.records[index], index: index))
      }
    }
    // The engine says which sites it wrote since the snapshot kept here: only those are compared. Without that
    // (an update missed while nobody was served), every one.
    if let changes = snapshot.changes, changes.baseRevision == previous.recordsRevision {
      for index in changes.sites { compare(Int(index)) }
    } else {
      for index in snapshot.records.indices { compare(index) }
    }
    published = snapshot
    let base = revision
    revision += 1
    let delta = ConsoleDelta(
      revision: revision, base: base, taken: ConsoleClock(snapshot.takenAt), sites: whole, beats: ConsoleBeats(beats),
      events: events.map(ConsoleEvent.init), status: monitorStatus,
      bridge: snapshot.bridge.flatMap { ConsoleBridge.delta(from: previous.bridge, to: $0) })
    var encoded: [UInt8]?
    for connection in connections.values where connection.isAttached {
      if !connection.needsSnapshot {
        if encoded == nil { encoded = ConsoleProtocol.encode(.delta(delta)) }
        enqueue(bytes: encoded!, to: connection)
      }
      sendDetailIfChanged(connection)
    }
  }

  /// Whether a console (not a standby following actions) is attached and wants the state.
  var servesState: Bool { connections.values.contains { $0.hello != nil && $0.hello?.purpose != .follow } }

  func sendDetailIfChanged(_ connection: ConsoleConnection) {
    guard !connection.needsSnapshot else { return }
    let detail = connection.detailSite.flatMap { publishedDetails[$0] }
    guard connection.detailSite == nil || detail != nil else { return }  // asked for; comes with the next publish
    if let last = connection.lastDetail, last == detail { return }
    connection.lastDetail = .some(detail)
    enqueue(.detail(ConsoleDetail(history: detail)), to: connection)
  }

  /// Sends a snapshot to a console that needs one, once what it was sending is out.
  func serveSnapshotIfDue(_ connection: ConsoleConnection) {
    guard connection.needsSnapshot, connection.queue.isEmpty, let published else { return }
    if encodedSnapshots?.revision != revision { encodedSnapshots = (revision, [:]) }
    let rows = connection.readsRows
    if encodedSnapshots?.byForm[rows] == nil {
      let snapshot = ConsoleSnapshot(
        revision: revision, taken: ConsoleClock(published.takenAt),
        sites: published.records.enumerated().map { ConsoleSite($0.element, index: $0.offset) }, status: monitorStatus,
        events: recentEvents.map(ConsoleEvent.init), bridge: published.bridge.map(ConsoleBridge.init))
      encodedSnapshots?.byForm[rows] = ConsoleProtocol.encode(.snapshot(snapshot), rows: rows)
    }
    connection.needsSnapshot = false
    enqueue(bytes: encodedSnapshots!.byForm[rows]!, to: connection, kind: .snapshot)
    connection.lastDetail = nil
    sendDetailIfChanged(connection)
    if connection.hello?.purpose == .status {
      enqueue(.consoles(server.consoles), to: connection)
      connection.closeWhenFlushed = true
    }
    flush(connection)
  }
}
