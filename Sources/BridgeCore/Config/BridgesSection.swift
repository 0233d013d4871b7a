import Foundation
import Yams

/// The conference bridge a config watches (`bridges:`): its kind, where its API is, the room, how often its roster
/// is polled. docs/BRIDGES.md says what each kind needs.
public struct BridgeSettings: Sendable, Hashable {
  public enum Kind: String, Sendable, CaseIterable {
    case janus, cms, pexip
  }

  /// The Janus plugin whose room is watched.
  public enum JanusPlugin: String, Sendable, CaseIterable {
    case audiobridge, videoroom

    /// The package name Janus attaches by.
    public var packageName: String { "janus.plugin.\(rawValue)" }
  }

  /// Read from `credentials_file`: Janus's `api_secret` and/or a stored `token`, and its Admin API's
  /// `admin_secret` (all optional); for CMS and Pexip, the API account's `username` and `password` (both required),
  /// sent as HTTP Basic authentication.
  public struct Credentials: Sendable, Hashable {
    public var apiSecret: String?
    public var adminSecret: String?
    public var token: String?
    public var username: String?
    public var password: String?
    public init(apiSecret: String? = nil, token: String? = nil, username: String? = nil, password: String? = nil) {
      self.apiSecret = apiSecret
      self.token = token
      self.username = username
      self.password = password
    }
  }

  public var kind: Kind
  /// As written; `host`, `port` and `path` are what the client uses.
  public var url: String
  public var host: String
  public var port: Int
  public var path: String
  public var room: UInt64
  public var plugin: JanusPlugin
  /// CMS: the coSpace id whose call is watched; Pexip: the conference (service) name. Nil for Janus.
  public var conference: String?
  public var poll: Duration
  /// Where the bridge's push receiver listens (`BridgeEventReceiver`; docs/BRIDGES.md "What is pushed").
  public var eventsListen: String?
  public var credentials: Credentials?
  public var location: FileLine
  /// The url is https: every request is TLS, the bridge's certificate checked against `caFile` or the system's store.
  public var secure: Bool
  /// `ca_file`, resolved against the config's folder: the certificates an https bridge's must chain to.
  public var caFile: String?
  /// Janus's Admin API (`admin_url`), read for each participant's media (docs/BRIDGES.md "Media through the Admin
  /// API"); nil: not read.
  public var admin: AdminEndpoint?

  /// Where Janus's Admin API answers: its own port and path (janus.transport.http.jcfg's `admin_port`,
  /// `admin_base_path`).
  public struct AdminEndpoint: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var path: String
    public var secure: Bool
    public init(host: String, port: Int, path: String, secure: Bool) {
      self.host = host
      self.port = port
      self.path = path
      self.secure = secure
    }
  }

  public init(
    kind: Kind = .janus, url: String, host: String, port: Int, path: String, room: UInt64, plugin: JanusPlugin = .audiobridge,
    poll: Duration = .seconds(5), eventsListen: String? = nil, credentials: Credentials? = nil,
    location: FileLine = FileLine(file: "", line: 0), conference: String? = nil, secure: Bool = false, caFile: String? = nil
  ) {
    self.secure = secure
    self.caFile = caFile
    self.kind = kind
    self.url = url
    self.host = host
    self.port = port
    self.path = path
    self.room = room
    self.plugin = plugin
    self.poll = poll
    self.eventsListen = eventsListen
    self.credentials = credentials
    self.location = location
    self.conference = conference
  }

  /// "janus audiobridge room 1234 at 127.0.0.1:8088", "cms coSpace 9f1c... at 10.0.0.5:445", "pexip conference
  /// Hội nghị at 10.0.0.6:443": how logs and the dashboard name a bridge.
  public var label: String {
    switch kind {
    case .janus: "janus \(plugin.rawValue) room \(room) at \(host):\(port)"
    case .cms: "cms coSpace \(conference ?? "") at \(host):\(port)"
    case .pexip: "pexip conference \(conference ?? "") at \(host):\(port)"
    }
  }

  /// The bridge gives loss, jitter and round trip figures (docs/BRIDGES.md "Call quality"): CMS, and a Janus room
  /// read through its Admin API (for its WebRTC participants).
  public var givesQualityFigures: Bool {
    switch kind {
    case .cms: true
    case .janus: admin != nil
    case .pexip: false
    }
  }

  /// The API's base path when the url gives none.
  public static func defaultPath(_ kind: Kind) -> String {
    switch kind {
    case .janus: "/janus"
    case .cms: "/api/v1"
    case .pexip: "/api/admin/status/v1"
    }
  }

  /// A CMS coSpace id or a Pexip conference name: one line of printable text, sent percent-encoded.
  public static let maximumConferenceLength = 128

  public static let maximumBridges = 16
  public static let maximumURLBytes = 512
  public static let pollRange: ClosedRange<Duration> = .seconds(1) ... .seconds(300)
  /// Janus room ids are JSON numbers: at most 2^53 keeps them exact in every JSON reader.
  public static let maximumRoom: UInt64 = 1 << 53
  public static let maximumBridgeNameLength = 128

  /// `http://HOST:PORT/PATH` or `https://HOST:PORT/PATH` split (the port 80 or 443 when not written), or nil when it
  /// is not that shape.
  public static func splitURL(_ text: String, defaultPath: String = "/janus") -> (host: String, port: Int, path: String, secure: Bool)? {
    let secure = text.hasPrefix("https://")
    guard secure || text.hasPrefix("http://") else { return nil }
    let rest = text.dropFirst(secure ? "https://".count : "http://".count)
    let slash = rest.firstIndex(of: "/") ?? rest.endIndex
    let authority = String(rest[..<slash])
    let path = slash == rest.endIndex ? defaultPath : String(rest[slash...])
    guard !authority.isEmpty, !authority.contains("@"), path.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "?" && $0 != "#" })
    else { return nil }
    let host: String
    let portText: String?
    if authority.hasPrefix("[") {
      guard let close = authority.firstIndex(of: "]") else { return nil }
      host = String(authority[authority.index(after: authority.startIndex)..<close])
      let after = authority[authority.index(after: close)...]
      portText = after.isEmpty ? nil : (after.hasPrefix(":") ? String(after.dropFirst()) : "bad")
    } else if let colon = authority.lastIndex(of: ":") {
      host = String(authority[..<colon])
      portText = String(authority[authority.index(after: colon)...])
    } else {
      host = authority
      portText = nil
    }
    guard !host.isEmpty, host.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { return nil }
    let port = portText.map { Int($0) ?? -1 } ?? (secure ? 443 : 80)
    guard (1...65535).contains(port) else { return nil }
    return (host, port, path, secure)
  }
}

