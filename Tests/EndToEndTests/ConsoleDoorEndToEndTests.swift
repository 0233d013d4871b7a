import BridgeCore
import Foundation
import TestSupport
import Testing

/// The console socket as a door, against the real binary: connections that never say hello, a reconnect storm, a
/// descriptor limit lower than the config could use, a squatted socket path, and what the relay lets through.
@Suite(.serialized) struct ConsoleDoorEndToEndTests {
  static let config = """
    title: "Hội nghị thử"
    timing: {interval: 1s, late_after: 5s, offline_after: 10s}
    status_file: status.json
    sites:
    \(TestRoster.yaml("HB-TU", "HB-DB-TULY"))
    """

  static func hello(_ purpose: String, operatorName: String = "lan") -> String {
    #"{"type":"hello","version":1,"operator":"\#(operatorName)","read_only":false,"purpose":"\#(purpose)"}"# + "\n"
  }

  /// A client end of the monitor's socket that sends `text` (if any) and keeps the connection.
  static func connect(_ path: String, sending text: String? = nil) -> Int32? {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    // A monitor that stopped accepting leaves its backlog full: connecting would wait for ever.
    var timeout = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else {
      close(fd)
      return nil
    }
    if let text { _ = Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
    return fd
  }

  /// The first line the monitor sends on `fd` (within 5 s), or nil.
  static func firstLine(_ fd: Int32) -> String? {
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var bytes: [UInt8] = []
    var byte: UInt8 = 0
    while Glibc.read(fd, &byte, 1) == 1 {
      if byte == 0x0A { return String(decoding: bytes, as: UTF8.self) }
      bytes.append(byte)
    }
    return nil
  }

  /// Runs the binary with `input` on its standard input; kills it after `seconds` (a monitor that should have
  /// refused to start must not hang the test).
  static func run(_ arguments: [String], input: String = "", seconds: Double = 20) throws -> (status: Int32, stdout: String, stderr: String)
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binary.path)
    process.arguments = arguments
    let out = OutputCollector()
    let err = OutputCollector()
    let stdin = Pipe()
    process.standardOutput = out.pipe
    process.standardError = err.pipe
    process.standardInput = stdin
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning {
      process.interrupt()
      process.waitUntilExit()
      return (-1, out.text, "still running after \(seconds) s: " + err.text)
    }
    process.waitUntilExit()
    Thread.sleep(forTimeInterval: 0.1)
    return (process.terminationStatus, out.text, err.text)
  }

  /// SIGINT, and SIGKILL if it has not stopped within `seconds` (a monitor starved of descriptors may not stop);
  /// the exit status (-9 when killed).
  static func stop(_ monitor: HeadlessMonitor, within seconds: Double = 10) -> Int32 {
    guard monitor.process.isRunning else { return monitor.process.terminationStatus }
    kill(monitor.process.processIdentifier, SIGINT)
    let deadline = Date().addingTimeInterval(seconds)
    while monitor.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if monitor.process.isRunning {
      kill(monitor.process.processIdentifier, SIGKILL)
      monitor.process.waitUntilExit()
      return -9
    }
    monitor.process.waitUntilExit()
    return monitor.process.terminationStatus
  }

  /// §2: with `ulimit -n 64`, the monitor says at start what it lowered to fit, and a flood of connections that
  /// never say hello (and of consoles) cannot starve its heartbeat files, its status file or its journal.
  @Test func underALowDescriptorLimitTheCapsAreLoweredAndAFloodCannotStarveTheFiles() throws {
    let monitor = try HeadlessMonitor(config: Self.config, arguments: ["--metrics-listen", "127.0.0.1:0"], openFiles: 64)
    defer {
      _ = Self.stop(monitor)
      try? FileManager.default.removeItem(atPath: monitor.directory)
    }
    let said = monitor.waitFor(seconds: 5) { $0.contains("open files: this process may open 64 descriptors") ? true : nil }
    #expect(said == true, "\(monitor.log)")
    #expect(monitor.log.contains("lowered connections before their hello 32 -> "), "\(monitor.log)")
    #expect(monitor.log.contains("console.max_consoles 64 -> "), "\(monitor.log)")
    let socketPath = monitor.directory + "/conference.sock"
    var held: [Int32] = []
    defer { held.forEach { close($0) } }
    for index in 0..<300 {
      // Mostly silent connections, and some consoles that attach (or are refused past the lowered cap).
      if let fd = Self.connect(socketPath, sending: index % 10 == 0 ? Self.hello("console") : nil) { held.append(fd) }
    }
    // A heartbeat file is still read and the status file still written.
    try "BW1 site=HB-DB-TULY seq=1 count=40\n".write(
      toFile: monitor.directory + "/heartbeats/HB-DB-TULY.hb", atomically: true, encoding: .utf8)
    #expect(monitor.waitOnline("HB-DB-TULY", headcount: 40) != nil, "\(monitor.log.suffix(2000))")
    // A journal deleted meanwhile is created again.
    unlink(monitor.directory + "/bridgewatch.journal")
    let recreated = monitor.waitFor(seconds: 3) { $0.contains("was deleted under the running monitor") ? true : nil }
    #expect(recreated == true, "\(monitor.log.suffix(2000))")
    // And a status question is still answered.
    let status = try Self.run(["status", monitor.directory + "/conference.yaml"])
    #expect(status.status == 0, "\(status.stderr)")
    #expect(!monitor.log.contains("Too many open files"), "\(monitor.log.suffix(2000))")
    #expect(Self.stop(monitor) == 0)
    #expect(FileManager.default.fileExists(atPath: monitor.directory + "/bridgewatch.journal"))
  }

  /// §2: a reconnect storm (consoles that say hello and hang up at once) neither floods the log nor refuses the
  /// live consoles; what was not logged is counted.
  @Test func aReconnectStormIsLoggedInFewLinesAndLiveConsolesAreNotRefused() throws {
    let monitor = try HeadlessMonitor(config: Self.config + "\nconsole: {max_consoles: 2}\n")
    defer { _ = monitor.stop() }
    let socketPath = monitor.directory + "/conference.sock"
    guard let desk = Self.connect(socketPath, sending: Self.hello("console", operatorName: "desk")) else {
      Issue.record("cannot connect")
      return
    }
    defer { close(desk) }
    #expect(Self.firstLine(desk)?.contains(#""type":"welcome""#) == true)
    var refusals: [String] = []
    // In bursts of 50, each followed at once by a live console: the monitor takes them in together.
    for _ in 0..<40 {
      for _ in 0..<50 {
        if let fd = Self.connect(socketPath, sending: Self.hello("console", operatorName: "storm")) { close(fd) }
      }
      if let live = Self.connect(socketPath, sending: Self.hello("console", operatorName: "live")) {
        let first = Self.firstLine(live) ?? "nothing"
        if !first.contains(#""type":"welcome""#) { refusals.append(first) }
        close(live)
      }
    }
    #expect(refusals.isEmpty, "\(refusals.count) live consoles refused: \(refusals.first ?? "")")
    // The log's summary comes when its 10 s window ends.
    let summary = #/console connections: [0-9,]+ more lines not logged in the last 10s/#
    #expect(monitor.waitFor(seconds: 15) { $0.contains(summary) ? true : nil } == true, "\(monitor.log.suffix(1500))")
    let lines = monitor.log.split(separator: "\n").filter { $0.contains("console attached") || $0.contains("console detached") }
    #expect(lines.count < 100, "\(lines.count) lines for 4,040 attaches and detaches")
  }

  /// §5: a regular file, a symbolic link or a listener that does not answer the protocol's hello at the socket
  /// path: the monitor does not start, and a console says who it found there.
  @Test func aSquattedSocketPathStopsTheStartAndConsolesSayWhoIsThere() throws {
    let folder = try makeScratchDirectory("bw-squat")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try FileManager.default.createDirectory(atPath: folder + "/heartbeats", withIntermediateDirectories: true)
    let configPath = folder + "/conference.yaml"
    try Self.config.write(toFile: configPath, atomically: true, encoding: .utf8)
    let socketPath = folder + "/conference.sock"
    let runArguments = ["run", configPath, "--headless", "--listen", "127.0.0.1:0"]

    try "keep\n".write(toFile: socketPath, atomically: true, encoding: .utf8)
    let overFile = try Self.run(runArguments)
    #expect(overFile.status == 1, "\(overFile.stderr)")
    #expect(overFile.stderr.contains("\(socketPath) exists and is a regular file, not a socket"), "\(overFile.stderr)")
    #expect(try String(contentsOfFile: socketPath, encoding: .utf8) == "keep\n")
    unlink(socketPath)

    symlink(folder + "/elsewhere.sock", socketPath)
    let overLink = try Self.run(runArguments)
    #expect(overLink.status == 1, "\(overLink.stderr)")
    #expect(overLink.stderr.contains("is a symbolic link, not a socket"), "\(overLink.stderr)")
    unlink(socketPath)

    // A listener that never answers a hello (it does not even accept: the kernel queues the connection).
    let squatter = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    defer { close(squatter) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in socketPath.utf8.enumerated() { raw[index] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(squatter, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    #expect(bound == 0 && listen(squatter, 16) == 0)
    unlink(folder + "/bridgewatch.journal")
    let overListener = try Self.run(runArguments)
    #expect(overListener.status == 1, "\(overListener.stderr)")
    #expect(
      overListener.stderr.contains("(pid \(getpid()), user ") && overListener.stderr.contains("did not answer as a bridgewatch monitor"),
      "\(overListener.stderr)")
    #expect(!overListener.stderr.contains("another monitor"), "\(overListener.stderr)")
    #expect(!FileManager.default.fileExists(atPath: folder + "/bridgewatch.journal"), "found before the journal was opened")
    // A console (here `status`) does not take it for a monitor either, and says who it is.
    let status = try Self.run(["status", configPath])
    #expect(status.status == 1, "\(status.stderr)")
    #expect(
      status.stderr.contains("(pid \(getpid()), user ") && status.stderr.contains("did not answer as a bridgewatch monitor"),
      "\(status.stderr)")
  }

  /// §5: the relay (the standby's SSH account's forced command) carries a standby's link only, unless run with
  /// --relay-consoles.
  @Test func theRelayCarriesAStandbysLinkOnlyUnlessToldOtherwise() throws {
    let monitor = try HeadlessMonitor(config: Self.config)
    defer { _ = monitor.stop() }
    let socketPath = monitor.directory + "/conference.sock"
    let mark = #"{"type":"request","id":1,"request":{"site":"HB-TU","action":"mark","reason":"relayed"}}"# + "\n"

    let console = try Self.run(["console", "--relay", "--socket", socketPath], input: Self.hello("console") + mark)
    #expect(console.status == 1, "\(console.stderr)")
    #expect(console.stdout.hasPrefix(#"{"#) && console.stdout.contains(#""type":"refused""#), "\(console.stdout.prefix(300))")
    #expect(!console.stdout.contains(#""type":"welcome""#))
    #expect(console.stderr.contains("this relay carries a standby's link only (follow, peer), not console"), "\(console.stderr)")
    let status = try Self.run(["console", "--relay", "--socket", socketPath], input: Self.hello("status"))
    #expect(status.status == 1 && status.stdout.contains(#""type":"refused""#), "\(status.stderr)")

    // A standby's hello passes: the primary answers with its welcome and its actions.
    let follow = try Self.run(["console", "--relay", "--socket", socketPath], input: Self.hello("follow", operatorName: "standby"))
    #expect(follow.status == 0, "\(follow.stderr)")
    #expect(follow.stdout.contains(#""type":"welcome""#), "\(follow.stdout.prefix(300))")
    let peer = try Self.run(["console", "--relay", "--socket", socketPath], input: Self.hello("peer", operatorName: "peer"))
    #expect(peer.stdout.contains(#""type":"welcome""#), "\(peer.stderr)")

    // Told otherwise, a console's or a status question's hello passes.
    let allowed = try Self.run(["console", "--relay", "--relay-consoles", "--socket", socketPath], input: Self.hello("status"))
    #expect(allowed.stdout.contains(#""type":"welcome""#), "\(allowed.stderr)")
    // Nothing was marked through the relay.
    #expect(monitor.finish() == 0)
    let marks = try monitor.journal().records.filter { if case .mark = $0.kind { true } else { false } }
    #expect(marks.isEmpty, "\(marks)")
  }
}
