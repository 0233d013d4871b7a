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

  /// Renders `report` and writes it to `path` (standard output when nil).
  static func write(_ report: ConferenceReport, config: ConferenceConfig, format: ReportFormat, language: Language, to path: String?)
    throws
  {
    let text = ReportRenderer.render(report, config: config, format: format, language: language)
    // Each format makes the texts it takes from the journal and config printable; CSV keeps its CRLF line ends.
    let safe = format == .csv ? text : TextSanitizer.printableLines(text)
    if let path {
      do {
        try safe.write(toFile: path, atomically: true, encoding: .utf8)
      } catch {
        printError("bridgewatch report: cannot write \(path): \(error.localizedDescription)")
        throw ExitCode(1)
      }
    } else {
      FileHandleOutput.writeAll(fd: 1, safe)
    }
  }

  /// The format a report file's name asks for: `.md`, `.csv`, `.json` or `.html`.
  static func format(ofFile path: String) -> ReportFormat? {
    guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
    return ReportFormat(rawValue: String(path[path.index(after: dot)...]).lowercased())
  }

  /// The report of one journal, read whole, or the reason it cannot be made.
  static func build(config: ConferenceConfig, journal path: String) -> Result<ConferenceReport, ReportProblem> {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return .failure(ReportProblem("cannot read journal \(path) (\(FileProblem.describe(path: path)))")) }
    defer { close(fd) }
    var builder = ConferenceReport.Builder(config: config)
    var scan = JournalScanner()
    if let failure = scan.read(fd: fd, visit: { builder.take($0) }, progress: { _ in }) {
      return .failure(ReportProblem("cannot read journal \(path): \(String(cString: strerror(failure)))"))
    }
    do {
      return .success(try builder.build())
    } catch {
      return .failure(ReportProblem("\(error)"))
    }
  }
}

struct ReportProblem: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

extension ReportCommand {
  /// Reads one journal, handing each record to `visit`; bad lines stop the report unless skipped.
  private func read(_ path: String, visit: (JournalRecord) -> Void) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      printError("bridgewatch report: cannot read journal \(path) (\(FileProblem.describe(path: path)))")
      throw ExitCode(1)
    }
    defer { close(fd) }
    var scan = JournalScanner()
    var info = stat()
    let size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    var progress = ReadingProgress(what: "reading journal \(path)")
    let failure = scan.read(fd: fd, visit: visit, progress: { progress.update(read: $0, of: size) })
    progress.finish()
    if let failure {
      printError("bridgewatch report: cannot read journal \(path): \(String(cString: strerror(failure)))")
      throw ExitCode(1)
    }
    for bad in scan.badLines.prefix(skipBadJournalLines ? 10 : 20) {
      printError("\(path):\(bad.line): \(skipBadJournalLines ? "warning: skipped" : "error:") \(bad.error)")
    }
    if scan.badLineCount > 0 && !skipBadJournalLines {
      printError("bridgewatch report: \(scan.badLineCount) bad journal line(s) in \(path); fix them or pass --skip-bad-journal-lines")
      throw ExitCode(1)
    }
    if let first = scan.unknownTypeLines.first {
      printError(
        "\(path):\(first.line): warning: \(first.error) (a newer monitor wrote it); left out \(scan.unknownTypeLineCount) such line(s)")
    }
    if let torn = scan.tornLine {
      printError("\(path):\(torn): warning: the last line is cut short (a crash while writing); left out")
    }
  }
}
