import BridgeCore
import Foundation
import Logging
import NIOCore

/// The monitor's inputs and outputs as the config asks for them: the one list `run`, `run --headless` and `demo`
/// share. A new input or output is a line here (and its config section).
public enum MonitorWiring {
  /// UDP heartbeats, probes, heartbeat files, the conference bridges' rosters, the keys file's watch (`keys:`),
  /// and the check-in page when the HTTP server serves one (`checkin`, made by whoever starts that server); the
  /// UDP socket on `listen` instead of the config's, if given. `language`: of the bridges' problems (the run's `--lang`; nil: the locale's).
  public static func inputs(
    config: ConferenceConfig, listen: (host: String, port: Int)? = nil, checkin: CheckinInput? = nil, language: Language? = nil
  ) -> [any MonitorInput] {
    var inputs: [any MonitorInput] = [
      UDPInput(host: listen?.host ?? config.udp.host, port: listen?.port ?? config.udp.port),
      ProbeInput(),
      HeartbeatFileInput(config: config),
      BridgeInput(config: config, language: language),
    ]
    if let checkin { inputs.append(checkin) }
    // issue 33: a changed keys file is loaded without a restart (rotation).
    if let keys = config.keysPath { inputs.append(KeysFileWatch(path: keys, checkin: checkin, language: language)) }
    return inputs
  }

  /// The outputs the config asks for: the journal (opened by the replay; the hub made its recorder, which it also
  /// calls directly for operator actions), the status file when `status_file` is set, and the console server when
  /// `consoles` gives its limits (a `MonitorProcess`: a bare hub in a test or a benchmark serves no socket). Made as
  /// `hub` starts: the console socket listens here, and a monitor that cannot own it does not start (consoles would
  /// find nothing, or whatever squats the path).
  static func outputs(config: ConferenceConfig, logger: Logger, hub: Monitor, consoles: ConsoleServer.Limits?) throws(MonitorStartError)
    -> [any MonitorOutput]
  {
    var outputs: [any MonitorOutput] = [hub.journal]
    if let path = config.statusFilePath { outputs.append(StatusFileOutput(path: path, logger: logger, loop: hub.loop)) }
    if let consoles {
      do {
        outputs.append(try ConsoleServer(path: config.consoleSocketPath, monitor: hub, logger: logger, limits: consoles))
      } catch {
        throw MonitorStartError(
          description: "consoles cannot attach: \(error); the monitor does not start without its console socket")
      }
      // The demo's config is made in memory: there, only the socket names the monitor.
      let how =
        FileManager.default.fileExists(atPath: config.path)
        ? "bridgewatch console \(config.path)  (socket \(config.consoleSocketPath))"
        : "bridgewatch console --socket \(config.consoleSocketPath)"
      logger.info("consoles attach with: \(how)")
    }
    return outputs
  }
}

/// The monitor could not start (its wiring lacks what it needs).
public struct MonitorStartError: Error, CustomStringConvertible {
  public var description: String
}
