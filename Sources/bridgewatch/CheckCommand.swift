import ArgumentParser
import BridgeCore

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Validate a conference config and print its summary.",
    discussion: "Exits 0 for a valid config; otherwise prints one line per problem as FILE:LINE: error: ... and exits 1."
  )

  @Argument(help: "The conference config (YAML).")
  var config: String

  func run() throws {
    do {
      let loaded = try ConfigLoader.load(path: config)
      print(ConfigSummary.render(loaded))
    } catch {
      reportConfigErrors(error)
      throw ExitCode(1)
    }
  }
}

func reportConfigErrors(_ errors: ConfigErrors) {
  for problem in errors.problems {
    printError("\(problem.location): error: \(problem.message)")
  }
}

/// Loads a config for a command, or prints every problem as FILE:LINE and exits 1.
func loadConfigOrExit(_ path: String) throws -> LoadedConfig {
  do {
    return try ConfigLoader.load(path: path)
  } catch {
    reportConfigErrors(error)
    throw ExitCode(1)
  }
}
