import BridgeCore
import BridgeIngest
import Foundation
import Logging

/// A plain POSIX UDP socket on loopback, as a site's script would use.
final class UDPClient {
  let fd: Int32

  init() {
    fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    precondition(fd >= 0)
    var timeout = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  }

  deinit { close(fd) }

  func send(_ bytes: [UInt8], port: Int) {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let sent = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    precondition(sent == bytes.count, "sendto failed: \(errno)")
  }

  func send(_ text: String, port: Int) { send(Array(text.utf8), port: port) }

  /// The next datagram, or nil after the timeout.
  func receive(timeoutMilliseconds: Int = 2000) -> String? {
    var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: Int((timeoutMilliseconds % 1000) * 1000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 2048)
    let count = recv(fd, &buffer, buffer.count, 0)
    guard count >= 0 else { return nil }
    return String(decoding: buffer[0..<count], as: UTF8.self)
  }
}

/// A monitor on a free loopback port with a manual clock set to the real time (so file mtimes and
/// signed `ts` make sense) and a temporary directory for heartbeat and status files.
struct MonitorFixture {
  let monitor: Monitor
  let clock: ManualClock
  let port: Int
  let directory: String
  let config: ConferenceConfig

  static func start(
    sites: [(id: String, group: String)] = [("HB-TU", "Hòa Bình"), ("HB-DB-HU", "Hòa Bình / Đà Bắc"), ("HB-DB-TULY", "Hòa Bình / Đà Bắc")],
    keys: [String: String] = [:], requireAuth: Bool = false, timing: Timing = Timing()
  ) async throws -> MonitorFixture {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-ingest-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory + "/heartbeats", withIntermediateDirectories: true)
    var config = ConferenceConfig(
      sites: sites.map { site in
        SiteConfig(
          id: site.id, name: "Điểm \(site.id)", group: GroupPath.parse(site.group)!, expected: 50,
          heartbeatFile: directory + "/heartbeats/\(site.id).hb")
      }, baseDirectory: directory, path: directory + "/test.yaml")
    config.keys = keys.mapValues { Array($0.utf8) }
    config.udp.requireAuth = requireAuth
    config.udp.host = "127.0.0.1"
    config.udp.port = 0
    config.statusFilePath = directory + "/status.json"
    config.timing = timing
    let clock = ManualClock(unixSeconds: Date().timeIntervalSince1970)
    let monitor = Monitor(config: config, clock: clock, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
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
