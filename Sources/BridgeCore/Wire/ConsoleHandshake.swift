public struct ConsoleHello: Sendable, Equatable, Codable {
  public enum Purpose: String, Sendable, Codable {
    /// A dashboard: snapshot, deltas, requests.
    case console
    /// `bridgewatch status`: one snapshot and the list of consoles, then goodbye.
    case status
    /// A standby (`run --follow`): operator actions from `follow` on, then every new one, and a keep-alive.
    case follow
    /// Another monitor asking who this one is (`run --peer`): the welcome, with the role, then goodbye.
    case peer
  }
  public var version: Int
  /// The name the operator gave (`--operator`); the monitor adds the Unix user it reads from the socket.
  public var operatorName: String
  public var readOnly: Bool
  /// The group the console shows (for the list of consoles; the console filters itself).
  public var group: String?
  public var purpose: Purpose
  /// A standby's position in this primary's actions (nil: it wants the whole state first).
  public var follow: FollowPosition?
  /// The console reads the roster as rows (`ConsoleRows`); absent from consoles before them, which get JSON objects.
  public var readsRows: Bool?

  public init(
    version: Int = ConsoleProtocol.version, operatorName: String, readOnly: Bool, group: String?, purpose: Purpose,
    follow: FollowPosition? = nil, readsRows: Bool? = true
  ) {
    self.version = version
    self.operatorName = operatorName
    self.readOnly = readOnly
    self.group = group
    self.purpose = purpose
    self.follow = follow
    self.readsRows = readsRows
  }

  enum CodingKeys: String, CodingKey {
    case version, operatorName = "operator", readOnly = "read_only", group, purpose, follow, readsRows = "rows"
  }
}

public struct ConsoleWelcome: Sendable, Equatable, Codable {
  public var version: Int
  public var pid: Int
  /// The Unix user the monitor read from the connection: what it records with this console's actions.
  public var unixUser: String
  public var facts: ConsoleFacts
  /// True when the monitor made this console read-only (its Unix user is in `console.read_only_users`), whatever
  /// the hello asked; absent otherwise.
  public var readOnly: Bool?
  /// Primary or standby, and what the monitor knows of its pair (absent from monitors before standbys).
  public var role: MonitorRole?

  public init(
    version: Int = ConsoleProtocol.version, pid: Int, unixUser: String, facts: ConsoleFacts, readOnly: Bool? = nil, role: MonitorRole? = nil
  ) {
    self.version = version
    self.pid = pid
    self.unixUser = unixUser
    self.facts = facts
    self.readOnly = readOnly
    self.role = role
  }

  enum CodingKeys: String, CodingKey { case version, pid, unixUser = "unix_user", facts, readOnly = "read_only", role }
}

public struct ConsoleRefusal: Sendable, Equatable, Codable {
  public var version: Int
  public var reason: String

  public init(version: Int = ConsoleProtocol.version, reason: String) {
    self.version = version
    self.reason = reason
  }
}
