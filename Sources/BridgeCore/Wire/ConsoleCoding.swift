import Foundation

// How the core's values are written on the console socket (docs/CONSOLE-PROTOCOL.md): words a person or a
// script can read ("marked", "already_marked"), flat objects, no positional "_0" keys.

extension SiteStatus: Codable {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let word = try container.decode(String.self)
    guard let status = Self.allCases.first(where: { $0.description == word }) else {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown status \"\(word)\"")
    }
    self = status
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

extension OperatorRequest: Codable {
  enum CodingKeys: String, CodingKey { case site, action, reason, count, force, seen, aboveExpected = "above_expected" }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    site = try container.decode(String.self, forKey: .site)
    seenStatus = try container.decodeIfPresent(SiteStatus.self, forKey: .seen)
    confirmedAboveExpected = try container.decodeIfPresent(Bool.self, forKey: .aboveExpected) ?? false
    let word = try container.decode(String.self, forKey: .action)
    switch word {
    case "mark": action = .mark(reason: try container.decode(String.self, forKey: .reason))
    case "clear": action = .clear
    case "acknowledge": action = .acknowledge
    case "headcount": action = .setHeadcount(try container.decode(Int.self, forKey: .count))
    case "claim": action = .claim
    case "release": action = .release(force: try container.decodeIfPresent(Bool.self, forKey: .force) ?? false)
    default:
      throw DecodingError.dataCorruptedError(forKey: .action, in: container, debugDescription: "unknown action \"\(word)\"")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(site, forKey: .site)
    try container.encodeIfPresent(seenStatus, forKey: .seen)
    switch action {
    case .mark(let reason):
      try container.encode("mark", forKey: .action)
      try container.encode(reason, forKey: .reason)
    case .clear: try container.encode("clear", forKey: .action)
    case .acknowledge: try container.encode("acknowledge", forKey: .action)
    case .setHeadcount(let count):
      try container.encode("headcount", forKey: .action)
      try container.encode(count, forKey: .count)
      if confirmedAboveExpected { try container.encode(true, forKey: .aboveExpected) }
    case .claim: try container.encode("claim", forKey: .action)
    case .release(let force):
      try container.encode("release", forKey: .action)
      try container.encode(force, forKey: .force)
    }
  }
}

extension OperatorActionError: Codable {
  enum CodingKeys: String, CodingKey { case refusal, status, count, mark, by, claim, field, problem, expected }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let word = try container.decode(String.self, forKey: .refusal)
    switch word {
    case "no_such_site": self = .noSuchSite
    case "not_marked": self = .notMarked
    case "nothing_to_acknowledge": self = .nothingToAcknowledge(try container.decode(SiteStatus.self, forKey: .status))
    case "headcount_out_of_range": self = .headcountOutOfRange(try container.decode(Int.self, forKey: .count))
    case "empty_reason": self = .emptyReason
    case "headcount_above_expected":
      self = .headcountAboveExpected(
        count: try container.decode(Int.self, forKey: .count), expected: try container.decode(Int.self, forKey: .expected))
    case "invalid_text":
      let field = try container.decode(String.self, forKey: .field)
      let problem = try container.decode(String.self, forKey: .problem)
      guard let field = OperatorText.Field(wireName: field), let problem = OperatorTextError.Problem(rawValue: problem) else {
        throw DecodingError.dataCorruptedError(forKey: .field, in: container, debugDescription: "unknown text field or problem")
      }
      self = .invalidText(OperatorTextError(field: field, problem: problem))
    case "already_marked": self = .alreadyMarked(try container.decode(OperatorMark.self, forKey: .mark))
    case "already_acknowledged": self = .alreadyAcknowledged(by: try container.decode(String.self, forKey: .by))
    case "changed_meanwhile": self = .changedMeanwhile(now: try container.decode(SiteStatus.self, forKey: .status))
    case "already_claimed": self = .alreadyClaimed(try container.decode(SiteClaim.self, forKey: .claim))
    case "not_claimed": self = .notClaimed
    case "claimed_by_another": self = .claimedByAnother(try container.decode(SiteClaim.self, forKey: .claim))
    default:
      throw DecodingError.dataCorruptedError(forKey: .refusal, in: container, debugDescription: "unknown refusal \"\(word)\"")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .noSuchSite: try container.encode("no_such_site", forKey: .refusal)
    case .notMarked: try container.encode("not_marked", forKey: .refusal)
    case .nothingToAcknowledge(let status):
      try container.encode("nothing_to_acknowledge", forKey: .refusal)
      try container.encode(status, forKey: .status)
    case .headcountOutOfRange(let count):
      try container.encode("headcount_out_of_range", forKey: .refusal)
      try container.encode(count, forKey: .count)
    case .emptyReason: try container.encode("empty_reason", forKey: .refusal)
    case .headcountAboveExpected(let count, let expected):
      try container.encode("headcount_above_expected", forKey: .refusal)
      try container.encode(count, forKey: .count)
      try container.encode(expected, forKey: .expected)
    case .invalidText(let error):
      try container.encode("invalid_text", forKey: .refusal)
      try container.encode(error.field.wireName, forKey: .field)
      try container.encode(error.problem.rawValue, forKey: .problem)
    case .alreadyMarked(let mark):
      try container.encode("already_marked", forKey: .refusal)
      try container.encode(mark, forKey: .mark)
    case .alreadyAcknowledged(let name):
      try container.encode("already_acknowledged", forKey: .refusal)
      try container.encode(name, forKey: .by)
    case .changedMeanwhile(let status):
      try container.encode("changed_meanwhile", forKey: .refusal)
      try container.encode(status, forKey: .status)
    case .alreadyClaimed(let claim):
      try container.encode("already_claimed", forKey: .refusal)
      try container.encode(claim, forKey: .claim)
    case .notClaimed: try container.encode("not_claimed", forKey: .refusal)
    case .claimedByAnother(let claim):
      try container.encode("claimed_by_another", forKey: .refusal)
      try container.encode(claim, forKey: .claim)
    }
  }
}

