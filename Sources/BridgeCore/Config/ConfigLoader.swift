import Foundation
import Synchronization
import Yams

/// Yams' shared default resolver uses NSRegularExpression, which crashes when two threads parse at once
/// (seen with parallel tests); every YAML parse in the process goes through this lock.
private let yamlParseLock = Mutex(())

/// Every YAML the program reads (config, keys, themes) is composed here: aliases are refused first, in linear
/// time, because composing nested ones is exponential (see `YAMLAliasGuard`).
public func composeYAML(_ text: String) throws -> Node? {
  if let alias = YAMLAliasGuard.firstAlias(in: text) { throw YAMLAliasError(line: alias.line, column: alias.column) }
  return try yamlParseLock.withLock { _ in try Yams.compose(yaml: text) }
}

/// A YAML file uses an alias (`*name`); none of BridgeWatch's files may.
public struct YAMLAliasError: Error, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public var description: String {
    "YAML aliases (*name) are not allowed in BridgeWatch files (column \(column)); write the value out in full"
  }
}

/// Result of loading: the config plus warnings that do not stop a run (e.g. a world-readable keys file).
public struct LoadedConfig: Sendable {
  public var config: ConferenceConfig
  public var warnings: [ConfigProblem]
  /// Problems that stop `run` (and so `check`) but not tools that only read the config elsewhere, such as
  /// `report` on an analyst's machine: a listen host that does not resolve here.
  public var runProblems: [ConfigProblem] = []
}

/// Loads a conference config from YAML (and the CSV roster and keys file it names).
/// Every problem is collected with file:line; nothing falls back to a default silently.
public struct ConfigLoader {
  static let topLevelKeys = [
    "title", "timing", "udp", "heartbeat_dir", "journal", "status_file", "keys", "theme", "sites", "sites_csv",
    "schedule", "console", "metrics", "probing",
  ]
  static let probingKeys = ["period", "timeout", "rate"]
  static let metricsKeys = ["listen", "per_site"]
  static let consoleKeys = ["socket", "max_consoles", "read_only_users"]
  static let scheduleKeys = ["utc_offset", "roll_call", "sessions"]
  static let sessionKeys = ["name", "start", "end", "roll_call"]
  static let timingKeys = ["interval", "late_after", "offline_after", "recover_after", "flap_window", "flap_changes"]
  static let udpKeys = ["listen", "require_auth"]
  static let siteKeys = ["id", "name", "group", "expected", "heartbeat_file", "probe", "contact"]
  /// The first four in this order; then `heartbeat_file` and `probe`, either, both, in any order.
  public static let csvColumns = ["id", "name", "group", "expected", "heartbeat_file", "probe", "contact"]
  /// A site's contact (a name and a phone number) is shown on one line of the detail pane and of `status`.
  public static let maximumContactLength = 120
  public static let maximumExpected = 1_000_000

  var problems: [ConfigProblem] = []
  var warnings: [ConfigProblem] = []
  var runProblems: [ConfigProblem] = []
  let path: String

  init(path: String) { self.path = path }

