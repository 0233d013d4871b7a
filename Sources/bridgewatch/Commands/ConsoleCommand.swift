import ArgumentParser
import BridgeCore
import BridgeMonitor
import BridgePlatform
import BridgeRunner
import BridgeTUI
import Foundation
import Logging

struct ConsoleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "console",
    abstract: "Open the dashboard of a running monitor, as one of its consoles.",
    discussion: """
      Any number of consoles attach to one monitor through its Unix socket (console.socket in the config; by default \
      the config's name with .sock, next to the journal). Whoever may open that socket (its owner and group) may \
      attach; the monitor records each action with the Unix user it reads from the socket and the --operator name. \
      Over SSH: ssh -t ops@monitor-host bridgewatch console /etc/bridgewatch/conference.yaml
      """
  )

  @OptionGroup var monitor: MonitorSocketFlags

  @Flag(name: .customLong("read-only"), help: "A wall screen: every action key answers 'read-only console'.")
  var readOnly = false

  @Option(help: "Show only this group and what is under it (a name, or a path like \"Bắc Kạn / Chợ Đồn\").")
  var group: String?

  @Flag(
    help: ArgumentHelp(
      "Draw nothing: connect the monitor's socket to standard input and output (the SSH account of a standby's --follow runs this). "
        + "It carries a standby's link only (following, and a peer asking who this monitor is)."
    ))
  var relay = false

  @Flag(
    name: .customLong("relay-consoles"),
    help: ArgumentHelp(
      "With --relay: also carry consoles and status questions, so whoever reaches the relay acts as an operator on the monitor."
    ))
  var relayConsoles = false

  @OptionGroup var dashboard: DashboardFlags

  func validate() throws {
    if relayConsoles && !relay { throw ValidationError("--relay-consoles goes with --relay") }
  }

  func run() throws {
    StopSignals.install()
    let path = try monitor.socketPathOrExit()
    if relay {
      StopSignals.onStop { _ in Glibc.exit(0) }
      do {
        try SocketRelay.run(path: path, carrying: relayConsoles ? nil : SocketRelay.standbyLink)
      } catch {
        printError("bridgewatch console --relay: \(error)")
        throw ExitCode(1)
      }
      return
    }
    var session = ConsoleSession(
      socketPath: path, options: try dashboard.options(defaultTheme: "default", configPath: monitor.config ?? path),
      themeGiven: dashboard.theme != nil)
    session.readOnly = readOnly
    session.group = group
    try exitOnFailure { try session.run() }
  }
}

struct PromoteCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "promote",
    abstract: "Make a standby whose primary is silent the primary: it stops following and accepts operators' actions.",
    discussion: """
      Refused while the standby still hears its primary (two primaries would be two writers): stop the primary first, \
      or wait until the standby says PRIMARY SILENT. A promoted standby never goes back to following by itself; see \
      the README, "Running with a standby", for what to do with the old primary.
      """
  )

  @OptionGroup var standby: MonitorSocketFlags

  @Option(name: .customLong("operator"), help: "Who promotes (default: $USER); recorded in the journal.")
  var operatorName: String?

  func run() throws {
    let path = try standby.socketPathOrExit()
    let name = operatorName ?? ProcessInfo.processInfo.environment["USER"] ?? ConsoleSocket.userName(getuid())
    let outcome = try askMonitor { try ConsoleClient.promote(path: path, operatorName: name) }
    switch outcome {
    case .applied:
      printOutput("promoted: this monitor is the primary now; operators act on it (socket \(path))")
    case .notAllowed(let reason), .unsaved(let reason):
      printError("bridgewatch: not promoted: \(TextSanitizer.printable(reason))")
      throw ExitCode(1)
    case .refused(let error):
      printError("bridgewatch: not promoted: \(error)")
      throw ExitCode(1)
    }
  }
}

struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Print the running monitor's summary (sites by status, attendance, alerts, consoles) and exit.",
    discussion: "Exits 3 when no monitor runs for the config, 1 when it cannot be asked."
  )

  @OptionGroup var monitor: MonitorSocketFlags

  @OptionGroup var language: LanguageFlag

  func run() throws {
    let path = try monitor.socketPathOrExit()
    let status = try askMonitor(strings: language.strings, socketPath: path) { try ConsoleClient.status(path: path) }
    printOutput(
      StatusSummary.text(status, socketPath: path, utcOffsetSeconds: TimeZone.current.secondsFromGMT(), strings: language.strings))
  }
}

/// Runs a one-off question to the monitor; exits 3 when no monitor runs (said in `strings`' language), 1 when it
/// cannot be asked.
private func askMonitor<T>(strings: Strings = .english, socketPath: String? = nil, _ question: () throws -> T) throws -> T {
  do {
    return try question()
  } catch let failure as ConsoleSocket.Failure where failure.isNoMonitor {
    printError("bridgewatch: " + (socketPath.map { strings(.statusNoMonitor, $0) } ?? "\(failure)"))
    throw ExitCode(3)
  } catch {
    printError("bridgewatch: \(error)")
    throw ExitCode(1)
  }
}

/// The running monitor a command talks to (console, promote, status): its config, or its console socket.
struct MonitorSocketFlags: ParsableArguments {
  @Argument(help: "The monitor's conference config (YAML); only its journal and console.socket are read.")
  var config: String?

  @Option(help: "The monitor's console socket, instead of the config's.")
  var socket: String?

  func validate() throws {
    if config == nil && socket == nil { throw ValidationError("give the config (or --socket PATH)") }
  }

  func socketPathOrExit() throws -> String {
    if let socket { return socket }
    do {
      return try ConfigLoader.consoleSocketPath(configPath: config!)
    } catch {
      reportConfigErrors(error.problems)
      throw ExitCode(1)
    }
  }
}
