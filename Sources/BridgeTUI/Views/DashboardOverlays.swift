import BridgeCore

/// What covers the screen: the help, and the notice of a terminal too small.
extension DashboardView {
  static func renderHelp(_ screen: inout ScreenBuffer, strings: Strings, context: ViewContext) {
    // Bindings that share a help text share a line: "↑/k ↓/j ←/h →/l  move...".
    var lines: [(key: String, help: String)] = []
    var previous: TextKey?
    for binding in KeyMap.bindings {
      if binding.help == previous {
        lines[lines.count - 1].key += " " + binding.keyLabel
      } else {
        lines.append((binding.keyLabel, strings(binding.help)))
      }
      previous = binding.help
    }
    let keyWidth = lines.map { DisplayWidth.of($0.key) }.max() ?? 4
    let width = min(context.width - 4, 96)
    let height = min(context.height - 2, lines.count + 4)
    let left = (context.width - width) / 2
    let top = max(1, (context.height - height) / 2)
    for y in top..<(top + height) { screen.fill(y: y, from: left, width: width, role: .overlay) }
    screen.put(strings(.helpTitle), x: left + 2, y: top, role: .overlayTitle)
    for (offset, line) in lines.enumerated() where offset < height - 3 {
      let y = top + 2 + offset
      screen.put(line.key, x: left + 2, y: y, role: .overlayTitle)
      screen.put(line.help, x: left + 4 + keyWidth, y: y, role: .overlay, maxWidth: width - keyWidth - 6)
    }
    screen.put(strings(.helpClose), x: left + 2, y: top + height - 1, role: .overlay, maxWidth: width - 4)
  }

  static func renderTooSmall(_ screen: inout ScreenBuffer, strings: Strings, context: ViewContext) {
    // Wrapped to the width: the message must be readable however small the terminal is.
    let lines = [strings(.tooSmall, context.width, context.height), strings(.enlarge, minimumWidth, minimumHeight)]
      .flatMap { wrap($0, width: max(1, context.width)) }
    let top = max(0, (context.height - lines.count) / 2)
    for (offset, line) in lines.enumerated() where top + offset < context.height {
      let width = DisplayWidth.of(line)
      screen.put(line, x: max(0, (context.width - width) / 2), y: top + offset, role: .error, maxWidth: context.width)
    }
  }

  /// Splits `text` at spaces into lines at most `width` columns wide (a longer word gets a line of its own).
  static func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ") {
      let candidate = current.isEmpty ? String(word) : current + " " + word
      if DisplayWidth.of(candidate) <= width || current.isEmpty {
        current = candidate
      } else {
        lines.append(current)
        current = String(word)
      }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
  }
}
