import ArgumentParser
import BridgeCore
import BridgeField
import Foundation

struct SendCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "send",
    abstract: "Send one heartbeat and print the monitor's ack, or that none came: for testing a line.",
    discussion: """
      Exits 0 when the monitor acknowledged (every monitor, when --monitor is given more than once), 1 when an ack \
      did not come in time. A host that answers "port unreachable" is said at once: nothing listens on that port. \
      The monitor never answers a heartbeat it rejects (unknown site, missing or wrong key, a clock off by more \
      than two minutes), so no ack means: wrong address, a blocked line, or a rejected heartbeat; the monitor's \
      log says which, with the site id it received.
      """)

  @Option(help: "The site id, exactly as in the monitor's config.")
  var site: String

  @Option(help: ArgumentHelp("The monitor's HOST:PORT; give it twice for a primary and its standby.", valueName: "host:port"))
  var monitor: [String]

  // `.unconditional`: "--count -1" reaches validate() and gets the range, not "Missing value".
  @Option(parsing: .unconditional, help: "The headcount to report (0 to 1,000,000).")
  var count: Int?

  @Option(name: .customLong("key-file"), help: "A file holding this site's secret (one line); the heartbeat is signed with it.")
  var keyFile: String?

  @Option(parsing: .unconditional, help: "The sequence number to send (at least 1).")
  var seq: String = "1"

  @Option(help: "How long to wait for the ack.")
  var timeout = "2s"

  @OptionGroup var language: LanguageFlag

  func validate() throws {
    guard SiteID.isValid(site) else { throw ValidationError("--site must be a site id ([A-Za-z0-9._-], 1 to 64 characters)") }
    guard !monitor.isEmpty else { throw ValidationError("give --monitor HOST:PORT") }
    for monitor in monitor where HostPort.parse(monitor) == nil {
      throw ValidationError("--monitor must be HOST:PORT, got '\(monitor)'")
    }
    if let count, let problem = AgentSettings.countProblem(count) { throw ValidationError(problem) }
    guard let number = UInt64(seq), number > 0 else {
      throw ValidationError("--seq must be a whole number of at least 1, got '\(TextSanitizer.printable(seq))'")
    }
    guard DurationText.parse(timeout) != nil else { throw ValidationError("--timeout must be a duration (e.g. 2s), got '\(timeout)'") }
  }

  func run() throws {
    let strings = language.strings
    let secret = try KeyFile.secretOrExit(keyFile, command: "send", strings: strings)
    let test = SendTest(
      site: site, secret: secret, firstSequence: UInt64(seq)!, monitors: monitor.map { HostPort.parse($0)! }, count: count,
      timeout: DurationText.parse(timeout)!, strings: strings)
    do {
      guard try test.run(say: printOutput) else { throw ExitCode(1) }
    } catch let problem as SendTest.Problem {
      FileHandleOutput.writeAll(fd: 2, "bridgewatch send: \(problem)\n")
      throw ExitCode(1)
    }
  }
}
