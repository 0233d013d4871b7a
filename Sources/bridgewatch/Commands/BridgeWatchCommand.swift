import ArgumentParser
import BridgeCore

@main
struct BridgeWatchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bridgewatch",
    abstract: "Watch every bridge point of a national online conference.",
    version: BuildInfo.version,
    subcommands: [
      CheckCommand.self, RunCommand.self, ConsoleCommand.self, StatusCommand.self, PromoteCommand.self, DemoCommand.self, AgentCommand.self,
      SendCommand.self,
      SimCommand.self, ReportCommand.self,
      BenchCommand.self,
    ]
  )
}

/// Writes a line to standard error. Config names, journal text and network text end up in these lines, so every
/// control character but line breaks is dropped here, once for all commands: nothing printed can be an escape
/// sequence (a group name once retitled the terminal through `check`).
func printError(_ text: String) {
  FileHandleOutput.writeAll(fd: 2, TextSanitizer.printableLines(text) + "\n")
}

/// Writes a line to standard output, sanitized like `printError`.
func printOutput(_ text: String) {
  FileHandleOutput.writeAll(fd: 1, TextSanitizer.printableLines(text) + "\n")
}
