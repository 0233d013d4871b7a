import BridgeCore
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

  /// The outputs the hub itself feeds: the status file when `status_file` is set. `loop` is the hub's.
  public static func outputs(config: ConferenceConfig, logger: Logger, loop: any EventLoop) -> [any MonitorOutput] {
    var outputs: [any MonitorOutput] = []
    if let path = config.statusFilePath { outputs.append(StatusFileOutput(path: path, logger: logger, loop: loop)) }
    return outputs
  }
}

/// The monitor could not start (its wiring lacks what it needs).
public struct MonitorStartError: Error, CustomStringConvertible {
  public var description: String
}
