import ArgumentParser
import BridgeCore
import BridgeMonitor
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
    if config == nil && socket == nil { throw ValidationError("give the config (or --socket PATH)") }
    if relayConsoles && !relay { throw ValidationError("--relay-consoles goes with --relay") }
  }

  func run() throws {
    StopSignals.install()
    let path = try socketPathOrExit(config: config, socket: socket)
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
    var session = ConsoleSession(socketPath: path, configPath: config ?? path, dashboard: dashboard)
    session.readOnly = readOnly
    session.group = group
    try session.run()
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

  @Argument(help: "The standby's conference config (YAML).")
  var config: String?

  @Option(help: "The standby's console socket, instead of the config's.")
  var socket: String?

  @Option(name: .customLong("operator"), help: "Who promotes (default: $USER); recorded in the journal.")
  var operatorName: String?

  func validate() throws {
    if config == nil && socket == nil { throw ValidationError("give the config (or --socket PATH)") }
  }

  func run() throws {
    let path = try socketPathOrExit(config: config, socket: socket)
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

/// `console --relay`: the monitor's socket on standard input and output, byte for byte, until either side ends.
/// The first line, the hello, says what the link is for: the relay carries only the purposes it was told to
/// (by default a standby's link: whoever holds the standby's SSH key must not act as an operator). Past the
/// hello, the monitor holds the link to its purpose (a standby's link that sends a request is closed).
enum SocketRelay {
  /// A standby following its primary, and a primary asking its standby who it is.
  static let standbyLink: Set<ConsoleHello.Purpose> = [.follow, .peer]
  /// How long the relay waits for the hello.
  static let helloDeadline: Double = 10

  struct Refusal: Error, CustomStringConvertible {
    var description: String
  }

  /// `carrying`: the hello purposes let through; nil: any.
  static func run(path: String, carrying allowed: Set<ConsoleHello.Purpose>?) throws {
    let (hello, rest) = try readHello()
    if let allowed {
      let refusal: String? =
        switch try? ConsoleProtocol.decode(hello) {
        case .hello(let asked) where allowed.contains(asked.purpose): nil
        case .hello(let asked):
          "this relay carries a standby's link only (follow, peer), not \(asked.purpose.rawValue); see console --relay-consoles"
        default: "this relay carries a standby's link only (follow, peer), and the first line was not a hello"
        }
      if let refusal {
        _ = FileHandleOutput.write(fd: 1, ConsoleProtocol.encode(.refused(ConsoleRefusal(reason: refusal))))
        throw Refusal(description: refusal)
      }
    }
    let socket = try ConsoleSocket.connect(path: path)
    defer { close(socket) }
    guard sendAll(socket, Array(hello) + [0x0A] + rest) else { return }
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    var inputOpen = true
    while true {
      var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: inputOpen ? 0 : -1, events: Int16(POLLIN), revents: 0)]
      guard poll(&fds, 2, 1000) >= 0 || errno == EINTR else { throw POSIXFailure(operation: "poll", errno: errno) }
      if fds[0].revents != 0 {
        let count = buffer.withUnsafeMutableBytes { read(socket, $0.baseAddress, $0.count) }
        if count <= 0 { return }
        guard FileHandleOutput.write(fd: 1, Array(buffer[0..<count])) == 0 else { return }
      }
      if fds[1].revents != 0 {
        let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count <= 0 {
          // The standby hung up: tell the monitor, and keep relaying what it still sends until it closes.
          shutdown(socket, Int32(SHUT_WR))
          inputOpen = false
          continue
        }
        guard sendAll(socket, Array(buffer[0..<count])) else { return }
      }
    }
  }

  /// Reads standard input up to the first newline, within `helloDeadline` and the protocol's line limit: the
  /// hello without its newline, and what came after it.
  private static func readHello() throws -> (hello: ArraySlice<UInt8>, rest: [UInt8]) {
    var framer = LineFramer(limit: ConsoleProtocol.maximumClientLine)
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    let deadline = Date().addingTimeInterval(helloDeadline)
    while true {
      if let line = try framer.nextLine() {
        return (line, Array(framer.unread))
      }
      let left = deadline.timeIntervalSinceNow
      guard left > 0 else { throw Refusal(description: "no hello within \(Int(helloDeadline)) seconds") }
      var input = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
      guard poll(&input, 1, Int32(left * 1000) + 1) >= 0 || errno == EINTR else { throw POSIXFailure(operation: "poll", errno: errno) }
      guard input.revents != 0 else { continue }
      let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { throw Refusal(description: "the link closed before its hello") }
      buffer.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
  }

  /// Writes all of `bytes` to the monitor; false when it went away.
  private static func sendAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
    var sent = 0
    while sent < bytes.count {
      let written = bytes.withUnsafeBytes { send(socket, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
      if written < 0 {
        if errno == EINTR { continue }
        return false
      }
      sent += written
    }
    return true
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

  @OptionGroup var language: LanguageFlag

  func validate() throws {
    if config == nil && socket == nil { throw ValidationError("give the config (or --socket PATH)") }
  }

  func run() throws {
    let path = try socketPathOrExit(config: config, socket: socket)
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
  /// At most this many sites to call are listed; the dashboard's `!` has them all.
  static let problemLines = 15

  static func text(_ status: ConsoleClient.Status, socketPath: String, utcOffsetSeconds: Int, strings: Strings = .english) -> String {
    let snapshot = status.mirror.snapshot
    let total = snapshot.rollups[0]
    let counts = total.statusCounts
    func number(_ value: Int) -> String { strings.number(value) }
    var lines = [
      strings(.statusMonitor, snapshot.title, status.welcome.pid, socketPath),
      strings(
        .statusSites, number(total.siteCount), number(counts[.online]), number(counts[.late]), number(counts[.offline]),
        number(counts[.marked]), number(counts[.unknown])),
      strings(.statusAttendance, number(total.reportedHeadcount), number(total.expectedHeadcount))
        + (total.attendancePercent.map { " (\(strings.percent($0)))" } ?? ""),
      strings(.statusAlerts, number(total.unacknowledgedAlerts), number(total.helpRequests), number(total.flapping)),
    ]
    if let role = snapshot.role, role != .primary {
      lines.insert(
        roleLine(
          role, utcOffsetSeconds: utcOffsetSeconds, promoteCommand: status.mirror.facts.promoteCommand ?? "bridgewatch promote CONFIG",
          strings: strings), at: 1)
    }
    let claimed = snapshot.records.filter { $0.claim != nil }.count
    if claimed > 0 { lines.append(strings(.statusClaimed, number(claimed))) }
    if let problem = snapshot.journalProblem { lines.append(strings(.journalNotWritten, problem)) }
    if let note = snapshot.clockNote, note.clockLooksOff {
      lines.append(strings(.clockOff, number(note.staleSigned), number(note.staleSigned + note.acceptedSigned)))
    }
    lines += sitesToCall(snapshot, strings: strings)
    lines.append(strings(.statusConsoles, status.consoles.consoles.count))
    for console in status.consoles.consoles {
      let who = OperatorIdentity(name: console.operatorName, unixUser: console.unixUser).displayName
      var line = "  \(who)"
      if console.readOnly { line += strings(.statusConsoleReadOnly) }
      if let group = console.group { line += strings(.statusConsoleGroup, group) }
      line += strings(.statusConsoleSince, LocalTimeText.format(console.since, utcOffsetSeconds: utcOffsetSeconds))
      lines.append(line)
    }
    // Names and notes come from another process: each stays on its own line.
    return TextSanitizer.joinedLines(lines)
  }

  /// The sites someone should call now (offline, late, asking for help), worst first, each with its contact: the
  /// number to call is what a control room needs from `status` on a phone's SSH session.
  static func sitesToCall(_ snapshot: MonitorSnapshot, strings: Strings) -> [String] {
    let problems = snapshot.records.indices.filter { index in
      let record = snapshot.records[index]
      return record.status == .offline || record.status == .late || record.flags.contains(.helpRequested)
    }.sorted { snapshot.records[$0].status.severity > snapshot.records[$1].status.severity }
    guard !problems.isEmpty else { return [] }
    var lines = [strings(.statusProblems)]
    for index in problems.prefix(problemLines) {
      let site = snapshot.sites[index]
      let record = snapshot.records[index]
      var line = "  \(site.id)  \(site.name): \(strings.status(record.status))"
      if record.flags.contains(.helpRequested) { line += ", " + strings(.flagHelp) }
      if let contact = site.contact { line += " · " + strings(.statusContact, contact) }
      lines.append(line)
    }
    if problems.count > problemLines { lines.append(strings(.statusProblemsMore, strings.number(problems.count - problemLines))) }
    return lines
  }
}

extension StatusSummary {
  /// What `status` says of a monitor in a pair: a standby and its primary's last word, a promotion, a replacement.
  static func roleLine(_ role: MonitorRole, utcOffsetSeconds: Int, promoteCommand: String, strings: Strings = .english) -> String {
    func time(_ unixSeconds: Double) -> String { LocalTimeText.format(unixSeconds, utcOffsetSeconds: utcOffsetSeconds) }
    if let replaced = role.replacedBy { return strings(.statusReplaced, replaced.peer, time(replaced.promotedAt)) }
    if let promotedAt = role.promotedAt { return strings(.statusPromoted, time(promotedAt)) }
    var line = strings(.statusStandbyOf, role.following ?? "?")
    if let since = role.primarySilentSince {
      line += strings(.statusPrimarySilent, time(since), promoteCommand)
    } else {
      line += strings(.statusPrimaryLastHeard, role.lastPrimaryContact.map(time) ?? strings(.never))
    }
    if let problem = role.linkProblem { line += strings(.statusLink, problem) }
    return line
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
    var options = try dashboard.options(defaultTheme: "default", configPath: configPath)
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
    let inbox = DashboardInbox()
    StopSignals.onStop { _ in inbox.requestStop() }
    let app = DashboardRuntime(
      link: client, initial: client.currentSnapshot, options: options,
      operatorIdentity: OperatorIdentity(name: options.operatorName, unixUser: client.unixUser),
      notice: { HeldLogLines.shared.append($0) }, inbox: inbox)
    app.run()
    HeldLogLines.shared.flush()
    client.detach()
  }
}
