import Foundation
import Synchronization

/// Reads a journal a piece at a time, handing over each record as its line completes: a journal of two national
/// days (two million lines) is never held in memory whole, as bytes or as records. What was wrong with it is
/// kept apart, counted, with the first few lines named.
public struct JournalScanner: Sendable {
  /// Longer lines are bad lines and are not buffered: a hostile file must not make the reader grow without bound.
  public static let maximumLineLength = 1 << 16
  /// Bad and unknown-type lines named; the rest are only counted.
  public static let namedLineLimit = 20

  public private(set) var lineCount = 0
  public private(set) var recordCount = 0
  /// Complete lines that could not be decoded: line number and reason (the first `namedLineLimit`).
  public private(set) var badLines: [(line: Int, error: JournalLineError)] = []
  public private(set) var badLineCount = 0
  /// Lines of record types this version does not know (a newer monitor wrote them); the first few.
  public private(set) var unknownTypeLines: [(line: Int, error: JournalLineError)] = []
  public private(set) var unknownTypeLineCount = 0
  /// Bytes after the last line break that do not decode: a write cut short (a power cut). Its line number.
  public private(set) var tornLine: Int?
  /// Where the whole lines end; a torn tail starts here.
  public private(set) var validLength = 0
  /// The last record is whole but has no line break after it.
  public private(set) var endsWithoutLineBreak = false
  public private(set) var bytesRead = 0
  /// Bytes of the line in progress, when it spans pieces.
  private var partial: [UInt8] = []
  private var partialTooLong = false

  public init() {}

  /// A scan that has already been through the journal's first `bytes` bytes (`lines` lines, `records` records, all
  /// whole): what a checkpoint stands for, so that the scan of the rest appended to it numbers lines as the file does.
  public init(prefixBytes bytes: Int, lines: Int, records: Int) {
    bytesRead = bytes
    validLength = bytes
    lineCount = lines
    recordCount = records
  }

  /// Takes the next piece of the file; `visit` gets each record whose line ends in it.
  public mutating func feed(_ piece: UnsafeBufferPointer<UInt8>, _ visit: (JournalRecord) -> Void) {
    withoutActuallyEscaping(visit) { visit in
      var visitor = RecordVisitor(visit: visit)
      feed(piece, into: &visitor)
    }
  }

  mutating func feed<Visitor: JournalLineVisitor>(_ piece: UnsafeBufferPointer<UInt8>, into visitor: inout Visitor) {
    guard let base = piece.baseAddress else { return }
    var lineStart = 0
    while lineStart < piece.count {
      guard let found = memchr(base + lineStart, 0x0A, piece.count - lineStart) else { break }
      let end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
      if partial.isEmpty && !partialTooLong {
        takeLine(UnsafeBufferPointer(rebasing: piece[lineStart..<end]), into: &visitor)
      } else {
        keepPartial(UnsafeBufferPointer(rebasing: piece[lineStart..<end]))
        takePartialLine(into: &visitor)
      }
      lineStart = end + 1
      validLength = bytesRead + lineStart
    }
    keepPartial(UnsafeBufferPointer(rebasing: piece[lineStart...]))
    bytesRead += piece.count
  }

  /// The end of the file: a last line without a line break is kept if whole, else set apart as torn.
  public mutating func finish(_ visit: (JournalRecord) -> Void) {
    withoutActuallyEscaping(visit) { visit in
      var visitor = RecordVisitor(visit: visit)
      finish(into: &visitor)
    }
  }

  mutating func finish<Visitor: JournalLineVisitor>(into visitor: inout Visitor) {
    guard !partial.isEmpty || partialTooLong else { return }
    lineCount += 1
    let decoded = partialTooLong ? nil : partial.withUnsafeBufferPointer { try? JournalCodec.decode(bytes: $0).get() }
    if let decoded {
      recordCount += 1
      visitor.take(decoded)
      validLength = bytesRead
      endsWithoutLineBreak = true
    } else {
      tornLine = lineCount
    }
    partial = []
    partialTooLong = false
  }

  private mutating func keepPartial(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard !bytes.isEmpty, !partialTooLong else { return }
    if partial.count + bytes.count > Self.maximumLineLength {
      partialTooLong = true
      partial = []
    } else {
      partial.append(contentsOf: bytes)
    }
  }

