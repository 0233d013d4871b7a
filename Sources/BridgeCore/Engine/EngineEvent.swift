import Foundation

/// Why a site's status changed.
public enum StatusCause: Sendable, Hashable, Codable {
  /// A heartbeat arrived (first contact, back from late, or recovered from offline).
  case heartbeat
  /// No heartbeat for `late_after` / `offline_after`.
  case silence
  // Operator causes are rare and carry text: boxed, so every event slot of the history rings stays small.
  indirect case marked(operatorName: String, reason: String)
  indirect case markCleared(operatorName: String)
}

/// Something the event log and the journal must know about.
public struct EngineEvent: Sendable, Hashable {
  public enum Kind: Sendable, Hashable, Codable {
    case statusChanged(from: SiteStatus, to: SiteStatus, cause: StatusCause)
    // Boxed like the operator causes above.
    indirect case acknowledged(operatorName: String)
    indirect case headcountSet(count: Int, operatorName: String)
    /// A headcount sent from the site's check-in page, with who typed it (not an operator action).
    indirect case checkinHeadcount(count: Int, typedBy: String)
    indirect case claimed(operatorName: String)
    /// `operatorName` nil: the claim ended by itself, the site being back online. `claimedBy`: whose claim it was
    /// (someone else's when a release was forced); nil when read from a journal written before it was kept.
    indirect case claimReleased(operatorName: String?, claimedBy: String?)
    case flappingChanged(isFlapping: Bool)
    case helpRequestChanged(isRequested: Bool)
    /// Heartbeats came back while the site stays marked offline by an operator.
    case heardWhileMarked
    /// The site's agent began (`problem`) or stopped (nil) saying its count file cannot be read.
    case countProblemChanged(CountFileProblem?)
  }

  public var time: ClockReading
  public var siteIndex: Int
  public var kind: Kind
}
