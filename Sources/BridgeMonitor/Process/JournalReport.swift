import BridgeCore
import Foundation
import Synchronization

/// The post-conference report made from journals on disk: read (one streamed, several merged), built, rendered and
/// written. Lines worth a warning go to `warn`; what stops the report is thrown, for the command to say and exit on.
public enum JournalReport {
  /// The report of `paths`: one journal is read as a stream into the report's per-site steps (two national days of
  /// 31,097 sites are 8.4 million lines), a long one in stretches on all cores; several (a primary's and a
  /// standby's) are merged, and overlaps become the report's warnings.
  public static func make(
    config: ConferenceConfig, journals paths: [String], session: String?, language: Language, skipBadLines: Bool,
    warn: (String) -> Void
  ) throws(ReportProblem) -> ConferenceReport {
    var builder = ConferenceReport.Builder(config: config)
    var warnings: [String] = []
    if paths.count == 1 {
      builder = try read(paths[0], skipBadLines: skipBadLines, warn: warn, into: builder)
    } else {
      var journals: [[JournalRecord]] = []
      for path in paths {
        var records: [JournalRecord] = []
        try read(path, skipBadLines: skipBadLines, warn: warn) { records.append($0) }
        journals.append(records)
      }
      let merged = JournalMerge.merged(journals)
      for record in merged.records { builder.take(record) }
      let offset = config.schedule.utcOffsetSeconds
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
      throw ReportProblem("\(error)")
    }
    report.warnings = warnings
    return report
  }

  /// Renders `report` and writes it to `path` (standard output when nil).
  public static func write(
    _ report: ConferenceReport, config: ConferenceConfig, format: ReportFormat, language: Language, to path: String?
  ) throws(ReportProblem) {
    let text = ReportRenderer.render(report, config: config, format: format, language: language)
    // Each format makes the texts it takes from the journal and config printable; CSV keeps its CRLF line ends.
    let safe = format == .csv ? text : TextSanitizer.printableLines(text)
    if let path {
      do {
        try safe.write(toFile: path, atomically: true, encoding: .utf8)
      } catch {
        throw ReportProblem("cannot write \(path): \(error.localizedDescription)")
      }
    } else {
      FileHandleOutput.writeAll(fd: 1, safe)
    }
  }

  /// The format a report file's name asks for: `.md`, `.csv`, `.json` or `.html`.
  public static func format(ofFile path: String) -> ReportFormat? {
    guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
    return ReportFormat(rawValue: String(path[path.index(after: dot)...]).lowercased())
  }

  /// The report of one journal, read whole, or the reason it cannot be made.
  public static func build(config: ConferenceConfig, journal path: String) -> Result<ConferenceReport, ReportProblem> {
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

  /// Reads one journal into `builder`, a long one in stretches on all cores (as a restart does: each stretch
  /// into its own builder, joined in order); bad lines stop the report unless skipped.
  static func read(
    _ path: String, skipBadLines: Bool, warn: (String) -> Void, into builder: ConferenceReport.Builder
  ) throws(ReportProblem) -> ConferenceReport.Builder {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw ReportProblem("cannot read journal \(path) (\(FileProblem.describe(path: path)))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw ReportProblem("cannot read journal \(path): \(String(cString: strerror(errno)))")
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      // A pipe or device has no size to split at: read in order, as it comes.
      var builder = builder
      try read(path, skipBadLines: skipBadLines, warn: warn) { builder.take($0) }
      return builder
    }
    let size = Int(info.st_size)
    // Below a few megabytes one thread is quicker than starting others.
    let stretches = size >= 8 << 20 ? max(1, ProcessInfo.processInfo.activeProcessorCount) : 1
    let progress = Mutex(ReadingProgress(what: "reading journal \(path)"))
    let read = JournalScanner.read(
      fd: fd, size: size, stretches: stretches, fold: builder, progress: { read in progress.withLock { $0.update(read: read, of: size) } })
    progress.withLock { $0.finish() }
    switch read {
    case .failure(let failure):
      throw ReportProblem("cannot read journal \(path): \(String(cString: strerror(failure.errno)))")
    case .success(let (scan, built)):
      try check(scan, path: path, skipBadLines: skipBadLines, warn: warn)
      return built
    }
  }

  /// Reads one journal, handing each record to `visit` in order; bad lines stop the report unless skipped.
  static func read(
    _ path: String, skipBadLines: Bool, warn: (String) -> Void, visit: (JournalRecord) -> Void
  ) throws(ReportProblem) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw ReportProblem("cannot read journal \(path) (\(FileProblem.describe(path: path)))")
    }
    defer { close(fd) }
    var scan = JournalScanner()
    var info = stat()
    let size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    var progress = ReadingProgress(what: "reading journal \(path)")
    let failure = scan.read(fd: fd, visit: visit, progress: { progress.update(read: $0, of: size) })
    progress.finish()
    if let failure {
      throw ReportProblem("cannot read journal \(path): \(String(cString: strerror(failure)))")
    }
    try check(scan, path: path, skipBadLines: skipBadLines, warn: warn)
  }

  /// Says what was wrong with the journal's lines: bad lines stop the report unless skipped.
  private static func check(_ scan: JournalScanner, path: String, skipBadLines: Bool, warn: (String) -> Void) throws(ReportProblem) {
    for bad in scan.badLines.prefix(skipBadLines ? 10 : 20) {
      warn("\(path):\(bad.line): \(skipBadLines ? "warning: skipped" : "error:") \(bad.error)")
    }
    if scan.badLineCount > 0 && !skipBadLines {
      throw ReportProblem("\(scan.badLineCount) bad journal line(s) in \(path); fix them or pass --skip-bad-journal-lines")
    }
    if let first = scan.unknownTypeLines.first {
      warn(
        "\(path):\(first.line): warning: \(first.error) (a newer monitor wrote it); left out \(scan.unknownTypeLineCount) such line(s)")
    }
    if let torn = scan.tornLine {
      warn("\(path):\(torn): warning: the last line is cut short (a crash while writing); left out")
    }
  }
}

/// Why a report cannot be made; the report command prints it after "bridgewatch report: " and exits 1.
public struct ReportProblem: Error, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
