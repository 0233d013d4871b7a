/// A key as the dashboard understands it, independent of curses key codes.
public enum Key: Sendable, Hashable {
  case character(Character)
  case up, down, pageUp, pageDown, home, end
  case enter, escape, backspace, tab
  case resize
  case interrupt  // Ctrl-C
}

/// What an operator can ask for. Keys map to actions in `KeyMap.bindings`; nothing else reads keys.
public enum Action: String, Sendable, CaseIterable {
  case moveUp, moveDown, pageUp, pageDown, home, end
  case markOffline, clearMark, acknowledge, setHeadcount
  case cycleTheme, help, quit
}

public struct KeyBinding: Sendable {
  public var keys: [Key]
  /// How the keys are written in the footer and help: "o", "↑/k".
  public var keyLabel: String
  public var action: Action
  /// Short label for the footer; nil keeps it out of the footer.
  public var footerLabel: String?
  public var help: String

  /// The first key's label alone, for the footer ("q" rather than "q/^C").
  public var footerKey: String { String(keyLabel.split(separator: "/").first ?? Substring(keyLabel)) }
}

public enum KeyMap {
  public static let bindings: [KeyBinding] = [
    KeyBinding(keys: [.up, .character("k")], keyLabel: "↑/k", action: .moveUp, footerLabel: nil, help: "move up"),
    KeyBinding(keys: [.down, .character("j")], keyLabel: "↓/j", action: .moveDown, footerLabel: nil, help: "move down"),
    KeyBinding(keys: [.pageUp], keyLabel: "PgUp", action: .pageUp, footerLabel: nil, help: "page up"),
    KeyBinding(keys: [.pageDown], keyLabel: "PgDn", action: .pageDown, footerLabel: nil, help: "page down"),
    KeyBinding(keys: [.home], keyLabel: "Home", action: .home, footerLabel: nil, help: "first site"),
    KeyBinding(keys: [.end], keyLabel: "End", action: .end, footerLabel: nil, help: "last site"),
    KeyBinding(
      keys: [.character("o")], keyLabel: "o", action: .markOffline, footerLabel: "mark",
      help: "mark the selected site offline, with a reason"),
    KeyBinding(
      keys: [.character("u")], keyLabel: "u", action: .clearMark, footerLabel: "clear", help: "clear the mark on the selected site"),
    KeyBinding(
      keys: [.character("a")], keyLabel: "a", action: .acknowledge, footerLabel: "ack",
      help: "acknowledge a late/offline site (silences its alert and bell)"),
    KeyBinding(
      keys: [.character("c")], keyLabel: "c", action: .setHeadcount, footerLabel: "count",
      help: "set the selected site's headcount by hand (phoned in)"),
    KeyBinding(keys: [.character("t")], keyLabel: "t", action: .cycleTheme, footerLabel: "theme", help: "next colour theme"),
    KeyBinding(keys: [.character("?")], keyLabel: "?", action: .help, footerLabel: "help", help: "show or hide this help"),
    KeyBinding(keys: [.character("q"), .interrupt], keyLabel: "q/^C", action: .quit, footerLabel: "quit", help: "quit (asks to confirm)"),
  ]

  static let actionByKey: [Key: Action] = {
    var map: [Key: Action] = [:]
    for binding in bindings { for key in binding.keys { map[key] = binding.action } }
    return map
  }()

  public static func action(for key: Key) -> Action? { actionByKey[key] }
}

/// Reasons offered when marking a site offline; typed text is accepted too.
public enum MarkReasons {
  public static let presets = ["no signal", "power cut", "line down", "cancelled by site"]
}
