import BridgeCore
import Foundation
import Synchronization
import TestSupport

/// Runs the real `bridgewatch` binary that `swift build` put next to the test bundle.
enum Binary {
  static let path: String = {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return executable.deletingLastPathComponent().appendingPathComponent("bridgewatch").path
  }()

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// `environment`: variables set over the test's own (LANG for a command's language).
  static func run(_ arguments: [String], timeout: TimeInterval = 30, environment: [String: String] = [:]) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Both pipes are read at once, standard error on a thread of its own: read one after the other, a child (or a
    // monitor a benchmark started, which shares its pipes) that fills the second pipe blocks while the first is
    // read to its end, which never comes.
    let errData = Mutex(Data())
    let errRead = DispatchSemaphore(value: 0)
    let errReading = err.fileHandleForReading
    Thread {
      let data = errReading.readDataToEndOfFile()
      errData.withLock { $0 = data }
      errRead.signal()
    }.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    errRead.wait()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus,
      stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self))
  }
}

/// A `bridgewatch run --headless` process whose stderr is collected as it arrives.
final class HeadlessMonitor: @unchecked Sendable {
  let process = Process()
  let directory: String
  private let collector = OutputCollector()
  private(set) var port = 0

  /// Writes `config` (and `files`) into a fresh directory and starts the monitor on a free loopback port.
  /// `directory`: start in this one (a restart of an earlier monitor) instead of a fresh one. `openFiles`: run it
  /// under `ulimit -n` (soft and hard).
  init(
    config: String, files: [String: String] = [:], listen: String = "127.0.0.1:0", directory reused: String? = nil,
    arguments: [String] = [], openFiles: Int? = nil
  ) throws {
    directory = reused ?? FileManager.default.temporaryDirectory.appendingPathComponent("bw-e2e-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory + "/heartbeats", withIntermediateDirectories: true)
    try config.write(toFile: directory + "/conference.yaml", atomically: true, encoding: .utf8)
    for (name, content) in files {
      try content.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
      chmod(directory + "/" + name, 0o600)
    }
    process.executableURL = URL(fileURLWithPath: Binary.path)
    process.arguments = ["run", directory + "/conference.yaml", "--headless", "--listen", listen] + arguments
    if let openFiles {
      process.executableURL = URL(fileURLWithPath: "/bin/sh")
      process.arguments = ["-c", "ulimit -n \(openFiles) && exec \"$0\" \"$@\"", Binary.path] + process.arguments!
    }
    process.standardError = collector.pipe
    process.standardOutput = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let pattern = #/listening on udp 127\.0\.0\.1:(?<port>[0-9]+)/#
    let found = waitFor(seconds: 20) { $0.firstMatch(of: pattern).map { Int($0.output.port)! } }
    guard let found else {
      process.terminate()
      throw StartFailure(log: log)
    }
    port = found
  }

  struct StartFailure: Error { var log: String }

  var log: String { collector.text }

  /// Polls the log until `match` finds something or the time is up.
  func waitFor<T>(seconds: Double, _ match: (String) -> T?) -> T? { collector.waitFor(seconds: seconds, match) }

  /// Resident set size of the monitor process, in KiB.
  var residentKiB: Int {
    let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
  }

  func statusFile() -> [String: Any]? {
    guard let data = FileManager.default.contents(atPath: directory + "/status.json") else { return nil }
    return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
  }

  /// Waits until the status file satisfies `condition`.
  func waitForStatus(seconds: Double = 10, _ condition: ([String: Any]) -> Bool) -> [String: Any]? {
    eventually(timeout: .seconds(seconds), every: .milliseconds(50)) { statusFile().flatMap { condition($0) ? $0 : nil } }
  }

  func stop() -> Int32 {
    let status = finish()
    try? FileManager.default.removeItem(atPath: directory)
    return status
  }

  /// Sends `signal` (SIGINT by default) and waits for the exit, keeping the folder to look at.
  @discardableResult
  func finish(signal: Int32 = SIGINT) -> Int32 {
    if process.isRunning {
      kill(process.processIdentifier, signal)
      process.waitUntilExit()
    }
    return process.terminationStatus
  }

  /// The journal's records, as `report` would read them.
  func journal(_ path: String? = nil) throws -> JournalContent {
    JournalContent.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path ?? directory + "/bridgewatch.journal"))))
  }
}

