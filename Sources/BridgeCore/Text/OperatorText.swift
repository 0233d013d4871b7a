/// Text an operator types that the monitor keeps, journals and shows on every console: the operator's name, a
/// mark's reason, a note. One rule for every door (the dashboard, a console's request, a followed primary, the
/// journal): a length limit counted in Unicode scalars (so bytes stay bounded: a journal line of the longest texts
/// is far below the reader's 64 KiB), and no control characters (`TextSanitizer`'s: C0, DEL, C1, bidirectional
/// overrides), which could forge lines in a log or reach a terminal as escape sequences.
public enum OperatorText {
  public enum Field: String, Sendable, Equatable {
    case operatorName = "operator name"
    case reason
    case note

    /// The field's name on the console socket and in the journal.
    public var wireName: String {
      switch self {
      case .operatorName: "operator"
      case .reason: "reason"
      case .note: "note"
      }
    }

    public init?(wireName: String) {
      guard let field = [Field.operatorName, .reason, .note].first(where: { $0.wireName == wireName }) else { return nil }
      self = field
    }

    /// Scalars allowed: a name fits a console's header; a reason, the dashboard's one-line prompt with room to spare.
    public var limit: Int {
      switch self {
      case .operatorName: 64
      case .reason, .note: 200
      }
    }
  }

  /// Why `text` may not be kept as `field`; nil when it may.
  public static func problem(_ text: String, as field: Field) -> OperatorTextError? {
    var count = 0
    for scalar in text.unicodeScalars {
      if TextSanitizer.isUnsafe(scalar) { return OperatorTextError(field: field, problem: .controlCharacter) }
      count += 1
      if count > field.limit { return OperatorTextError(field: field, problem: .tooLong) }
    }
    return nil
  }

  public static func check(_ text: String, as field: Field) throws(OperatorTextError) {
    if let problem = problem(text, as: field) { throw problem }
  }

  /// `text` made acceptable as `field`: control characters dropped, cut at the limit. For what was written before
  /// these rules (an old journal) and as the journal writer's last guard.
  public static func clamped(_ text: String, as field: Field) -> String {
    guard problem(text, as: field) != nil else { return text }
    var out = String.UnicodeScalarView()
    for scalar in TextSanitizer.printable(text).unicodeScalars.prefix(field.limit) { out.append(scalar) }
    return String(out)
  }
}

public struct OperatorTextError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Problem: String, Sendable, Equatable {
    case tooLong = "too_long"
    case controlCharacter = "control_character"
  }
  public var field: OperatorText.Field
  public var problem: Problem

  public init(field: OperatorText.Field, problem: Problem) {
    self.field = field
    self.problem = problem
  }

  public var description: String {
    switch problem {
    case .tooLong: "the \(field.rawValue) is longer than \(field.limit) characters"
    case .controlCharacter: "the \(field.rawValue) holds a control character"
    }
  }
}
