import BridgeCore

/// A request the dashboard hands to the engine's owner; the engine validates and emits the events.
public enum OperatorRequest: Sendable, Equatable {
  case mark(site: Int, reason: String)
  case clearMark(site: Int)
  case acknowledge(site: Int)
  case setHeadcount(site: Int, count: Int)
}

/// What a key asks the application to do beyond redrawing.
public enum Effect: Sendable, Equatable {
  case none
  case request(OperatorRequest)
  case cycleTheme
  case quit
}

public struct PromptError: Error, Sendable {
  public var text: String
  init(_ text: String) { self.text = text }
}

/// One line of the event log pane.
public struct LogLine: Sendable, Equatable {
  public var unixSeconds: Double
  public var text: String
  public var isAlert: Bool
  public init(unixSeconds: Double, text: String, isAlert: Bool) {
    self.unixSeconds = unixSeconds
    self.text = text
    self.isAlert = isAlert
  }
}

/// The dashboard's own state: selection, mode, messages, event log. It never holds engine state; views read
/// the latest snapshot alongside it.
public struct DashboardState: Sendable {
  public enum Mode: Sendable, Equatable {
    case normal
    case help
    case confirmQuit
    case markReason(site: Int, input: String)
    case headcount(site: Int, input: String)
  }

  public static let logCapacity = 200

  public var mode: Mode = .normal
  /// The selected site, by index into the roster; kept when rows re-sort.
  public var selectedSite: Int?
  public var scrollOffset = 0
  public var message: (text: String, isError: Bool)?
  /// Newest last; a fixed-size ring so two days of events do not grow memory.
  public private(set) var log: [LogLine] = []
  /// Rows of the table last drawn, for paging.
  public var pageSize = 10

  public init() {}

  public mutating func appendLog(_ line: LogLine) {
    log.append(line)
    if log.count > Self.logCapacity { log.removeFirst(log.count - Self.logCapacity) }
  }

  /// Handles one key against the current rows (site indices in display order).
  public mutating func handle(_ key: Key, siteOrder: [Int], sites: [SiteConfig], records: [SiteRecord]) -> Effect {
    switch mode {
    case .help:
      mode = .normal
      if KeyMap.action(for: key) == .quit { return handleAction(.quit, siteOrder: siteOrder, sites: sites, records: records) }
      return .none
    case .confirmQuit:
      if case .character(let character) = key, character == "y" || character == "Y" { return .quit }
      if key == .interrupt { return .quit }
      mode = .normal
      message = nil
      return .none
    case .markReason(let site, let input):
      return handlePrompt(key, input: input, site: site) { site, text in
        let preset = Int(text).flatMap { (1...MarkReasons.presets.count).contains($0) ? MarkReasons.presets[$0 - 1] : nil }
        let reason = preset ?? text
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
          return .failure(PromptError("give a reason: 1-\(MarkReasons.presets.count) or text"))
        }
        return .success(.mark(site: site, reason: reason))
      } update: {
        .markReason(site: $0, input: $1)
      }
    case .headcount(let site, let input):
      return handlePrompt(key, input: input, site: site) { site, text in
        let digits = text.trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty, digits.count <= 7, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int(digits),
          count <= ConfigLoader.maximumExpected
        else {
          return .failure(PromptError("headcount must be a whole number from 0 to 1,000,000; '\(text)' was not applied"))
        }
        return .success(.setHeadcount(site: site, count: count))
      } update: {
        .headcount(site: $0, input: $1)
      }
    case .normal:
      guard let action = KeyMap.action(for: key) else { return .none }
      return handleAction(action, siteOrder: siteOrder, sites: sites, records: records)
    }
  }

  private mutating func handlePrompt(
    _ key: Key, input: String, site: Int, submit: (Int, String) -> Result<OperatorRequest, PromptError>, update: (Int, String) -> Mode
  ) -> Effect {
    switch key {
    case .escape, .interrupt:
      mode = .normal
      message = ("cancelled", false)
      return .none
    case .enter:
      switch submit(site, input) {
      case .success(let request):
        mode = .normal
        message = nil
        return .request(request)
      case .failure(let error):
        message = (error.text, true)  // stays in the prompt; nothing changes
        return .none
      }
    case .backspace:
      mode = update(site, String(input.dropLast()))
      return .none
    case .character(let character):
      // Printable text only; a prompt is one line of at most 120 characters.
      guard !character.isNewline, character.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }), input.count < 120 else {
        return .none
      }
      mode = update(site, input + String(character))
      return .none
    default:
      return .none
    }
  }

  private mutating func handleAction(_ action: Action, siteOrder: [Int], sites: [SiteConfig], records: [SiteRecord]) -> Effect {
    message = nil
    let position = selectedSite.flatMap { siteOrder.firstIndex(of: $0) }
    func select(_ index: Int) {
      guard !siteOrder.isEmpty else { return }
      selectedSite = siteOrder[max(0, min(siteOrder.count - 1, index))]
    }
    switch action {
    case .moveUp: select((position ?? 1) - 1)
    case .moveDown: select((position ?? -1) + 1)
    case .pageUp: select((position ?? 0) - max(1, pageSize - 1))
    case .pageDown: select((position ?? 0) + max(1, pageSize - 1))
    case .home: select(0)
    case .end: select(siteOrder.count - 1)
    case .help: mode = .help
    case .quit:
      mode = .confirmQuit
    case .cycleTheme: return .cycleTheme
    case .markOffline:
      guard let site = selectedSite else { return .none }
      mode = .markReason(site: site, input: "")
    case .clearMark:
      guard let site = selectedSite else { return .none }
      guard records[site].mark != nil else {
        message = ("\(sites[site].id) is not marked offline", true)
        return .none
      }
      return .request(.clearMark(site: site))
    case .acknowledge:
      guard let site = selectedSite else { return .none }
      let status = records[site].status
      guard status == .late || status == .offline else {
        message = ("only a late or offline site can be acknowledged; \(sites[site].id) is \(status)", true)
        return .none
      }
      return .request(.acknowledge(site: site))
    case .setHeadcount:
      guard let site = selectedSite else { return .none }
      mode = .headcount(site: site, input: "")
    }
    return .none
  }
}