/// Runs a shell script with extra environment variables; returns stdout.
func runShell(_ script: String, environment: [String: String]) throws -> (status: Int32, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/bash")
  process.arguments = ["-c", script]
  process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  let out = Pipe()
  process.standardOutput = out
  try process.run()
  let data = out.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A long-running process (by default `bridgewatch`: agent, sim, demo; or a real peer such as Prometheus) whose
/// stdout and stderr are collected as they arrive.
final class BackgroundProcess: @unchecked Sendable {
  let process = Process()
  private let collector = OutputCollector()

  /// `environment`: variables set over the test's own.
  init(executable: String = Binary.path, _ arguments: [String], environment: [String: String] = [:]) throws {
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    process.standardOutput = collector.pipe
    process.standardError = collector.pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
  }

  var output: String { collector.text }

  /// Polls the output until `match` finds something or the time is up.
  func waitFor<T>(seconds: Double, _ match: (String) -> T?) -> T? { collector.waitFor(seconds: seconds, match) }

  /// Sends SIGINT and waits; returns the exit status.
  func stop() -> Int32 {
    if process.isRunning {
      process.interrupt()
      process.waitUntilExit()
    }
    return process.terminationStatus
  }
}

extension HeadlessMonitor {
  /// The status file's entry for `site`.
  func site(_ id: String, in json: [String: Any]) -> [String: Any]? {
    (json["sites"] as? [[String: Any]])?.first { $0["id"] as? String == id }
  }

  /// Waits until `site` is online with `headcount` in the status file.
  /// Waits until the status file shows `headcount` for the site, whatever its status (a headcount alone reaches
  /// the file at its 5 s refresh, by when a site of a fast test config may be late).
  func waitHeadcount(_ id: String, _ headcount: Int, seconds: Double = 15) -> [String: Any]? {
    waitForStatus(seconds: seconds) { json in site(id, in: json)?["headcount"] as? Int == headcount }.flatMap { site(id, in: $0) }
  }

  func waitOnline(_ id: String, headcount: Int, seconds: Double = 15) -> [String: Any]? {
    waitForStatus(seconds: seconds) { json in
      guard let entry = site(id, in: json) else { return false }
      return entry["status"] as? String == "online" && entry["headcount"] as? Int == headcount
    }.flatMap { site(id, in: $0) }
  }
}

/// Collects what a child process writes to a pipe as it arrives, so a chatty child never blocks.
///
/// A plain thread reads the pipe with blocking `read(2)` until end of file. Not `readabilityHandler`: its libdispatch
/// read source crashes the whole test process on Linux when sources are torn down while others are set up
/// (swift-corelibs-libdispatch#949; it took a CI run down with SIGSEGV in `_dispatch_event_loop_drain`).
final class OutputCollector: @unchecked Sendable {
  let pipe = Pipe()
  private let lock = NSLock()
  private var collected = Data()

  init() {
    // The thread holds only the read end: when the pipe's write ends are closed (the child exits, or the pipe is
    // dropped unused) the read sees end of file and the thread ends.
    let reading = pipe.fileHandleForReading
    let thread = Thread { [weak self] in
      var buffer = [UInt8](repeating: 0, count: 64 * 1024)
      while true {
        let count = buffer.withUnsafeMutableBytes { read(reading.fileDescriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0, let self else { return }
        let chunk = Data(buffer[0..<count])
        self.lock.withLock { self.collected.append(chunk) }
      }
    }
    thread.name = "test-output"
    thread.start()
  }

  var text: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

  /// Polls the text until `match` finds something or the time is up.
  func waitFor<T>(seconds: Double, _ match: (String) -> T?) -> T? {
    eventually(timeout: .seconds(seconds)) { match(text) }
  }
}

extension MonitorLink {
  /// Sends `request` and waits for the monitor's answer (a test's convenience: the dashboard never waits; the
  /// link answers within `ConsoleClient.answerTimeout`).
  func answer(to request: OperatorRequest, operatorName: String) -> ConsoleAnswer.Outcome {
    let answer = Mutex<ConsoleAnswer.Outcome?>(nil)
    let answered = DispatchSemaphore(value: 0)
    perform(request, operatorName: operatorName) { outcome in
      answer.withLock { $0 = outcome }
      answered.signal()
    }
    answered.wait()
    return answer.withLock { $0 }!
  }
}

extension BackgroundProcess {
  /// The site ids `sim --play-bridge` printed for one of its roles ("agent stops, codec stays in the bridge"),
  /// waiting up to 20 s for the line; nil if it never came.
  func playedBridgeSites(_ role: String) -> [String]? {
    waitFor(seconds: 20) { output -> [String]? in
      guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("  \(role): ") }) else { return nil }
      return line.dropFirst("  \(role): ".count).split(separator: ", ").map { String($0.split(separator: " ").first ?? "") }
    }
  }
}
