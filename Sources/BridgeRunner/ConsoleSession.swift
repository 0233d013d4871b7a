import ArgumentParser
import BridgeCore
import BridgeMonitor
import BridgeTUI
import Logging

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