  public static func load(path: String) throws(ConfigErrors) -> LoadedConfig {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConfigErrors(problems: [
        ConfigProblem(FileLine(file: path, line: 0), "cannot read the file (\(FileProblem.describe(path: path)))")
      ])
    }
    let text: String
    switch TextFile.decode(Array(data)) {
    case .success(let decoded): text = decoded
    case .failure(let bad): throw ConfigErrors(problems: [ConfigProblem(FileLine(file: path, line: bad.line), "the file is \(bad)")])
    }
    return try load(yaml: text, path: path)
  }

  public static func load(yaml: String, path: String) throws(ConfigErrors) -> LoadedConfig {
    var loader = ConfigLoader(path: path)
    let config = loader.parse(yaml: yaml)
    if let config, loader.problems.isEmpty {
      return LoadedConfig(config: config, warnings: loader.warnings, runProblems: loader.runProblems)
    }
    throw ConfigErrors(problems: loader.problems)
  }

  /// The console socket of the config at `path`, reading only `journal` and `console.socket`: a console's user
  /// may not read the roster or the keys (and needs neither).
  public static func consoleSocketPath(configPath path: String) throws(ConfigErrors) -> String {
    func failure(_ line: Int, _ message: String) -> ConfigErrors {
      ConfigErrors(problems: [ConfigProblem(FileLine(file: path, line: line), message)])
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw failure(0, "cannot read the file (\(FileProblem.describe(path: path)))")
    }
    guard case .success(let text) = TextFile.decode(Array(data)), let root = try? composeYAML(text), let mapping = root.mapping else {
      throw failure(0, "cannot read it as a config; `bridgewatch check \(path)` says why")
    }
    let baseDirectory = PathText.directory(of: path)
    var config = ConferenceConfig(sites: [], baseDirectory: baseDirectory, path: path)
    if let journal = mapping["journal"]?.scalar?.string { config.journalPath = PathText.join(baseDirectory, journal) }
    if let socket = mapping["console"]?.mapping?["socket"]?.scalar?.string, !socket.isEmpty {
      config.console.socketPath = PathText.join(baseDirectory, socket)
    }
    return config.consoleSocketPath
  }

  // MARK: - Parsing

  func at(_ node: Node?) -> FileLine {
    FileLine(file: path, line: node?.mark?.line ?? 0)
  }

  mutating func fail(_ node: Node?, _ message: String) {
    problems.append(ConfigProblem(at(node), message))
  }

  mutating func parse(yaml: String) -> ConferenceConfig? {
    let root: Node?
    do {
      root = try composeYAML(yaml)
    } catch let error as YamlError {
      problems.append(Self.describe(error, path: path))
      return nil
    } catch let error as YAMLAliasError {
      problems.append(ConfigProblem(FileLine(file: path, line: error.line), error.description))
      return nil
    } catch {
      problems.append(ConfigProblem(FileLine(file: path, line: 0), "cannot parse YAML: \(error)"))
      return nil
    }
    guard let root, let mapping = root.mapping else {
      fail(root, "the config must be a YAML mapping of keys (title, timing, sites, ...)")
      return nil
    }
    let baseDirectory = PathText.directory(of: path)
    var config = ConferenceConfig(sites: [], baseDirectory: baseDirectory, path: path)
    let entries = checkedEntries(mapping, allowed: Self.topLevelKeys, context: "the config")

    if let node = entries["title"], let title = string(node, "title") {
      if let problem = Self.controlCharacterProblem(title, "the title") { fail(node, problem) } else { config.title = title }
    }
    if let node = entries["timing"] { config.timing = parseTiming(node) }
    if let node = entries["udp"] { config.udp = parseUDP(node) }
    if let node = entries["heartbeat_dir"], let value = string(node, "heartbeat_dir") {
      config.heartbeatDirectory = PathText.join(baseDirectory, value)
    }
    if let node = entries["journal"], let value = string(node, "journal") {
      config.journalPath = PathText.join(baseDirectory, value)
      var info = stat()
      if lstat(config.journalPath, &info) == 0 {
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: fail(node, "journal '\(value)' is a directory; give the path of a file (for example conference.journal)")
        case S_IFLNK: fail(node, "journal '\(value)' is a symbolic link; give the journal's real path")
        default: fail(node, "journal '\(value)' is not a regular file")
        }
      }
    }
    if let node = entries["status_file"], let value = string(node, "status_file") {
      config.statusFilePath = PathText.join(baseDirectory, value)
    }
    if let node = entries["theme"], let value = string(node, "theme") { config.theme = value }
    if let node = entries["schedule"] { config.schedule = parseSchedule(node) }
    if let node = entries["console"] { config.console = parseConsole(node, baseDirectory: baseDirectory) }
    if let node = entries["metrics"] { config.metrics = parseMetrics(node) }
    if let node = entries["probing"] { config.probing = parseProbing(node) }

    var sites: [SiteConfig] = []
    if let node = entries["sites"] {
      if let sequence = node.sequence {
        for item in sequence {
          if let site = parseSite(item, heartbeatDirectory: config.heartbeatDirectory, baseDirectory: baseDirectory) {
            sites.append(site)
          }
        }
      } else {
        fail(node, "'sites' must be a list of sites (each with id, name, group, expected)")
      }
    }
    if let node = entries["sites_csv"], let value = string(node, "sites_csv") {
      sites += loadCSV(
        path: PathText.join(baseDirectory, value), from: node, heartbeatDirectory: config.heartbeatDirectory,
        baseDirectory: baseDirectory)
    }
    if entries["sites"] == nil && entries["sites_csv"] == nil {
      fail(root, "no sites: give 'sites:' (a list) or 'sites_csv:' (a roster file), or both")
    } else if sites.isEmpty && problems.isEmpty {
      fail(entries["sites"] ?? entries["sites_csv"], "the config lists no sites")
    }
    checkDuplicates(sites)
    resolveProbes(&sites)
    config.sites = sites
    checkProbing(config, section: entries["probing"], timingSection: entries["timing"])
    if config.consoleSocketPath.utf8.count > ConsoleSettings.maximumSocketPathBytes {
      // Only `run` needs the socket; `check`, `report` and `console --socket` work without it.
      runProblems.append(
        ConfigProblem(
          at(entries["console"] ?? entries["journal"] ?? root),
          "the console socket \(config.consoleSocketPath) is longer than a Unix socket path may be (\(ConsoleSettings.maximumSocketPathBytes) bytes); set console.socket to a shorter path"
        ))
    }

    if let node = entries["keys"], let value = string(node, "keys") {
      let keysPath = PathText.join(baseDirectory, value)
      config.keysPath = keysPath
      config.keys = loadKeys(path: keysPath, from: node, knownSites: Set(sites.map(\.id)))
    }
    return config
  }

  /// Checks a mapping for non-scalar and unknown keys (Yams itself rejects duplicates); returns the accepted entries.
  mutating func checkedEntries(_ mapping: Node.Mapping, allowed: [String], context: String) -> [String: Node] {
    var entries: [String: Node] = [:]
    for (keyNode, value) in mapping {
      guard let key = keyNode.scalar?.string else {
        fail(keyNode, "keys of \(context) must be plain words")
        continue
      }
      guard allowed.contains(key) else {
        var message = "unknown key '\(key)' in \(context)"
        if let suggestion = Spelling.closest(to: key, in: allowed) { message += " (did you mean '\(suggestion)'?)" }
        message += "; expected one of: \(allowed.joined(separator: ", "))"
        fail(keyNode, message)
        continue
      }
      entries[key] = value
    }
    return entries
  }

  mutating func string(_ node: Node, _ key: String) -> String? {
    guard let scalar = node.scalar else {
      fail(node, "'\(key)' must be a single value, not a list or mapping")
      return nil
    }
    if scalar.style == .plain && (scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null") {
      fail(node, "'\(key)' has no value")
      return nil
    }
    return scalar.string
  }

  mutating func duration(_ node: Node, _ key: String) -> Duration? {
    guard let text = string(node, key) else { return nil }
    guard let value = DurationText.parse(text), value > .zero else {
      fail(node, "'\(key)' must be a duration like 500ms, 5s, 2m or 1h, got '\(text)'")
      return nil
    }
    return value
  }

  mutating func expectedHeadcount(_ text: String, at node: Node) -> Int? {
    switch Self.expectedHeadcount(text) {
    case .success(let value): return value
    case .failure(let problem):
      fail(node, problem.message)
      return nil
    }
  }

  /// A site's expected headcount, read by the one rule for headcounts people write (`CountText`: "1.234",
  /// "1,234" and "1 234" are all 1234), as at the dashboard's prompt and in the agent's count file.
  static func expectedHeadcount(_ text: String) -> Result<Int, ExpectedProblem> {
    let range = "a non-negative whole number up to \(NumberText.grouped(maximumExpected))"
    guard case .success(let value) = CountText.parse(Array(text.utf8)), value <= maximumExpected else {
      return .failure(
        ExpectedProblem(
          message:
            "'expected' must be \(range) (thousands may be written 1.234, 1,234 or 1 234), got '\(TextSanitizer.printable(String(text.prefix(40))))'"
        ))
    }
    return .success(value)
  }

  struct ExpectedProblem: Error { var message: String }

  mutating func integer(_ node: Node, _ key: String, range: ClosedRange<Int>) -> Int? {
    guard let text = string(node, key) else { return nil }
    let digits = text.hasPrefix("+") ? String(text.dropFirst()) : text
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else {
      let sign = text.hasPrefix("-") ? "non-negative " : ""
      fail(node, "'\(key)' must be a \(sign)whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
      return nil
    }
    guard range.contains(value) else {
      fail(node, "'\(key)' must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
      return nil
    }
    return value
  }

  /// true/yes/on or false/no/off, in any case; anything else is an error at its line.
  mutating func boolean(_ node: Node, _ key: String) -> Bool? {
    guard let text = string(node, key) else { return nil }
    switch text.lowercased() {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default:
      fail(node, "'\(key)' must be true or false, got '\(text)'")
      return nil
    }
  }

  mutating func parseSchedule(_ node: Node) -> Schedule {
    var schedule = Schedule()
    guard let mapping = node.mapping else {
      fail(node, "'schedule' must be a mapping with 'sessions' (and optionally 'utc_offset')")
      return schedule
    }
    let entries = checkedEntries(mapping, allowed: Self.scheduleKeys, context: "schedule")
    if let offsetNode = entries["utc_offset"], let text = string(offsetNode, "utc_offset") {
      if let offset = LocalTimeText.parseOffset(text) {
        schedule.utcOffsetSeconds = offset
      } else {
        fail(offsetNode, "'utc_offset' must look like +07:00, got '\(text)'")
      }
    }
    var defaultRollCall = Schedule.defaultRollCallSeconds
    if let rollCallNode = entries["roll_call"], let seconds = rollCallOffset(rollCallNode) { defaultRollCall = seconds }
    guard let sessionsNode = entries["sessions"] else {
      fail(node, "'schedule' needs 'sessions': a list of {name, start, end}")
      return schedule
    }
    guard let items = sessionsNode.sequence else {
      fail(sessionsNode, "'sessions' must be a list of {name, start, end}")
      return schedule
    }
    var seen: Set<String> = []
    var located: [(ScheduleSession, Node)] = []
    for item in items {
      guard let itemMapping = item.mapping else {
        fail(item, "each session must be a mapping {name, start, end}")
        continue
      }
      let fields = checkedEntries(itemMapping, allowed: Self.sessionKeys, context: "a session")
      guard let nameNode = fields["name"], let startNode = fields["start"], let endNode = fields["end"] else {
        fail(item, "a session needs name, start and end (\"2026-11-23 07:30\")")
        continue
      }
      guard let name = string(nameNode, "name"), let startText = string(startNode, "start"), let endText = string(endNode, "end")
      else { continue }
      guard let start = LocalTimeText.parse(startText, utcOffsetSeconds: schedule.utcOffsetSeconds) else {
        fail(startNode, "'start' must be a local date and time like \"2026-11-23 07:30\", got '\(startText)'")
        continue
      }
      guard let end = LocalTimeText.parse(endText, utcOffsetSeconds: schedule.utcOffsetSeconds) else {
        fail(endNode, "'end' must be a local date and time like \"2026-11-23 11:30\", got '\(endText)'")
        continue
      }
      guard end > start else {
        fail(endNode, "session '\(name)' ends (\(endText)) before it starts (\(startText))")
        continue
      }
      if let problem = Self.controlCharacterProblem(name, "session name") {
        fail(nameNode, problem)
        continue
      }
      guard seen.insert(name).inserted else {
        fail(nameNode, "duplicate session name '\(name)'")
        continue
      }
      var rollCall = defaultRollCall
      if let rollCallNode = fields["roll_call"] {
        guard let seconds = rollCallOffset(rollCallNode) else { continue }
        guard seconds < end - start else {
          fail(rollCallNode, "session '\(name)': 'roll_call' (\(DurationText.format(.seconds(seconds)))) must fall before the session ends")
          continue
        }
        rollCall = seconds
      }
      located.append((ScheduleSession(name: name, start: start, end: end, rollCallSeconds: rollCall), item))
    }
    located.sort { $0.0.start < $1.0.start }
    for (earlier, later) in zip(located, located.dropFirst()) where later.0.start < earlier.0.end {
      fail(later.1, "session '\(later.0.name)' overlaps '\(earlier.0.name)'")
    }
    schedule.sessions = located.map(\.0)
    return schedule
  }

  /// A roll call's offset from its session's start: a duration, and 0s (at the start) is allowed.
  mutating func rollCallOffset(_ node: Node) -> Double? {
    guard let text = string(node, "roll_call") else { return nil }
    guard let value = DurationText.parse(text) else {
      fail(node, "'roll_call' must be how long after the session's start the roll call is taken, like 15m or 0s, got '\(text)'")
      return nil
    }
    return Double(value.milliseconds) / 1000
  }

  mutating func parseTiming(_ node: Node) -> Timing {
    var timing = Timing()
    guard let mapping = node.mapping else {
      fail(node, "'timing' must be a mapping (interval, late_after, offline_after, recover_after)")
      return timing
    }
    let entries = checkedEntries(mapping, allowed: Self.timingKeys, context: "'timing'")
    // What is not written follows what is: interval, then late_after, then offline_after. A fixed default could
    // contradict a written value (interval 20s against the default late_after 12s) and the error would name a key
    // nobody wrote.
    if let value = entries["interval"].flatMap({ duration($0, "interval") }) { timing.interval = value }
    timing.lateAfter = Timing.defaultLateAfter(interval: timing.interval)
    if let value = entries["late_after"].flatMap({ duration($0, "late_after") }) { timing.lateAfter = value }
    timing.offlineAfter = Timing.defaultOfflineAfter(lateAfter: timing.lateAfter)
    if let value = entries["offline_after"].flatMap({ duration($0, "offline_after") }) { timing.offlineAfter = value }
    if let value = entries["recover_after"].flatMap({ integer($0, "recover_after", range: 1...100) }) {
      timing.recoverAfter = value
    }
    if let value = entries["flap_window"].flatMap({ duration($0, "flap_window") }) { timing.flapWindow = value }
    if let value = entries["flap_changes"].flatMap({ integer($0, "flap_changes", range: 2...StatusEngine.maximumFlapChanges) }) {
      timing.flapChanges = value
    }
    // Only written values can contradict each other; the error stands at the later key written and says which
    // value is a default.
    if let lateNode = entries["late_after"], timing.lateAfter <= timing.interval {
      let interval = entries["interval"] == nil ? ", the default" : ""
      fail(
        lateNode,
        "late_after (\(DurationText.format(timing.lateAfter))) must be longer than interval (\(DurationText.format(timing.interval))\(interval)), or every site turns late between heartbeats"
      )
    }
    if let offlineNode = entries["offline_after"], timing.lateAfter >= timing.offlineAfter {
      let late =
        entries["late_after"] == nil ? ", the default for interval \(DurationText.format(timing.interval)); set late_after too" : ""
      fail(
        offlineNode,
        "offline_after (\(DurationText.format(timing.offlineAfter))) must be longer than late_after (\(DurationText.format(timing.lateAfter))\(late))"
      )
    }
    return timing
  }

  mutating func parseConsole(_ node: Node, baseDirectory: String) -> ConsoleSettings {
    var console = ConsoleSettings()
    guard let mapping = node.mapping else {
      fail(node, "'console' must be a mapping (socket, max_consoles, read_only_users)")
      return console
    }
    let entries = checkedEntries(mapping, allowed: Self.consoleKeys, context: "'console'")
    if let socketNode = entries["socket"], let text = string(socketNode, "socket") {
      if text.isEmpty { fail(socketNode, "'socket' must be a path") } else { console.socketPath = PathText.join(baseDirectory, text) }
    }
    if let limitNode = entries["max_consoles"], let text = string(limitNode, "max_consoles") {
      if let limit = Int(text), (1...1000).contains(limit) {
        console.maximumConsoles = limit
      } else {
        fail(limitNode, "'max_consoles' must be a whole number from 1 to 1000, got '\(text)'")
      }
    }
    if let usersNode = entries["read_only_users"] {
      if let items = usersNode.sequence {
        for item in items {
          guard let name = string(item, "read_only_users") else { continue }
          if name.isEmpty || name.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } ?? false }) {
            fail(item, "'read_only_users' holds Unix user names, got '\(TextSanitizer.printable(name))'")
          } else {
            console.readOnlyUsers.append(name)
          }
        }
      } else {
        fail(usersNode, "'read_only_users' must be a list of Unix user names, like [wall]")
      }
    }
    return console
  }

  mutating func parseMetrics(_ node: Node) -> MetricsSettings {
    var metrics = MetricsSettings()
    guard let mapping = node.mapping else {
      fail(node, "'metrics' must be a mapping (listen, per_site)")
      return metrics
    }
    let entries = checkedEntries(mapping, allowed: Self.metricsKeys, context: "'metrics'")
    if let listenNode = entries["listen"], let text = string(listenNode, "listen") {
      if let (host, port) = HostPort.parse(text) {
        metrics.listen = (host, port)
        if let problem = HostPort.resolutionProblem(host: host, port: port) {
          runProblems.append(ConfigProblem(at(listenNode), "metrics 'listen' host '\(host)' \(problem)"))
        }
      } else {
        fail(listenNode, "metrics 'listen' must be HOST:PORT (for example 127.0.0.1:9740), got '\(text)'")
      }
    }
    if let perSiteNode = entries["per_site"], let value = boolean(perSiteNode, "per_site") { metrics.perSite = value }
    return metrics
  }

  mutating func parseProbing(_ node: Node) -> ProbingSettings {
    var probing = ProbingSettings()
    guard let mapping = node.mapping else {
      fail(node, "'probing' must be a mapping (period, timeout, rate)")
      return probing
    }
    let entries = checkedEntries(mapping, allowed: Self.probingKeys, context: "'probing'")
    if let periodNode = entries["period"], let period = duration(periodNode, "period") {
      if period < .seconds(1) { fail(periodNode, "probing 'period' must be at least 1s") } else { probing.period = period }
    }
    if let timeoutNode = entries["timeout"], let timeout = duration(timeoutNode, "timeout") {
      if timeout < .milliseconds(100) || timeout > .seconds(60) {
        fail(timeoutNode, "probing 'timeout' must be from 100ms to 60s")
      } else {
        probing.timeout = timeout
      }
    }
    if let rateNode = entries["rate"], let rate = integer(rateNode, "rate", range: 1...100_000) { probing.ratePerSecond = rate }
    return probing
  }

  /// Resolves every probe's host once, now: a name that does not resolve is an error `run` and `check` refuse.
  mutating func resolveProbes(_ sites: inout [SiteConfig]) {
    var resolved: [String: Result<String, HostPort.ResolutionProblem>] = [:]
    for index in sites.indices {
      guard let probe = sites[index].probe else { continue }
      let outcome = resolved[probe.host] ?? HostPort.resolveNumeric(host: probe.host)
      resolved[probe.host] = outcome
      switch outcome {
      case .success(let address):
        if let reason = ProbeTarget.unusableAddressReason(address) {
          let resolved = address == probe.host ? "" : " (resolves to \(address))"
          runProblems.append(
            ConfigProblem(sites[index].location, "site '\(sites[index].id)': probe host '\(probe.host)'\(resolved) \(reason)"))
        } else {
          sites[index].probe?.address = address
        }
      case .failure(let problem):
        runProblems.append(ConfigProblem(sites[index].location, "site '\(sites[index].id)': probe host '\(probe.host)' \(problem)"))
      }
    }
  }

  /// Probing that cannot keep its period or outlives it, said at the probing key written. Defaults cannot clash:
  /// the period follows `interval` and the timeout fits inside the period (see `ProbingSettings`).
  mutating func checkProbing(_ config: ConferenceConfig, section: Node?, timingSection: Node?) {
    let probedSites = config.sites.filter { $0.probe != nil }
    guard let firstProbed = probedSites.first else { return }
    let written = section?.mapping
    let period = config.probing.effectivePeriod(config.timing)
    let periodText =
      DurationText.format(period) + (config.probing.period == nil ? ", the timing interval, as no probing 'period' is given" : "")
    if let timeoutNode = written?["timeout"], let timeout = config.probing.timeout, timeout >= period {
      fail(timeoutNode, "probing 'timeout' (\(DurationText.format(timeout))) must be shorter than the probing period (\(periodText))")
    }
    if let periodNode = written?["period"], config.probing.period != nil, period >= config.timing.lateAfter {
      let late =
        timingSection?.mapping?["late_after"] == nil ? ", the default for interval \(DurationText.format(config.timing.interval))" : ""
      fail(
        periodNode,
        "probing 'period' (\(DurationText.format(period))) must be shorter than late_after (\(DurationText.format(config.timing.lateAfter))\(late)), or every probed site turns late between probes"
      )
    }
    let probed = probedSites.count
    let periodSeconds = Double(period.nanoseconds) / 1e9
    let needed = Double(probed) / periodSeconds
    if needed > Double(config.probing.ratePerSecond) {
      let stretched = Double(probed) / Double(config.probing.ratePerSecond)
      warnings.append(
        ConfigProblem(
          written?["rate"].map { at($0) } ?? section.map { at($0) } ?? firstProbed.location,
          "\(probed) probed sites every \(DurationText.format(period)) need \(Int(needed.rounded(.up))) probes/s, more than probing.rate (\(config.probing.ratePerSecond)); "
            + "each site is probed every \(String(format: "%.1f", stretched))s instead, so set late_after above that or raise the rate"))
    }
  }

  mutating func parseUDP(_ node: Node) -> UDPSettings {
    var udp = UDPSettings()
    guard let mapping = node.mapping else {
      fail(node, "'udp' must be a mapping (listen, require_auth)")
      return udp
    }
    let entries = checkedEntries(mapping, allowed: Self.udpKeys, context: "'udp'")
    if let listenNode = entries["listen"], let text = string(listenNode, "listen") {
      if let (host, port) = HostPort.parse(text) {
        udp.host = host
        udp.port = port
        // What `run` does at start; `check` must refuse what `run` would.
        if let problem = HostPort.resolutionProblem(host: host, port: port) {
          runProblems.append(ConfigProblem(at(listenNode), "'listen' host '\(host)' \(problem)"))
        }
      } else {
        fail(listenNode, "'listen' must be HOST:PORT (for example 0.0.0.0:7400, or \"[::]:7400\" in quotes for IPv6), got '\(text)'")
      }
    }
    if let authNode = entries["require_auth"], let value = boolean(authNode, "require_auth") { udp.requireAuth = value }
    return udp
  }

  mutating func parseSite(_ node: Node, heartbeatDirectory: String, baseDirectory: String) -> SiteConfig? {
    guard let mapping = node.mapping else {
      fail(node, "each entry of 'sites' must be a mapping with id, name, group, expected")
      return nil
    }
    let entries = checkedEntries(mapping, allowed: Self.siteKeys, context: "a site")
    var missing: [String] = []
    for key in ["id", "name", "group", "expected"] where entries[key] == nil { missing.append(key) }
    if !missing.isEmpty {
      fail(node, "site is missing \(missing.map { "'\($0)'" }.joined(separator: ", "))")
    }
    let id = entries["id"].flatMap { string($0, "id") }
    var name = entries["name"].flatMap { string($0, "name") }
    if let given = name, given.trimmingCharacters(in: .whitespaces).isEmpty {
      // The same rule as the CSV roster's.
      fail(entries["name"] ?? node, "site '\(id ?? "?")' has an empty name")
      name = nil
    } else if let given = name, let problem = Self.controlCharacterProblem(given, "the name of site '\(id ?? "?")'") {
      fail(entries["name"] ?? node, problem)
      name = nil
    }
    var groupText = entries["group"].flatMap { string($0, "group") }
    if let given = groupText, let problem = Self.controlCharacterProblem(given, "the group of site '\(id ?? "?")'") {
      fail(entries["group"] ?? node, problem)
      groupText = nil
    }
    let expected = entries["expected"].flatMap { node in string(node, "expected").flatMap { expectedHeadcount($0, at: node) } }
    let heartbeatFile = entries["heartbeat_file"].flatMap { string($0, "heartbeat_file") }
    var probe: ProbeTarget?
    if let probeNode = entries["probe"], let text = string(probeNode, "probe") {
      switch ProbeTarget.parse(text) {
      case .success(let parsed): probe = parsed
      case .failure(let error): fail(probeNode, "probe \(error)")
      }
    }
    var site = makeSite(
      id: id, name: name, groupText: groupText, expected: expected, heartbeatFile: heartbeatFile,
      idNode: entries["id"], groupNode: entries["group"], siteNode: node,
      heartbeatDirectory: heartbeatDirectory, baseDirectory: baseDirectory)
    site?.probe = probe
    if let contactNode = entries["contact"], let text = string(contactNode, "contact") {
      if let problem = Self.contactProblem(text, site: id) { fail(contactNode, problem) } else { site?.contact = text }
    }
    return site
  }

  /// The same rule for the YAML and the CSV roster: one line of text, not blank, at most `maximumContactLength`
  /// characters ("Anh Tuấn 0912 345 678").
  static func contactProblem(_ text: String, site id: String?) -> String? {
    let what = "the contact of site '\(id ?? "?")'"
    if text.trimmingCharacters(in: .whitespaces).isEmpty { return "\(what) is empty; leave 'contact' out instead" }
    if let problem = controlCharacterProblem(text, what) { return problem }
    guard text.count <= maximumContactLength else {
      return "\(what) has \(text.count) characters; at most \(maximumContactLength) (a name and a phone number)"
    }
    return nil
  }

  /// Names are shown on one line everywhere (check, status, report, dashboard, logs): a line break, tab or other
  /// control character in one is refused here, at its line, rather than dropped silently by every printer.
  static func controlCharacterProblem(_ text: String, _ what: String) -> String? {
    guard let scalar = TextSanitizer.firstUnsafe(in: text) else { return nil }
    let code = String(scalar.value, radix: 16, uppercase: true)
    return
      "\(what) ('\(TextSanitizer.printable(text))') holds a control character (U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code)); names are shown on one line, so write it without line breaks, tabs or escapes"
  }

  mutating func makeSite(
    id: String?, name: String?, groupText: String?, expected: Int?, heartbeatFile: String?,
    idNode: Node?, groupNode: Node?, siteNode: Node,
    heartbeatDirectory: String, baseDirectory: String
  ) -> SiteConfig? {
    if let id, !SiteID.isValid(id) {
      fail(idNode ?? siteNode, "bad site id '\(id)': use 1 to 64 of A-Z a-z 0-9 . _ -")
      return nil
    }
    var group: [String]? = nil
    if let groupText {
      switch GroupPath.parseForRoster(groupText) {
      case .success(let parsed): group = parsed
      case .failure(let problem): fail(groupNode ?? siteNode, problem.description)
      }
    }
    guard let id, let name, let group, let expected else { return nil }
    return SiteConfig(
      id: id, name: name, group: group, expected: expected,
      heartbeatFile: heartbeatFile.map { PathText.join(baseDirectory, $0) } ?? PathText.join(heartbeatDirectory, id + ".hb"),
      heartbeatFileIsExplicit: heartbeatFile != nil,
      location: at(siteNode))
  }

  mutating func loadCSV(path csvPath: String, from node: Node, heartbeatDirectory: String, baseDirectory: String) -> [SiteConfig] {
    guard let data = FileManager.default.contents(atPath: csvPath) else {
      fail(node, "cannot read sites_csv '\(csvPath)' (\(FileProblem.describe(path: csvPath)))")
      return []
    }
    guard case .success(let text) = TextFile.decode(Array(data)) else {
      let line = TextFile.decode(Array(data)).failureLine
      problems.append(ConfigProblem(FileLine(file: csvPath, line: line), "the roster is not valid UTF-8 (save it as CSV UTF-8)"))
      return []
    }
    let records: [CSVRecord]
    do {
      records = try CSVReader.records(from: text)
    } catch {
      problems.append(ConfigProblem(FileLine(file: csvPath, line: error.line), error.message))
      return []
    }
    guard let header = records.first else {
      problems.append(
        ConfigProblem(
          FileLine(file: csvPath, line: 1), "the roster is empty; expected a header row id,name,group,expected[,heartbeat_file]"))
      return []
    }
    let headerNames = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    let optional = headerNames.dropFirst(4)
    guard Array(headerNames.prefix(4)) == Array(Self.csvColumns.prefix(4)),
      optional.allSatisfy({ Self.csvColumns.dropFirst(4).contains($0) }), Set(optional).count == optional.count
    else {
      problems.append(
        ConfigProblem(
          FileLine(file: csvPath, line: header.line),
          "bad header '\(header.fields.joined(separator: ","))'; expected id,name,group,expected and optionally heartbeat_file, probe, contact"
        ))
      return []
    }
    let columns = headerNames.count
    let fileColumn = headerNames.firstIndex(of: "heartbeat_file")
    let probeColumn = headerNames.firstIndex(of: "probe")
    let contactColumn = headerNames.firstIndex(of: "contact")
    var sites: [SiteConfig] = []
    for record in records.dropFirst() {
      let location = FileLine(file: csvPath, line: record.line)
      guard record.fields.count == columns else {
        problems.append(
          ConfigProblem(
            location,
            "expected \(columns) columns (\(headerNames.joined(separator: ","))), found \(record.fields.count)"))
        continue
      }
      let fields = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
      let before = problems.count
      if !SiteID.isValid(fields[0]) {
        problems.append(ConfigProblem(location, "bad site id '\(fields[0])': use 1 to 64 of A-Z a-z 0-9 . _ -"))
      }
      if fields[1].isEmpty { problems.append(ConfigProblem(location, "site '\(fields[0])' has an empty name")) }
      for (text, what) in [(fields[1], "name"), (fields[2], "group")] {
        if let problem = Self.controlCharacterProblem(text, "the \(what) of site '\(fields[0])'") {
          problems.append(ConfigProblem(location, problem))
        }
      }
      var group: [String]?
      switch GroupPath.parseForRoster(fields[2]) {
      case .success(let parsed): group = parsed
      case .failure(let problem):
        // A control character was said above; any other problem of the group is said here.
        if Self.controlCharacterProblem(fields[2], "") == nil { problems.append(ConfigProblem(location, problem.description)) }
      }
      var expected: Int?
      switch Self.expectedHeadcount(fields[3]) {
      case .success(let value): expected = value
      case .failure(let problem): problems.append(ConfigProblem(location, problem.message))
      }
      var probe: ProbeTarget?
      if let probeColumn, !fields[probeColumn].isEmpty {
        switch ProbeTarget.parse(fields[probeColumn]) {
        case .success(let parsed): probe = parsed
        case .failure(let error): problems.append(ConfigProblem(location, "probe \(error)"))
        }
      }
      var contact: String?
      if let contactColumn, !fields[contactColumn].isEmpty {
        if let problem = Self.contactProblem(fields[contactColumn], site: fields[0]) {
          problems.append(ConfigProblem(location, problem))
        } else {
          contact = fields[contactColumn]
        }
      }
      guard problems.count == before, let group, let expected else { continue }
      let explicitFile = fileColumn.flatMap { fields[$0].isEmpty ? nil : fields[$0] }
      sites.append(
        SiteConfig(
          id: fields[0], name: fields[1], group: group, expected: expected,
          heartbeatFile: explicitFile.map { PathText.join(baseDirectory, $0) } ?? PathText.join(heartbeatDirectory, fields[0] + ".hb"),
          heartbeatFileIsExplicit: explicitFile != nil, probe: probe, contact: contact,
          location: location))
    }
    return sites
  }

  mutating func checkDuplicates(_ sites: [SiteConfig]) {
    var firstByID: [String: SiteConfig] = [:]
    var firstByFile: [String: SiteConfig] = [:]
    for site in sites {
      if let first = firstByID[site.id] {
        problems.append(ConfigProblem(site.location, "duplicate site id '\(site.id)' (first defined at \(first.location))"))
        continue
      }
      firstByID[site.id] = site
      if let first = firstByFile[site.heartbeatFile] {
        problems.append(ConfigProblem(site.location, "site '\(site.id)' uses the same heartbeat file as '\(first.id)' (\(first.location))"))
      }
      firstByFile[site.heartbeatFile] = site
    }
  }

  mutating func loadKeys(path keysPath: String, from node: Node, knownSites: Set<String>) -> [String: [UInt8]] {
    guard let data = FileManager.default.contents(atPath: keysPath) else {
      fail(node, "cannot read keys file '\(keysPath)' (\(FileProblem.describe(path: keysPath)))")
      return [:]
    }
    if let attributes = try? FileManager.default.attributesOfItem(atPath: keysPath),
      let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0
    {
      warnings.append(
        ConfigProblem(
          FileLine(file: keysPath, line: 0), "keys file is readable by other users (mode \(String(mode, radix: 8))); chmod 600 it"))
    }
    guard case .success(let text) = TextFile.decode(Array(data)) else {
      let line = TextFile.decode(Array(data)).failureLine
      problems.append(ConfigProblem(FileLine(file: keysPath, line: line), "the keys file is not valid UTF-8"))
      return [:]
    }
    let keysLoader = ConfigLoader(path: keysPath)
    var nested = keysLoader
    defer {
      problems += nested.problems
      warnings += nested.warnings
    }
    let root: Node?
    do {
      root = try composeYAML(text)
    } catch let error as YamlError {
      nested.problems.append(Self.describe(error, path: keysPath))
      return [:]
    } catch let error as YAMLAliasError {
      nested.problems.append(ConfigProblem(FileLine(file: keysPath, line: error.line), error.description))
      return [:]
    } catch {
      nested.problems.append(ConfigProblem(FileLine(file: keysPath, line: 0), "cannot parse YAML: \(error)"))
      return [:]
    }
    guard let root else { return [:] }
    guard let mapping = root.mapping else {
      nested.fail(root, "the keys file must map site ids to secrets ('HB-TU: \"secret\"')")
      return [:]
    }
    var keys: [String: [UInt8]] = [:]
    for (keyNode, valueNode) in mapping {
      guard let id = keyNode.scalar?.string else {
        nested.fail(keyNode, "keys must be site ids")
        continue
      }
      guard knownSites.contains(id) else {
        nested.fail(keyNode, "key for unknown site '\(id)' (not in the config)")
        continue
      }
      guard let secret = nested.string(valueNode, id) else { continue }
      if secret.utf8.count < 16 {
        nested.warnings.append(
          ConfigProblem(nested.at(valueNode), "the secret for '\(id)' is short (\(secret.utf8.count) bytes); use at least 16"))
      }
      keys[id] = Array(secret.utf8)
    }
    return keys
  }

  /// The first `key: [HOST]:PORT` written without quotes on one of `lines` (1-based): its line, key and value.
  static func unquotedBracketedAddress(in yaml: String, lines: ClosedRange<Int>) -> (Int, String, String)? {
    let pattern = #/(?<key>[A-Za-z_]+):[ \t]*(?<value>\[[0-9A-Za-z:.%]*\]:[0-9]+)/#
    for (index, text) in yaml.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where lines.contains(index + 1) {
      if let match = text.firstMatch(of: pattern) { return (index + 1, String(match.output.key), String(match.output.value)) }
    }
    return nil
  }

  static func describe(_ error: YamlError, path: String) -> ConfigProblem {
    switch error {
    case .scanner(let context, let problem, let mark, let yaml), .parser(let context, let problem, let mark, let yaml),
      .composer(let context, let problem, let mark, let yaml):
      // An IPv6 listen address written bare ([::1]:7400) is a YAML list followed by text: say how to write it.
      let firstLine = min(context?.mark.line ?? mark.line, mark.line)
      if let (line, key, value) = unquotedBracketedAddress(in: yaml, lines: firstLine...mark.line) {
        return ConfigProblem(
          FileLine(file: path, line: line),
          "YAML syntax: \(value) reads as a list ([...]) followed by more text; write it in quotes: \(key): \"\(value)\"")
      }
      // Point at where the broken construct starts (an unclosed quote's opening line), not where parsing gave up.
      guard let context else {
        return ConfigProblem(FileLine(file: path, line: mark.line), "YAML syntax: \(problem)")
      }
      let whereFound = context.mark.line == mark.line ? "" : " at line \(mark.line)"
      return ConfigProblem(
        FileLine(file: path, line: context.mark.line), "YAML syntax: \(context.text), \(problem)\(whereFound)")
    case .duplicatedKeysInMapping(let duplicates, let context):
      let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
      return ConfigProblem(
        FileLine(file: path, line: context.mark.line), "duplicate key \(keys) (each key may appear once in a mapping)")
    case .reader(let problem, let offset, let value, let yaml):
      // The reader counts characters, not lines: the line is found here, and the character named (a file's raw
      // control character is invisible in an editor).
      var line = 0
      if let offset, offset >= 0 {
        line = 1 + yaml.prefix(offset).reduce(0) { $0 + ($1 == "\n" || $1 == "\r\n" || $1 == "\r" ? 1 : 0) }
      }
      let code = value >= 0 ? String(UInt32(value), radix: 16, uppercase: true) : nil
      let character = code.map { " (U+\(String(repeating: "0", count: max(0, 4 - $0.count)))\($0))" } ?? ""
      return ConfigProblem(FileLine(file: path, line: line), "YAML: \(problem)\(character)")
    default:
      return ConfigProblem(FileLine(file: path, line: 0), "YAML: \(error)")
    }
  }
}

