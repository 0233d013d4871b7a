import ArgumentParser
import BridgeCore
import BridgeMonitor

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Validate a conference config and print its summary.",
    discussion: "Exits 0 for a valid config; otherwise prints one line per problem as FILE:LINE: error: ... and exits 1."
  )

  @Argument(help: "The conference config (YAML).")
  var config: String

  @OptionGroup var language: LanguageFlag

  func run() throws {
    let loaded = try loadConfigOrExit(config, toRun: true, language: language.language)
    printOutput(ConfigSummary.render(loaded, strings: language.strings))
  }
}

func reportConfigErrors(_ problems: [ConfigProblem]) {
  // One line per problem, whatever a name quoted in it holds.
  guard !problems.isEmpty else { return }
  printError(TextSanitizer.joinedLines(problems.map { "\($0.location): error: \($0.message)" }))
}

/// Loads a config for a command, or prints every problem as FILE:LINE and exits 1. `toRun`: also refuse what
/// would stop the monitor at start (`run`, and `check`, which must refuse what `run` refuses). `language`: of the
/// keys file's problems (`--lang`; nil: the locale's).
func loadConfigOrExit(_ path: String, toRun: Bool = false, language: Language? = nil, keysFile: KeysFileUse = .required) throws
  -> LoadedConfig
{
  let loaded: LoadedConfig
  do {
    loaded = try ConfigLoader.load(path: path, keysFile: keysFile, language: language)
  } catch {
    reportConfigErrors(error.problems)
    throw ExitCode(1)
  }
  if toRun && !loaded.runProblems.isEmpty {
    reportConfigErrors(loaded.runProblems)
    throw ExitCode(1)
  }
  if toRun, let problem = ICMPAccess.problem(in: loaded.config) {
    reportConfigErrors([problem])
    throw ExitCode(1)
  }
  return loaded
}
