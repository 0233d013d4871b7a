import Foundation
import Yams

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
    "schedule", "console", "metrics", "probing", "bridges",
    "checkin",  // issue 33: the check-in page
  ]

  var problems: [ConfigProblem] = []
  var warnings: [ConfigProblem] = []
  var runProblems: [ConfigProblem] = []
  let path: String
  // MARK: Site keys (issue 33): `bridgewatch keys` reads a config whose keys file it is about to create.
  var keysFile = KeysFileUse.required
  // MARK: Bridge HTTP client and keys file (issue 32 review): the language of the keys file's problems.
  var say = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))

  init(path: String) { self.path = path }

  /// From this size on, the keys file is read on a thread of its own (about 20,000 sites' keys).
  static let keysFileReadAside = 1 << 20

  /// `language`: of the keys file's problems (`--lang`; nil: the locale's).
  public static func load(path: String, keysFile: KeysFileUse = .required, language: Language? = nil) throws(ConfigErrors)
    -> LoadedConfig
  {
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
    return try load(yaml: text, path: path, keysFile: keysFile, language: language)
  }

  public static func load(yaml: String, path: String, keysFile: KeysFileUse = .required, language: Language? = nil)
    throws(ConfigErrors) -> LoadedConfig
  {
    var loader = ConfigLoader(path: path)
    if let language { loader.say = Strings(language) }
    loader.keysFile = keysFile
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
    // A large keys file is read on a thread of its own while this one reads the rest and the roster, its ids
    // checked against the roster after: at 31,097 sites (1.6 MB) each read is a fifth of a restart.
    let keysNode = entries["keys"]
    let keysPath = keysNode.flatMap { string($0, "keys") }.map { PathText.join(baseDirectory, $0) }
    var keysReading: Concurrently<KeysFileReading>?
    if let keysNode, let keysPath, keysFile != .notRead {
      let (use, named, say) = (keysFile, at(keysNode), say)
      let size = (try? FileManager.default.attributesOfItem(atPath: keysPath)[.size] as? Int) ?? 0
      keysReading = Concurrently(onItsOwnThread: size >= Self.keysFileReadAside) {
        Self.readKeysFile(path: keysPath, use: use, named: named, say: say)
      }
    }

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
    if let node = entries["bridges"] { config.bridges = parseBridges(node, baseDirectory: baseDirectory) }
    if let node = entries["checkin"] { config.checkin = parseCheckin(node) }

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
    if !config.bridges.isEmpty { checkBridgeNames(sites) }
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

    config.keysPath = keysPath
    if let keysReading {
      config.siteKeys = applyKeys(keysReading.value, knownSites: Set(sites.map(\.id)))
    }
    return config
  }
}
