import Foundation
import Yams

/// How a config's `keys:` file is taken: required (the monitor, `check`), read if it is there (`bridgewatch keys`
/// is about to create it), or named and not read (the report never uses the secrets, so it is made where they are
/// not: an organiser's copy of the config and the journal).
public enum KeysFileUse: Sendable {
  case required, mayBeMissing, notRead
}

/// `keys:`, the file of the sites' secrets. A site's value is its secret (`HB-TU: "secret"`), or, as
/// `bridgewatch keys` writes it, a mapping: `secret`, `token` (its check-in link's token), and during a rotation's
/// grace `previous` with `previous_until` (an ISO 8601 UTC time). README "Enrol the sites" documents the format.
/// The keys file as read on its own, before the roster is known: each entry's fields and what is wrong with it, in
/// the file's order. Sendable, so that the monitor reads it on a second core while the first reads the roster (at
/// 31,097 sites each is a fifth of a restart); `ConfigLoader.applyKeys` then checks the ids against the roster.
struct KeysFileReading: Sendable {
  struct Entry: Sendable {
    /// Nil for a key that is no site id (its problem says so).
    var id: String?
    var idAt: FileLine
    var valueAt: FileLine
    /// Nil when the value was refused (its problems say why).
    var entry: SiteKeyEntry?
    var problems: [ConfigProblem] = []
    var warnings: [ConfigProblem] = []
  }
  var entries: [Entry] = []
  /// The file's own: unreadable, readable by others, not UTF-8, not YAML, not a mapping.
  var problems: [ConfigProblem] = []
  var warnings: [ConfigProblem] = []
}

extension ConfigLoader {
  mutating func loadKeys(path keysPath: String, from node: Node, knownSites: Set<String>) -> [String: SiteKeyEntry] {
    applyKeys(Self.readKeysFile(path: keysPath, use: keysFile, named: at(node), say: say), knownSites: knownSites)
  }

  /// Reads the keys file at `keysPath`, which the config names at `named`; nothing about the roster.
  static func readKeysFile(path keysPath: String, use: KeysFileUse, named: FileLine, say: Strings) -> KeysFileReading {
    var reading = KeysFileReading()
    if use == .mayBeMissing && !FileManager.default.fileExists(atPath: keysPath) { return reading }
    guard let data = FileManager.default.contents(atPath: keysPath) else {
      reading.problems.append(ConfigProblem(named, say(.keysCannotRead, keysPath, FileProblem.describe(path: keysPath))))
      return reading
    }
    if let attributes = try? FileManager.default.attributesOfItem(atPath: keysPath),
      let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0
    {
      reading.warnings.append(
        ConfigProblem(
          FileLine(file: keysPath, line: 0), say(.keysReadableByOthers, String(mode, radix: 8))))
    }
    guard case .success(let text) = TextFile.decode(Array(data)) else {
      let line = TextFile.decode(Array(data)).failureLine
      reading.problems.append(ConfigProblem(FileLine(file: keysPath, line: line), say(.keysNotUTF8)))
      return reading
    }
    var nested = ConfigLoader(path: keysPath)
    nested.say = say
    let root: Node?
    do {
      root = try composeYAML(text, plainScalarsAreText: true)
    } catch let error as YamlError {
      reading.problems.append(Self.describe(error, path: keysPath))
      return reading
    } catch let error as YAMLAliasError {
      reading.problems.append(ConfigProblem(FileLine(file: keysPath, line: error.line), error.description))
      return reading
    } catch {
      reading.problems.append(ConfigProblem(FileLine(file: keysPath, line: 0), say(.keysCannotParse, "\(error)")))
      return reading
    }
    guard let root else { return reading }
    guard let mapping = root.mapping else {
      reading.problems.append(ConfigProblem(nested.at(root), say(.keysNotMapping)))
      return reading
    }
    reading.entries.reserveCapacity(mapping.count)
    for (keyNode, valueNode) in mapping {
      var entry = KeysFileReading.Entry(id: keyNode.scalar?.string, idAt: nested.at(keyNode), valueAt: nested.at(valueNode))
      if entry.id == nil {
        entry.problems.append(ConfigProblem(entry.idAt, say(.keysNotSiteID)))
      } else {
        nested.problems = []
        nested.warnings = []
        entry.entry = nested.siteKeyEntry(valueNode, entry.id!)
        entry.problems = nested.problems
        entry.warnings = nested.warnings
      }
      reading.entries.append(entry)
    }
    return reading
  }

