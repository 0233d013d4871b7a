import BridgeCore
import Foundation

extension ReportCommand {

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