  private mutating func takePartialLine<Visitor: JournalLineVisitor>(into visitor: inout Visitor) {
    if partialTooLong {
      lineCount += 1
      noteBad(JournalLineError("longer than \(NumberText.grouped(Self.maximumLineLength)) bytes"))
    } else {
      partial.withUnsafeBufferPointer { takeLine($0, into: &visitor) }
    }
    partial.removeAll(keepingCapacity: true)
    partialTooLong = false
  }

  private mutating func takeLine<Visitor: JournalLineVisitor>(_ line: UnsafeBufferPointer<UInt8>, into visitor: inout Visitor) {
    lineCount += 1
    if line.isEmpty { return }
    if line.count > Self.maximumLineLength {
      noteBad(JournalLineError("longer than \(NumberText.grouped(Self.maximumLineLength)) bytes"))
      return
    }
    // The two lines that are nearly all of a journal, handed over as read (JournalCommonLines).
    if let common = JournalCommonLines.decode(line) {
      recordCount += 1
      visitor.take(common)
      return
    }
    switch JournalCodec.decodeInGeneral(line) {
    case .success(let record):
      recordCount += 1
      visitor.take(record)
    case .failure(let error) where error.isUnknownType:
      unknownTypeLineCount += 1
      if unknownTypeLines.count < Self.namedLineLimit { unknownTypeLines.append((lineCount, error)) }
    case .failure(let error): noteBad(error)
    }
  }

  private mutating func noteBad(_ error: JournalLineError) {
    badLineCount += 1
    if badLines.count < Self.namedLineLimit { badLines.append((lineCount, error)) }
  }

  /// Reads the whole of `fd`, a megabyte at a time. `progress` gets the bytes read so far after each piece.
  /// Returns errno if a read fails.
  public mutating func read(fd: Int32, visit: (JournalRecord) -> Void, progress: (Int) -> Void = { _ in }) -> Int32? {
    var total = 0
    return withoutActuallyEscaping(visit) { visit in
      var visitor = RecordVisitor(visit: visit)
      return read(fd: fd, from: 0, to: .max, into: &visitor) { count in
        total += count
        progress(total)
      }
    }
  }
}

/// Something computed from a journal's records in order, that can be computed for consecutive stretches of the
/// journal apart (on all cores) and joined: `a` over the first stretch, then `append(b)` over the next, is the
/// same as one fold over both.
public protocol JournalFold: Sendable, JournalLineVisitor {
  /// `later` is consumed: what it holds may be moved rather than copied.
  mutating func append(_ later: consuming Self)
}

/// What a scan hands each record to. A common line (a headcount sample or status change in the writer's exact
/// form) comes as read, its site id still bytes: by default it is made into its record and taken as one.
public protocol JournalLineVisitor {
  mutating func take(_ record: JournalRecord)
  mutating func take(_ line: JournalCommonLine)
}

extension JournalLineVisitor {
  public mutating func take(_ line: JournalCommonLine) { take(line.record) }
}

/// A closure given every record.
struct RecordVisitor: JournalLineVisitor {
  let visit: (JournalRecord) -> Void
  func take(_ record: JournalRecord) { visit(record) }
}

extension JournalScanner {
  /// This scan followed by `later`, the scan of the bytes right after the ones this one read (which end with a
  /// line break).
  public mutating func append(_ later: JournalScanner) {
    let lines = lineCount
    for (line, error) in later.badLines where badLines.count < Self.namedLineLimit { badLines.append((line + lines, error)) }
    for (line, error) in later.unknownTypeLines where unknownTypeLines.count < Self.namedLineLimit {
      unknownTypeLines.append((line + lines, error))
    }
    badLineCount += later.badLineCount
    unknownTypeLineCount += later.unknownTypeLineCount
    tornLine = later.tornLine.map { $0 + lines }
    validLength = bytesRead + later.validLength
    if later.bytesRead > 0 { endsWithoutLineBreak = later.endsWithoutLineBreak }
    bytesRead += later.bytesRead
    lineCount += later.lineCount
    recordCount += later.recordCount
  }

