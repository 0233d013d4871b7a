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
extension ConfigLoader {
  mutating func loadKeys(path keysPath: String, from node: Node, knownSites: Set<String>) -> [String: [UInt8]] {
    if keysFile == .mayBeMissing && !FileManager.default.fileExists(atPath: keysPath) { return [:] }
    guard let data = FileManager.default.contents(atPath: keysPath) else {
      fail(node, say(.keysCannotRead, keysPath, FileProblem.describe(path: keysPath)))
      return [:]
    }
    if let attributes = try? FileManager.default.attributesOfItem(atPath: keysPath),
      let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0
    {
      warnings.append(
        ConfigProblem(
          FileLine(file: keysPath, line: 0), say(.keysReadableByOthers, String(mode, radix: 8))))
    }
    guard case .success(let text) = TextFile.decode(Array(data)) else {
      let line = TextFile.decode(Array(data)).failureLine
      problems.append(ConfigProblem(FileLine(file: keysPath, line: line), say(.keysNotUTF8)))
      return [:]
    }
    var nested = ConfigLoader(path: keysPath)
    nested.say = say
    var siteKeyEntries: [String: SiteKeyEntry] = [:]
    defer {
      problems += nested.problems
      warnings += nested.warnings
      self.siteKeyEntries = siteKeyEntries
    }
    let root: Node?
    do {
      root = try composeYAML(text, plainScalarsAreText: true)
    } catch let error as YamlError {
      nested.problems.append(Self.describe(error, path: keysPath))
      return [:]
    } catch let error as YAMLAliasError {
      nested.problems.append(ConfigProblem(FileLine(file: keysPath, line: error.line), error.description))
      return [:]
    } catch {
      nested.problems.append(ConfigProblem(FileLine(file: keysPath, line: 0), say(.keysCannotParse, "\(error)")))
      return [:]
    }
    guard let root else { return [:] }
    guard let mapping = root.mapping else {
      nested.fail(root, say(.keysNotMapping))
      return [:]
    }
    var keys: [String: [UInt8]] = [:]
    var tokenOwners: [String: String] = [:]
    for (keyNode, valueNode) in mapping {
      guard let id = keyNode.scalar?.string else {
        nested.fail(keyNode, say(.keysNotSiteID))
        continue
      }
      guard knownSites.contains(id) else {
        nested.fail(keyNode, say(.keysUnknownSiteID, id))
        continue
      }
      guard let entry = nested.siteKeyEntry(valueNode, id) else { continue }
      if entry.secret.utf8.count < 16 {
        nested.warnings.append(
          ConfigProblem(nested.at(valueNode), say(.keysSecretShort, id, entry.secret.utf8.count)))
      }
      keys[id] = Array(entry.secret.utf8)
      if let token = entry.checkinToken {
        if let owner = tokenOwners[token] {
          nested.fail(valueNode, say(.keysTokenShared, id, owner))
        }
        tokenOwners[token] = id
      }
      siteKeyEntries[id] = entry
    }
    return keys
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
    _ = loader.loadKeys(path: path, from: Node(path), knownSites: Set(sites.map(\.id)))
    guard loader.problems.isEmpty else { throw ConfigErrors(problems: loader.problems) }
    return loader.siteKeyEntries
  }
}