public enum HostPort {
  public struct ResolutionProblem: Error, CustomStringConvertible {
    public var description: String
  }

  /// Why `host` cannot be listened on (it does not resolve), or nil. Literal addresses need no lookup.
  public static func resolutionProblem(host: String, port: Int) -> String? {
    var hints = addrinfo()
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    var found: UnsafeMutablePointer<addrinfo>?
    let result = getaddrinfo(host, String(port), &hints, &found)
    defer { if found != nil { freeaddrinfo(found) } }
    return result == 0 ? nil : "does not resolve (\(String(cString: gai_strerror(result))))"
  }

  /// The numeric address `host` resolves to (the first one, IPv4 preferred), or why it does not.
  public static func resolveNumeric(host: String) -> Result<String, ResolutionProblem> {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    var found: UnsafeMutablePointer<addrinfo>?
    let result = getaddrinfo(host, nil, &hints, &found)
    defer { if found != nil { freeaddrinfo(found) } }
    if let percent = host.firstIndex(of: "%") {
      let zone = String(host[host.index(after: percent)...])
      if !zone.allSatisfy(\.isNumber) && if_nametoindex(zone) == 0 {
        return .failure(ResolutionProblem(description: "names the interface '\(zone)', which this machine does not have (see `ip link`)"))
      }
      if result != 0 {
        return .failure(
          ResolutionProblem(
            description: "names an interface, which only a link-local address (fe80::/10) may; write the address without '%\(zone)'"))
      }
    }
    guard result == 0 else {
      return .failure(ResolutionProblem(description: "does not resolve (\(String(cString: gai_strerror(result))))"))
    }
    var candidates: [(family: Int32, text: String)] = []
    var entry = found
    while let current = entry {
      var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
      if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
        candidates.append(
          (current.pointee.ai_family, String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
      }
      entry = current.pointee.ai_next
    }
    guard let chosen = candidates.first(where: { $0.family == AF_INET }) ?? candidates.first else {
      return .failure(ResolutionProblem(description: "does not resolve to an address"))
    }
    return .success(chosen.text)
  }

  /// Parses `host:port` or `[v6]:port`; port 0 means "any free port".
  public static func parse(_ text: String) -> (host: String, port: Int)? {
    let host: Substring
    let portText: Substring
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
      host = text[text.index(after: text.startIndex)..<close]
      portText = text[text.index(close, offsetBy: 2)...]
    } else {
      guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
      host = text[..<colon]
      portText = text[text.index(after: colon)...]
    }
    guard !host.isEmpty, !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
      let port = Int(portText), (0...65535).contains(port)
    else { return nil }
    return (String(host), port)
  }
}

public enum FileProblem {
  /// Why `path` could not be read, in `strings`' language (config errors stay English: the default).
  public static func describe(path: String, strings: Strings = .english) -> String {
    var isDirectory: ObjCBool = false
    if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return strings(.fileMissing) }
    if isDirectory.boolValue { return strings(.fileIsDirectory) }
    if !FileManager.default.isReadableFile(atPath: path) { return strings(.filePermissionDenied) }
    return strings(.fileReadFailed)
  }
}

/// "Did you mean" for misspelt keys.
enum Spelling {
  static func closest(to word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, distance(Array(word.lowercased()), Array($0))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return nil }
    return best.0
  }

  static func distance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return previous[b.count]
  }
}
