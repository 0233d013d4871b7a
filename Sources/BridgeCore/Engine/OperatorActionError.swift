import Foundation

/// An operator action that cannot be applied; the screen shows the reason and nothing changes. Conflicts say what
/// the site is now and who did what, never overwrite silently.
public enum OperatorActionError: Error, Sendable, Equatable, CustomStringConvertible {
  case noSuchSite
  case notMarked
  case nothingToAcknowledge(SiteStatus)
  case headcountOutOfRange(Int)
  /// A hand-set count above the site's expected, not confirmed by the operator.
  case headcountAboveExpected(count: Int, expected: Int)
  case emptyReason
  /// An operator's name or reason breaks `OperatorText`'s rule (too long, a control character).
  case invalidText(OperatorTextError)
  case alreadyMarked(OperatorMark)
  case alreadyAcknowledged(by: String)
  /// The operator decided on a status the site no longer has.
  case changedMeanwhile(now: SiteStatus)
  case alreadyClaimed(SiteClaim)
  case notClaimed
  /// Releasing someone else's claim needs `force` (the console asks first).
  case claimedByAnother(SiteClaim)

  public var description: String { describe(utcOffsetSeconds: 0) }

  /// The reason for a person, with times in the conference's local time.
  public func describe(utcOffsetSeconds offset: Int) -> String {
    func clock(_ unixSeconds: Double) -> String {
      String(LocalTimeText.format(unixSeconds, utcOffsetSeconds: offset).split(separator: " ").last ?? "")
    }
    switch self {
    case .noSuchSite: return "no such site"
    case .notMarked: return "the site is not marked offline"
    case .nothingToAcknowledge(let status): return "only a late or offline site can be acknowledged (it is \(status))"
    case .headcountOutOfRange(let count): return "headcount must be from 0 to \(ConfigLoader.maximumExpected), got \(count)"
    case .emptyReason: return "a mark needs a reason"
    case .headcountAboveExpected(let count, let expected):
      return "\(NumberText.grouped(count)) is more than the \(NumberText.grouped(expected)) expected; confirm it to set it"
    case .invalidText(let error): return error.description
    case .alreadyMarked(let mark):
      return "already marked by \(mark.operatorName) at \(clock(mark.unixSeconds)) (\(mark.reason))"
    case .alreadyAcknowledged(let name): return "already acknowledged by \(name)"
    case .changedMeanwhile(let status): return "the site changed meanwhile: it is \(status) now"
    case .alreadyClaimed(let claim): return "\(claim.operatorName) has been on it since \(clock(claim.unixSeconds))"
    case .notClaimed: return "nobody is on this site"
    case .claimedByAnother(let claim):
      return "\(claim.operatorName) is on it since \(clock(claim.unixSeconds)); release it anyway?"
    }
  }
}
