import Foundation

/// Where something was written: a file and a 1-based line (0 when the whole file is meant). Not `SourceLocation`,
/// which Swift Testing already names.
public struct FileLine: Sendable, Hashable, CustomStringConvertible {
  public var file: String
  public var line: Int

  public init(file: String, line: Int) {
    self.file = file
    self.line = line
  }

  public var description: String { line > 0 ? "\(file):\(line)" : file }
}

/// One problem found in a config, keys or roster file.
public struct ConfigProblem: Error, Sendable, Hashable, CustomStringConvertible {
  public var location: FileLine
  public var message: String

  public init(_ location: FileLine, _ message: String) {
    self.location = location
    self.message = message
  }

  public var description: String { "\(location): \(message)" }
}

/// Every error found while loading; loading does not stop at the first one.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
  public var problems: [ConfigProblem]
  public var description: String { problems.map(\.description).joined(separator: "\n") }
}

public struct Timing: Sendable, Hashable {
  /// Expected heartbeat period.
  public var interval: Duration = .seconds(5)
  /// No heartbeat for this long: late.
  public var lateAfter: Duration = .seconds(12)
  /// No heartbeat for this long: offline.
  public var offlineAfter: Duration = .seconds(30)
  /// Consecutive fresh heartbeats needed to leave offline.
  public var recoverAfter: Int = 2
  /// Window in which status changes are counted for flapping detection.
  public var flapWindow: Duration = .seconds(600)
  /// Status changes within `flapWindow` that make a site flapping.
  public var flapChanges: Int = 6

  public init() {}

  /// `late_after` when a config gives only the interval: 2.4 intervals (12 s for the default 5 s), whole seconds
  /// from 1 s up, so a site is late only after two heartbeats went missing, whatever interval is written.
  public static func defaultLateAfter(interval: Duration) -> Duration { roundedUp(interval * 12 / 5) }

  /// `offline_after` when a config does not give it: 2.5 times `late_after` (30 s for the default 12 s).
  public static func defaultOfflineAfter(lateAfter: Duration) -> Duration { roundedUp(lateAfter * 5 / 2) }

  private static func roundedUp(_ duration: Duration) -> Duration {
    let milliseconds = duration.milliseconds
    guard milliseconds >= 1000, milliseconds % 1000 != 0 else { return .milliseconds(milliseconds) }
    return .milliseconds((milliseconds / 1000 + 1) * 1000)
  }
}

public struct UDPSettings: Sendable, Hashable {
  public var host: String = "0.0.0.0"
  /// 0 asks the system for a free port (tests, demos).
  public var port: Int = 7400
  public var requireAuth: Bool = false

  public init() {}
}

public struct SiteConfig: Sendable, Hashable {
  public var id: String
  /// Display name, exactly as written (no Unicode normalisation).
  public var name: String
  /// Group path, outermost first: ["Hòa Bình", "Đà Bắc"].
  public var group: [String]
  public var expected: Int
  /// Absolute path of the heartbeat file this site may keep fresh.
  public var heartbeatFile: String
  /// Whether `heartbeatFile` was named explicitly rather than derived from `heartbeat_dir`.
  public var heartbeatFileIsExplicit: Bool
  /// Checked by the monitor itself (SIP OPTIONS, TCP connect, ICMP echo) besides any agent.
  public var probe: ProbeTarget?
  /// Whom to call at the site: a name and a phone number, one line ("Anh Tuấn 0912 345 678").
  public var contact: String?
  /// The participant's display name in the conference bridge, when it is not the site's id (`bridge_name`).
  public var bridgeName: String?
  public var location: FileLine

  public init(
    id: String, name: String, group: [String], expected: Int, heartbeatFile: String,
    heartbeatFileIsExplicit: Bool = false, probe: ProbeTarget? = nil, contact: String? = nil,
    location: FileLine = FileLine(file: "", line: 0)
  ) {
    self.id = id
    self.name = name
    self.group = group
    self.expected = expected
    self.heartbeatFile = heartbeatFile
    self.heartbeatFileIsExplicit = heartbeatFileIsExplicit
    self.probe = probe
    self.contact = contact
    self.location = location
  }

  public var groupLabel: String { group.joined(separator: GroupPath.separator) }

  /// What the bridge's roster is matched against: `bridge_name`, else the site's id.
  public var bridgeMatchName: String { bridgeName ?? id }
}

public enum GroupPath {
  public static let separator = " / "

