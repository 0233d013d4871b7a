import Foundation

/// Where something was written: a file and a 1-based line (0 when the whole file is meant).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
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
  public var location: SourceLocation
  public var message: String

  public init(_ location: SourceLocation, _ message: String) {
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
  public var location: SourceLocation

  public init(
    id: String, name: String, group: [String], expected: Int, heartbeatFile: String,
    heartbeatFileIsExplicit: Bool = false, location: SourceLocation = SourceLocation(file: "", line: 0)
  ) {
    self.id = id
    self.name = name
    self.group = group
    self.expected = expected
    self.heartbeatFile = heartbeatFile
    self.heartbeatFileIsExplicit = heartbeatFileIsExplicit
    self.location = location
  }

  public var groupLabel: String { group.joined(separator: GroupPath.separator) }
}

public enum GroupPath {
  public static let separator = " / "

  /// Splits `Hòa Bình / Đà Bắc` into trimmed segments; nil when a segment is empty.
  public static func parse(_ text: String) -> [String]? {
    let segments = text.components(separatedBy: separator).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard !segments.isEmpty, segments.allSatisfy({ !$0.isEmpty }) else { return nil }
    return segments
  }
}

public struct ConferenceConfig: Sendable {
  public var title: String = "BridgeWatch"
  public var timing = Timing()
  public var udp = UDPSettings()
  public var heartbeatDirectory: String
  public var journalPath: String
  public var statusFilePath: String?
  public var keysPath: String?
  /// Site id -> shared secret (UTF-8 bytes of the string in the keys file).
  public var keys: [String: [UInt8]] = [:]
  public var theme: String = "default"
  public var sites: [SiteConfig]
  /// The config file as named by the user.
  public var path: String

  public init(sites: [SiteConfig], baseDirectory: String = ".", path: String = "<memory>") {
    self.sites = sites
    self.path = path
    self.heartbeatDirectory = FilePath.join(baseDirectory, "heartbeats")
    self.journalPath = FilePath.join(baseDirectory, "bridgewatch.journal")
  }

  public var totalExpected: Int { sites.reduce(0) { $0 + $1.expected } }
}

/// Small path helpers; paths here are plain POSIX strings.
public enum FilePath {
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
