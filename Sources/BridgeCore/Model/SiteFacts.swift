/// What the faces (dashboard, console, status file, `status`) show of a site: who it is, where it sits, what it
/// expects, how it is reached and whom to call. Facts, not config: the monitor takes them from its config once, a
/// console from the monitor's welcome (`ConsoleFacts`), and neither turns them back into config; the probe is its
/// target as written, never a resolved `ProbeTarget`, and nothing here says where in a file the site was written.
public struct SiteFacts: Sendable, Hashable {
  public var id: String
  /// Display name, exactly as written (no Unicode normalisation).
  public var name: String
  /// Group path, outermost first: ["Hòa Bình", "Đà Bắc"].
  public var group: [String]
  public var expected: Int
  /// The heartbeat file the site may keep fresh, as the monitor reads it.
  public var heartbeatFile: String
  /// The monitor probes it: `sip://10.0.0.5:5060` and the like.
  public var probe: String?
  /// Whom to call at the site: a name and a phone number, one line.
  public var contact: String?

  public init(
    id: String, name: String, group: [String], expected: Int, heartbeatFile: String, probe: String? = nil, contact: String? = nil
  ) {
    self.id = id
    self.name = name
    self.group = group
    self.expected = expected
    self.heartbeatFile = heartbeatFile
    self.probe = probe
    self.contact = contact
  }

  /// The facts of a site the config describes.
  public init(_ site: SiteConfig) {
    self.init(
      id: site.id, name: site.name, group: site.group, expected: site.expected, heartbeatFile: site.heartbeatFile,
      probe: site.probe?.description, contact: site.contact)
  }

  public var groupLabel: String { group.joined(separator: GroupPath.separator) }
}

/// What the group tree, the roll-ups and the event texts read of a site, whether the engine's config or a face's
/// facts: so that both build them by the same code.
public protocol RosterSite {
  var id: String { get }
  var name: String { get }
  var group: [String] { get }
  var expected: Int { get }
}

extension SiteConfig: RosterSite {}
extension SiteFacts: RosterSite {}
