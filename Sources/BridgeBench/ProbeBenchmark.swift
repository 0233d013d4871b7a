import BridgeCore
import BridgeField
import CLinux
import Foundation
import Synchronization

/// `bench probes`: a headless monitor probes a national roster by SIP OPTIONS, every site every 5 s, all answered
/// on loopback by a responder in this process. Over the measured window no site may turn late or offline (the
/// journal says), and the monitor's CPU is set against the responder's, which receives and answers the same
/// datagrams (the floor of any prober here).
public struct ProbeBenchmark {
  let binary: String
  let sites: Int
  let seconds: Int
  let directory: String

  public init(binary: String, sites: Int, seconds: Int, directory: String) {
    self.binary = binary
    self.sites = sites
    self.seconds = seconds
    self.directory = directory
  }

  public func run(report: (String) -> Void) throws {
    report(
      "probes: \(NumberText.grouped(sites)) sites probed by SIP OPTIONS every 5 s (\(NumberText.grouped(sites / 5)) a second), "
        + "answered on loopback; \(seconds) s measured after a 15 s warm-up")
    let responder = try OptionsResponder()
    let (config, _) = try writeConference(responderPort: responder.port)
    responder.start()
    defer { responder.stop() }
    let (monitor, _) = try LoadBenchmark.startHeadlessMonitor(binary: binary, config: config)
    defer { if monitor.isRunning { monitor.terminate() } }
    let journal = directory + "/probes.journal"

    sleep(15)
    let linesBefore = Self.lines(journal)
    let monitorBefore = LoadBenchmark.figures(pid: monitor.processIdentifier)?.cpuSeconds ?? 0
    let responderBefore = responder.cpuSeconds
    let answeredBefore = responder.answered
    let begin = LoadBenchmark.now()
    sleep(UInt32(seconds))
    let elapsed = LoadBenchmark.now() - begin
    let monitorCPU = (LoadBenchmark.figures(pid: monitor.processIdentifier)?.cpuSeconds ?? 0) - monitorBefore
    let responderCPU = responder.cpuSeconds - responderBefore
    let answered = responder.answered - answeredBefore
    let peak = LoadBenchmark.figures(pid: monitor.processIdentifier)?.peakRSSKiB ?? 0
    monitor.interrupt()
    monitor.waitUntilExit()

    let window = Self.lines(journal).dropFirst(linesBefore.count)
    let falseAlarms = window.filter { $0.contains(#""to":"late""#) || $0.contains(#""to":"offline""#) }
    let status =
      (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/probes-status.json"))))
      as? [String: Any]
    let online = (status?["total"] as? [String: Any])?["online"] as? Int ?? 0
    func percent(_ cpu: Double) -> String { String(format: "%.2f%%", cpu * 100 / elapsed) }
    report(
      "answered: \(NumberText.grouped(answered)) OPTIONS in \(Int(elapsed.rounded())) s (\(NumberText.grouped(Int(Double(answered) / elapsed)))/s)"
    )
    report("monitor CPU: \(percent(monitorCPU)) of one core   target < 5%  \(monitorCPU * 100 / elapsed < 5 ? "MET" : "MISSED")")
    report("reference, same run: the responder receiving and answering them: \(percent(responderCPU))")
    report("ratio monitor / responder: \(String(format: "%.2f", responderCPU > 0 ? monitorCPU / responderCPU : 0))")
    report(
      "false late or offline in the window: \(falseAlarms.count)\(falseAlarms.isEmpty ? "" : ": " + falseAlarms.prefix(3).joined(separator: " "))"
    )
    report("online at the end: \(NumberText.grouped(online)) of \(NumberText.grouped(sites)); monitor peak RSS \(peak / 1024) MiB")
  }

  /// The national roster with every site probed at the responder (the Call-ID tells the sites apart).
  private func writeConference(responderPort: Int) throws -> (String, [SiteConfig]) {
    let roster = DemoRoster.national(sites: sites, heartbeatDirectory: directory + "/heartbeats")
    var csv = "id,name,group,expected,probe\n"
    for site in roster { csv += "\(site.id),\"\(site.name)\",\"\(site.groupLabel)\",\(site.expected),sip://127.0.0.1:\(responderPort)\n" }
    try csv.write(toFile: "\(directory)/probes.csv", atomically: true, encoding: .utf8)
    let yaml = """
      title: "Benchmark: \(sites) probed sites"
      timing: {interval: 5s, late_after: 12s, offline_after: 30s}
      probing: {timeout: 2s, rate: \(max(500, sites / 4))}
      sites_csv: probes.csv
      status_file: probes-status.json
      journal: probes.journal
      heartbeat_dir: heartbeats

      """
    let path = "\(directory)/probes.yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return (path, roster)
  }

  static func lines(_ path: String) -> [Substring] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
  }
}

/// Answers every SIP OPTIONS on a loopback UDP port with 200 OK, echoing Via, Call-ID and CSeq: what a room of
/// codecs does, on one thread whose CPU time is measured.
final class OptionsResponder: Sendable {
  let fd: Int32
  let port: Int
  private let count = Atomic<Int>(0)
  private let threadID = Atomic<Int32>(0)
  static let threadName = "bw-responder"
  private let stopping = Atomic<Bool>(false)

  init() throws {
    fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    var size: Int32 = 8 << 20
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let fd = self.fd
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw BenchFailure("the responder cannot bind a loopback port") }
    port = Int(UInt16(bigEndian: address.sin_port))
    var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  }

  var answered: Int { count.load(ordering: .relaxed) }

  var cpuSeconds: Double {
    ProcFiles.cpuSeconds(stat: "/proc/self/task/\(threadID.load(ordering: .relaxed))/stat") ?? 0
  }

  func start() {
    let thread = Thread { [self] in
      bw_set_thread_name(Self.threadName)
      threadID.store(Self.findThread() ?? -1, ordering: .relaxed)
      serve()
      // The serving thread closes its socket: `stop` need not wait for it.
      close(fd)
    }
    thread.start()
    while threadID.load(ordering: .relaxed) == 0 { usleep(1000) }
  }

  /// This process's thread named `threadName` (the kernel's id, for its stat file).
  private static func findThread() -> Int32? {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.first { task in
      (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        == threadName
    }.flatMap { Int32($0) }
  }

  /// Ends the serving within its receive timeout (200 ms), without waiting for it.
  func stop() {
    stopping.store(true, ordering: .relaxed)
  }

  private func serve() {
    var buffer = [UInt8](repeating: 0, count: 4096)
    var answer: [UInt8] = []
    answer.reserveCapacity(1024)
    while !stopping.load(ordering: .relaxed) {
      var sender = sockaddr_storage()
      var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
      let received = withUnsafeMutablePointer(to: &sender) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
      }
      guard received > 0 else { continue }
      answer.removeAll(keepingCapacity: true)
      answer.append(contentsOf: "SIP/2.0 200 OK\r\n".utf8)
      // Copy the Via, Call-ID and CSeq lines as they came.
      var lineStart = 0
      for index in 0..<(received - 1) where buffer[index] == 13 && buffer[index + 1] == 10 {
        let line = buffer[lineStart..<index]
        if line.starts(with: "Via:".utf8) || line.starts(with: "Call-ID:".utf8) || line.starts(with: "CSeq:".utf8) {
          answer.append(contentsOf: line)
          answer.append(contentsOf: [13, 10])
        }
        lineStart = index + 2
      }
      answer.append(contentsOf: "Content-Length: 0\r\n\r\n".utf8)
      _ = withUnsafePointer(to: &sender) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, answer, answer.count, 0, $0, length) }
      }
      count.add(1, ordering: .relaxed)
    }
  }
}
