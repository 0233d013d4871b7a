import BridgeCore

/// What a key asks the application to do beyond redrawing.
public enum Effect: Sendable, Equatable {
  case none
  /// An operator action for the monitor to apply, answer and journal (the site by its id).
  case request(OperatorRequest)
  case cycleTheme
  case quit
}

public struct PromptError: Error, Sendable {
  public var text: String
  init(_ text: String) { self.text = text }
}

/// The dashboard's own state: selection, mode, list options, messages, event log. It never holds engine state;
/// views read the latest snapshot alongside it.
public struct DashboardState: Sendable {
  public enum Mode: Sendable, Equatable {
    case normal
    case help
    case confirmQuit
    /// Someone else is on the site: release their claim? (y/n)
    case confirmRelease(site: Int)
    /// A typed count above the site's expected: set it anyway? (y/n)
    case confirmHeadcount(site: Int, count: Int)
    /// An operator action's prompt (`OperatorCommand.prompt`) open on a site, with what is typed so far.
    case prompt(OperatorCommand.Name, site: Int, input: String)
    case filter(input: String)
  }

  public static let logCapacity = 200

  public var strings = Strings.english
  public var mode: Mode = .normal
  /// Who this console's operator is, as the engine records it: tells one's own claim from someone else's.
  public var operatorName = ""
  /// A wall screen's console: every action key answers that it is read-only.
  public var readOnly = false
  /// Why this monitor takes no action now (a standby, a replaced primary): every action key says so at once,
  /// with where to act instead, rather than after a reason is typed.
  public var actionsRefused: String?
  /// The selected row, a site or a group; kept by identity when rows re-sort or re-filter.
  public var selection: TableRow?
  public var listOptions = SiteListOptions()
  public var showsWall = false
  /// The wall's place shows the overview of groups: the roster does not fit one cell per site on the screen and no
  /// group is drilled into (`listOptions.scope`). Settled by `layOut`.
  public internal(set) var showsOverview = false
  /// The overview lists its groups worst first (`OverviewRanking`) rather than in roster order.
  public var rankWorstFirst = false
  /// The selected site's detail pane is open.
  public var showsDetail = false
  public var scrollOffset = 0
  public var wallScroll = 0
  public var overviewScroll = 0
  public var message: (text: String, isError: Bool)?
  /// Newest last; a fixed-size ring so two days of events do not grow memory.
  public private(set) var log: [LogLine] = []
  /// Rows of the table (or wall lines) last drawn, for paging.
  public var pageSize = 10
  /// The rows and wall as last laid out; keys move through these.
  public internal(set) var rows: [TableRow] = []
  public internal(set) var visibleCount = 0
  var wall = WallLayout()
  var wallSize = (width: 0, height: 0)
  /// The rows the wall's pane has when no detail pane takes room: whether the roster fits one cell per site is
  /// decided on these, so opening a site's detail never turns the wall into the overview.
  var wallRoom = 0
  var overview = OverviewLayout()
  /// What `overview`'s order and lines were arranged from; a change of records re-ranks only when ranked.
  var arranged: ArrangeKey?
  /// What `rows` and the wall were laid out from; a frame or key that finds the same lays out nothing again, so a
  /// quiet national roster costs a frame its visible rows only.
  var laidOut: LayoutKey?
  var rosterIndex: RosterIndex?

  struct LayoutKey: Equatable {
    var options: SiteListOptions
    var showsWall: Bool
    var wallWidth: Int
    var wallHeight: Int
    var wallRoom: Int
    var siteCount: Int
    /// Only when the rows depend on the records (problems only, or sorted by something the records hold).
    var recordsRevision: UInt64?
    /// Only with problems only: a bridge poll changes who disagrees without changing the records.
    var bridgeDisagreements: [BridgeDisagreement?]?
  }

  func layoutKey(_ snapshot: MonitorSnapshot) -> LayoutKey {
    let options = showsWall ? listOptions.forWall : listOptions
    return LayoutKey(
      options: options, showsWall: showsWall, wallWidth: showsWall ? wallSize.width : 0, wallHeight: showsWall ? wallSize.height : 0,
      wallRoom: showsWall ? wallRoom : 0, siteCount: snapshot.sites.count,
      recordsRevision: options.dependsOnRecords ? snapshot.recordsRevision : nil,
      bridgeDisagreements: options.problemsOnly ? snapshot.bridge?.disagreements : nil)
  }

  public init() {}

  public var selectedSite: Int? {
    get { if case .site(let index) = selection { index } else { nil } }
    set { selection = newValue.map { .site(index: $0) } }
  }

  /// The site whose detail pane is open, if any.
  public var detailSite: Int? { showsDetail ? selectedSite : nil }

  public mutating func appendLog(_ line: LogLine) {
    log.append(line)
    if log.count > Self.logCapacity { log.removeFirst(log.count - Self.logCapacity) }
  }

  // MARK: - Layout