// MARK: - Bridge (issue 32): the `bridges:` section

/// `bridges:`, the conference bridges whose rosters are polled. Each problem is said at its line, in the language
/// of the environment (LANG), as `BridgeStrings` holds it.
extension ConfigLoader {
  static let bridgeKeys = [
    "kind", "url", "credentials_file", "room", "plugin", "poll", "events_listen", "conference", "ca_file", "admin_url",
  ]
  /// A CA bundle larger than this is not one (Debian's whole store is about 200 KiB).
  static let maximumCAFileBytes = 1 << 20

  mutating func parseBridges(_ node: Node, baseDirectory: String) -> [BridgeSettings] {
    let say = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))
    guard let sequence = node.sequence else {
      fail(node, say(.bridgesNotList))
      return []
    }
    guard sequence.count <= BridgeSettings.maximumBridges else {
      fail(node, say(.bridgesTooMany, BridgeSettings.maximumBridges, sequence.count))
      return []
    }
    var bridges: [BridgeSettings] = []
    for item in sequence {
      guard let bridge = parseBridge(item, baseDirectory: baseDirectory, say: say) else { continue }
      if let first = bridges.first(where: {
        $0.host == bridge.host && $0.port == bridge.port && $0.room == bridge.room && $0.conference == bridge.conference
      }) {
        fail(item, say(.bridgeDuplicate, bridge.label, first.location))
        continue
      }
      if let listen = bridge.eventsListen, let first = bridges.first(where: { $0.eventsListen == listen }) {
        fail(item, say(.bridgeListenTwice, TextSanitizer.printable(listen), first.label, first.location))
        continue
      }
      bridges.append(bridge)
    }
    return bridges
  }

  private mutating func parseBridge(_ node: Node, baseDirectory: String, say: Strings) -> BridgeSettings? {
    guard let mapping = node.mapping else {
      fail(node, say(.bridgeNotMapping))
      return nil
    }
    let before = problems.count
    let entries = checkedEntries(mapping, allowed: Self.bridgeKeys, context: "a bridge")
    var kind = BridgeSettings.Kind.janus
    if let kindNode = entries["kind"], let text = string(kindNode, "kind") {
      if let value = BridgeSettings.Kind(rawValue: text) {
        kind = value
      } else {
        fail(kindNode, say(.bridgeKindUnknown, TextSanitizer.printable(String(text.prefix(40)))))
      }
    }
    // Janus watches a room; CMS and Pexip a conference, and their APIs always need an account.
    let required = kind == .janus ? ["kind", "url", "room"] : ["kind", "url", "conference", "credentials_file"]
    let missing = required.filter { entries[$0] == nil }
    if !missing.isEmpty { fail(node, say(.bridgeMissing, missing.map { "'\($0)'" }.joined(separator: ", "))) }
    let conference = parseVendorBridgeFields(entries, kind: kind, say: say)
    var url = ""
    var split: (host: String, port: Int, path: String, secure: Bool)?
    if let urlNode = entries["url"], let text = string(urlNode, "url") {
      url = text
      if text.utf8.count > BridgeSettings.maximumURLBytes {
        fail(urlNode, say(.bridgeURLTooLong, text.utf8.count, BridgeSettings.maximumURLBytes))
      } else if let parts = BridgeSettings.splitURL(text, defaultPath: BridgeSettings.defaultPath(kind)) {
        split = parts
      } else {
        fail(urlNode, say(.bridgeURLBad, TextSanitizer.printable(String(text.prefix(80)))))
      }
    }
    var room: UInt64 = 0
    if kind == .janus, let roomNode = entries["room"], let text = string(roomNode, "room") {
      if let value = UInt64(text), (1...BridgeSettings.maximumRoom).contains(value) {
        room = value
      } else {
        fail(roomNode, say(.bridgeRoomBad, BridgeSettings.maximumRoom, TextSanitizer.printable(String(text.prefix(40)))))
      }
    }
    var plugin = BridgeSettings.JanusPlugin.audiobridge
    if kind == .janus, let pluginNode = entries["plugin"], let text = string(pluginNode, "plugin") {
      if let value = BridgeSettings.JanusPlugin(rawValue: text) {
        plugin = value
      } else {
        fail(pluginNode, say(.bridgePluginBad, TextSanitizer.printable(String(text.prefix(40)))))
      }
    }
    var poll = Duration.seconds(5)
    if let pollNode = entries["poll"], let text = string(pollNode, "poll") {
      if let value = DurationText.parse(text), BridgeSettings.pollRange.contains(value) {
        poll = value
      } else {
        fail(pollNode, say(.bridgePollBad, "1s", "5m", TextSanitizer.printable(String(text.prefix(40)))))
      }
    }
    var eventsListen: String?
    if let listenNode = entries["events_listen"], let text = string(listenNode, "events_listen") {
      if HostPort.parse(text) != nil {
        eventsListen = text
      } else {
        fail(listenNode, say(.bridgeListenBad, TextSanitizer.printable(String(text.prefix(80)))))
      }
    }
    var credentials: BridgeSettings.Credentials?
    if let fileNode = entries["credentials_file"], let text = string(fileNode, "credentials_file") {
      credentials = loadBridgeCredentials(path: PathText.join(baseDirectory, text), from: fileNode, kind: kind, say: say)
    }
    var caFile: String?
    if let caNode = entries["ca_file"], let text = string(caNode, "ca_file") {
      let adminIsHTTPS = entries["admin_url"]?.string?.hasPrefix("https://") ?? false
      if let split, !split.secure, !adminIsHTTPS {
        fail(caNode, say(.bridgeCAFileNeedsHTTPS))
      } else {
        caFile = checkCAFile(path: PathText.join(baseDirectory, text), from: caNode, say: say)
      }
    }
    var admin: BridgeSettings.AdminEndpoint?
    if let adminNode = entries["admin_url"], let text = string(adminNode, "admin_url") {
      if kind != .janus {
        fail(adminNode, say(.bridgeAdminURLNotJanus))
      } else if text.utf8.count <= BridgeSettings.maximumURLBytes, let parts = BridgeSettings.splitURL(text, defaultPath: "/admin") {
        admin = .init(host: parts.host, port: parts.port, path: parts.path, secure: parts.secure)
      } else {
        fail(adminNode, say(.bridgeURLBad, TextSanitizer.printable(String(text.prefix(80)))))
      }
    }
    guard problems.count == before, let split else { return nil }
    var settings = BridgeSettings(
      kind: kind, url: url, host: split.host, port: split.port, path: split.path, room: room, plugin: plugin, poll: poll,
      eventsListen: eventsListen, credentials: credentials, location: at(node), conference: conference, secure: split.secure,
      caFile: caFile)
    settings.admin = admin
    return settings
  }

  /// `ca_file` is read, not trusted blindly: a file that is missing, too large or holds no PEM certificate is said
  /// at its line now rather than at the first poll. OpenSSL reads it again when the bridge input starts.
  private mutating func checkCAFile(path: String, from node: Node, say: Strings) -> String? {
    let printable = TextSanitizer.printable(path)
    // A FIFO or a device would hold `check` and the start on its read: only a regular file (or a link to one) is read.
    var info = stat()
    if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
      fail(node, say(.bridgeCAFileBad, printable, say(.bridgeCAFileNotRegular)))
      return nil
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      fail(node, say(.bridgeCAFileBad, printable, FileProblem.describe(path: path)))
      return nil
    }
    defer { try? handle.close() }
    let data = (try? handle.read(upToCount: Self.maximumCAFileBytes + 1)) ?? Data()
    if data.count > Self.maximumCAFileBytes {
      fail(node, say(.bridgeCAFileBad, printable, say(.bridgeCAFileTooLarge, Self.maximumCAFileBytes)))
      return nil
    }
    guard data.range(of: Data("-----BEGIN CERTIFICATE-----".utf8)) != nil else {
      fail(node, say(.bridgeCAFileBad, printable, say(.bridgeCAFileNoCertificate)))
      return nil
    }
    return path
  }

  /// The same rules as the keys file: unreadable is an error, readable by others a warning, YAML with line numbers.
  private mutating func loadBridgeCredentials(path: String, from node: Node, kind: BridgeSettings.Kind, say: Strings)
    -> BridgeSettings.Credentials?
  {
    guard let data = FileManager.default.contents(atPath: path) else {
      fail(node, say(.bridgeCredentialsUnreadable, path, FileProblem.describe(path: path)))
      return nil
    }
    if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0
    {
      warnings.append(ConfigProblem(FileLine(file: path, line: 0), say(.bridgeCredentialsReadable, String(mode, radix: 8))))
    }
    var nested = ConfigLoader(path: path)
    defer {
      problems += nested.problems
      warnings += nested.warnings
    }
    guard data.count <= 4096, case .success(let text) = TextFile.decode(Array(data)), let root = try? composeYAML(text),
      let mapping = root.mapping
    else {
      nested.problems.append(
        ConfigProblem(FileLine(file: path, line: 0), kind == .janus ? say(.bridgeCredentialsBad) : say(.vendorCredentialsBad)))
      return nil
    }
    let allowed = kind == .janus ? ["api_secret", "token", "admin_secret"] : ["username", "password"]
    let entries = nested.checkedEntries(mapping, allowed: allowed, context: "the bridge credentials file")
    var credentials = BridgeSettings.Credentials()
    for (key, valueNode) in entries {
      guard let value = nested.string(valueNode, key) else { continue }
      guard value.utf8.count <= 256, TextSanitizer.firstUnsafe(in: value) == nil else {
        nested.fail(valueNode, kind == .janus ? say(.bridgeCredentialsBad) : say(.vendorCredentialsBad))
        continue
      }
      switch key {
      case "api_secret": credentials.apiSecret = value
      case "admin_secret": credentials.adminSecret = value
      case "token": credentials.token = value
      case "username": credentials.username = value
      default: credentials.password = value
      }
    }
    // HTTP Basic joins the two with a colon: a username with one could not be told apart.
    if kind != .janus, credentials.username == nil || credentials.password == nil || credentials.username!.contains(":") {
      nested.problems.append(ConfigProblem(FileLine(file: path, line: root.mark?.line ?? 0), say(.vendorCredentialsBad)))
      return nil
    }
    return credentials
  }

  /// Two sites the bridge cannot tell apart: the same `bridge_name` (or id) after Unicode NFC, or the same SIP
  /// address as `BridgeNameIndex.sipKey` compares them.
  mutating func checkBridgeNames(_ sites: [SiteConfig]) {
    let say = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))
    var first: [String: SiteConfig] = [:]
    for site in sites {
      let name = BridgeNameIndex.sipKey(site.bridgeMatchName) ?? BridgeNameIndex.normalized(site.bridgeMatchName)
      if let earlier = first[name] {
        problems.append(ConfigProblem(site.location, say(.bridgeNameTwice, site.id, earlier.id, site.bridgeMatchName, earlier.location)))
      } else {
        first[name] = site
      }
    }
  }

  /// A site's `bridge_name`: one line, not blank, at most `maximumBridgeNameLength` characters.
  static func bridgeNameProblem(_ text: String, site id: String?) -> String? {
    let say = Strings(Language.fromEnvironment(ProcessInfo.processInfo.environment))
    let what = "the bridge_name of site '\(id ?? "?")'"
    if text.trimmedOfSpaces.isEmpty { return say(.bridgeNameBad, id ?? "?", BridgeSettings.maximumBridgeNameLength) }
    if let problem = controlCharacterProblem(text, what) { return problem }
    guard text.count <= BridgeSettings.maximumBridgeNameLength else {
      return say(.bridgeNameBad, id ?? "?", BridgeSettings.maximumBridgeNameLength)
    }
    return nil
  }
}
