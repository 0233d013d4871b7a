import Foundation

/// A monitor's place in a primary–standby pair (README "Running with a standby"): what every face shows about it,
/// and whether operators may act on it. One writer of operator actions at a time; each monitor has its own journal.
public struct MonitorRole: Sendable, Equatable, Codable {
  public enum Kind: String, Sendable, Codable {
    case primary
    case standby
  }

  /// An old primary that learned from its peer's socket that the peer was promoted in its place.
  public struct Replacement: Sendable, Equatable, Codable {
    public var peer: String
    public var promotedAt: Double
    public init(peer: String, promotedAt: Double) {
      self.peer = peer
      self.promotedAt = promotedAt
    }
    enum CodingKeys: String, CodingKey { case peer, promotedAt = "promoted_at" }
  }

  public var kind: Kind
  /// A standby's source (the primary's socket, or the command that reaches it), as given to `--follow`.
  public var following: String?
  /// When the standby last heard from its primary (unix seconds); nil before the first word.
  public var lastPrimaryContact: Double?
  /// Set while the primary has been silent longer than the configured time: since when it is silent.
  public var primarySilentSince: Double?
  /// Why the follow link is down, while it is.
  public var linkProblem: String?
  /// When this monitor, a standby before, was promoted.
  public var promotedAt: Double?
  public var replacedBy: Replacement?

  public init(
    kind: Kind, following: String? = nil, lastPrimaryContact: Double? = nil, primarySilentSince: Double? = nil,
    linkProblem: String? = nil, promotedAt: Double? = nil, replacedBy: Replacement? = nil
  ) {
    self.kind = kind
    self.following = following
    self.lastPrimaryContact = lastPrimaryContact
    self.primarySilentSince = primarySilentSince
    self.linkProblem = linkProblem
    self.promotedAt = promotedAt
    self.replacedBy = replacedBy
  }

  public static let primary = MonitorRole(kind: .primary)

  /// Why an operator may not act here, or nil when they may: a standby follows its primary's actions (acting on
  /// both would make two writers), and a replaced primary is no longer the one the conference follows.
  public func refusal(promoteHint: String) -> String? {
    if let replacedBy {
      return "this monitor was replaced: its standby (\(replacedBy.peer)) was promoted; act there"
    }
    guard kind == .standby else { return nil }
    if primarySilentSince != nil {
      return "this is the standby and its primary is silent; promote it first (\(promoteHint)), then act"
    }
    return "this is the standby, following \(following ?? "the primary"); act on the primary"
  }

  enum CodingKeys: String, CodingKey {
    case kind = "role", following, lastPrimaryContact = "primary_last_contact", primarySilentSince = "primary_silent_since"
    case linkProblem = "link_problem", promotedAt = "promoted_at", replacedBy = "replaced_by"
  }
}

extension MonitorRole {
  /// What an operator types on this monitor's machine to promote it: `bridgewatch promote` and the config's
  /// absolute path, quoted for the shell when it needs it (a path relative to where the monitor started would not
  /// work from another folder). A config read from memory has no path: the placeholder CONFIG stands for it.
  public static func promoteCommand(configPath: String) -> String {
    guard !configPath.isEmpty, configPath != "<memory>" else { return "bridgewatch promote CONFIG" }
    let absolute = URL(fileURLWithPath: configPath).standardized.path
    let plain = absolute.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "/._-+,:@".unicodeScalars.contains($0) }
    let shown = plain ? absolute : "'" + absolute.replacingOccurrences(of: "'", with: "'\\''") + "'"
    return "bridgewatch promote " + shown
  }
}