  /// Reads the `size` bytes of `fd` as `stretches` stretches split at line breaks, each on its own thread with
  /// its own copy of `fold`, and joins them in order. `progress` gets the bytes read so far, from one thread.
  /// Returns errno if a read fails.
  /// `start`: where to begin (right after a line break), when what comes before was read earlier.
  public static func read<Fold: JournalFold>(
    fd: Int32, from start: Int = 0, size: Int, stretches: Int, fold: Fold, progress: @escaping @Sendable (Int) -> Void = { _ in }
  ) -> Result<(JournalScanner, Fold), ReadError> {
    // Each stretch starts right after a line break, so no line is split between two readers.
    var bounds = [start]
    for part in 1..<max(stretches, 1) {
      let even = start + (size - start) * part / stretches
      guard let next = lineStart(fd: fd, after: max(even, bounds.last!), size: size) else { break }
      if next > bounds.last! && next < size { bounds.append(next) }
    }
    bounds.append(size)
    let starts = bounds
    let total = Atomic<Int>(0)
    var parts = Array(0..<(bounds.count - 1))
    var results = OnAllCores.map(&parts) { part in
      var scanner = JournalScanner()
      var mine = fold
      let failure = scanner.read(fd: fd, from: starts[part], to: starts[part + 1], into: &mine) { read in
        let sum = total.add(read, ordering: .relaxed).newValue
        if part == 0 { progress(sum) }
      }
      return (scanner, mine, failure)
    }
    // Taken out one at a time (the last first, once reversed), so that a fold's join can move what each later one
    // holds instead of copying it.
    results.reverse()
    var (scanner, joined, failure) = results.removeLast()
    if let failure { return .failure(ReadError(errno: failure)) }
    while let (later, laterFold, laterFailure) = results.popLast() {
      if let laterFailure { return .failure(ReadError(errno: laterFailure)) }
      scanner.append(later)
      joined.append(consume laterFold)
    }
    return .success((scanner, joined))
  }

  public struct ReadError: Error, Sendable {
    public var errno: Int32
  }

  /// Where the first line starting after `offset` begins, or nil when a read fails.
  private static func lineStart(fd: Int32, after offset: Int, size: Int) -> Int? {
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var position = offset
    while position < size {
      let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(position)) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return count == 0 ? size : nil }
      if let index = buffer[0..<count].firstIndex(of: 0x0A) { return position + index + 1 }
      position += count
    }
    return size
  }

  /// Reads bytes `start..<end` of `fd` (or to its end) with pread, a megabyte at a time; `progress` gets the bytes
  /// just read.
  mutating func read<Visitor: JournalLineVisitor>(
    fd: Int32, from start: Int, to end: Int, into visitor: inout Visitor, progress: (Int) -> Void
  ) -> Int32? {
    let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 20)
    defer { buffer.deallocate() }
    var position = start
    while position < end {
      let count = pread(fd, buffer.baseAddress, min(buffer.count, end - position), off_t(position))
      if count < 0 && errno == EINTR { continue }
      if count < 0 { return errno }
      if count == 0 { break }
      feed(UnsafeBufferPointer(rebasing: buffer[0..<count]), into: &visitor)
      position += count
      progress(count)
    }
    finish(into: &visitor)
    return nil
  }
}

extension RestoredSite.Replay: JournalFold {
  public mutating func take(_ record: JournalRecord) { take(record, siteIndex: record.site.flatMap { siteIndex[$0] }) }
}

/// A journal's content held whole: for tests and small files. Large journals go through `JournalScanner`.
public struct JournalContent: Sendable {
  public var records: [JournalRecord] = []
  public var badLines: [(line: Int, error: JournalLineError)] = []
  public var unknownTypeLines: [(line: Int, error: JournalLineError)] = []
  public var tornLine: Int?
  public var validLength: Int = 0

  public init() {}

  public static func parse(_ bytes: [UInt8]) -> JournalContent {
    var content = JournalContent()
    var scanner = JournalScanner()
    bytes.withUnsafeBufferPointer { scanner.feed($0) { content.records.append($0) } }
    scanner.finish { content.records.append($0) }
    content.badLines = scanner.badLines
    content.unknownTypeLines = scanner.unknownTypeLines
    content.tornLine = scanner.tornLine
    content.validLength = scanner.validLength
    return content
  }
}
