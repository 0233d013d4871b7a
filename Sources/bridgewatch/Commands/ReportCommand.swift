import ArgumentParser
import BridgeCore
import BridgeMonitor
import Foundation

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "The post-conference report from the journal: attendance and outages per bridge point, district and province.",
    discussion: """
      Per session of the config's schedule (or over the whole recorded span without one): points connected, \
      attendance (the counted headcount at the session's roll call over expected), the highest headcount at one \
      moment and the average, where each count came from, counts above expected, planned absences, time online \
      and outages; every group's figures summed at the same moments; operator actions. The rules, with examples, \
      are in docs/REPORT.md. Reads the journal only; safe while a monitor runs.
      """)

  @Argument(help: "The conference config (YAML).")
  var config: String

  @Option(
    help: ArgumentHelp(
      "The journal to read (default: the config's journal). Give it twice, the primary's and the standby's, to merge a "
        + "conference whose roles changed: each stretch is taken from the monitor that was primary, each action once.",
      valueName: "path"))
  var journal: [String] = []

  @Option(help: "md (for people), csv (for spreadsheets), json (for tools) or html (to read, print or save as PDF).")
  var format: String = "md"

  @OptionGroup var language: LanguageFlag

  @Option(help: "Only this session of the schedule.")
  var session: String?

  @Option(help: "Write the report to this file instead of standard output.")
  var output: String?

  @Flag(name: .customLong("skip-bad-journal-lines"), help: "Report even if some journal lines cannot be read (they are left out).")
  var skipBadJournalLines = false

  func validate() throws {
    guard ReportFormat(rawValue: format) != nil else {
      throw ValidationError("--format must be md, csv, json or html, got '\(format)'")
    }
  }

  func run() throws {
    // The figures give back each site's steps once made (ConferenceReport.siteFigures): only pages given to the
    // kernel bring the peak down, not pages kept by malloc for later.
    MemoryTuning.returnLargeBuffersToTheKernel()
    // The report never uses the sites' secrets: it is made where the keys file is not (or cannot be read).
    let loaded = try loadConfigOrExit(config, keysFile: .notRead)
    let language = self.language.language
    let report = try Self.orExit {
      try JournalReport.make(
        config: loaded.config, journals: journal.isEmpty ? [loaded.config.journalPath] : journal, session: session,
        language: language, skipBadLines: skipBadJournalLines, warn: printError)
    }
    for warning in report.warnings { printError(TextSanitizer.printable(warning)) }
    if ReportFormat(rawValue: format) == .csv {
      for note in ReportRenderer.clockNotes(report, offset: loaded.config.schedule.utcOffsetSeconds, language: language) {
        printError(note)
      }
    }
    try Self.write(report, config: loaded.config, format: ReportFormat(rawValue: format)!, language: language, to: output)
  }

  /// Renders `report` and writes it to `path` (standard output when nil); exits 1 when it cannot.
  static func write(_ report: ConferenceReport, config: ConferenceConfig, format: ReportFormat, language: Language, to path: String?)
    throws
  {
    try orExit { try JournalReport.write(report, config: config, format: format, language: language, to: path) }
  }

  static func format(ofFile path: String) -> ReportFormat? { JournalReport.format(ofFile: path) }

  static func build(config: ConferenceConfig, journal path: String) -> Result<ConferenceReport, ReportProblem> {
    JournalReport.build(config: config, journal: path)
  }

  /// Says what stopped the report, as the command always has, and exits 1.
  private static func orExit<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch {
      printError("bridgewatch report: \(error)")
      throw ExitCode(1)
    }
  }
}
