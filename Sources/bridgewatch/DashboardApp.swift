import BridgeCore
import BridgeIngest
import BridgeTUI
import Foundation
import Logging
import Synchronization

struct DashboardOptions: Sendable {
  var themeName: String
  var operatorName: String
  var monochrome: Bool
  var bell: Bool
  var themeDirectories: [String]
  var banner: String?
  var language: Language
  /// A wall screen: action keys answer that this console is read-only.
  var readOnly = false
}

/// Updates from the engine waiting for the UI thread. The monitor writes one byte to `wakeFD` per update so the
/// UI sleeps in poll() until something happens.
final class UpdateMailbox: Sendable {
  private struct Pending {
    var snapshot: MonitorSnapshot?
    var events: [EngineEvent] = []
    var connection: LinkUpdate.Connection?
  }
  private let pending = Mutex(Pending())
  let readFD: Int32
  let writeFD: Int32

  init() {
    var fds: [Int32] = [0, 0]
    precondition(pipe(&fds) == 0)
    readFD = fds[0]
    writeFD = fds[1]
    for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
  }

  func post(_ update: LinkUpdate) {
    pending.withLock {
      if let snapshot = update.snapshot { $0.snapshot = snapshot }
      $0.connection = update.connection
      // Bounded: if the UI stalls, keep the newest events rather than grow without limit.
      $0.events.append(contentsOf: update.events)
      if $0.events.count > 5000 { $0.events.removeFirst($0.events.count - 5000) }
    }
    wake()
  }

  func wake() {
    var byte: UInt8 = 1
    _ = write(writeFD, &byte, 1)
  }

  func take() -> (MonitorSnapshot?, [EngineEvent], LinkUpdate.Connection?) {
    var scratch = [UInt8](repeating: 0, count: 256)
    while read(readFD, &scratch, scratch.count) > 0 {}
    return pending.withLock { pending in
      defer { pending = Pending() }
      return (pending.snapshot, pending.events, pending.connection)
    }
  }
}

/// Log lines held back while curses owns the screen; printed after `endwin`.
final class HeldLogLines: Sendable {
  static let shared = HeldLogLines()
  private let lines = Mutex<[String]>([])
  private let dropped = Mutex(0)

  func append(_ line: String) {
    lines.withLock {
      if $0.count < 2000 { $0.append(line) } else { dropped.withLock { $0 += 1 } }
    }
  }

  func flush() {
    let held = lines.withLock { lines in
      defer { lines = [] }
      return lines
    }
    for line in held { FileHandleOutput.writeAll(fd: 2, line + "\n") }
    let count = dropped.withLock { $0 }
    if count > 0 { FileHandleOutput.writeAll(fd: 2, "(\(count) more log lines dropped)\n") }
  }
}

struct HeldLogHandler: LogHandler {
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .info
  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    HeldLogLines.shared.append(TextSanitizer.printable("\(event.level): \(event.message)"))
  }
}

/// The live dashboard: draws snapshots, turns keys into operator requests. Runs on its own thread.
final class DashboardApp: @unchecked Sendable {
  /// The monitor: in this process, or over the console socket.
  private let link: any MonitorLink
  private let facts: ConsoleFacts
  private let options: DashboardOptions
  private let mailbox = UpdateMailbox()
  private let stopRequested = Atomic<Bool>(false)
  private var state = DashboardState()
  private var snapshot: MonitorSnapshot
  private var connection: LinkUpdate.Connection = .live
  private var themeName: String
  private let utcOffset: Int
  private let signedSites: Set<String>
  private let schedule: Schedule

  /// `operatorIdentity`: the name the monitor records for this console's actions ("lan (ops)"), to tell its own
  /// claims from others'.
  init(link: any MonitorLink, initial: MonitorSnapshot, options: DashboardOptions, operatorIdentity: OperatorIdentity) {
    self.link = link
    facts = link.facts
    self.snapshot = initial
    self.options = options
    self.themeName = options.themeName
    utcOffset = TimeZone.current.secondsFromGMT()
    signedSites = facts.signedSites
    schedule = facts.schedule
    state.strings = Strings(options.language)
    state.operatorName = operatorIdentity.displayName
    state.readOnly = options.readOnly
    link.attach { [mailbox] update in mailbox.post(update) }
  }

  /// Asks the loop to finish (SIGTERM, SIGHUP, SIGINT from outside).
  func requestStop() {
    stopRequested.store(true, ordering: .relaxed)
    mailbox.wake()
  }

