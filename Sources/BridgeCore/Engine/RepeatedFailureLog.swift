/// What to log about work retried on a schedule while it keeps failing (the status file, tried every few seconds):
/// the first failure at once, then a reminder every `reminderNanos` with how many attempts failed, and a line when
/// it works again. Never a line per attempt: a full disk must not fill the log too.
public struct RepeatedFailureLog: Sendable {
  public static let defaultReminderNanos: Int64 = 300_000_000_000

  /// `subject` names what fails, for the lines: "status file /var/lib/bw/status.json".
  public let subject: String
  public let reminderNanos: Int64
  private var failingSinceNanos: Int64?
  private var lastLoggedNanos: Int64 = 0
  private var failures = 0
  private var failuresSinceLogged = 0

  public init(subject: String, reminderNanos: Int64 = defaultReminderNanos) {
    self.subject = subject
    self.reminderNanos = reminderNanos
  }

  public var isFailing: Bool { failingSinceNanos != nil }

  /// An attempt at `now` (monotonic) failed for `reason`: the line to log, or nil when it is not yet time.
  public mutating func failed(_ reason: String, atNanos now: Int64) -> String? {
    failures += 1
    failuresSinceLogged += 1
    guard let since = failingSinceNanos else {
      failingSinceNanos = now
      lastLoggedNanos = now
      failuresSinceLogged = 0
      return "cannot write \(subject): \(reason) (tried again on schedule; said again every \(Self.text(reminderNanos)) while it fails)"
    }
    guard now - lastLoggedNanos >= reminderNanos else { return nil }
    let line =
      "still cannot write \(subject): \(reason) (\(failuresSinceLogged) more failed attempt\(failuresSinceLogged == 1 ? "" : "s"), "
      + "\(failures) since it started failing \(Self.text(now - since)) ago)"
    lastLoggedNanos = now
    failuresSinceLogged = 0
    return line
  }

  /// An attempt at `now` worked: the line to log when it had been failing, else nil.
  public mutating func succeeded(atNanos now: Int64) -> String? {
    guard let since = failingSinceNanos else { return nil }
    let line = "\(subject) is written again, after \(failures) failed attempt\(failures == 1 ? "" : "s") over \(Self.text(now - since))"
    failingSinceNanos = nil
    failures = 0
    failuresSinceLogged = 0
    return line
  }

  /// Whole seconds (or minutes, hours when exact), for people.
  private static func text(_ nanos: Int64) -> String {
    DurationText.format(.seconds(max(0, nanos) / 1_000_000_000))
  }
}
