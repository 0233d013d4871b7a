/// What a face needs to know about the conference, once: never the config, never a key.
public struct ConsoleFacts: Sendable, Equatable, Codable {
  public struct Site: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var group: [String]
    public var expected: Int
    public var heartbeatFile: String
    /// The site signs its heartbeats (it has a key); the key itself never leaves the monitor.
    public var signs: Bool
    /// The monitor probes it: `sip://10.0.0.5:5060` and the like (absent from monitors before probes).
    public var probe: String?
    /// Whom to call at the site (absent when the config names nobody, and from monitors before contacts).
    public var contact: String?

    public init(
      id: String, name: String, group: [String], expected: Int, heartbeatFile: String, signs: Bool, probe: String? = nil,
      contact: String? = nil
    ) {
      self.id = id
      self.name = name
      self.group = group
      self.expected = expected
      self.heartbeatFile = heartbeatFile
      self.signs = signs
      self.probe = probe
      self.contact = contact
    }

    enum CodingKeys: String, CodingKey { case id, name, group, expected, heartbeatFile = "heartbeat_file", signs, probe, contact }
  }

  public struct Session: Sendable, Equatable, Codable {
    public var name: String
    public var start: Double
    public var end: Double

    enum CodingKeys: String, CodingKey { case name, start, end }

    init(name: String, start: Double, end: Double) {
      self.name = name
      self.start = start
      self.end = end
    }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      name = try container.decode(String.self, forKey: .name)
      start = try container.decodeTime(forKey: .start)
      end = try container.decodeTime(forKey: .end)
    }
  }

  public var title: String
  public var sites: [Site]
  public var sessions: [Session]
  public var utcOffsetSeconds: Int
  public var recoverAfter: Int
  /// Where the monitor listens for heartbeats, for the header.
  public var listenAddress: String
  /// The config's colour theme, for a console that names none.
  public var theme: String
  /// What an operator types on the monitor's machine to promote it, for a standby's PRIMARY SILENT banner (absent
  /// from monitors before it: consoles then say `bridgewatch promote CONFIG`).
  public var promoteCommand: String?

  public init(config: ConferenceConfig, listenAddress: String) {
    title = config.title
    sites = config.sites.map {
      Site(
        id: $0.id, name: $0.name, group: $0.group, expected: $0.expected, heartbeatFile: $0.heartbeatFile,
        signs: config.siteKeys[$0.id] != nil,
        probe: $0.probe?.description, contact: $0.contact)
    }
    sessions = config.schedule.sessions.map { Session(name: $0.name, start: $0.start, end: $0.end) }
    utcOffsetSeconds = config.schedule.utcOffsetSeconds
    recoverAfter = config.timing.recoverAfter
    self.listenAddress = listenAddress
    theme = config.theme
    promoteCommand = MonitorRole.promoteCommand(configPath: config.path)
  }

  /// What the console's faces show of each site, as the monitor sent it.
  public var siteFacts: [SiteFacts] {
    sites.map {
      SiteFacts(
        id: $0.id, name: $0.name, group: $0.group, expected: $0.expected, heartbeatFile: $0.heartbeatFile, probe: $0.probe,
        contact: $0.contact)
    }
  }

  public var schedule: Schedule {
    var schedule = Schedule()
    schedule.utcOffsetSeconds = utcOffsetSeconds
    schedule.sessions = sessions.map { ScheduleSession(name: $0.name, start: $0.start, end: $0.end) }
    return schedule
  }

  public var signedSites: Set<String> { Set(sites.filter(\.signs).map(\.id)) }

  enum CodingKeys: String, CodingKey {
    case title, sites, siteRows = "site_rows", sessions, utcOffsetSeconds = "utc_offset", recoverAfter = "recover_after"
    case listenAddress = "listen", theme, promoteCommand = "promote_command"
  }

  /// For a console that reads rows (`ConsoleRows`), the sites travel as `site_rows` (and `sites` is empty) when
  /// every one fits; decoded, `sites` holds them.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    title = try container.decode(String.self, forKey: .title)
    sites = try container.decode([Site].self, forKey: .sites)
    if let rows = try container.decodeIfPresent(String.self, forKey: .siteRows) {
      guard sites.isEmpty else {
        throw DecodingError.dataCorruptedError(forKey: .siteRows, in: container, debugDescription: "sites both as rows and as objects")
      }
      switch ConsoleRows.decodeFacts(rows) {
      case .success(let fromRows): sites = fromRows
      case .failure(let problem):
        throw DecodingError.dataCorruptedError(forKey: .siteRows, in: container, debugDescription: problem.description)
      }
    }
    sessions = try container.decode([Session].self, forKey: .sessions)
    utcOffsetSeconds = try container.decode(Int.self, forKey: .utcOffsetSeconds)
    recoverAfter = try container.decode(Int.self, forKey: .recoverAfter)
    listenAddress = try container.decode(String.self, forKey: .listenAddress)
    theme = try container.decode(String.self, forKey: .theme)
    promoteCommand = try container.decodeIfPresent(String.self, forKey: .promoteCommand)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(title, forKey: .title)
    if ConsoleRows.wanted(by: encoder) && ConsoleRows.fit(sites) {
      try container.encode([Site](), forKey: .sites)
      try container.encode(ConsoleRows.encode(facts: sites), forKey: .siteRows)
    } else {
      try container.encode(sites, forKey: .sites)
    }
    try container.encode(sessions, forKey: .sessions)
    try container.encode(utcOffsetSeconds, forKey: .utcOffsetSeconds)
    try container.encode(recoverAfter, forKey: .recoverAfter)
    try container.encode(listenAddress, forKey: .listenAddress)
    try container.encode(theme, forKey: .theme)
    try container.encodeIfPresent(promoteCommand, forKey: .promoteCommand)
  }
}
