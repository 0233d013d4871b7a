import BridgeCore
import BridgeThreads
import Foundation
import Synchronization

/// The live dashboard's runtime: its loop, inbox, held notices and bell policy. Draws snapshots from a monitor
/// link onto a terminal backend and turns keys into operator requests. Owned by the thread that runs it (not
/// Sendable: the compiler keeps its state there); other threads reach it through its `DashboardInbox` only.
public final class DashboardRuntime {
  /// The monitor: in this process, or over the console socket.
  private let link: any MonitorLink
  private let facts: ConsoleFacts
  private let options: DashboardOptions
  private let inbox: DashboardInbox
  private var state = DashboardState()
  private var snapshot: MonitorSnapshot
  /// The frame last drawn (the backend keeps it too, to draw only what changed) and the one before it, whose
  /// cells the next frame reuses.
  private var drawnFrame: ScreenBuffer?
  private var spareFrame: ScreenBuffer?
  /// What the last whole frame was drawn from, and whether a key, event or connection change came since: without
  /// either, the next frame only moves the clock and the ages (`DashboardView.refreshTimes`).
  private var drawnBasis: DashboardView.FrameBasis?
  /// Snapshots whose bridges changed while their records did not (`bridgeChanged`), for the frame basis.
  private var bridgeRevision: UInt64 = 0
  private var needsWholeFrame = true
  /// Frames that only moved the clock and the ages, counted for tests and profiles.
  public private(set) var timeOnlyFrames = 0
  /// Whether the last frame drawn was one of those (tests).
  public private(set) var lastFrameWasTimeOnly = false
  private var connection: LinkUpdate.Connection = .live
  /// The theme shown, as asked for (a name, or a file's path) and as the footer names it.
  private var themeName: String
  private var themeLabel: String
  private let utcOffset: Int
  private let signedSites: Set<String>
  private let schedule: Schedule
  private let makeBackend: (Theme, _ monochrome: Bool) -> any TerminalBackend
  /// Where notices go while the backend owns the screen (the caller prints them once it is given back).
  private let notice: @Sendable (String) -> Void
  private var warnings: [String] = []
  private var dirty = true
  /// A key came since the last frame: its answer is drawn at once, not at the updates' pace.
  private var keyWaiting = false
  private var lastFrame: UInt64 = 0
  /// Updates are drawn at most ten times a second; a key's answer at most a hundred (a held key or a paste).
  static let updateFrameNanoseconds: UInt64 = 100_000_000
  static let keyFrameNanoseconds: UInt64 = 10_000_000
  private var shownDetailSite: Int?

  /// `operatorIdentity`: the name the monitor records for this console's actions ("lan (ops)"), to tell its own
  /// claims from others'.
  /// `backend`: makes the terminal once the theme is known (curses by default).
  /// `inbox`: how other threads reach this dashboard (made beforehand when a stop signal must reach it).
  public init(
    link: any MonitorLink, initial: MonitorSnapshot, options: DashboardOptions, operatorIdentity: OperatorIdentity,
    notice: @escaping @Sendable (String) -> Void, inbox: DashboardInbox = DashboardInbox(),
    backend: @escaping (Theme, _ monochrome: Bool) -> any TerminalBackend = { CursesBackend(theme: $0, monochrome: $1) }
  ) {
    makeBackend = backend
    self.inbox = inbox
    self.notice = notice
    self.link = link
    facts = link.facts
    self.snapshot = initial
    self.options = options
    self.themeName = options.themeName
    self.themeLabel = options.themeName
    utcOffset = TimeZone.current.secondsFromGMT()
    signedSites = facts.signedSites
    schedule = facts.schedule
    state.strings = Strings(options.language)
    state.operatorName = operatorIdentity.displayName
    state.readOnly = options.readOnly
    state.actionsRefused = initial.role.flatMap {
      Self.actionRefusal(
        $0, strings: state.strings, promoteCommand: link.facts.promoteCommand ?? MonitorRole.promoteCommand(configPath: ""))
    }
    link.attach { [messages = inbox.messages] update in messages.post(.update(update), merge: DashboardMessage.fold) }
  }

