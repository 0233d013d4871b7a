/// Each site's place in the roster, by its id: built once for a run and shared by the engine (every heartbeat's
/// site), the console server (a console's detail pane) and the checkpoint's replay (every journaled record), which
/// each built their own (three dictionaries: 1.2 MB at 10,000 sites, 12 MB at 100,000).
public struct SiteIndex: Sendable {
  private let byID: [String: Int]

  /// A site id given twice (the config refuses that) is found at its last place.
  public init(sites: [SiteConfig]) {
    var byID: [String: Int] = Dictionary(minimumCapacity: sites.count)
    for (index, site) in sites.enumerated() { byID[site.id] = index }
    self.byID = byID
  }

  public subscript(id: String) -> Int? { byID[id] }
}