  /// The keys of the roster's sites from a reading of the keys file: an id the roster lacks is refused at its line,
  /// a check-in token two sites share at the second.
  mutating func applyKeys(_ reading: KeysFileReading, knownSites: Set<String>) -> [String: SiteKeyEntry] {
    problems += reading.problems
    warnings += reading.warnings
    var entries: [String: SiteKeyEntry] = Dictionary(minimumCapacity: reading.entries.count)
    var tokenOwners: [String: String] = [:]
    for read in reading.entries {
      // What is kept is made again here: strings made on the reading's thread would stay in its malloc arena and
      // keep every page of it (the file's YAML, long freed) resident: 2 MiB at 10,000 sites.
      guard let id = read.id.map(Self.ownCopy) else {
        problems += read.problems
        continue
      }
      guard knownSites.contains(id) else {
        problems.append(ConfigProblem(read.idAt, say(.keysUnknownSiteID, id)))
        continue
      }
      problems += read.problems
      warnings += read.warnings
      guard let taken = read.entry else { continue }
      let entry = SiteKeyEntry(
        secret: Self.ownCopy(taken.secret), checkinToken: taken.checkinToken.map(Self.ownCopy),
        previousSecret: taken.previousSecret.map(Self.ownCopy), previousUntil: taken.previousUntil)
      if entry.secret.utf8.count < 16 {
        warnings.append(ConfigProblem(read.valueAt, say(.keysSecretShort, id, entry.secret.utf8.count)))
      }
      if let token = entry.checkinToken {
        if let owner = tokenOwners[token] {
          problems.append(ConfigProblem(read.valueAt, say(.keysTokenShared, id, owner)))
        }
        tokenOwners[token] = id
      }
      entries[id] = entry
    }
    return entries
  }

  /// `text` in storage of this thread's own (a String made from another shares that one's).
  static func ownCopy(_ text: String) -> String {
    String(unsafeUninitializedCapacity: text.utf8.count) { buffer in
      _ = buffer.initialize(fromContentsOf: text.utf8)
      return text.utf8.count
    }
  }
}

/// One site's entry in the keys file.
public struct SiteKeyEntry: Sendable, Equatable {
  public var secret: String
  /// The unguessable token of the site's check-in link (`<base>/c/<token>`), stored, not derived: it survives a
  /// rotation of the secret, so a printed sheet stays valid.
  public var checkinToken: String?
  /// The secret before the last rotation, accepted until `previousUntil` (Unix seconds).
  public var previousSecret: String?
  public var previousUntil: Double?

  public init(secret: String, checkinToken: String? = nil, previousSecret: String? = nil, previousUntil: Double? = nil) {
    self.secret = secret
    self.checkinToken = checkinToken
    self.previousSecret = previousSecret
    self.previousUntil = previousUntil
  }

  /// A token: 16 to 64 of [a-z2-7] (RFC 4648 base32, lower case), so it needs no escaping in a link.
  public static func isValidToken(_ token: String) -> Bool {
    (16...64).contains(token.utf8.count)
      && token.utf8.allSatisfy {
        ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "2") && $0 <= UInt8(ascii: "7"))
      }
  }

  /// `2026-12-05T23:00:00Z` <-> Unix seconds: the one form `previous_until` takes.
  public static func utcText(_ unixSeconds: Double) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: Date(timeIntervalSince1970: unixSeconds.rounded(.down)))
  }

  public static func parseUTC(_ text: String) -> Double? {
    guard text.hasSuffix("Z"), text.utf8.count == 20 else { return nil }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text).map(\.timeIntervalSince1970)
  }
}

