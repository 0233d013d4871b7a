import ArgumentParser
import BridgeCore
import BridgeIngest
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

  @Argument(help: "The conference config (YAML); only its journal and console.socket are read.")
  var config: String?

  @Option(help: "The monitor's console socket, instead of the config's.")
  var socket: String?

  @Flag(name: .customLong("read-only"), help: "A wall screen: every action key answers 'read-only console'.")
  var readOnly = false

  @Option(help: "Show only this group and what is under it (a name, or a path like \"Bắc Kạn / Chợ Đồn\").")
  var group: String?

  @OptionGroup var dashboard: DashboardFlags

  func validate() throws {
    if config == nil && socket == nil { throw ValidationError("give the config (or --socket PATH)") }
  }

  func run() throws {
    StopSignals.install()
    let path = try socketPathOrExit(config: config, socket: socket)
    var session = ConsoleSession(socketPath: path, configPath: config ?? path, dashboard: dashboard)
    session.readOnly = readOnly
    session.group = group
    try session.run()
  }
}

struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Print the running monitor's summary (sites by status, attendance, alerts, consoles) and exit.",
    discussion: "Exits 3 when no monitor runs for the config, 1 when it cannot be asked."
  )

  @Argument(help: "The conference config (YAML).")
  var config: String?

  @Option(help: "The monitor's console socket, instead of the config's.")
  var socket: String?

  func validate() throws {
    if config == nil && socket == nil { throw ValidationError("give the config (or --socket PATH)") }
  }

  func run() throws {
    let path = try socketPathOrExit(config: config, socket: socket)
    let status: ConsoleClient.Status
    do {
      status = try ConsoleClient.status(path: path)
    } catch let failure as ConsoleSocket.Failure where failure.isNoMonitor {
      printError("bridgewatch: \(failure)")
      throw ExitCode(3)
    } catch {
      printError("bridgewatch: \(error)")
      throw ExitCode(1)
    }
    printOutput(StatusSummary.text(status, socketPath: path, utcOffsetSeconds: TimeZone.current.secondsFromGMT()))
  }
}

private func socketPathOrExit(config: String?, socket: String?) throws -> String {
  if let socket { return socket }
  do {
    return try ConfigLoader.consoleSocketPath(configPath: config!)
  } catch {
    reportConfigErrors(error.problems)
    throw ExitCode(1)
  }
}

/// `status`'s screenful.
enum StatusSummary {
  static func text(_ status: ConsoleClient.Status, socketPath: String, utcOffsetSeconds: Int) -> String {
    let snapshot = status.mirror.snapshot
    let total = snapshot.rollups[0]
    let counts = total.statusCounts
    func number(_ value: Int) -> String { NumberText.grouped(value) }
    var lines = [
      "\(snapshot.title): monitor pid \(status.welcome.pid), socket \(socketPath)",
      "sites: \(number(total.siteCount)) · online \(number(counts[.online])) · late \(number(counts[.late])) · offline "
        + "\(number(counts[.offline])) · marked \(number(counts[.marked])) · unknown \(number(counts[.unknown]))",
      "attendance: \(number(total.reportedHeadcount)) of \(number(total.expectedHeadcount))"
        + (total.attendancePercent.map { String(format: " (%.1f%%)", $0) } ?? ""),
      "alerts: \(number(total.unacknowledgedAlerts)) not acknowledged · help requests \(number(total.helpRequests)) · flapping "
        + "\(number(total.flapping))",
    ]
    let claimed = snapshot.records.filter { $0.claim != nil }.count
    if claimed > 0 { lines.append("being handled: \(number(claimed)) site(s) claimed") }
    if let problem = snapshot.journalProblem { lines.append("JOURNAL NOT WRITTEN: \(problem)") }
    if let note = snapshot.clockNote, note.clockLooksOff { lines.append("CLOCK: \(note.text)") }
    lines.append("consoles attached: \(status.consoles.consoles.count)")
    for console in status.consoles.consoles {
      let who = OperatorIdentity(name: console.operatorName, unixUser: console.unixUser).displayName
      var line = "  \(who)"
      if console.readOnly { line += ", read-only" }
      if let group = console.group { line += ", group \(group)" }
      line += ", since " + LocalTimeText.format(console.since, utcOffsetSeconds: utcOffsetSeconds)
      lines.append(line)
    }
    return lines.joined(separator: "\n")
  }
}

/// A dashboard attached to a running monitor through its socket.
struct ConsoleSession {
  var socketPath: String
  var configPath: String
  var dashboard: DashboardFlags
  var readOnly = false
  var group: String?

  func run() throws {
    if let problem = DashboardTerminal.problem() {
      printError("bridgewatch: \(problem); `bridgewatch status` prints the summary without a terminal")
      throw ExitCode(2)
    }
    var options = dashboard.options(defaultTheme: "default", configPath: configPath)
    options.readOnly = readOnly
    let hello = ConsoleHello(operatorName: options.operatorName, readOnly: readOnly, group: group, purpose: .console)
    let client: ConsoleClient
    do {
      client = try ConsoleClient(path: socketPath, hello: hello)
    } catch let error as ConsoleMirror.GroupError {
      printError("bridgewatch: \(error)")
      throw ExitCode(2)
    } catch {
      printError("bridgewatch: \(error)")
      throw ExitCode(1)
    }
    // The monitor may make it read-only (console.read_only_users): the footer then says so.
    options.readOnly = options.readOnly || client.isReadOnly
    if dashboard.theme == nil { options.themeName = client.facts.theme }
    LoggingSystem.bootstrap { _ in HeldLogHandler() }
    let app = DashboardRuntime(
      link: client, initial: client.currentSnapshot, options: options,
      operatorIdentity: OperatorIdentity(name: options.operatorName, unixUser: client.unixUser),
      notice: { HeldLogLines.shared.append($0) })
    StopSignals.onStop { _ in app.requestStop() }
    app.run()
    HeldLogLines.shared.flush()
    client.detach()
  }
}
