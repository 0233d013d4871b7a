/// How a face reaches the monitor: in the same process, or over the console socket. The dashboard is written
/// against this alone, so `run` and `console` show the same screen.
public protocol MonitorLink: AnyObject, Sendable {
  /// What the face knows of the conference (for a console narrowed to a group, the sites are that group's).
  var facts: ConsoleFacts { get }
  /// Starts delivering updates; each carries the newest snapshot and the events since the last one.
  func attach(_ deliver: @escaping @Sendable (LinkUpdate) -> Void)
  /// Sends an operator request without waiting: `answer` runs once, later, on a thread of the link's, with the
  /// monitor's answer (or why none came). The update with the state it leads to is delivered before it.
  func perform(
    _ request: OperatorRequest, operatorName: String, answer: @escaping @Sendable (ConsoleAnswer.Outcome) -> Void)
  /// Asks for `site`'s last hour (an index into the snapshot's sites) with every update from now on.
  func showDetail(site: Int?)
  func detach()
}

public struct LinkUpdate: Sendable {
  public enum Connection: Sendable, Equatable {
    case live
    /// The monitor went away; the link tries again by itself.
    case lost(reason: String)
  }
  public var snapshot: MonitorSnapshot?
  public var events: [EngineEvent]
  public var connection: Connection

  public init(snapshot: MonitorSnapshot?, events: [EngineEvent], connection: Connection = .live) {
    self.snapshot = snapshot
    self.events = events
    self.connection = connection
  }
}
