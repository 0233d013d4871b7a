import BridgeCore
import BridgeMonitor
import Foundation
import Logging
import TestSupport

/// A monitor on a free loopback port with a manual clock set to the real time (so file mtimes and
/// signed `ts` make sense) and a temporary directory for heartbeat and status files; with `consoles`, it serves
/// consoles on `test.sock` there.
struct MonitorFixture {
  let monitor: Monitor
  let clock: ManualClock
  let port: Int
  let directory: String
  let config: ConferenceConfig

  static func start(
    sites: [(id: String, group: String)] = [("HB-TU", "Hòa Bình"), ("HB-DB-HU", "Hòa Bình / Đà Bắc"), ("HB-DB-TULY", "Hòa Bình / Đà Bắc")],
    keys: [String: String] = [:], requireAuth: Bool = false, timing: Timing = Timing(), consoles: ConsoleServer.Limits? = nil,
    logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
  ) async throws -> MonitorFixture {
    let directory = try makeScratchDirectory("bw-ingest")
    try FileManager.default.createDirectory(atPath: directory + "/heartbeats", withIntermediateDirectories: true)
    var config = ConferenceConfig(
      sites: sites.map { site in
        SiteConfig(
          id: site.id, name: "Điểm \(site.id)", group: GroupPath.parse(site.group)!, expected: 50,
          heartbeatFile: directory + "/heartbeats/\(site.id).hb")
      }, baseDirectory: directory, path: directory + "/test.yaml")
    config.siteKeys = keys.mapValues { SiteKeyEntry(secret: $0) }
    config.udp.requireAuth = requireAuth
    config.udp.host = "127.0.0.1"
    config.udp.port = 0
    config.statusFilePath = directory + "/status.json"
    config.timing = timing
    config.console.socketPath = directory + "/test.sock"
    let clock = ManualClock(unixSeconds: Date().timeIntervalSince1970)
    let monitor = Monitor(config: config, clock: clock, logger: logger, consoles: consoles)
    let address = try await monitor.start()
    return MonitorFixture(monitor: monitor, clock: clock, port: address.port!, directory: directory, config: config)
  }

  func stop() async {
    await monitor.stop()
    try? FileManager.default.removeItem(atPath: directory)
  }

  var now: ClockReading { clock.now() }
  var unixNow: UInt64 { UInt64(clock.now().unixSeconds) }

  func heartbeatFile(_ site: String) -> String { directory + "/heartbeats/\(site).hb" }

  func snapshot() async throws -> MonitorSnapshot { try await monitor.snapshot() }

  func record(_ site: String) async throws -> SiteRecord {
    let snapshot = try await snapshot()
    return snapshot.records[snapshot.sites.firstIndex { $0.id == site }!]
  }
}

/// Sets a file's modification time to `unixSeconds`.
func setModificationTime(_ path: String, unixSeconds: Double) {
  let seconds = Int(unixSeconds)
  var times = [
    timespec(tv_sec: seconds, tv_nsec: 0),
    timespec(tv_sec: seconds, tv_nsec: Int((unixSeconds - Double(seconds)) * 1e9)),
  ]
  precondition(utimensat(AT_FDCWD, path, &times, 0) == 0)
}

extension MonitorLink {
  /// Sends `request` and waits for the monitor's answer (a test's convenience: the dashboard never waits).
  func answer(to request: OperatorRequest, operatorName: String) async -> ConsoleAnswer.Outcome {
    await withCheckedContinuation { continuation in
      perform(request, operatorName: operatorName) { continuation.resume(returning: $0) }
    }
  }
}
