import ArgumentParser
import BridgeCore
import BridgeField
import BridgeMonitor
import Foundation

struct AgentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "agent",
    abstract: "Run at a bridge point: keep the monitor told that this site is up, and how many people are in the room.",
    discussion: """
      Sends a heartbeat every interval (signed when --key-file is given), measures the round trip from the monitor's \
      acks and reports it, and re-reads --count-file whenever it changes, so the site's staff only edit one number. \
      A monitor that does not answer is retried at the same pace, forever. With --heartbeat-file it keeps that file \
      fresh instead of sending UDP.
      """)

  @Option(help: "This site's id, exactly as in the monitor's config.")
  var site: String

  @Option(
    help: ArgumentHelp(
      "The monitor's HOST:PORT (not needed with --heartbeat-file). Give it twice for a primary and its standby: each heartbeat goes to both.",
      valueName: "host:port"))
  var monitor: [String] = []

  @Option(name: .customLong("key-file"), help: "A file holding this site's secret (one line); heartbeats are signed with it.")
  var keyFile: String?

  @Option(help: "Time between heartbeats (e.g. 5s).")
  var interval = "5s"

  @Option(parsing: .unconditional, help: "A fixed headcount to report (0 to 1,000,000).")
  var count: Int?

  @Option(name: .customLong("count-file"), help: "A file holding the headcount (one number); re-read whenever it changes.")
  var countFile: String?

  @Option(name: .customLong("heartbeat-file"), help: "Keep this heartbeat file fresh instead of sending UDP.")
  var heartbeatFile: String?

  @OptionGroup var language: LanguageFlag

  func validate() throws {
    guard SiteID.isValid(site) else { throw ValidationError("--site must be a site id ([A-Za-z0-9._-], 1 to 64 characters)") }
    if monitor.isEmpty && heartbeatFile == nil { throw ValidationError("give --monitor HOST:PORT (or --heartbeat-file PATH)") }
    if !monitor.isEmpty && heartbeatFile != nil { throw ValidationError("give either --monitor or --heartbeat-file, not both") }
    for monitor in monitor where HostPort.parse(monitor) == nil {
      throw ValidationError("--monitor must be HOST:PORT, got '\(monitor)'")
    }
    if monitor.count > 8 { throw ValidationError("at most 8 --monitor (a primary and its standby need two)") }
    if count != nil && countFile != nil { throw ValidationError("give either --count or --count-file, not both") }
    if let count { try FieldToolOptions.checkCount(count) }
    guard let period = DurationText.parse(interval), period >= .milliseconds(100) else {
      throw ValidationError("--interval must be a duration of at least 100ms (e.g. 5s), got '\(interval)'")
    }
    _ = period
  }

  func run() throws {
    let period = DurationText.parse(interval)!
    let strings = language.strings
    let secret = try KeyFile.secretOrExit(keyFile, command: "agent", strings: strings)
    StopSignals.install()
    let output = AgentOutput(site: site)
    var headcount = HeadcountSource(fixed: count, path: countFile, strings: strings)
    var loop = AgentLoop(
      session: AgentSession(site: site, secret: secret, monitors: max(1, monitor.count)), interval: period, output: output,
      strings: strings)
    if let heartbeatFile {
      loop.runWritingFile(heartbeatFile, headcount: &headcount)
    } else {
      loop.runSending(to: monitor.map { HostPort.parse($0)! }, headcount: &headcount)
    }
    output.finish(strings(.agentStopped, strings.number(Int(loop.session.sentCount)), strings.number(Int(loop.session.ackedCount))))
  }
}

/// What `agent` and `send` both check in their options.
enum FieldToolOptions {
  /// A headcount given with --count: the range is said, with what was given.
  static func checkCount(_ count: Int) throws {
    guard (0...HeartbeatCodec.maximumCount).contains(count) else {
      throw ValidationError(
        "--count must be a headcount from 0 to \(NumberText.grouped(HeartbeatCodec.maximumCount)), got \(NumberText.grouped(count))")
    }
  }
}

extension KeyFile {
  /// The secret for `agent` and `send`, or nil without a key file; prints the problem and exits 2 if it is unusable.
  static func secretOrExit(_ path: String?, command: String, strings: Strings = .english) throws -> [UInt8]? {
    guard let path else { return nil }
    do {
      let read = try read(path, strings: strings)
      if let warning = read.warning { FileHandleOutput.writeAll(fd: 2, warning + "\n") }
      return read.secret
    } catch {
      FileHandleOutput.writeAll(fd: 2, "bridgewatch \(command): \(error)\n")
      throw ExitCode(2)
    }
  }
}