  /// Splits `Hòa Bình / Đà Bắc` into segments trimmed of spaces and tabs; nil when a segment is empty. On the UTF-8
  /// bytes (the separator is ASCII, so a match is never inside a character's bytes), as Foundation's
  /// `components(separatedBy:)` split it: that went through NSString and a regular expression, and the standard
  /// library's generic `split(separator:)` after it, each a tenth of a 31,097-site monitor's start.
  public static func parse(_ text: String) -> [String]? {
    var text = text
    return text.withUTF8 { bytes -> [String]? in
      var segments: [String] = []
      var start = 0
      var index = 0
      func take(_ end: Int) -> Bool {
        let segment = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self).trimmedOfSpaces
        segments.append(segment)
        return !segment.isEmpty
      }
      while index + 2 < bytes.count {
        if bytes[index] == 0x20 && bytes[index + 1] == 0x2F && bytes[index + 2] == 0x20 {
          guard take(index) else { return nil }
          index += 3
          start = index
        } else {
          index += 1
        }
      }
      return take(bytes.count) ? segments : nil
    }
  }

  /// The most levels a group may have. A conference has 2 to 4 (province / district / commune); every group of a
  /// path is a node of its own whose full path is written in the status file and in each metrics label, so the
  /// cost of a path grows with the square of its depth (3,000 levels made a 67 MB status file).
  public static let maximumDepth = 16

  /// `parse` for a roster's group column, or what is wrong with `text` (the config loader adds where it is).
  public static func parseForRoster(_ text: String) -> Result<[String], GroupPathProblem> {
    guard let segments = parse(text) else {
      return .failure(GroupPathProblem(description: "bad group '\(text)': write it as 'Province / District', no empty parts"))
    }
    guard segments.count <= maximumDepth else {
      let start = segments.prefix(3).joined(separator: separator)
      return .failure(
        GroupPathProblem(
          description: "group '\(start)\(separator)…' has \(segments.count) levels; at most \(maximumDepth) are allowed "
            + "(a conference has 2 to 4: province / district / commune)"))
    }
    return .success(segments)
  }
}

/// Why a roster's group text cannot be used.
public struct GroupPathProblem: Error, CustomStringConvertible {
  public var description: String
}

public struct ConferenceConfig: Sendable {
  public var title: String = "BridgeWatch"
  public var timing = Timing()
  public var udp = UDPSettings()
  public var heartbeatDirectory: String
  public var journalPath: String
  public var statusFilePath: String?
  public var keysPath: String?
  /// Site id -> the keys file's entry: the secret, the check-in token, the previous secret and its grace. Kept once:
  /// a monitor holds its config for its whole run (a second dictionary of the secrets as bytes was 1.1 MB at
  /// 10,000 sites).
  public var siteKeys: [String: SiteKeyEntry] = [:]
  /// Site id -> shared secret as bytes (the UTF-8 of the keys file's string): a view of `siteKeys`.
  public var keys: SiteSecrets {
    get { SiteSecrets(siteKeys) }
    // Taken out while changed, so that setting one site's secret does not copy every entry.
    _modify {
      var secrets = SiteSecrets(siteKeys)
      siteKeys = [:]
      defer { siteKeys = secrets.entries }
      yield &secrets
    }
  }
  public var theme: String = "default"
  public var schedule = Schedule()
  public var console = ConsoleSettings()
  public var metrics = MetricsSettings()
  public var probing = ProbingSettings()
  /// The conference bridges whose rosters are polled (`bridges:`, docs/BRIDGES.md).
  public var bridges: [BridgeSettings] = []
  // MARK: Check-in page (issue 33): served on `metrics.listen` by the same HTTP server.
  public var checkin = CheckinSettings()
  public var sites: [SiteConfig]
  /// The config file as named by the user.
  public var path: String

  public init(sites: [SiteConfig], baseDirectory: String = ".", path: String = "<memory>") {
    self.sites = sites
    self.path = path
    self.heartbeatDirectory = PathText.join(baseDirectory, "heartbeats")
    self.journalPath = PathText.join(baseDirectory, "bridgewatch.journal")
  }

  public var totalExpected: Int { sites.reduce(0) { $0 + $1.expected } }

  /// The Unix socket consoles attach to: `console.socket`, or the config file's name with `.sock` next to the
  /// journal (`conference.yaml` journaling to `/var/lib/bw/x.journal` listens on `/var/lib/bw/conference.sock`).
  public var consoleSocketPath: String {
    if let path = console.socketPath { return path }
    var name = String(path.split(separator: "/").last ?? "bridgewatch")
    if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
    return PathText.join(PathText.directory(of: journalPath), name + ".sock")
  }
}

/// Where and how many consoles attach.
public struct ConsoleSettings: Sendable, Hashable {
  /// Nil: next to the journal (see `ConferenceConfig.consoleSocketPath`).
  public var socketPath: String?
  /// More consoles than this are refused with a clear message.
  public var maximumConsoles = 64
  /// Unix users whose consoles are read-only whatever they ask (wall screens), decided by the monitor.
  public var readOnlyUsers: [String] = []
  /// The longest path a Unix socket can have on Linux (`sun_path` less its terminating zero).
  public static let maximumSocketPathBytes = 107

  public init() {}
}

