/// The operator actions by name, without their arguments: what the metrics count, and what an engine event says
/// an operator did. `OperatorRequest.Action` carries the arguments; the dashboard's `OperatorCommands` table gives
/// each its key, prompt, help and footer words.
public enum OperatorActionKind: String, CaseIterable, Sendable {
  case mark, clear, acknowledge
  case setHeadcount = "set_headcount"
  case claim, release

  /// The label in `bridgewatch_operator_actions_total{action}`.
  public var metricLabel: String { rawValue }

  /// The action an event records, if an operator caused it (status changes by silence or heartbeats do not, nor
  /// a claim that ended with the site back online).
  public init?(_ event: EngineEvent) {
    switch event.kind {
    case .statusChanged(_, _, .marked): self = .mark
    case .statusChanged(_, _, .markCleared): self = .clear
    case .acknowledged: self = .acknowledge
    case .headcountSet: self = .setHeadcount
    case .claimed: self = .claim
    case .claimReleased(let operatorName, _): if operatorName == nil { return nil } else { self = .release }
    default: return nil
    }
  }
}

extension OperatorRequest.Action {
  public var kind: OperatorActionKind {
    switch self {
    case .mark: .mark
    case .clear: .clear
    case .acknowledge: .acknowledge
    case .setHeadcount: .setHeadcount
    case .claim: .claim
    case .release: .release
    }
  }
}
