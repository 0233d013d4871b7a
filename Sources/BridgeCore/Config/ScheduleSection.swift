import Foundation
import Yams

/// `schedule:`, the sessions and their roll calls.
extension ConfigLoader {
  static let scheduleKeys = ["utc_offset", "roll_call", "sessions"]
  static let sessionKeys = ["name", "start", "end", "roll_call"]

  mutating func parseSchedule(_ node: Node) -> Schedule {
    var schedule = Schedule()
    guard let mapping = node.mapping else {
      fail(node, "'schedule' must be a mapping with 'sessions' (and optionally 'utc_offset')")
      return schedule
    }
    let entries = checkedEntries(mapping, allowed: Self.scheduleKeys, context: "schedule")
    if let offsetNode = entries["utc_offset"], let text = string(offsetNode, "utc_offset") {
      if let offset = LocalTimeText.parseOffset(text) {
        schedule.utcOffsetSeconds = offset
      } else {
        fail(offsetNode, "'utc_offset' must look like +07:00, got '\(text)'")
      }
    }
    var defaultRollCall = Schedule.defaultRollCallSeconds
    if let rollCallNode = entries["roll_call"], let seconds = rollCallOffset(rollCallNode) { defaultRollCall = seconds }
    guard let sessionsNode = entries["sessions"] else {
      fail(node, "'schedule' needs 'sessions': a list of {name, start, end}")
      return schedule
    }
    guard let items = sessionsNode.sequence else {
      fail(sessionsNode, "'sessions' must be a list of {name, start, end}")
      return schedule
    }
    var seen: Set<String> = []
    var located: [(ScheduleSession, Node)] = []
    for item in items {
      guard let itemMapping = item.mapping else {
        fail(item, "each session must be a mapping {name, start, end}")
        continue
      }
      let fields = checkedEntries(itemMapping, allowed: Self.sessionKeys, context: "a session")
      guard let nameNode = fields["name"], let startNode = fields["start"], let endNode = fields["end"] else {
        fail(item, "a session needs name, start and end (\"2026-11-23 07:30\")")
        continue
      }
      guard let name = string(nameNode, "name"), let startText = string(startNode, "start"), let endText = string(endNode, "end")
      else { continue }
      guard let start = LocalTimeText.parse(startText, utcOffsetSeconds: schedule.utcOffsetSeconds) else {
        fail(startNode, "'start' must be a local date and time like \"2026-11-23 07:30\", got '\(startText)'")
        continue
      }
      guard let end = LocalTimeText.parse(endText, utcOffsetSeconds: schedule.utcOffsetSeconds) else {
        fail(endNode, "'end' must be a local date and time like \"2026-11-23 11:30\", got '\(endText)'")
        continue
      }
      guard end > start else {
        fail(endNode, "session '\(name)' ends (\(endText)) before it starts (\(startText))")
        continue
      }
      if let problem = Self.controlCharacterProblem(name, "session name") {
        fail(nameNode, problem)
        continue
      }
      guard seen.insert(name).inserted else {
        fail(nameNode, "duplicate session name '\(name)'")
        continue
      }
      var rollCall = defaultRollCall
      if let rollCallNode = fields["roll_call"] {
        guard let seconds = rollCallOffset(rollCallNode) else { continue }
        guard seconds < end - start else {
          fail(rollCallNode, "session '\(name)': 'roll_call' (\(DurationText.format(.seconds(seconds)))) must fall before the session ends")
          continue
        }
        rollCall = seconds
      }
      located.append((ScheduleSession(name: name, start: start, end: end, rollCallSeconds: rollCall), item))
    }
    located.sort { $0.0.start < $1.0.start }
    for (earlier, later) in zip(located, located.dropFirst()) where later.0.start < earlier.0.end {
      fail(later.1, "session '\(later.0.name)' overlaps '\(earlier.0.name)'")
    }
    schedule.sessions = located.map(\.0)
    return schedule
  }

  /// A roll call's offset from its session's start: a duration, and 0s (at the start) is allowed.
  mutating func rollCallOffset(_ node: Node) -> Double? {
    guard let text = string(node, "roll_call") else { return nil }
    guard let value = DurationText.parse(text) else {
      fail(node, "'roll_call' must be how long after the session's start the roll call is taken, like 15m or 0s, got '\(text)'")
      return nil
    }
    return Double(value.milliseconds) / 1000
  }
}
