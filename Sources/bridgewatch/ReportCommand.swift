import ArgumentParser
import BridgeCore
import Foundation

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "The post-conference report from the journal: attendance and outages per bridge point, district and province.",
    discussion: """
      Per session of the config's schedule (or over the whole recorded span without one): time online, outages \
      (count, total, longest), time to first connect, peak and average headcount, attendance against expected; \
      district and province roll-ups; conference totals. Reads the journal only; safe while a monitor runs.
      """)

  @Argument(help: "The conference config (YAML).")
  var config: String

  @Option(help: "The journal to read (default: the config's journal).")
  var journal: String?

  @Option(help: "md (for people), csv (for spreadsheets) or json (for tools).")
  var format: String = "md"

  @Option(help: "Only this session of the schedule.")
  var session: String?

  @Option(help: "Write the report to this file instead of standard output.")
  var output: String?

  @Flag(name: .customLong("skip-bad-journal-lines"), help: "Report even if some journal lines cannot be read (they are left out).")
  var skipBadJournalLines = false

  func validate() throws {
    guard ReportFormat(rawValue: format) != nil else { throw ValidationError("--format must be md, csv or json, got '\(format)'") }
  }

  func run() throws {
    let loaded = try loadConfigOrExit(config)
    let path = journal ?? loaded.config.journalPath
    guard let data = FileManager.default.contents(atPath: path) else {
      printError("bridgewatch report: cannot read journal \(path) (\(FileProblem.describe(path: path)))")
      throw ExitCode(1)
    }
    let content = JournalContent.parse(Array(data))
    for bad in content.badLines.prefix(skipBadJournalLines ? 10 : 20) {
      printError("\(path):\(bad.line): \(skipBadJournalLines ? "warning: skipped" : "error:") \(bad.error)")
    }
    if !content.badLines.isEmpty && !skipBadJournalLines {
      printError("bridgewatch report: \(content.badLines.count) bad journal line(s); fix them or pass --skip-bad-journal-lines")
      throw ExitCode(1)
    }
    if let torn = content.tornLine {
      printError("\(path):\(torn): warning: the last line is cut short (a crash while writing); left out")
    }
    let report: ConferenceReport
    do {
      report = try ConferenceReport.build(config: loaded.config, records: content.records, session: session)
    } catch {
      printError("bridgewatch report: \(error)")
      throw ExitCode(1)
    }
    let text = ReportRenderer.render(report, config: loaded.config, format: ReportFormat(rawValue: format)!)
    if let output {
      do {
        try TextSanitizer.printableLines(text).write(toFile: output, atomically: true, encoding: .utf8)
      } catch {
        printError("bridgewatch report: cannot write \(output): \(error.localizedDescription)")
        throw ExitCode(1)
      }
    } else {
      FileHandleOutput.writeAll(fd: 1, TextSanitizer.printableLines(text))
    }
  }
}
