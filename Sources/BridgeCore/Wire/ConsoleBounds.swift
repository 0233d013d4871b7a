// What the console socket and the follow link refuse at decode, for types declared with the model: every time
// that crosses them is inside `UnixTime`'s window (a primary's `at: 1e300` once crashed its standby when journaled),
// and every request id is a number both sides can hold. Texts are checked where they are kept (`OperatorText`, in
// `StatusEngine.apply`), so one bad reason is one refused action, not a dropped link.

extension OperatorMark {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      operatorName: try container.decode(String.self, forKey: .operatorName), reason: try container.decode(String.self, forKey: .reason),
      unixSeconds: try container.decodeTime(forKey: .unixSeconds))
  }
}

extension FollowedAction {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let revision = try container.decode(UInt64.self, forKey: .revision)
    let who = try container.decode(OperatorIdentity.self, forKey: .who)
    let at = try container.decodeTime(forKey: .at)
    // One or the other: an operator's request, or a site's check-in.
    switch (
      try container.decodeIfPresent(OperatorRequest.self, forKey: .request),
      try container.decodeIfPresent(FollowedCheckin.self, forKey: .checkin)
    ) {
    case (let request?, nil): self.init(revision: revision, request: request, who: who, at: at)
    case (nil, let checkin?): self.init(revision: revision, checkin: checkin, who: who, at: at)
    default:
      throw DecodingError.dataCorruptedError(
        forKey: .request, in: container, debugDescription: "a followed action has a request or a check-in")
    }
  }
}

extension MonitorRole {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      kind: try container.decode(Kind.self, forKey: .kind), following: try container.decodeIfPresent(String.self, forKey: .following),
      lastPrimaryContact: try container.decodeTimeIfPresent(forKey: .lastPrimaryContact),
      primarySilentSince: try container.decodeTimeIfPresent(forKey: .primarySilentSince),
      linkProblem: try container.decodeIfPresent(String.self, forKey: .linkProblem),
      promotedAt: try container.decodeTimeIfPresent(forKey: .promotedAt),
      replacedBy: try container.decodeIfPresent(Replacement.self, forKey: .replacedBy))
  }
}

extension MonitorRole.Replacement {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(peer: try container.decode(String.self, forKey: .peer), promotedAt: try container.decodeTime(forKey: .promotedAt))
  }
}

extension ConsoleList.Entry {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      unixUser: try container.decode(String.self, forKey: .unixUser),
      operatorName: try container.decode(String.self, forKey: .operatorName),
      readOnly: try container.decode(Bool.self, forKey: .readOnly), group: try container.decodeIfPresent(String.self, forKey: .group),
      since: try container.decodeTime(forKey: .since))
  }
}

/// The ids a console gives its requests and promotions: whole numbers a JSON reader in any language holds exactly.
public enum ConsoleRequestID {
  public static let range: ClosedRange<Int> = 0...(1 << 53)

  static func decode<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, forKey key: Key) throws -> Int {
    let problem = "the id must be a whole number from 0 to 2^53"
    guard let value = try? container.decode(Double.self, forKey: key) else {
      throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: problem)
    }
    guard value.isFinite, value == value.rounded(), Double(range.lowerBound) <= value, value <= Double(range.upperBound) else {
      throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(problem), got \(value)")
    }
    return Int(value)
  }
}

extension OperatorStamp {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      operatorName: try container.decode(String.self, forKey: .operatorName), unixSeconds: try container.decodeTime(forKey: .unixSeconds))
  }
}
