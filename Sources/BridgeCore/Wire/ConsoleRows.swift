/// The roster's two big lines in a form a console reads in milliseconds, for consoles that say they read it (hello
/// `rows`): a snapshot's sites as rows of integers and the welcome's sites as rows of text. As JSON objects, 31,097
/// sites took 0.8 s to encode and 0.9 s to decode as a snapshot and 0.3 s each way as a welcome
/// (`bench micro --only console`), over the 300 ms issue 30 gives a console's first screen. Whatever a row cannot
/// hold stays a JSON object, so the rows are a shortcut, never a second set of rules (docs/CONSOLE-PROTOCOL.md).
public enum ConsoleRows {
  /// Who reads rows is told through the encoder (`ConsoleProtocol.encode(_:rows:)`), not stored in the values, so
  /// a snapshot decoded from rows equals the one encoded.
  static let userInfoKey = CodingUserInfoKey(rawValue: "bridgewatch.rows")!

  static func wanted(by encoder: any Encoder) -> Bool { encoder.userInfo[userInfoKey] as? Bool == true }

  // MARK: Sites' records

  /// index, status, heartbeat status, since (monotonic ns, unix ms), heard (both), awaited (both), source, count,
  /// count's source, count's time (both), sequence, sender's timestamp, round trip ms, flags, received, missed,
  /// streak; -1 for none.
  static let fieldsPerRecord = 21
  /// Sources by their place in this list (a new one is appended; a site whose source is not here travels whole).
  static let sources: [HeartbeatSource] = [.udp, .file, .manual, .probe, .checkin]

  /// Whether a row holds all of `site`: nothing a person typed or a probe said (a mark, an acknowledgement, a
  /// claim, a probe, a refusal, a count file's problem), numbers in the row's ranges.
  public static func fits(_ site: ConsoleSite) -> Bool {
    site.mark == nil && site.acknowledgedBy == nil && site.claim == nil && site.probe == nil && site.probeCode == nil
      && site.probeAt == nil && site.rejected == nil && site.countProblem == nil && site.index >= 0 && site.index <= Int(Int32.max)
      && (0...Int(Int32.max)).contains(site.count ?? 0) && (0...Int(Int32.max)).contains(site.rtt ?? 0)
      && (0...Int(Int32.max)).contains(site.streak)
      && (site.sequence ?? 0) <= UInt64(largest) && (site.senderTimestamp ?? 0) <= UInt64(largest)
      && [site.since, site.heard, site.awaited, site.countAt].allSatisfy { $0.map(fitsClock) ?? true }
      && [site.source, site.countSource].allSatisfy { $0.map(sources.contains) ?? true }
  }

  private static func fitsClock(_ clock: ConsoleClock) -> Bool {
    (0...largest).contains(clock.reading.monotonicNanos) && UnixTime(seconds: clock.reading.unixSeconds) != nil
  }

  /// The largest number a row holds: 18 digits, as in beats (a monotonic clock reaches it after 31 years).
  static let largest: Int64 = 999_999_999_999_999_999

  /// The rows of `sites`, each of which `fits`. Unix times travel in milliseconds, as beats do.
  static func encode(records sites: some Sequence<ConsoleSite>, count: Int) -> String {
    var writer = IntegerWriter(capacity: count * 96)
    for site in sites {
      writer.append(Int64(site.index))
      writer.append(Int64(site.status.rawValue))
      writer.append(Int64(site.heartbeatStatus.rawValue))
      for clock in [site.since, site.heard, site.awaited] { writer.append(clock) }
      writer.append(site.source.flatMap { sources.firstIndex(of: $0) }.map(Int64.init) ?? -1)
      writer.append(site.count.map(Int64.init) ?? -1)
      writer.append(site.countSource.flatMap { sources.firstIndex(of: $0) }.map(Int64.init) ?? -1)
      writer.append(site.countAt)
      writer.append(site.sequence.map { Int64($0) } ?? -1)
      writer.append(site.senderTimestamp.map { Int64($0) } ?? -1)
      writer.append(site.rtt.map(Int64.init) ?? -1)
      writer.append(Int64(site.flags.rawValue))
      writer.append(Int64(site.received))
      writer.append(Int64(site.missed))
      writer.append(Int64(site.streak))
    }
    return writer.text
  }

  /// The sites the rows hold, or the reason they are not rows of 21 integers in range.
  static func decodeRecords(_ text: String) -> Result<[ConsoleSite], RowsProblem> {
    var values: [Int64] = []
    if let problem = parseIntegers(text, into: &values) { return .failure(problem) }
    guard values.count % fieldsPerRecord == 0 else { return .failure(RowsProblem("rows are not groups of \(fieldsPerRecord) integers")) }
    var sites: [ConsoleSite] = []
    sites.reserveCapacity(values.count / fieldsPerRecord)
    var problem: RowsProblem?
    values.withUnsafeBufferPointer { all in
      for start in stride(from: 0, to: all.count, by: fieldsPerRecord) {
        var row = RowReader(values: UnsafeBufferPointer(rebasing: all[start..<start + fieldsPerRecord]))
        guard let site = row.record() else {
          problem = RowsProblem("row \(start / fieldsPerRecord + 1): \(row.problem ?? "a value out of range")")
          return
        }
        sites.append(site)
      }
    }
    return problem.map { .failure($0) } ?? .success(sites)
  }