  /// Runs until the operator quits or a stop is requested; restores the terminal on the way out.
  func run() {
    var warnings: [String] = []
    let loaded = ThemeLoader.load(options.monochrome ? "mono" : themeName, directories: options.themeDirectories)
    warnings += loaded.warnings.map { "warning: \($0)" }
    let backend = CursesBackend(theme: loaded.theme, monochrome: options.monochrome)
    if !backend.colorsEnabled && !loaded.theme.isMonochrome {
      backend.setTheme(ThemeLoader.load("mono", directories: options.themeDirectories).theme)
      themeName = "mono"
    } else {
      themeName = loaded.theme.name
    }
    defer {
      backend.end()
      for warning in warnings { FileHandleOutput.writeAll(fd: 2, warning + "\n") }
      HeldLogLines.shared.flush()
    }
    var dirty = true
    var lastFrame: UInt64 = 0
    var detailSite: Int?
    while !stopRequested.load(ordering: .relaxed) {
      let now = DispatchTime.now().uptimeNanoseconds
      if dirty && now - lastFrame >= 100_000_000 {
        draw(backend)
        lastFrame = now
        dirty = false
      }
      let waitMilliseconds = dirty ? Int32(max(1, (100_000_000 - Int64(now - lastFrame)) / 1_000_000)) : 1000
      var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: mailbox.readFD, events: Int16(POLLIN), revents: 0)]
      _ = poll(&fds, 2, waitMilliseconds)
      // The terminal went away without a SIGHUP (an SSH link dropped, `timeout` closed it): poll would report it
      // ready forever and the loop would spin. That is a stop, like the signal.
      if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
        HeldLogLines.shared.append("notice: the terminal went away; stopping")
        return
      }
      let (newSnapshot, events, newConnection) = mailbox.take()
      if let newConnection, newConnection != connection {
        connection = newConnection
        dirty = true
        if case .lost(let reason) = newConnection { HeldLogLines.shared.append("notice: monitor gone (\(reason)); reconnecting") }
      }
      if let newSnapshot {
        snapshot = newSnapshot
        dirty = true
      }
      if !events.isEmpty {
        absorb(events, backend: backend)
        dirty = true
      }
      for key in backend.readKeys() {
        dirty = true
        if key == .resize { continue }
        switch state.handle(key, snapshot: snapshot) {
        case .none: break
        case .quit: return
        case .cycleTheme:
          let names = ThemeLoader.available(directories: options.themeDirectories)
          let next = names[((names.firstIndex(of: themeName) ?? -1) + 1) % names.count]
          let loaded = ThemeLoader.load(next, directories: options.themeDirectories)
          warnings += loaded.warnings.map { "warning: \($0)" }
          backend.setTheme(loaded.theme)
          themeName = next
          let strings = state.strings
          state.message = (strings(.themeChanged, next) + (backend.colorsEnabled || next == "mono" ? "" : strings(.themeNoColours)), false)
        case .request(let request):
          perform(request)
        }
      }
      if state.detailSite != detailSite {
        // The engine sends the open site's last hour with each snapshot; ask for it now rather than next second.
        detailSite = state.detailSite
        link.showDetail(site: detailSite)
      }
    }
  }

  private func draw(_ backend: CursesBackend) {
    let size = backend.size
    var context = ViewContext(width: size.width, height: size.height)
    context.glyphs = backend.supportsUTF8 ? .unicode : .ascii
    context.utcOffsetSeconds = utcOffset
    context.listenAddress = facts.listenAddress
    context.operatorName = options.operatorName
    context.themeName = themeName
    context.banner = options.banner
    if case .lost = connection { context.banner = state.strings(.monitorGone) }
    context.sessionLabel = Self.sessionLabel(schedule, at: snapshot.takenAt.unixSeconds, strings: state.strings)
    context.signedSites = signedSites
    context.recoverAfter = facts.recoverAfter
    let buffer = DashboardView.render(snapshot, state: &state, context: context)
    backend.draw(buffer)
  }

  static func sessionLabel(_ schedule: Schedule, at unixSeconds: Double, strings: Strings = .english) -> String? {
    guard let first = schedule.sessions.first, let last = schedule.sessions.last else { return nil }
    if let current = schedule.session(at: unixSeconds) { return current.name }
    if unixSeconds < first.start { return strings(.beforeSession, first.name) }
    if unixSeconds >= last.end { return strings(.afterLastSession) }
    return strings(.betweenSessions)
  }

  private func absorb(_ events: [EngineEvent], backend: CursesBackend) {
    var ring = false
    for event in events {
      var isAlert = false
      if case .statusChanged(_, let to, let cause) = event.kind, to == .offline || to == .late {
        isAlert = true
        // The bell is for a site newly lost to silence, not for operator marks.
        if to == .offline, cause == .silence, !snapshot.records[event.siteIndex].isAcknowledged { ring = true }
      }
      if case .helpRequestChanged(true) = event.kind { isAlert = true }
      state.appendLog(
        LogLine(
          unixSeconds: event.time.unixSeconds, text: EventText.describe(event, sites: snapshot.sites, strings: state.strings),
          isAlert: isAlert))
    }
    if ring && options.bell { backend.bell() }
  }

  private func perform(_ request: DashboardRequest) {
    let strings = state.strings
    let sites = snapshot.sites
    func id(_ site: Int) -> String { sites[site].id }
    let (operatorRequest, confirmation): (OperatorRequest, String)
    switch request {
    case .mark(let site, let reason):
      (operatorRequest, confirmation) = (
        OperatorRequest(site: id(site), action: .mark(reason: reason)), strings(.markedOffline, id(site), reason)
      )
    case .clearMark(let site):
      (operatorRequest, confirmation) = (OperatorRequest(site: id(site), action: .clear), strings(.markCleared, id(site)))
    case .acknowledge(let site):
      (operatorRequest, confirmation) = (OperatorRequest(site: id(site), action: .acknowledge), strings(.acknowledged, id(site)))
    case .setHeadcount(let site, let count):
      (operatorRequest, confirmation) = (
        OperatorRequest(site: id(site), action: .setHeadcount(count)), strings(.headcountSet, id(site), strings.number(count))
      )
    case .claim(let site):
      (operatorRequest, confirmation) = (OperatorRequest(site: id(site), action: .claim), strings(.claimTaken, id(site)))
    case .release(let site, let force):
      (operatorRequest, confirmation) = (OperatorRequest(site: id(site), action: .release(force: force)), strings(.claimReleased, id(site)))
    }
    // Applied, journaled and published to every face before this returns: the new state is on screen now.
    switch link.perform(operatorRequest, operatorName: options.operatorName) {
    case .applied: state.message = (confirmation, false)
    case .refused(let refused): state.message = (strings(.notDone, refused.describe(utcOffsetSeconds: utcOffset)), true)
    case .unsaved(let reason): state.message = ("\(JournalNotSaved(reason: reason))", true)
    case .notAllowed(let reason): state.message = (strings(.notDone, reason), true)
    }
  }
}
