import BridgeCore

/// What `bridgewatch keys` does to the keys file, as a value: which sites get a new secret, which are rotated,
/// which keep theirs, and the file's text. Pure (the time and the random source are passed in), so the rules are
/// tested without touching a disk.
public struct SiteKeyPlan {
  /// The entries to write, in the config's order (sites without one are left out).
  public private(set) var entries: [(site: SiteConfig, entry: SiteKeyEntry)] = []
  public private(set) var created: [String] = []
  public private(set) var rotated: [String] = []
  public private(set) var kept = 0
  /// When the rotated sites' old secrets stop being accepted (Unix seconds), if any were rotated.
  public private(set) var graceEnds: Double?

  /// `selected`: the sites to act on (nil: every site). A selected site without a secret gets one; with `rotate`,
  /// a selected site with one gets a new one and keeps the old as `previous` until `now + graceSeconds` (one
  /// previous at most: a second rotation drops the first's). Every selected site without a check-in token gets one;
  /// tokens survive rotations, so a printed sheet stays valid. Previous secrets whose grace is over are dropped.
  public init(
    sites: [SiteConfig], existing: [String: SiteKeyEntry], selected: Set<String>?, rotate: Bool, graceSeconds: Double,
    now: Double, random: inout some RandomNumberGenerator
  ) {
    for site in sites {
      let isSelected = selected?.contains(site.id) ?? true
      var entry = existing[site.id]
      if var current = entry, current.previousUntil.map({ $0 <= now }) ?? false {
        current.previousSecret = nil
        current.previousUntil = nil
        entry = current
      }
      if isSelected {
        if var current = entry {
          if rotate {
            current.previousSecret = current.secret
            current.previousUntil = now + graceSeconds
            current.secret = Self.newSecret(&random)
            rotated.append(site.id)
            graceEnds = now + graceSeconds
          } else {
            kept += 1
          }
          entry = current
        } else {
          entry = SiteKeyEntry(secret: Self.newSecret(&random))
          created.append(site.id)
        }
        if entry?.checkinToken == nil { entry?.checkinToken = Self.newToken(&random) }
      } else if entry != nil {
        kept += 1
      }
      if let entry { entries.append((site, entry)) }
    }
  }

  /// 32 random bytes as 64 hex digits: the secret is the text's UTF-8 bytes, as in a hand-written keys file.
  static func newSecret(_ random: inout some RandomNumberGenerator) -> String {
    HeartbeatAuthenticator.hex((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) })
  }

  /// 20 random bytes (160 bits) in lower-case base32: 32 characters a link carries without escaping.
  static func newToken(_ random: inout some RandomNumberGenerator) -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
    let bytes = (0..<20).map { _ in UInt8.random(in: .min ... .max, using: &random) }
    var bits = 0
    var value = 0
    var token = ""
    for byte in bytes {
      value = (value << 8) | Int(byte)
      bits += 8
      while bits >= 5 {
        bits -= 5
        token.append(alphabet[(value >> bits) & 31])
      }
      value &= (1 << bits) - 1
    }
    return token
  }

  /// The keys file, as the monitor's loader reads it (README "Enrol the sites" documents the format).
  public func keysFileText(writtenAt now: Double) -> String {
    var text = """
      # BridgeWatch site keys: each site's secret, the token of its check-in link and, during a rotation's grace,
      # its previous secret with the time it stops being accepted (UTC). Written by `bridgewatch keys` at \(SiteKeyEntry.utcText(now)).
      # It holds every site's secret: keep it mode 600, owned by the user the monitor runs as.

      """
    for (site, entry) in entries {
      text += "\"\(site.id)\":\n  secret: \(Self.quoted(entry.secret))\n"
      if let token = entry.checkinToken { text += "  token: \"\(token)\"\n" }
      if let previous = entry.previousSecret, let until = entry.previousUntil {
        text += "  previous: \(Self.quoted(previous))\n  previous_until: \"\(SiteKeyEntry.utcText(until))\"\n"
      }
    }
    return text
  }

  /// A YAML double-quoted scalar: a secret written by hand may hold a quote or a backslash.
  static func quoted(_ text: String) -> String {
    var out = "\""
    for character in text.unicodeScalars {
      switch character {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\t": out += "\\t"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case let control where control.value < 0x20 || control.value == 0x7F:
        out += "\\x" + (control.value < 0x10 ? "0" : "") + String(control.value, radix: 16)
      default: out.unicodeScalars.append(character)
      }
    }
    return out + "\""
  }
}