  /// Runs until the operator quits or a stop is requested; restores the terminal on the way out.
  public func run() {
    let backend = start()
    defer { finish(backend) }
    while !inbox.stopRequested.load(ordering: .relaxed) {
      guard step(backend, waitMilliseconds: nil) else { return }
    }
  }

  /// Makes the backend with the chosen theme (mono on a terminal without colour).
  public func start() -> any TerminalBackend {
    let theme = load(options.monochrome ? "mono" : themeName) ?? ThemeLoader.defaultTheme
    let backend = makeBackend(theme, options.monochrome)
    if !backend.colorsEnabled && !theme.isMonochrome {
      backend.setTheme(ThemeLoader.monoTheme)
      themeName = "mono"
      themeLabel = "mono"
    } else {
      themeName = options.monochrome ? "mono" : themeName
      themeLabel = theme.name
    }
    return backend
  }

  /// A theme by name or path, its warnings kept for after the dashboard; nil (and said on the status line and
  /// after) when it cannot be found. The commands check the name before the terminal is taken, so this is a
  /// theme file that went away since.
  private func load(_ nameOrPath: String) -> Theme? {
    switch ThemeLoader.load(nameOrPath, directories: options.themeDirectories) {
    case .success(let loaded):
      warnings += loaded.warnings.map { "warning: \($0)" }
      return loaded.theme
    case .failure(let problem):
      warnings.append("warning: \(problem)")
      state.message = ("\(problem)", true)
      return nil
    }
  }

  /// Gives the terminal back, then hands on what waited for it.
  public func finish(_ backend: any TerminalBackend) {
    backend.end()
    for warning in warnings { notice(warning) }
    warnings = []
  }

