import Foundation
import Yams

/// The agent's settings, from its settings file (`bridgewatch agent --config /etc/bridgewatch/agent.yaml`) and
/// its command line: every option has a key, a flag given overrides the file's key. Relative paths in the file are
/// relative to the file, as in the conference config.
public struct AgentSettings: Sendable, Equatable {
  public var site: String?
  public var monitors: [String] = []
  public var keyFile: String?
  public var interval: String?
  public var count: Int?
  public var countFile: String?
  public var heartbeatFile: String?
  public var language: Language?

  public init() {}

  public init(
    site: String?, monitors: [String], keyFile: String?, interval: String?, count: Int?, countFile: String?, heartbeatFile: String?,
    language: Language?
  ) {
    (self.site, self.monitors, self.keyFile, self.interval) = (site, monitors, keyFile, interval)
    (self.count, self.countFile, self.heartbeatFile, self.language) = (count, countFile, heartbeatFile, language)
  }

  /// A setting the agent cannot run with, said as a usage error (the flag's name, what it takes, what was given).
  public struct Unusable: Error, CustomStringConvertible {
    public let description: String
  }

  /// A headcount given with --count out of its range: the range, with what was given.
  public static func countProblem(_ count: Int) -> String? {
    guard !(0...HeartbeatCodec.maximumCount).contains(count) else { return nil }
    return "--count must be a headcount from 0 to \(NumberText.grouped(HeartbeatCodec.maximumCount)), got \(NumberText.grouped(count))"
  }

  /// These settings, merged from the file and the flags, checked as the agent runs them: its site, where it sends,
  /// its headcount source and its interval (5s when none is given).
  public func checked() throws(Unusable) -> AgentSettings {
    func refuse(_ text: String) -> Unusable { Unusable(description: text) }
    guard let site else { throw refuse("give --site ID (or site: in --config's file)") }
    guard SiteID.isValid(site) else { throw refuse("--site must be a site id ([A-Za-z0-9._-], 1 to 64 characters)") }
    if monitors.isEmpty && heartbeatFile == nil { throw refuse("give --monitor HOST:PORT (or --heartbeat-file PATH)") }
    if !monitors.isEmpty && heartbeatFile != nil { throw refuse("give either --monitor or --heartbeat-file, not both") }
    for monitor in monitors where HostPort.parse(monitor) == nil { throw refuse("--monitor must be HOST:PORT, got '\(monitor)'") }
    if monitors.count > 8 { throw refuse("at most 8 --monitor (a primary and its standby need two)") }
    if count != nil && countFile != nil { throw refuse("give either --count or --count-file, not both") }
    if let count, let problem = Self.countProblem(count) { throw refuse(problem) }
    let interval = interval ?? "5s"
    guard let period = DurationText.parse(interval), period >= .milliseconds(100) else {
      throw refuse("--interval must be a duration of at least 100ms (e.g. 5s), got '\(interval)'")
    }
    _ = period
    var checked = self
    checked.interval = interval
    return checked
  }

  /// The file's keys, in the order README "Enrol the sites" lists them.
  public static let keys = ["site", "monitor", "key_file", "interval", "count", "count_file", "heartbeat_file", "lang"]

  /// `self` with every setting `flags` gives replacing the file's: a headcount source or a destination given on the
  /// command line replaces the file's other one too (`--count 5` over a file's `count_file`).
  public func overridden(by flags: AgentSettings) -> AgentSettings {
    var merged = self
    if let site = flags.site { merged.site = site }
    if !flags.monitors.isEmpty || flags.heartbeatFile != nil {
      merged.monitors = flags.monitors
      merged.heartbeatFile = flags.heartbeatFile
    }
    if let keyFile = flags.keyFile { merged.keyFile = keyFile }
    if let interval = flags.interval { merged.interval = interval }
    if flags.count != nil || flags.countFile != nil {
      merged.count = flags.count
      merged.countFile = flags.countFile
    }
    if let language = flags.language { merged.language = language }
    return merged
  }
}

/// Reads an agent's settings file; every problem is said with the file and line, in `strings`' language.
public enum AgentSettingsFile {
  public struct Problems: Error, CustomStringConvertible {
    public var lines: [String]
    public var description: String { lines.joined(separator: "\n") }
  }

