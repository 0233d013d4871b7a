import BridgeCore

/// A key as the dashboard understands it, independent of curses key codes.
public enum Key: Sendable, Hashable {
  case character(Character)
  case up, down, left, right, pageUp, pageDown, home, end
  case enter, escape, backspace, tab
  case resize
  case interrupt  // Ctrl-C
}

/// What an operator can ask for. Keys map to actions in `KeyMap.bindings`; nothing else reads keys. The actions
/// that change a site are rows of `OperatorCommands.table`.
public enum Action: Sendable, Hashable, CaseIterable {
  case moveUp, moveDown, moveLeft, moveRight, pageUp, pageDown, home, end
  case open, collapseAll, expandAll
  case filter, problemsOnly, escape, cycleSort, toggleWall
  /// The overview's order: worst groups first, or the roster's.
  case rankGroups
  case operate(OperatorCommand.Name)
  case cycleTheme, help, quit

  public static let allCases: [Action] =
    [
      .moveUp, .moveDown, .moveLeft, .moveRight, .pageUp, .pageDown, .home, .end, .open, .collapseAll, .expandAll, .filter,
      .problemsOnly, .escape, .cycleSort, .toggleWall, .rankGroups,
    ] + OperatorCommand.Name.allCases.map { .operate($0) } + [.cycleTheme, .help, .quit]

  /// Changes a site for everyone: refused on a read-only console, and left out of its footer.
  public var changesASite: Bool {
    if case .operate = self { true } else { false }
  }
}

public struct KeyBinding: Sendable {
  public var keys: [Key]
  /// How the keys are written in the footer and help: "o", "↑/k".
  public var keyLabel: String
  public var action: Action
  /// Short label for the footer; nil keeps it out of the footer.
  public var footerLabel: TextKey?
  public var help: TextKey

  /// The first key's label alone, for the footer ("q" rather than "q/^C").
  public var footerKey: String { String(keyLabel.split(separator: "/").first ?? Substring(keyLabel)) }
}

/// The one table of keys. The footer and the help overlay are generated from it; both languages use the same keys.
public enum KeyMap {
  public static let bindings: [KeyBinding] =
    [
      KeyBinding(keys: [.up, .character("k")], keyLabel: "↑/k", action: .moveUp, footerLabel: nil, help: .keyMove),
      KeyBinding(keys: [.down, .character("j")], keyLabel: "↓/j", action: .moveDown, footerLabel: nil, help: .keyMove),
      KeyBinding(keys: [.left, .character("h")], keyLabel: "←/h", action: .moveLeft, footerLabel: nil, help: .keyMove),
      KeyBinding(keys: [.right, .character("l")], keyLabel: "→/l", action: .moveRight, footerLabel: nil, help: .keyMove),
      KeyBinding(keys: [.pageUp], keyLabel: "PgUp", action: .pageUp, footerLabel: nil, help: .keyPaging),
      KeyBinding(keys: [.pageDown], keyLabel: "PgDn", action: .pageDown, footerLabel: nil, help: .keyPaging),
      KeyBinding(keys: [.home], keyLabel: "Home", action: .home, footerLabel: nil, help: .keyPaging),
      KeyBinding(keys: [.end], keyLabel: "End", action: .end, footerLabel: nil, help: .keyPaging),
      KeyBinding(keys: [.enter, .character(" ")], keyLabel: "Enter/Space", action: .open, footerLabel: .footerDetail, help: .keyOpen),
      KeyBinding(keys: [.character("-")], keyLabel: "-", action: .collapseAll, footerLabel: nil, help: .keyCollapseAll),
      KeyBinding(keys: [.character("+"), .character("=")], keyLabel: "+", action: .expandAll, footerLabel: nil, help: .keyExpandAll),
      KeyBinding(keys: [.character("/")], keyLabel: "/", action: .filter, footerLabel: .footerFilter, help: .keyFilter),
      KeyBinding(keys: [.character("!")], keyLabel: "!", action: .problemsOnly, footerLabel: .footerProblems, help: .keyProblems),
      KeyBinding(keys: [.escape, .backspace], keyLabel: "Esc/Bksp", action: .escape, footerLabel: nil, help: .keyEscape),
      KeyBinding(keys: [.character("s")], keyLabel: "s", action: .cycleSort, footerLabel: .footerSort, help: .keySort),
      KeyBinding(keys: [.character("w")], keyLabel: "w", action: .toggleWall, footerLabel: .footerWall, help: .keyWall),
      KeyBinding(keys: [.character("r")], keyLabel: "r", action: .rankGroups, footerLabel: .footerRank, help: .keyRank),
    ]
    + OperatorCommands.table.map(\.binding) + [
      KeyBinding(keys: [.character("t")], keyLabel: "t", action: .cycleTheme, footerLabel: .footerTheme, help: .keyTheme),
      KeyBinding(keys: [.character("?")], keyLabel: "?", action: .help, footerLabel: .footerHelp, help: .keyHelp),
      KeyBinding(keys: [.character("q"), .interrupt], keyLabel: "q/^C", action: .quit, footerLabel: .footerQuit, help: .keyQuit),
    ]

  /// The footer's hints, most used first; it shows as many as fit, and always help and quit.
  public static let footerOrder: [Action] = [
    .operate(.markOffline), .filter, .problemsOnly, .toggleWall, .open, .rankGroups, .cycleSort, .operate(.setHeadcount),
    .operate(.acknowledge), .operate(.claim), .operate(.clearMark), .cycleTheme, .help, .quit,
  ]

  static let actionByKey: [Key: Action] = {
    var map: [Key: Action] = [:]
    for binding in bindings { for key in binding.keys { map[key] = binding.action } }
    return map
  }()

  public static func action(for key: Key) -> Action? { actionByKey[key] }
}
