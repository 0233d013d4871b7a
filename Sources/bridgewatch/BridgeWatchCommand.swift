import ArgumentParser
import BridgeCore

@main
struct BridgeWatchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bridgewatch",
    abstract: "Watch every bridge point of a national online conference.",
    subcommands: [
      CheckCommand.self, RunCommand.self, DemoCommand.self, AgentCommand.self, SendCommand.self, SimCommand.self, ReportCommand.self,
      BenchCommand.self,
    ]
  )
}

/// Prints to standard error.
func printError(_ text: String) {
  var stream = StandardError()
  print(text, to: &stream)
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) {
    FileHandleOutput.writeAll(fd: 2, string)
  }
}