  public static func load(path: String, strings: Strings) throws(Problems) -> AgentSettings {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw Problems(lines: [strings(.settingsUnreadable, path, FileProblem.describe(path: path, strings: strings))])
    }
    guard data.count <= 64 * 1024, case .success(let text) = TextFile.decode(Array(data)) else {
      throw Problems(lines: [strings(.settingsNotYAML, "\(path):1", "not a small UTF-8 text file")])
    }
    return try parse(text, path: path, strings: strings)
  }

  public static func parse(_ text: String, path: String, strings: Strings) throws(Problems) -> AgentSettings {
    var problems: [String] = []
    func at(_ node: Node?) -> String { "\(path):\(node?.mark?.line ?? 1)" }
    let root: Node?
    do {
      root = try composeYAML(text)
    } catch let error as YamlError {
      let problem = ConfigLoader.describe(error, path: path)
      throw Problems(lines: [strings(.settingsNotYAML, problem.location.description, problem.message)])
    } catch let error as YAMLAliasError {
      throw Problems(lines: [strings(.settingsNotYAML, "\(path):\(error.line)", error.description)])
    } catch {
      throw Problems(lines: [strings(.settingsNotYAML, "\(path):1", "\(error)")])
    }
    guard let mapping = root?.mapping else { throw Problems(lines: [strings(.settingsNotMapping, at(root))]) }
    let base = PathText.directory(of: path)
    var settings = AgentSettings()
    var nodes: [String: Node] = [:]

    func scalar(_ node: Node, _ key: String, form: String) -> String? {
      guard let value = node.scalar?.string, !(node.scalar?.style == .plain && ["", "~", "null"].contains(value)) else {
        problems.append(strings(.settingsBadValue, at(node), key, form, node.scalar == nil ? "…" : ""))
        return nil
      }
      guard value.utf8.count <= 4096, !value.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true }) else {
        problems.append(strings(.settingsBadValue, at(node), key, form, TextSanitizer.printable(String(value.prefix(40)))))
        return nil
      }
      return value
    }
    func filePath(_ node: Node, _ key: String) -> String? {
      scalar(node, key, form: strings(.settingPathForm)).map { PathText.join(base, $0) }
    }

    for (keyNode, value) in mapping {
      guard let key = keyNode.scalar?.string, AgentSettings.keys.contains(key) else {
        let key = TextSanitizer.printable(String((keyNode.scalar?.string ?? "…").prefix(40)))
        let near = Spelling.closest(to: key, in: AgentSettings.keys).map { strings(.settingsDidYouMean, $0) } ?? ""
        problems.append(strings(.settingsUnknownKey, at(keyNode), key, near, AgentSettings.keys.joined(separator: ", ")))
        continue
      }
      nodes[key] = value
      switch key {
      case "site":
        let form = strings(.settingSiteForm)
        if let text = scalar(value, key, form: form) {
          if SiteID.isValid(text) { settings.site = text } else { problems.append(strings(.settingsBadValue, at(value), key, form, text)) }
        }
      case "monitor":
        let form = strings(.settingMonitorForm)
        let items = value.sequence.map { Array($0) } ?? [value]
        if items.isEmpty || items.count > 8 { problems.append(strings(.settingsBadValue, at(value), key, form, "\(items.count)")) }
        for item in items.prefix(8) {
          guard let text = scalar(item, key, form: form) else { continue }
          if HostPort.parse(text) != nil {
            settings.monitors.append(text)
          } else {
            problems.append(strings(.settingsBadValue, at(item), key, form, text))
          }
        }
      case "key_file": settings.keyFile = filePath(value, key)
      case "count_file": settings.countFile = filePath(value, key)
      case "heartbeat_file": settings.heartbeatFile = filePath(value, key)
      case "interval":
        let form = strings(.settingIntervalForm)
        if let text = scalar(value, key, form: form) {
          if let period = DurationText.parse(text), period >= .milliseconds(100) {
            settings.interval = text
          } else {
            problems.append(strings(.settingsBadValue, at(value), key, form, text))
          }
        }
      case "count":
        let form = strings(.settingCountForm, strings.number(HeartbeatCodec.maximumCount))
        if let text = scalar(value, key, form: form) {
          if case .success(let number) = CountText.parse(Array(text.utf8)) {
            settings.count = number
          } else {
            problems.append(strings(.settingsBadValue, at(value), key, form, text))
          }
        }
      case "lang":
        let form = strings(.settingLanguageForm)
        if let text = scalar(value, key, form: form) {
          if let language = Language(rawValue: text) {
            settings.language = language
          } else {
            problems.append(strings(.settingsBadValue, at(value), key, form, text))
          }
        }
      default: break
      }
    }
    if let count = nodes["count"], nodes["count_file"] != nil {
      problems.append(strings(.settingsConflict, at(count), "count", "count_file"))
    }
    if let monitor = nodes["monitor"], nodes["heartbeat_file"] != nil {
      problems.append(strings(.settingsConflict, at(monitor), "monitor", "heartbeat_file"))
    }
    guard problems.isEmpty else { throw Problems(lines: problems) }
    return settings
  }
}
