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

  /// The reason for a person in English, with times in the conference's local time (a face words it in its own
  /// language with `AnswerText.refusal`, which makes this one too).
  public func describe(utcOffsetSeconds offset: Int) -> String {
    AnswerText.refusal(self, strings: .english, utcOffsetSeconds: offset)
  }
}
