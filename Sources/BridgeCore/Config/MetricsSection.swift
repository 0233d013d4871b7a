import Foundation
import Yams

/// `metrics:`, the Prometheus endpoint.
extension ConfigLoader {
  static let metricsKeys = ["listen", "per_site"]

  mutating func parseMetrics(_ node: Node) -> MetricsSettings {
    var metrics = MetricsSettings()
    guard let mapping = node.mapping else {
      fail(node, "'metrics' must be a mapping (listen, per_site)")
      return metrics
    }
    let entries = checkedEntries(mapping, allowed: Self.metricsKeys, context: "'metrics'")
    if let listenNode = entries["listen"], let text = string(listenNode, "listen") {
      if let (host, port) = HostPort.parse(text) {
        metrics.listen = (host, port)
        if let problem = HostPort.resolutionProblem(host: host, port: port) {
          runProblems.append(ConfigProblem(at(listenNode), "metrics 'listen' host '\(host)' \(problem)"))
        }
      } else {
        fail(listenNode, "metrics 'listen' must be HOST:PORT (for example 127.0.0.1:9740), got '\(text)'")
      }
    }
    if let perSiteNode = entries["per_site"], let value = boolean(perSiteNode, "per_site") { metrics.perSite = value }
    return metrics
  }
}