extension ConsoleAnswer: Codable {
  enum CodingKeys: String, CodingKey { case id, outcome, refusal, text, events }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    id = try container.decode(Int.self, forKey: .id)
    let word = try container.decode(String.self, forKey: .outcome)
    switch word {
    case "applied":
      // Added within version 1: an older monitor sends none.
      let events = try container.decodeIfPresent([ConsoleEvent].self, forKey: .events)
      if let events, events.count > Self.maximumEvents {
        throw DecodingError.dataCorruptedError(
          forKey: .events, in: container, debugDescription: "an answer carries at most \(Self.maximumEvents) events, got \(events.count)")
      }
      outcome = .applied(events: events?.map(\.event))
    case "refused": outcome = .refused(try container.decode(OperatorActionError.self, forKey: .refusal))
    case "unsaved": outcome = .unsaved(try container.decode(String.self, forKey: .text))
    case "not_allowed": outcome = .notAllowed(try container.decode(String.self, forKey: .text))
    default:
      throw DecodingError.dataCorruptedError(forKey: .outcome, in: container, debugDescription: "unknown outcome \"\(word)\"")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(id, forKey: .id)
    switch outcome {
    case .applied(let events):
      try container.encode("applied", forKey: .outcome)
      try container.encodeIfPresent(events?.map(ConsoleEvent.init), forKey: .events)
    case .refused(let refusal):
      try container.encode("refused", forKey: .outcome)
      // No text: a console words the refusal itself, in its language and the conference's local time.
      try container.encode(refusal, forKey: .refusal)
    case .unsaved(let text):
      try container.encode("unsaved", forKey: .outcome)
      try container.encode(text, forKey: .text)
    case .notAllowed(let text):
      try container.encode("not_allowed", forKey: .outcome)
      try container.encode(text, forKey: .text)
    }
  }
}

extension SiteHistoryView: Codable {
  enum CodingKeys: String, CodingKey {
    case site, slotSeconds = "slot_seconds", beats, minuteCounts = "minute_counts", recentEvents = "events"
  }

  /// One character per heartbeat interval: heard, missed, no data.
  private static func character(_ slot: BeatSlot) -> Character {
    switch slot {
    case .heard: "h"
    case .missed: "m"
    case .noData: "."
    }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let text = try container.decode(String.self, forKey: .beats)
    var beats: [BeatSlot] = []
    beats.reserveCapacity(text.count)
    for character in text {
      guard let slot = [BeatSlot.heard, .missed, .noData].first(where: { Self.character($0) == character }) else {
        throw DecodingError.dataCorruptedError(forKey: .beats, in: container, debugDescription: "beats are h, m or .")
      }
      beats.append(slot)
    }
    self.init(
      site: try container.decode(Int.self, forKey: .site), slotSeconds: try container.decode(Int.self, forKey: .slotSeconds),
      beats: beats, minuteCounts: try container.decode([Int?].self, forKey: .minuteCounts),
      recentEvents: try container.decode([ConsoleEvent].self, forKey: .recentEvents).map(\.event))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(site, forKey: .site)
    try container.encode(slotSeconds, forKey: .slotSeconds)
    let text = String(beats.map(Self.character))
    try container.encode(text, forKey: .beats)
    try container.encode(minuteCounts, forKey: .minuteCounts)
    try container.encode(recentEvents.map(ConsoleEvent.init), forKey: .recentEvents)
  }
}
