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
    let loaded = try loadConfigOrExit(config)
    let paths = journal.isEmpty ? [loaded.config.journalPath] : journal
    let language = self.language.language
    var builder = ConferenceReport.Builder(config: loaded.config)
    var warnings: [String] = []
    if paths.count == 1 {
      // Read as a stream into the report's per-site steps: two national days are two million lines.
      try read(paths[0]) { builder.take($0) }
    } else {
      var journals: [[JournalRecord]] = []
      for path in paths {
        var records: [JournalRecord] = []
        try read(path) { records.append($0) }
        journals.append(records)
      }
      let merged = JournalMerge.merged(journals)
      for record in merged.records { builder.take(record) }
      let offset = loaded.config.schedule.utcOffsetSeconds
      warnings = merged.splitBrains.map { overlap in
        let names = overlap.journals.map { paths[$0] }
        return ReportText.splitBrain(
          language, LocalTimeText.format(overlap.from, utcOffsetSeconds: offset, alwaysSeconds: true),
          LocalTimeText.format(overlap.to, utcOffsetSeconds: offset, alwaysSeconds: true),
          names.joined(separator: ReportText.and(language)), paths[overlap.taken])
      }
    }
    var report: ConferenceReport
    do {
      report = try builder.build(session: session)
    } catch {
      printError("bridgewatch report: \(error)")
      throw ExitCode(1)
    }
    report.warnings = warnings
    for warning in warnings { printError(TextSanitizer.printable(warning)) }
    if ReportFormat(rawValue: format) == .csv {
      for note in ReportRenderer.clockNotes(report, offset: loaded.config.schedule.utcOffsetSeconds, language: language) {
        printError(note)
      }
    }
    try Self.write(report, config: loaded.config, format: ReportFormat(rawValue: format)!, language: language, to: output)
  }
}