/// The Prometheus endpoint: off unless `metrics.listen` (or `--metrics-listen`) says where.
public struct MetricsSettings: Sendable, Hashable {
  public var listen: (host: String, port: Int)? {
    get { host.map { ($0, port) } }
    set {
      host = newValue?.host
      port = newValue?.port ?? 0
    }
  }
  /// One series per site (up, last heard, headcount, unacknowledged alert): four more per site, off by default.
  public var perSite = false
  private var host: String?
  private var port = 0

  public init() {}
}

/// Small path helpers; paths here are plain POSIX strings (named so as not to clash with System's FilePath).
public enum PathText {
  public static func join(_ base: String, _ relative: String) -> String {
    if relative.hasPrefix("/") || base.isEmpty || base == "." && relative.isEmpty { return relative }
    if base == "." { return relative }
    return base.hasSuffix("/") ? base + relative : base + "/" + relative
  }

  public static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
  }
}

/// The conference's sessions, e.g. day 1 morning 07:30-11:30. Times are written in the conference's local time.
public struct Schedule: Sendable, Hashable {
  /// Offset of the conference's local time from UTC; Vietnam's is +07:00 all year.
  public var utcOffsetSeconds = 7 * 3600
  public var sessions: [ScheduleSession] = []
  /// How long after a session's start the roll call is taken, when a session does not say: the headcount in force
  /// then is the session's attendance (docs/REPORT.md).
  public static let defaultRollCallSeconds = 15.0 * 60

  public init() {}

  /// The session running at `unixSeconds`, if any.
  public func session(at unixSeconds: Double) -> ScheduleSession? {
    sessions.first { $0.start <= unixSeconds && unixSeconds < $0.end }
  }
}

public struct ScheduleSession: Sendable, Hashable {
  public var name: String
  /// Unix seconds.
  public var start: Double
  public var end: Double
  /// Seconds after `start` of the roll call (0 ..< end - start).
  public var rollCallSeconds: Double

  public init(name: String, start: Double, end: Double, rollCallSeconds: Double = Schedule.defaultRollCallSeconds) {
    self.name = name
    self.start = start
    self.end = end
    // A session shorter than the default roll-call offset takes its roll call at its midpoint.
    self.rollCallSeconds = rollCallSeconds < end - start ? rollCallSeconds : (end - start) / 2
  }

  /// Unix seconds of the roll call.
  public var rollCall: Double { start + rollCallSeconds }
}

/// "2026-11-23 07:30" in a fixed UTC offset, both ways.
public enum LocalTimeText {
  public static func parse(_ text: String, utcOffsetSeconds: Int) -> Double? {
    let parts = text.split(separator: " ", omittingEmptySubsequences: true)
    guard parts.count == 2 else { return nil }
    let date = parts[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
    let time = parts[1].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
    guard date.count == 3, time.count == 2 || time.count == 3, let year = date[0], let month = date[1], let day = date[2],
      let hour = time[0], let minute = time[1], (2000...2200).contains(year), (1...12).contains(month), (0...23).contains(hour),
      (0...59).contains(minute), parts[0].count == 10
    else { return nil }
    let second = time.count == 3 ? time[2] : 0
    guard let second, (0...59).contains(second), (1...daysIn(month, year)).contains(day) else { return nil }
    let days = daysFromCivil(year, month, day)
    return Double(days * 86400 + hour * 3600 + minute * 60 + second - utcOffsetSeconds)
  }

  /// "2026-11-23 07:30" (seconds only when not zero, unless `alwaysSeconds`: a column of times lines up).
  public static func format(_ unixSeconds: Double, utcOffsetSeconds: Int, alwaysSeconds: Bool = false) -> String {
    // Total: a time outside UnixTime's window never reaches here from a door, but no input may trap a formatter.
    guard UnixTime(seconds: unixSeconds) != nil else { return alwaysSeconds ? "????-??-?? ??:??:??" : "????-??-?? ??:??" }
    let local = Int((unixSeconds + Double(utcOffsetSeconds)).rounded(.down))
    let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
    let secondsOfDay = local - days * 86400
    let (year, month, day) = civilFromDays(days)
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    var text = "\(year)-\(two(month))-\(two(day)) \(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60))"
    if alwaysSeconds || secondsOfDay % 60 != 0 { text += ":\(two(secondsOfDay % 60))" }
    return text
  }

  /// "+07:00" -> 25200.
  public static func parseOffset(_ text: String) -> Int? {
    guard text.count == 6, let sign = text.first, sign == "+" || sign == "-", text.dropFirst(3).first == ":",
      let hours = Int(text.dropFirst().prefix(2)), let minutes = Int(text.suffix(2)), hours <= 14, minutes < 60
    else { return nil }
    return (sign == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
  }

  static func daysIn(_ month: Int, _ year: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  // Howard Hinnant's days_from_civil / civil_from_days: proleptic Gregorian, no Foundation calendar needed.
  static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146097 + dayOfEra - 719468
  }

  static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
    let z = days + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let dayOfEra = z - era * 146097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthPart = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthPart + 2) / 5 + 1
    let month = monthPart < 10 ? monthPart + 3 : monthPart - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }
}
