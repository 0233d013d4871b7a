import BridgeCore
import BridgeMonitor
import BridgePlatform
import BridgeTUI
import Logging

/// A dashboard attached to a running monitor through its socket.
public struct ConsoleSession {
  public var socketPath: String
  /// The dashboard's options as the command line gave them.
  public var options: DashboardOptions
  /// Whether `--theme` was given: if not, the monitor's theme is used.
  public var themeGiven: Bool
  public var readOnly = false
  public var group: String?

  public init(socketPath: String, options: DashboardOptions, themeGiven: Bool) {
    self.socketPath = socketPath
    self.options = options
    self.themeGiven = themeGiven
  }

  public func run() throws {
    if let problem = DashboardTerminal.problem() {
      throw RunFailure("bridgewatch: \(problem); `bridgewatch status` prints the summary without a terminal", exitCode: 2)
    }
    var options = self.options
    options.readOnly = readOnly
    let hello = ConsoleHello(operatorName: options.operatorName, readOnly: readOnly, group: group, purpose: .console)
    let client: ConsoleClient
    do {
      client = try ConsoleClient(path: socketPath, hello: hello)
    } catch let error as ConsoleMirror.GroupError {
      throw RunFailure("bridgewatch: \(error)", exitCode: 2)
    } catch {
      throw RunFailure("bridgewatch: \(error)")
    }
    // The monitor may make it read-only (console.read_only_users): the footer then says so.
    options.readOnly = options.readOnly || client.isReadOnly
    if !themeGiven { options.themeName = client.facts.theme }
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
