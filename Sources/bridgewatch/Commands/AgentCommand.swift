import ArgumentParser
import BridgeCore
import BridgeField
import BridgeMonitor
import BridgePlatform
import Foundation

struct AgentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "agent",
    abstract: "Run at a bridge point: keep the monitor told that this site is up, and how many people are in the room.",
    discussion: """
      Sends a heartbeat every interval (signed when --key-file is given), measures the round trip from the monitor's \
      acks and reports it, and re-reads --count-file whenever it changes, so the site's staff only edit one number. \
      A monitor that does not answer is retried at the same pace, forever. With --heartbeat-file it keeps that file \
      fresh instead of sending UDP. Under systemd it reads everything from its settings file: \
      `bridgewatch agent --config /etc/bridgewatch/agent.yaml` (README "Enrol the sites").
      """)

  @Option(
    help: ArgumentHelp(
      "The agent's settings file (YAML: site, monitor, key_file, interval, count, count_file, heartbeat_file, lang); flags given override it.",
      valueName: "path"))
  var config: String?

  @Option(help: "This site's id, exactly as in the monitor's config.")
  var site: String?

  @Option(
    help: ArgumentHelp(
      "The monitor's HOST:PORT (not needed with --heartbeat-file). Give it twice for a primary and its standby: each heartbeat goes to both.",
      valueName: "host:port"))
  var monitor: [String] = []

  @Option(name: .customLong("key-file"), help: "A file holding this site's secret (one line); heartbeats are signed with it.")
  var keyFile: String?

  @Option(help: "Time between heartbeats (e.g. 5s; default 5s).")
  var interval: String?

  @Option(parsing: .unconditional, help: "A fixed headcount to report (0 to 1,000,000).")
  var count: Int?

  @Option(name: .customLong("count-file"), help: "A file holding the headcount (one number); re-read whenever it changes.")
  var countFile: String?

  @Option(name: .customLong("heartbeat-file"), help: "Keep this heartbeat file fresh instead of sending UDP.")
  var heartbeatFile: String?

  @OptionGroup var language: LanguageFlag

  /// The settings the flags give, before the file's are merged under them.
  private var flagSettings: AgentSettings {
    AgentSettings(
      site: site, monitors: monitor, keyFile: keyFile, interval: interval, count: count, countFile: countFile,
      heartbeatFile: heartbeatFile, language: language.lang)
  }

  /// The settings file under the flags, checked; a problem is printed (file:line, in the operator's language) and
  /// exits 2.
  private func settings() throws -> AgentSettings {
    var merged = flagSettings
    if let config {
      do throws(AgentSettingsFile.Problems) {
        merged = try AgentSettingsFile.load(path: config, strings: language.strings).overridden(by: flagSettings)
      } catch {
        // Sanitized: a value quoted back from the file may hold control characters.
        for line in error.lines { printError("bridgewatch agent: \(line)") }
        throw ExitCode(2)
      }
    }
    do {
      return try merged.checked()
    } catch {
      throw ValidationError(error.description)
    }
  }

  func run() throws {
    let settings = try settings()
    let site = settings.site!
    let period = DurationText.parse(settings.interval!)!
    let strings = Strings(settings.language ?? language.language)
    let secret = try KeyFile.secretOrExit(settings.keyFile, command: "agent", strings: strings)
    StopSignals.install()
    let output = AgentOutput(site: site)
    var headcount = HeadcountSource(fixed: settings.count, path: settings.countFile, strings: strings)
    var loop = AgentLoop(
      session: AgentSession(site: site, secret: secret, monitors: max(1, settings.monitors.count)), interval: period, output: output,
      strings: strings)
    if let heartbeatFile = settings.heartbeatFile {
      loop.runWritingFile(heartbeatFile, headcount: &headcount)
    } else {
      loop.runSending(to: settings.monitors.map { HostPort.parse($0)! }, headcount: &headcount)
    }
    output.finish(strings(.agentStopped, strings.number(Int(loop.session.sentCount)), strings.number(Int(loop.session.ackedCount))))
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
