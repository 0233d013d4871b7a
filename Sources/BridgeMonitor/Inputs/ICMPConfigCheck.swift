import BridgeCore

extension ICMPAccess {
  /// ICMP probes this system will not let the monitor send, at the first site that has one: `run` would fail at start.
  public static func problem(in config: ConferenceConfig) -> ConfigProblem? {
    for ipv6 in [false, true] {
      guard let site = config.sites.first(where: { $0.probe?.kind == .icmp && ($0.probe?.address ?? "").contains(":") == ipv6 }),
        let problem = Self.problem(ipv6: ipv6)
      else { continue }
      return ConfigProblem(site.location, problem)
    }
    return nil
  }
}