  // MARK: Sites' facts

  /// Between every two fields: DEL, which JSON carries as it is (a tab or a newline travel as escapes, which made
  /// the welcome's decoding the slowest part of a console's first screen at 100,000 sites) and which a roster's
  /// names and groups never hold (the config refuses control characters in them); facts whose texts do hold one
  /// are sent as JSON objects.
  static let separator: UInt8 = 0x7F
  /// A group's parts, at most (a site's group path is a few levels deep; this bounds what a row may claim).
  static let maximumGroupDepth = 32

  /// Whether every site's facts fit rows: no DEL in any text, no empty probe or contact (empty is none), an
  /// expected headcount of at most nine digits.
  static func fit(_ sites: [ConsoleFacts.Site]) -> Bool {
    func clean(_ text: String) -> Bool { !text.utf8.contains(separator) }
    return sites.allSatisfy { site in
      clean(site.id) && clean(site.name) && (0...999_999_999).contains(site.expected) && site.group.count <= maximumGroupDepth
        && site.group.allSatisfy(clean) && clean(site.heartbeatFile)
        && site.probe.map { !$0.isEmpty && clean($0) } ?? true && site.contact.map { !$0.isEmpty && clean($0) } ?? true
    }
  }

  /// Per site: id, name, the group's number of parts and each part, expected, heartbeat file, signs (1 or 0),
  /// probe, contact; every field after the previous one's DEL.
  static func encode(facts sites: [ConsoleFacts.Site]) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(sites.count * 112)
    func field(_ text: String) {
      if !bytes.isEmpty { bytes.append(separator) }
      bytes.append(contentsOf: text.utf8)
    }
    for site in sites {
      field(site.id)
      field(site.name)
      field(String(site.group.count))
      for part in site.group { field(part) }
      field(String(site.expected))
      field(site.heartbeatFile)
      field(site.signs ? "1" : "0")
      field(site.probe ?? "")
      field(site.contact ?? "")
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  static func decodeFacts(_ text: String) -> Result<[ConsoleFacts.Site], RowsProblem> {
    var text = text
    return text.withUTF8 { bytes in
      var sites: [ConsoleFacts.Site] = []
      guard !bytes.isEmpty else { return .success(sites) }
      var fields = bytes.split(separator: separator, omittingEmptySubsequences: false)[...]
      func next() -> Slice<UnsafeBufferPointer<UInt8>>? { fields.popFirst() }
      func text(_ field: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: field), as: UTF8.self)
      }
      while !fields.isEmpty {
        let number = sites.count + 1
        guard let id = next(), let name = next(), let depthField = next(), let depth = Self.wholeNumber(depthField),
          depth <= maximumGroupDepth, fields.count >= depth + 5
        else {
          return .failure(RowsProblem("site row \(number) is cut short or names more than \(maximumGroupDepth) group parts"))
        }
        let group = (0..<depth).map { _ in text(next()!) }
        let expectedField = next()!
        let file = next()!
        let signs = next()!
        let probe = next()!
        let contact = next()!
        guard let expected = Self.wholeNumber(expectedField), signs.count == 1, signs.first == 0x30 || signs.first == 0x31 else {
          return .failure(RowsProblem("site row \(number): expected headcount or signs out of range"))
        }
        sites.append(
          ConsoleFacts.Site(
            id: text(id), name: text(name), group: group, expected: expected, heartbeatFile: text(file), signs: signs.first == 0x31,
            probe: probe.isEmpty ? nil : text(probe), contact: contact.isEmpty ? nil : text(contact)))
      }
      return .success(sites)
    }
  }

  /// 1 to 9 digits.
  private static func wholeNumber(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
    guard (1...9).contains(digits.count) else { return nil }
    var value = 0
    for byte in digits {
      guard (0x30...0x39).contains(byte) else { return nil }
      value = value * 10 + Int(byte - 0x30)
    }
    return value
  }

  // MARK: Integers

  /// Comma-separated integers, each 1 to 18 digits with an optional minus; the first problem, if any. Beats are
  /// read with it too.
  static func parseIntegers(_ text: String, into values: inout [Int64]) -> RowsProblem? {
    var text = text
    return text.withUTF8 { bytes -> RowsProblem? in
      guard !bytes.isEmpty else { return nil }
      values.reserveCapacity(bytes.count / 4)
      var current: Int64 = 0
      var negative = false
      var digits = 0
      for byte in bytes {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
          guard digits < 18 else { return RowsProblem("a number longer than 18 digits") }
          current = current &* 10 &+ Int64(byte &- UInt8(ascii: "0"))
          digits += 1
        case UInt8(ascii: ","):
          guard digits > 0 else { return RowsProblem("an empty number") }
          values.append(negative ? -current : current)
          (current, negative, digits) = (0, false, 0)
        case UInt8(ascii: "-") where digits == 0 && !negative: negative = true
        default: return RowsProblem("a character that is not a digit, a minus or a comma")
        }
      }
      guard digits > 0 else { return RowsProblem("an empty number") }
      values.append(negative ? -current : current)
      return nil
    }
  }
}

