import Foundation
import Yams

/// `console:`, the consoles' socket and who may only watch.
extension ConfigLoader {
  static let consoleKeys = ["socket", "max_consoles", "read_only_users"]

  mutating func parseConsole(_ node: Node, baseDirectory: String) -> ConsoleSettings {
    var console = ConsoleSettings()
    guard let mapping = node.mapping else {
      fail(node, "'console' must be a mapping (socket, max_consoles, read_only_users)")
      return console
    }
    let entries = checkedEntries(mapping, allowed: Self.consoleKeys, context: "'console'")
    if let socketNode = entries["socket"], let text = string(socketNode, "socket") {
      if text.isEmpty { fail(socketNode, "'socket' must be a path") } else { console.socketPath = PathText.join(baseDirectory, text) }
    }
    if let limitNode = entries["max_consoles"], let text = string(limitNode, "max_consoles") {
      if let limit = Int(text), (1...1000).contains(limit) {
        console.maximumConsoles = limit
      } else {
        fail(limitNode, "'max_consoles' must be a whole number from 1 to 1000, got '\(text)'")
      }
    }
    if let usersNode = entries["read_only_users"] {
      if let items = usersNode.sequence {
        for item in items {
          guard let name = string(item, "read_only_users") else { continue }
          if name.isEmpty || name.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } ?? false }) {
            fail(item, "'read_only_users' holds Unix user names, got '\(TextSanitizer.printable(name))'")
          } else {
            console.readOnlyUsers.append(name)
          }
        }
      } else {
        fail(usersNode, "'read_only_users' must be a list of Unix user names, like [wall]")
      }
    }
    return console
  }
}
