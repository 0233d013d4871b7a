import Foundation
import Yams

/// `udp:`, where heartbeats arrive and whether they must be signed.
extension ConfigLoader {
  static let udpKeys = ["listen", "require_auth"]

  mutating func parseUDP(_ node: Node) -> UDPSettings {
    var udp = UDPSettings()
    guard let mapping = node.mapping else {
      fail(node, "'udp' must be a mapping (listen, require_auth)")
      return udp
    }
    let entries = checkedEntries(mapping, allowed: Self.udpKeys, context: "'udp'")
    if let listenNode = entries["listen"], let text = string(listenNode, "listen") {
      if let (host, port) = HostPort.parse(text) {
        udp.host = host
        udp.port = port
        // What `run` does at start; `check` must refuse what `run` would.
        if let problem = HostPort.resolutionProblem(host: host, port: port) {
          runProblems.append(ConfigProblem(at(listenNode), "'listen' host '\(host)' \(problem)"))
        }
      } else {
        fail(listenNode, "'listen' must be HOST:PORT (for example 0.0.0.0:7400, or \"[::]:7400\" in quotes for IPv6), got '\(text)'")
      }
    }
    if let authNode = entries["require_auth"], let value = boolean(authNode, "require_auth") { udp.requireAuth = value }
    return udp
  }
}