  /// One turn of the loop: draws if something changed (updates at most ten frames a second, a key's answer at
  /// once), waits for input or an update (`waitMilliseconds`, or until the next frame is due, or a second), applies
  /// them. False: stop.
  public func step(_ backend: any TerminalBackend, waitMilliseconds: Int32?) -> Bool {
    let now = DispatchTime.now().uptimeNanoseconds
    let pace = keyWaiting ? Self.keyFrameNanoseconds : Self.updateFrameNanoseconds
    if dirty && now - lastFrame >= pace {
      draw(backend)
      lastFrame = now
      dirty = false
      keyWaiting = false
    }
    let due = dirty ? Int32(max(1, (Int64(pace) - Int64(now - lastFrame)) / 1_000_000)) : 1000
    var fds = [
      pollfd(fd: backend.inputDescriptor, events: Int16(POLLIN), revents: 0),
      pollfd(fd: inbox.messages.descriptor, events: Int16(POLLIN), revents: 0),
    ]
    _ = poll(&fds, 2, waitMilliseconds ?? due)
    // The terminal went away without a SIGHUP (an SSH link dropped, `timeout` closed it): poll would report it
    // ready forever and the loop would spin. That is a stop, like the signal.
    if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
      notice("notice: the terminal went away; stopping")
      return false
    }
    var newSnapshot: MonitorSnapshot?
    var events: [EngineEvent] = []
    var newConnection: LinkUpdate.Connection?
    var answers: [(outcome: ConsoleAnswer.Outcome, site: String)] = []
    for message in inbox.messages.drain().messages {
      switch message {
      case .update(let update):
        newSnapshot = update.snapshot ?? newSnapshot
        events += update.events
        newConnection = update.connection
      case .answer(let outcome, let site):
        answers.append((outcome, site))
      }
    }
    if let newConnection, newConnection != connection {
      connection = newConnection
      dirty = true
      needsWholeFrame = true
      if case .lost(let reason) = newConnection { notice("notice: monitor gone (\(reason)); reconnecting") }
    }
    if let newSnapshot {
      if Self.bridgeChanged(from: snapshot, to: newSnapshot) { bridgeRevision &+= 1 }
      noteRoleChange(from: snapshot.role, to: newSnapshot.role, at: newSnapshot.takenAt.unixSeconds, backend: backend)
      state.actionsRefused = newSnapshot.role.flatMap { Self.actionRefusal($0, strings: state.strings, promoteCommand: promoteCommand) }
      snapshot = newSnapshot
      dirty = true
    }
    if !events.isEmpty {
      absorb(events, backend: backend)
      dirty = true
      needsWholeFrame = true
    }
    for answer in answers {
      say(answer.outcome, site: answer.site)
      dirty = true
      needsWholeFrame = true
    }
    for key in backend.readKeys() {
      dirty = true
      keyWaiting = true
      needsWholeFrame = true
      if key == .resize { continue }
      switch state.handle(key, snapshot: snapshot) {
      case .none: break
      case .quit: return false
      case .cycleTheme:
        let names = ThemeLoader.cycle(startingWith: options.themeName)
        let next = names[((names.firstIndex(of: themeName) ?? -1) + 1) % names.count]
        if let theme = load(next) {
          backend.setTheme(theme)
          themeName = next
          themeLabel = theme.name
          let strings = state.strings
          state.message = (
            strings(.themeChanged, theme.name) + (backend.colorsEnabled || theme.isMonochrome ? "" : strings(.themeNoColours)), false
          )
        }
      case .request(let request):
        perform(request)
      }
    }
    if state.detailSite != shownDetailSite {
      // The engine sends the open site's last hour with each snapshot; ask for it now rather than next second.
      shownDetailSite = state.detailSite
      link.showDetail(site: shownDetailSite)
    }
    return true
  }

  /// Whether `new` changes what the bridges show while its records are those of `old` (a changed record makes a
  /// whole frame anyway): sites the bridge sees and no agent reports would otherwise keep their last frame. One
  /// pass over the sites' bridge states a snapshot, about a second apart; nothing of `old` is kept.
  static func bridgeChanged(from old: MonitorSnapshot, to new: MonitorSnapshot) -> Bool {
    new.recordsRevision == old.recordsRevision && new.bridge != old.bridge
  }

  /// Draws the current state now, whatever the frame pacing (tests read it back).
  public func redraw(_ backend: any TerminalBackend) {
    needsWholeFrame = true
    draw(backend)
    lastFrame = DispatchTime.now().uptimeNanoseconds
    dirty = false
    keyWaiting = false
  }

  private func draw(_ backend: any TerminalBackend) {
    let size = backend.size
    var context = ViewContext(width: size.width, height: size.height)
    context.glyphs = backend.supportsUTF8 ? .unicode : .ascii
    context.utcOffsetSeconds = utcOffset
    context.listenAddress = facts.listenAddress
    context.operatorName = options.operatorName
    context.themeName = themeLabel
    context.banner = options.banner
    if let role = snapshot.role {
      if role.replacedBy != nil {
        context.banner = state.strings(.roleReplaced)
      } else if let since = role.primarySilentSince {
        context.alarm = Self.primarySilentAlarm(since: clock(since), promoteCommand: promoteCommand, strings: state.strings)
        context.banner = nil
      } else if role.kind == .standby {
        context.banner = state.strings(.roleStandby)
      }
    }
    if case .lost = connection { context.banner = state.strings(.monitorGone) }
    context.sessionLabel = Self.sessionLabel(schedule, at: snapshot.takenAt.unixSeconds, strings: state.strings)
    let neverHeardIsProblem = schedule.sessions.first.map { snapshot.takenAt.unixSeconds >= $0.start } ?? true
    if state.listOptions.neverHeardIsProblem != neverHeardIsProblem { state.listOptions.neverHeardIsProblem = neverHeardIsProblem }
    context.signedSites = signedSites
    context.recoverAfter = facts.recoverAfter
    // The frame before last is no longer the backend's to compare with: it is drawn into.
    var frame = spareFrame ?? ScreenBuffer(width: 0, height: 0)
    spareFrame = nil
    let basis = DashboardView.FrameBasis(snapshot, context: context, bridgeRevision: bridgeRevision)
    if !needsWholeFrame, basis == drawnBasis, DashboardView.refreshesTimes(state, context: context), let drawnFrame {
      frame.overwrite(with: drawnFrame)
      DashboardView.refreshTimes(&frame, snapshot, state: state, context: context)
      timeOnlyFrames += 1
      lastFrameWasTimeOnly = true
    } else {
      DashboardView.render(snapshot, state: &state, context: context, into: &frame)
      drawnBasis = basis
      needsWholeFrame = false
      lastFrameWasTimeOnly = false
    }
    backend.draw(frame)
    spareFrame = drawnFrame
    drawnFrame = frame
  }

  public static func sessionLabel(_ schedule: Schedule, at unixSeconds: Double, strings: Strings = .english) -> String? {
    guard let first = schedule.sessions.first, let last = schedule.sessions.last else { return nil }
    if let current = schedule.session(at: unixSeconds) { return current.name }
    if unixSeconds < first.start { return strings(.beforeSession, first.name) }
    if unixSeconds >= last.end { return strings(.afterLastSession) }
    return strings(.betweenSessions)
  }

  /// A primary falling silent, a promotion, a replacement: said in the log, and the first and last ring the bell.
  private func noteRoleChange(from old: MonitorRole?, to new: MonitorRole?, at unixSeconds: Double, backend: any TerminalBackend) {
    guard let new, old != new else { return }
    let strings = state.strings
    var ring = false
    if let since = new.primarySilentSince, old?.primarySilentSince == nil {
      state.appendLog(LogLine(unixSeconds: unixSeconds, text: strings(.primarySilentLine, clock(since), promoteCommand), isAlert: true))
      ring = true
    }
    if new.promotedAt != nil, old?.kind == .standby {
      state.appendLog(LogLine(unixSeconds: unixSeconds, text: strings(.promotedLine), isAlert: false))
    }
    if let replaced = new.replacedBy, old?.replacedBy == nil {
      state.appendLog(
        LogLine(unixSeconds: unixSeconds, text: strings(.replacedLine, replaced.peer, clock(replaced.promotedAt)), isAlert: true))
      ring = true
    }
    if ring && options.bell { backend.bell() }
  }

  /// What an operator types on the monitor's machine to promote it (a monitor before `promote_command` sent none).
  private var promoteCommand: String { facts.promoteCommand ?? MonitorRole.promoteCommand(configPath: "") }

  /// The alarm across the header while a standby's primary is silent, longest wording first: what happened and
  /// what to type; then shorter; last the command alone (the red line and the log say why), since on a narrow
  /// screen with a long config path the command is what must stay whole.
  static func primarySilentAlarm(since: String, promoteCommand: String, strings: Strings) -> [String] {
    [strings(.rolePrimarySilent, since, promoteCommand), strings(.rolePrimarySilentShort, promoteCommand), promoteCommand]
  }

  /// What an action key answers on a standby or a replaced primary (nil: actions are taken here).
  static func actionRefusal(_ role: MonitorRole, strings: Strings, promoteCommand: String) -> String? {
    if role.replacedBy != nil { return strings(.replacedActionRefused) }
    guard role.kind == .standby else { return nil }
    if role.primarySilentSince != nil { return strings(.silentActionRefused, promoteCommand) }
    return strings(.standbyActionRefused, role.following ?? "?")
  }

  private func clock(_ unixSeconds: Double) -> String { DashboardView.clock(unixSeconds, offset: utcOffset, withSeconds: false) }

  private func absorb(_ events: [EngineEvent], backend: any TerminalBackend) {
    var ring = false
    for event in events {
      ring = ring || AlertPolicy.rings(for: event, records: snapshot.records)
      state.appendLog(
        LogLine(
          unixSeconds: event.time.unixSeconds, text: EventText.describe(event, sites: snapshot.sites, strings: state.strings),
          isAlert: AlertPolicy.isAlert(event)))
    }
    if ring && options.bell { backend.bell() }
  }

  private func perform(_ request: OperatorRequest) {
    // The UI thread never waits: the answer comes back through the inbox, after the update that shows the new
    // state (applied, journaled and published to every face before the monitor answers).
    link.perform(request, operatorName: options.operatorName) { [messages = inbox.messages, site = request.site] outcome in
      messages.post(.answer(outcome, site: site))
    }
  }

  /// The status line after the monitor answered a request: what its events say it did (the event log's words),
  /// that it changed nothing, or why it was not done.
  private func say(_ outcome: ConsoleAnswer.Outcome, site: String) {
    let said = AnswerText.describe(outcome, site: site, sites: snapshot.sites, strings: state.strings, utcOffsetSeconds: utcOffset)
    state.message = (said.text, said.isProblem)
  }
}