public struct RowsProblem: Error, Sendable, Equatable, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}

/// Appends integers as decimal text, comma-separated, without a String per number (rows and beats).
struct IntegerWriter {
  private var bytes: [UInt8] = []

  init(capacity: Int) { bytes.reserveCapacity(capacity) }

  mutating func append(_ value: Int64) {
    if !bytes.isEmpty { bytes.append(UInt8(ascii: ",")) }
    if value < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    let first = bytes.count
    repeat {
      bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
      magnitude /= 10
    } while magnitude > 0
    bytes[first...].reverse()
  }

  /// A clock as two integers (monotonic nanoseconds, unix milliseconds); none as -1,-1.
  mutating func append(_ clock: ConsoleClock?) {
    guard let reading = clock?.reading else {
      append(-1)
      append(-1)
      return
    }
    append(reading.monotonicNanos)
    append(Int64((reading.unixSeconds * 1000).rounded()))
  }

  var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Reads one row's integers in order, checking each against its range.
private struct RowReader {
  let values: UnsafeBufferPointer<Int64>
  var next = 0
  var problem: String?

  init(values: UnsafeBufferPointer<Int64>) { self.values = values }

  mutating func take(_ range: ClosedRange<Int64>, _ what: String) -> Int64? {
    let value = values[next]
    next += 1
    guard range.contains(value) else {
      if problem == nil { problem = "\(what) \(value) out of range" }
      return nil
    }
    return value
  }

  mutating func optional(_ range: ClosedRange<Int64>, _ what: String) -> Int64?? {
    guard let value = take(-1...range.upperBound, what), value == -1 || range.contains(value) else {
      if problem == nil { problem = "\(what) out of range" }
      return nil
    }
    return .some(value == -1 ? nil : value)
  }

  mutating func clock(_ what: String) -> ConsoleClock?? {
    guard let nanos = take(-1...ConsoleRows.largest, what), let millis = take(-1...ConsoleRows.largest, what) else { return nil }
    if nanos == -1 && millis == -1 { return .some(nil) }
    guard nanos >= 0, millis >= 0, UnixTime(seconds: Double(millis) / 1000) != nil else {
      if problem == nil { problem = "\(what) out of range" }
      return nil
    }
    return .some(ConsoleClock(ClockReading(monotonicNanos: nanos, unixSeconds: Double(millis) / 1000)))
  }

  mutating func readStatus(_ what: String) -> SiteStatus? {
    take(0...Int64(SiteStatus.allCases.count - 1), what).flatMap { SiteStatus(rawValue: Int($0)) }
  }

  mutating func readSource(_ what: String) -> HeartbeatSource?? {
    optional(0...Int64(ConsoleRows.sources.count - 1), what).map { $0.map { ConsoleRows.sources[Int($0)] } }
  }

  mutating func record() -> ConsoleSite? {
    guard let index = take(0...Int64(Int32.max), "index"), let status = readStatus("status"),
      let heartbeatStatus = readStatus("heartbeat status"), let since = clock("since"), let heard = clock("heard"),
      let awaited = clock("awaited"), let source = readSource("source"), let count = optional(0...Int64(Int32.max), "count"),
      let countSource = readSource("count source"), let countAt = clock("count time"),
      let sequence = optional(0...ConsoleRows.largest, "sequence"),
      let senderTimestamp = optional(0...ConsoleRows.largest, "sender timestamp"), let rtt = optional(0...Int64(Int32.max), "round trip"),
      let flags = take(0...Int64(UInt16.max), "flags"), let received = take(0...Int64(UInt32.max), "received"),
      let missed = take(0...Int64(UInt32.max), "missed"), let streak = take(0...Int64(Int32.max), "streak")
    else { return nil }
    var record = SiteRecord()
    record.status = status
    record.heartbeatStatus = heartbeatStatus
    record.lastSource = source
    record.headcount = count.map(Int.init)
    record.headcountSource = countSource
    record.lastSequence = sequence.map(UInt64.init)
    record.lastSenderTimestamp = senderTimestamp.map(UInt64.init)
    record.rttMilliseconds = rtt.map(Int.init)
    record.flags = SiteFlags(rawValue: UInt16(flags))
    record.receivedCount = UInt32(received)
    record.missedCount = UInt32(missed)
    record.recoveryStreak = Int(streak)
    var site = ConsoleSite(record, index: Int(index))
    (site.since, site.heard, site.awaited, site.countAt) = (since, heard, awaited, countAt)
    return site
  }
}
