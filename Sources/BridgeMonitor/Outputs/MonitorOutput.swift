import BridgeCore

/// Something the hub feeds with what it publishes: the status file, the console server, the metrics, the headless
/// log. The hub holds them in one list built from the config (`MonitorWiring`), starts them once its inputs are
/// bound, hands each every update in list order, and stops them after its last tick.
public protocol MonitorOutput: AnyObject, Sendable {
  /// The monitor runs: `facts` says what it is (its roster, its UDP address). A throw stops the start.
  func start(facts: ConsoleFacts) async throws
  /// Every update the hub publishes, on the hub's loop: after each tick (`isTick`), and at once after an operator
  /// action or a face's request. Must return quickly; slow work goes to the output's own thread.
  func receive(_ update: MonitorUpdate)
  /// After the hub's last update (its final tick): finish what is in flight and let go of what it holds.
  func stop() async
  /// The sites whose last hour this output shows (the console server: those its consoles look at); the hub puts
  /// them in `update.details`. Read as the hub publishes.
  var detailSites: Set<Int> { get }
}

extension MonitorOutput {
  /// Most outputs show no site's last hour.
  public var detailSites: Set<Int> { [] }
}
