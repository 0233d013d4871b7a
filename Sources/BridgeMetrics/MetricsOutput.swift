import BridgeCore
import BridgeMonitor
import Logging

/// The metrics endpoint (`metrics.listen`) as one of the monitor's outputs: the exporter takes every update the
/// hub publishes, and the server answers `/metrics` from the monitor's start to its stop. A port that cannot be
/// had stops the start: the config says the endpoint is wanted.
public final class MetricsOutput: MonitorOutput {
  public let exporter: MetricsExporter
  private let server: MetricsServer
  private let host: String
  private let port: Int
  private let logger: Logger

  /// The endpoint could not be served.
  public struct StartFailure: Error, CustomStringConvertible {
    public var description: String
  }

  public init(exporter: MetricsExporter, host: String, port: Int, limits: MetricsServer.Limits, logger: Logger) {
    self.exporter = exporter
    self.host = host
    self.port = port
    self.logger = logger
    server = MetricsServer(exporter: exporter, logger: logger, limits: limits)
  }

  public func start(facts: ConsoleFacts) async throws {
    do {
      let address = try await server.start(host: host, port: port)
      logger.info("metrics at http://\(HostPortText.format(host: address.ipAddress ?? "?", port: address.port ?? 0))/metrics")
    } catch {
      await server.stop()
      throw StartFailure(description: "cannot serve metrics on \(HostPortText.format(host: host, port: port)): \(error)")
    }
  }

  public func receive(_ update: MonitorUpdate) { exporter.observe(update) }

  public func stop() async { await server.stop() }
}