  /// Applies the filter, sort and collapsed groups to `snapshot` and puts the selection on a row that shows:
  /// the same site if it still shows, else the group that hides it, else the first site.
  public mutating func layOut(_ snapshot: MonitorSnapshot) {
    let key = layoutKey(snapshot)
    if key != laidOut {
      if rosterIndex?.siteCount != snapshot.sites.count { rosterIndex = RosterIndex(sites: snapshot.sites) }
      let visible = SiteList.visibleSites(snapshot, index: rosterIndex!, options: listOptions)
      visibleCount = visible.reduce(0) { $0 + ($1 ? 1 : 0) }
      rows = SiteList.rows(snapshot, index: rosterIndex!, options: key.options, visible: visible)
      wall = WallLayout()
      if showsWall { layOutWallOrOverview(snapshot, key: key, visible: visible) } else { showsOverview = false }
      laidOut = key
    }
    if showsOverview { arrangeOverview(snapshot) }
    reconcileSelection(snapshot)
  }

  private mutating func layOutIfStale(_ snapshot: MonitorSnapshot) {
    if laidOut?.options != (showsWall ? listOptions.forWall : listOptions) || laidOut?.showsWall != showsWall
      || (showsOverview && arranged?.ranked != rankWorstFirst)
    {
      layOut(snapshot)
    }
  }

  private mutating func reconcileSelection(_ snapshot: MonitorSnapshot) {
    if showsOverview {
      reconcileOverviewSelection(snapshot)
      return
    }
    if showsWall {
      if let site = selectedSite, wall.position(of: site) != nil { return }
      // A group (or a hidden site) selected in the table: the first shown site under it.
      let under: Int? =
        switch selection {
        case .group(let node): node
        case .site(let index): snapshot.groups.ancestorsOfSite[index].last
        case nil: nil
        }
      if let under, let site = wall.order.first(where: { snapshot.groups.ancestorsOfSite[$0].contains(under) }) {
        selectedSite = site
      } else {
        selectedSite = wall.order.first
      }
      return
    }
    if let selection, rows.contains(selection) { return }
    if case .site(let index) = selection,
      let group = snapshot.groups.ancestorsOfSite[index].reversed().first(where: { rows.contains(.group(node: $0)) })
    {
      self.selection = .group(node: group)
      return
    }
    selection = rows.first { if case .site = $0 { true } else { false } } ?? rows.first
  }

  // MARK: - Keys

  /// Handles one key against the latest snapshot.
  public mutating func handle(_ key: Key, snapshot: MonitorSnapshot) -> Effect {
    switch mode {
    case .help:
      mode = .normal
      if KeyMap.action(for: key) == .quit { return handleAction(.quit, snapshot: snapshot) }
      return .none
    case .confirmQuit:
      if case .character(let character) = key, character == "y" || character == "Y" { return .quit }
      if key == .interrupt { return .quit }
      mode = .normal
      message = nil
      return .none
    case .confirmRelease(let site):
      mode = .normal
      message = nil
      if case .character(let character) = key, character == "y" || character == "Y" {
        return .request(OperatorRequest(site: snapshot.sites[site].id, action: .release(force: true)))
      }
      return .none
    case .confirmHeadcount(let site, let count):
      mode = .normal
      if case .character(let character) = key, character == "y" || character == "Y" {
        message = nil
        return .request(OperatorRequest(site: snapshot.sites[site].id, action: .setHeadcount(count), confirmedAboveExpected: true))
      }
      message = (strings(.cancelled), false)
      return .none
    case .filter(let input):
      return handleFilterKey(key, input: input, snapshot: snapshot)
    case .prompt(let name, let site, let input):
      return handlePrompt(key, OperatorCommands[name], site: site, input: input, snapshot: snapshot)
    case .normal:
      guard let action = KeyMap.action(for: key) else { return .none }
      return handleAction(action, snapshot: snapshot)
    }
  }

