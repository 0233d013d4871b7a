import Foundation
import Yams

/// `keys:`, the file of the sites' secrets.
extension ConfigLoader {
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
}