extension ConfigLoader {
  static let siteKeyFields = ["secret", "token", "previous", "previous_until"]

  /// A site's value in the keys file: a secret, or the mapping `bridgewatch keys` writes.
  mutating func siteKeyEntry(_ node: Node, _ id: String) -> SiteKeyEntry? {
    if node.scalar != nil { return string(node, id).map { SiteKeyEntry(secret: $0) } }
    guard let mapping = node.mapping else {
      fail(node, say(.keysEntryBad, id))
      return nil
    }
    let entries = checkedEntries(mapping, allowed: Self.siteKeyFields, context: "'\(id)'")
    guard let secretNode = entries["secret"] else {
      fail(node, say(.keysNoSecret, id))
      return nil
    }
    guard let secret = string(secretNode, "secret") else { return nil }
    var entry = SiteKeyEntry(secret: secret)
    if let node = entries["token"], let token = string(node, "token") {
      if SiteKeyEntry.isValidToken(token) {
        entry.checkinToken = token
      } else {
        fail(node, say(.keysTokenBad))
      }
    }
    switch (entries["previous"], entries["previous_until"]) {
    case (nil, nil): break
    case (let previous?, let until?):
      if let secret = string(previous, "previous"), let text = string(until, "previous_until") {
        // Accepted beside the current key until its grace ends: an empty one would let anyone sign.
        let strong = !secret.isEmpty
        if !strong { fail(previous, say(.keysPreviousEmpty)) }
        let time = SiteKeyEntry.parseUTC(text)
        if time == nil { fail(until, say(.keysPreviousUntilBad, text)) }
        if strong, let time {
          entry.previousSecret = secret
          entry.previousUntil = time
        }
      }
    case (let previous?, nil): fail(previous, say(.keysPreviousNeedsUntil))
    case (nil, let until?): fail(until, say(.keysUntilWithoutPrevious))
    }
    return entry
  }
}

extension ConfigLoader {
  /// Every site's entry in the keys file at `path`, read by the monitor's own rules (file:line for each problem);
  /// a file not there yet reads as empty when `mayBeMissing` (`bridgewatch keys` is about to create it).
  public static func loadSiteKeys(path: String, sites: [SiteConfig], mayBeMissing: Bool, language: Language? = nil) throws(ConfigErrors)
    -> [String: SiteKeyEntry]
  {
    var loader = ConfigLoader(path: path)
    if let language { loader.say = Strings(language) }
    loader.keysFile = mayBeMissing ? .mayBeMissing : .required
    let entries = loader.loadKeys(path: path, from: Node(path), knownSites: Set(sites.map(\.id)))
    guard loader.problems.isEmpty else { throw ConfigErrors(problems: loader.problems) }
    return entries
  }
}

/// Each site's shared secret as bytes, over the keys file's entries (`ConferenceConfig.keys`): what sets a secret
/// keeps the entry's check-in token and previous secret; a secret is text (the keys file's string), so bytes set
/// here are taken as UTF-8.
public struct SiteSecrets: Sendable, ExpressibleByDictionaryLiteral {
  public private(set) var entries: [String: SiteKeyEntry]

  public init(_ entries: [String: SiteKeyEntry]) { self.entries = entries }

  public init(_ secrets: [String: [UInt8]]) {
    entries = secrets.mapValues { SiteKeyEntry(secret: String(decoding: $0, as: UTF8.self)) }
  }

  public init(dictionaryLiteral elements: (String, [UInt8])...) {
    self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
  }

  public subscript(id: String) -> [UInt8]? {
    get { entries[id].map { Array($0.secret.utf8) } }
    set {
      guard let newValue else { return entries[id] = nil }
      entries[id, default: SiteKeyEntry(secret: "")].secret = String(decoding: newValue, as: UTF8.self)
    }
  }

  public var count: Int { entries.count }
  public var isEmpty: Bool { entries.isEmpty }
}
