import BridgeCore

/// One operator action as the dashboard offers it, a row of `OperatorCommands.table` (tmux's `cmd_entry` table in
/// cmd.c is the model): its key, how the footer and the help name it, what it asks first, and the request it makes.
/// The key map, the help, the footer and the prompts are generated from the rows, so adding an operator action is
/// a row here plus its case in `OperatorRequest.Action` and the engine's `apply`.
public struct OperatorCommand: Sendable {
  public enum Name: String, Sendable, CaseIterable {
    case markOffline, clearMark, acknowledge, setHeadcount, claim
  }

  /// What pressing the key on a site does.
  enum Press: Sendable, Equatable {
    /// Sends this request for the site at once.
    case request(OperatorRequest.Action)
    /// Asks first: this row's prompt opens.
    case prompt
    /// Asks yes or no first (someone else's claim).
    case confirm(DashboardState.Mode)
    /// Says why not on the status line; nothing is sent.
    case refuse(String)
  }

  /// A line the operator types, and what it becomes.
  struct Prompt: Sendable {
    /// The footer's question for `site`, before the typed text.
    let question: @Sendable (_ site: Int, _ snapshot: MonitorSnapshot, _ strings: Strings) -> String
    /// The typed line as a request's action, or why it is not one (the prompt stays open).
    let submit: @Sendable (_ input: String, _ strings: Strings) -> Result<OperatorRequest.Action, PromptError>
    /// A submitted action that needs a yes first (a count above the site's expected): the question's mode.
    let confirmation: @Sendable (_ action: OperatorRequest.Action, _ site: Int, _ snapshot: MonitorSnapshot) -> DashboardState.Mode?
  }

  public let name: Name
  public let keys: [Key]
  /// How the keys are written in the footer and help.
  public let keyLabel: String
  public let footerLabel: TextKey
  public let help: TextKey
  let press: @Sendable (_ site: Int, _ snapshot: MonitorSnapshot, _ state: DashboardState) -> Press
  let prompt: Prompt?

  /// The key map's row for this action.
  var binding: KeyBinding {
    KeyBinding(keys: keys, keyLabel: keyLabel, action: .operate(name), footerLabel: footerLabel, help: help)
  }
}

public enum OperatorCommands {
  /// The operator actions in the order the help lists them.
  public static let table: [OperatorCommand] = [
    OperatorCommand(
      name: .markOffline, keys: [.character("o")], keyLabel: "o", footerLabel: .footerMark, help: .keyMark,
      press: { _, _, _ in .prompt },
      prompt: OperatorCommand.Prompt(
        question: { site, snapshot, strings in
          let presets = strings.markPresets.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: " · ")
          return strings(.markPrompt, snapshot.sites[site].id, presets)
        },
        submit: { text, strings in
          let presets = strings.markPresets
          let preset = Int(text).flatMap { (1...presets.count).contains($0) ? presets[$0 - 1] : nil }
          let reason = preset ?? text
          guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .failure(PromptError(strings(.giveReason, presets.count)))
          }
          return .success(.mark(reason: reason))
        },
        confirmation: { _, _, _ in nil })),
    OperatorCommand(
      name: .clearMark, keys: [.character("u")], keyLabel: "u", footerLabel: .footerClear, help: .keyClear,
      press: { site, snapshot, state in
        snapshot.records[site].mark == nil ? .refuse(state.strings(.notMarked, snapshot.sites[site].id)) : .request(.clear)
      },
      prompt: nil),
    OperatorCommand(
      name: .acknowledge, keys: [.character("a")], keyLabel: "a", footerLabel: .footerAck, help: .keyAcknowledge,
      press: { site, snapshot, state in
        let status = snapshot.records[site].status
        guard status == .late || status == .offline else {
          return .refuse(state.strings(.cannotAcknowledge, snapshot.sites[site].id, state.strings.status(status)))
        }
        return .request(.acknowledge)
      },
      prompt: nil),
    OperatorCommand(
      name: .setHeadcount, keys: [.character("c")], keyLabel: "c", footerLabel: .footerCount, help: .keyCount,
      press: { _, _, _ in .prompt },
      prompt: OperatorCommand.Prompt(
        question: { site, snapshot, strings in
          strings(.headcountPrompt, snapshot.sites[site].id, strings.number(snapshot.sites[site].expected))
        },
        submit: { text, strings in
          // The same reading as the agent's count file: "1.234" (Vietnamese), "1,234" and "1 234" are 1234.
          guard case .success(let count) = CountText.parse(Array(text.utf8)), count <= ConfigLoader.maximumExpected else {
            return .failure(PromptError(strings(.badHeadcount, strings.number(ConfigLoader.maximumExpected), text)))
          }
          return .success(.setHeadcount(count))
        },
        confirmation: { action, site, snapshot in
          // More people than expected: most often a slip ("1.234" for 12, a digit twice). Ask, naming the expected.
          guard case .setHeadcount(let count) = action, count > snapshot.sites[site].expected else { return nil }
          return .confirmHeadcount(site: site, count: count)
        })),
    OperatorCommand(
      name: .claim, keys: [.character("i")], keyLabel: "i", footerLabel: .footerClaim, help: .keyClaim,
      press: { site, snapshot, state in
        // Unclaimed: take it. One's own: give it back. Someone else's: only after asking.
        guard let claim = snapshot.records[site].claim else { return .request(.claim) }
        if claim.operatorName == state.operatorName { return .request(.release(force: false)) }
        return .confirm(.confirmRelease(site: site))
      },
      prompt: nil),
  ]

  /// The row named `name`.
  public static subscript(_ name: OperatorCommand.Name) -> OperatorCommand {
    table.first { $0.name == name }!
  }
}
