import BridgeCore
import BridgeMonitor
import Logging

/// The monitor's HTTP server (`metrics.listen`) as one of its outputs: the exporter takes every update the hub
/// publishes, and the server answers `/metrics` (and the check-in page, when `checkin` is given) from the monitor's
/// start to its stop. A port that cannot be had stops the start: the config says the endpoint is wanted.
public final class MetricsOutput: MonitorOutput {
  public let exporter: MetricsExporter
  private let server: MonitorHTTPServer
  private let servesCheckin: Bool
  private let host: String
  private let port: Int
  private let logger: Logger

  /// The endpoint could not be served.
  public struct StartFailure: Error, CustomStringConvertible {
    public var description: String
  }

  public init(
    exporter: MetricsExporter, checkin: CheckinInput? = nil, host: String, port: Int, limits: MonitorHTTPServer.Limits,
    logger: Logger
  ) {
    self.exporter = exporter
    self.host = host
    self.port = port
    self.logger = logger
    server = MonitorHTTPServer(exporter: exporter, checkin: checkin, logger: logger, limits: limits)
    servesCheckin = checkin != nil
    if let checkin { exporter.countCheckins { checkin.counters } }
  }

  public func start(facts: ConsoleFacts) async throws {
    do {
      let address = try await server.start(host: host, port: port)
      let base = "http://\(HostPortText.format(host: address.ipAddress ?? "?", port: address.port ?? 0))"
      logger.info("metrics at \(base)/metrics")
      if servesCheckin { logger.info("check-in page at \(base)/c/<token> (each site's link is on the enrolment sheet)") }
    } catch {
      await server.stop()
      throw StartFailure(description: "cannot serve metrics on \(HostPortText.format(host: host, port: port)): \(error)")
    }
  }

  public func receive(_ update: MonitorUpdate) { exporter.observe(update) }

  public func stop() async { await server.stop() }
}