  private mutating func handleFilterKey(_ key: Key, input: String, snapshot: MonitorSnapshot) -> Effect {
    switch key {
    case .escape, .interrupt:
      mode = .normal
      listOptions.filterText = ""
      message = (strings(.filterCleared), false)
    case .enter:
      mode = .normal
      message = nil
    case .backspace:
      mode = .filter(input: String(input.dropLast()))
      listOptions.filterText = String(input.dropLast())
    case .character(let character):
      guard !character.isNewline, character.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }), input.count < 80 else {
        return .none
      }
      mode = .filter(input: input + String(character))
      listOptions.filterText = input + String(character)
    default:
      return .none
    }
    layOutIfStale(snapshot)
    return .none
  }

  private mutating func handlePrompt(
    _ key: Key, _ command: OperatorCommand, site: Int, input: String, snapshot: MonitorSnapshot
  ) -> Effect {
    guard let prompt = command.prompt else {
      mode = .normal
      return .none
    }
    switch key {
    case .escape, .interrupt:
      mode = .normal
      message = (strings(.cancelled), false)
      return .none
    case .enter:
      switch prompt.submit(input, strings) {
      case .success(let action):
        mode = .normal
        message = nil
        if let question = prompt.confirmation(action, site, snapshot) {
          mode = question
          return .none
        }
        return .request(OperatorRequest(site: snapshot.sites[site].id, action: action))
      case .failure(let error):
        message = (error.text, true)  // stays in the prompt; nothing changes
        return .none
      }
    case .backspace:
      mode = .prompt(command.name, site: site, input: String(input.dropLast()))
      return .none
    case .character(let character):
      // Printable text only; a prompt is one line of at most 120 characters.
      guard !character.isNewline, character.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }), input.count < 120 else {
        return .none
      }
      mode = .prompt(command.name, site: site, input: input + String(character))
      return .none
    default:
      return .none
    }
  }

  private mutating func handleAction(_ action: Action, snapshot: MonitorSnapshot) -> Effect {
    message = nil
    layOutIfStale(snapshot)
    switch action {
    case .moveUp: moveVertically(by: -1)
    case .moveDown: moveVertically(by: 1)
    case .pageUp: moveVertically(by: -max(1, pageSize - 1))
    case .pageDown: moveVertically(by: max(1, pageSize - 1))
    case .moveLeft: moveInWall(by: -1)
    case .moveRight: moveInWall(by: 1)
    case .home: moveVertically(by: Int.min / 2)
    case .end: moveVertically(by: Int.max / 2)
    case .open where showsOverview:
      enterSelectedGroup()
    case .open:
      switch selection {
      case .group(let node):
        if listOptions.collapsed.contains(node) { listOptions.collapsed.remove(node) } else { listOptions.collapsed.insert(node) }
      case .site:
        showsDetail.toggle()
      case nil:
        break
      }
    case .collapseAll:
      listOptions.collapsed = SiteList.allGroups(snapshot)
    case .expandAll:
      listOptions.collapsed = []
    case .filter:
      mode = .filter(input: listOptions.filterText)
    case .problemsOnly:
      listOptions.problemsOnly.toggle()
      message = (strings(listOptions.problemsOnly ? .problemsOnly : .allSites), false)
    case .escape:
      if showsDetail {
        showsDetail = false
      } else if listOptions.scope != nil {
        leaveGroup()
      } else if listOptions.isFiltering {
        listOptions.filterText = ""
        listOptions.problemsOnly = false
        message = (strings(.filterCleared), false)
      }
    case .cycleSort:
      listOptions.sort = listOptions.sort.next
      message = (strings(.sortChanged, strings(listOptions.sort.label)), false)
    case .toggleWall:
      showsWall.toggle()
    case .rankGroups:
      rankWorstFirst.toggle()
      // The order is the overview's: said plainly when the overview is not what is on screen.
      let order = strings(rankWorstFirst ? .overviewRankedWorstFirst : .overviewRankedRoster)
      message = (showsOverview ? order : strings(.overviewRankNotShown, order), false)
    case .help: mode = .help
    case .quit:
      mode = .confirmQuit
    case .cycleTheme: return .cycleTheme
    case let action where readOnly && action.changesASite:
      message = (strings(.readOnlyConsole), true)
    case let action where actionsRefused != nil && action.changesASite:
      message = (actionsRefused!, true)
    case .operate(let name):
      guard let site = selectedSite else { return .none }
      let command = OperatorCommands[name]
      switch command.press(site, snapshot, self) {
      case .request(let action): return .request(OperatorRequest(site: snapshot.sites[site].id, action: action))
      case .prompt: mode = .prompt(name, site: site, input: "")
      case .confirm(let question): mode = question
      case .refuse(let reason):
        message = (reason, true)
        return .none
      }
    }
    layOutIfStale(snapshot)
    return .none
  }

  /// Up and down: through table rows, or from wall line to wall line keeping the column.
  private mutating func moveVertically(by delta: Int) {
    if showsOverview {
      moveInOverview(by: delta)
      return
    }
    if showsWall {
      guard let site = selectedSite, let target = wall.site(from: site, lines: delta) else {
        selectedSite = wall.order.first
        return
      }
      selectedSite = target
      return
    }
    guard !rows.isEmpty else { return }
    let position = selection.flatMap { rows.firstIndex(of: $0) }
    let start = position ?? (delta > 0 ? -1 : rows.count)
    let target = max(0, min(rows.count - 1, start.addingReportingOverflow(delta).partialValue))
    selection = rows[target]
  }

  /// Left and right: the previous or next site on the wall; in the table, the same as up and down.
  private mutating func moveInWall(by delta: Int) {
    guard showsWall, !showsOverview else { return }
    guard let site = selectedSite, let position = wall.position(of: site) else {
      selectedSite = wall.order.first
      return
    }
    let target = max(0, min(wall.order.count - 1, position + delta))
    if wall.order.indices.contains(target) { selectedSite = wall.order[target] }
  }
}
