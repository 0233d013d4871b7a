import ArgumentParser
import BridgeBench
import BridgeCore
import BridgeRunner

@main
struct BridgeWatchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bridgewatch",
    abstract: "Watch every bridge point of a national online conference.",
    version: BuildInfo.version,
    subcommands: [
      CheckCommand.self, RunCommand.self, ConsoleCommand.self, StatusCommand.self, PromoteCommand.self, DemoCommand.self, AgentCommand.self,
      KeysCommand.self, SendCommand.self,
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

/// Runs a runner's or a console session's work; a `RunFailure` is printed and becomes the exit code it names.
func exitOnFailure<T>(_ body: () async throws -> T) async throws -> T {
  do {
    return try await body()
  } catch let failure as RunFailure {
    printError(failure.description)
    throw ExitCode(failure.exitCode)
  }
}

/// `exitOnFailure` for work that does not await.
func exitOnFailure<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let failure as RunFailure {
    printError(failure.description)
    throw ExitCode(failure.exitCode)
  }
}
