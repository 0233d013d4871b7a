// MARK: What the monitor's answer to an operator action did, from its events (issue 31)

/// What a face says once the monitor answered an operator action (the dashboard's status line, a console's): what
/// the action did, in the words of the event log (`EventText`, from the events the monitor's apply returned), that
/// it changed nothing, or why it was not done. The one place these words are made, in both languages.
public enum AnswerText {
  /// The line for `outcome`, and whether it is a problem (shown as one). `site`: the id the request named, for an
  /// answer without events; `sites`: the roster the events' indexes refer to (the face's own).
  public static func describe(
    _ outcome: ConsoleAnswer.Outcome, site: String, sites: [some RosterSite], strings: Strings, utcOffsetSeconds: Int
  ) -> (text: String, isProblem: Bool) {
    switch outcome {
    case .applied(nil):
      // A monitor older than the answer's events said only that it applied it; the event log shows what changed.
      return (strings(.answerAppliedUntold, TextSanitizer.printable(site)), false)
    case .applied(let events?):
      let lines = events.filter { sites.indices.contains($0.siteIndex) }.map { EventText.describe($0, sites: sites, strings: strings) }
      guard !lines.isEmpty else { return (strings(.answerNothingChanged, TextSanitizer.printable(site)), false) }
      return (lines.joined(separator: " · "), false)
    case .refused(let refusal):
      return (strings(.notDone, self.refusal(refusal, strings: strings, utcOffsetSeconds: utcOffsetSeconds)), true)
    case .unsaved(let reason):
      return ("\(JournalNotSaved(reason: TextSanitizer.printable(reason)))", true)
    case .notAllowed(let reason):
      return (strings(.notDone, TextSanitizer.printable(reason)), true)
    }
  }

  /// Why the monitor did not apply a request, with times in the conference's local time: nothing was changed.
  public static func refusal(_ refusal: OperatorActionError, strings: Strings, utcOffsetSeconds offset: Int) -> String {
    func clock(_ unixSeconds: Double) -> String {
      String(LocalTimeText.format(unixSeconds, utcOffsetSeconds: offset).split(separator: " ").last ?? "")
    }
    func name(_ text: String) -> String { TextSanitizer.printable(text) }
    switch refusal {
    case .noSuchSite: return strings(.refusalNoSuchSite)
    case .notMarked: return strings(.refusalNotMarked)
    case .nothingToAcknowledge(let status): return strings(.refusalNothingToAcknowledge, strings.status(status))
    case .headcountOutOfRange(let count):
      return strings(.refusalHeadcountOutOfRange, strings.number(ConfigLoader.maximumExpected), strings.number(count))
    case .emptyReason: return strings(.refusalEmptyReason)
    case .headcountAboveExpected(let count, let expected):
      return strings(.refusalHeadcountAboveExpected, strings.number(count), strings.number(expected))
    case .invalidText(let error):
      let field: String =
        switch error.field {
        case .operatorName: strings(.refusalFieldOperatorName)
        case .reason: strings(.refusalFieldReason)
        case .note: strings(.refusalFieldNote)
        }
      return switch error.problem {
      case .tooLong: strings(.refusalTextTooLong, field, error.field.limit)
      case .controlCharacter: strings(.refusalTextControlCharacter, field)
      }
    case .alreadyMarked(let mark):
      return strings(.refusalAlreadyMarked, name(mark.operatorName), clock(mark.unixSeconds), name(mark.reason))
    case .alreadyAcknowledged(let by): return strings(.refusalAlreadyAcknowledged, name(by))
    case .changedMeanwhile(let status): return strings(.refusalChangedMeanwhile, strings.status(status))
    case .alreadyClaimed(let claim): return strings(.refusalAlreadyClaimed, name(claim.operatorName), clock(claim.unixSeconds))
    case .notClaimed: return strings(.refusalNotClaimed)
    case .claimedByAnother(let claim):
      return strings(.refusalClaimedByAnother, name(claim.operatorName), clock(claim.unixSeconds))
    }
  }
}

extension Strings {
  static let englishAnswerTable: [TextKey: String] = [
    .eventClaimReleasedOther: "{0}: {1} ended the claim of {2}",
    .answerNothingChanged: "{0}: nothing changed",
    .answerAppliedUntold: "{0}: done (the monitor did not say what changed; see the events)",
    .refusalNoSuchSite: "no such site",
    .refusalNotMarked: "the site is not marked offline",
    .refusalNothingToAcknowledge: "only a late or offline site can be acknowledged (it is {0})",
    .refusalHeadcountOutOfRange: "headcount must be from 0 to {0}, got {1}",
    .refusalEmptyReason: "a mark needs a reason",
    .refusalHeadcountAboveExpected: "{0} is more than the {1} expected; confirm it to set it",
    .refusalFieldOperatorName: "operator name", .refusalFieldReason: "reason", .refusalFieldNote: "note",
    .refusalTextTooLong: "the {0} is longer than {1} characters",
    .refusalTextControlCharacter: "the {0} holds a control character",
    .refusalAlreadyMarked: "already marked by {0} at {1} ({2})",
    .refusalAlreadyAcknowledged: "already acknowledged by {0}",
    .refusalChangedMeanwhile: "the site changed meanwhile: it is {0} now",
    .refusalAlreadyClaimed: "{0} has been on it since {1}",
    .refusalNotClaimed: "nobody is on this site",
    .refusalClaimedByAnother: "{0} is on it since {1}; release it anyway?",
  ]

  static let vietnameseAnswerTable: [TextKey: String] = [
    .eventClaimReleasedOther: "{0}: {1} đã kết thúc lượt xử lý của {2}",
    .answerNothingChanged: "{0}: không có gì thay đổi",
    .answerAppliedUntold: "{0}: đã thực hiện (máy giám sát không cho biết thay đổi gì; xem nhật ký sự kiện)",
    .refusalNoSuchSite: "không có điểm cầu này",
    .refusalNotMarked: "điểm cầu chưa bị đánh dấu ngoại tuyến",
    .refusalNothingToAcknowledge: "chỉ xác nhận được điểm cầu chậm hoặc mất kết nối (điểm cầu đang {0})",
    .refusalHeadcountOutOfRange: "quân số phải từ 0 đến {0}, nhận được {1}",
    .refusalEmptyReason: "đánh dấu cần có lý do",
    .refusalHeadcountAboveExpected: "{0} nhiều hơn {1} dự kiến; cần xác nhận mới đặt",
    .refusalFieldOperatorName: "tên người trực", .refusalFieldReason: "lý do", .refusalFieldNote: "ghi chú",
    .refusalTextTooLong: "{0} dài hơn {1} ký tự",
    .refusalTextControlCharacter: "{0} chứa ký tự điều khiển",
    .refusalAlreadyMarked: "đã được {0} đánh dấu lúc {1} ({2})",
    .refusalAlreadyAcknowledged: "đã được {0} xác nhận",
    .refusalChangedMeanwhile: "điểm cầu đã thay đổi trong lúc đó: giờ đang {0}",
    .refusalAlreadyClaimed: "{0} đang xử lý từ {1}",
    .refusalNotClaimed: "chưa ai xử lý điểm cầu này",
    .refusalClaimedByAnother: "{0} đang xử lý từ {1}; vẫn thôi xử lý thay?",
  ]
}
