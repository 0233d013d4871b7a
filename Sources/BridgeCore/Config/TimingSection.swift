import Foundation
import Yams

/// `timing:`, when a site turns late, offline and back.
extension ConfigLoader {
  static let timingKeys = ["interval", "late_after", "offline_after", "recover_after", "flap_window", "flap_changes"]

  mutating func parseTiming(_ node: Node) -> Timing {
    var timing = Timing()
    guard let mapping = node.mapping else {
      fail(node, "'timing' must be a mapping (interval, late_after, offline_after, recover_after)")
      return timing
    }
    let entries = checkedEntries(mapping, allowed: Self.timingKeys, context: "'timing'")
    // What is not written follows what is: interval, then late_after, then offline_after. A fixed default could
    // contradict a written value (interval 20s against the default late_after 12s) and the error would name a key
    // nobody wrote.
    if let value = entries["interval"].flatMap({ duration($0, "interval") }) { timing.interval = value }
    timing.lateAfter = Timing.defaultLateAfter(interval: timing.interval)
    if let value = entries["late_after"].flatMap({ duration($0, "late_after") }) { timing.lateAfter = value }
    timing.offlineAfter = Timing.defaultOfflineAfter(lateAfter: timing.lateAfter)
    if let value = entries["offline_after"].flatMap({ duration($0, "offline_after") }) { timing.offlineAfter = value }
    if let value = entries["recover_after"].flatMap({ integer($0, "recover_after", range: 1...100) }) {
      timing.recoverAfter = value
    }
    if let value = entries["flap_window"].flatMap({ duration($0, "flap_window") }) { timing.flapWindow = value }
    if let value = entries["flap_changes"].flatMap({ integer($0, "flap_changes", range: 2...StatusEngine.maximumFlapChanges) }) {
      timing.flapChanges = value
    }
    // Only written values can contradict each other; the error stands at the later key written and says which
    // value is a default.
    if let lateNode = entries["late_after"], timing.lateAfter <= timing.interval {
      let interval = entries["interval"] == nil ? ", the default" : ""
      fail(
        lateNode,
        "late_after (\(DurationText.format(timing.lateAfter))) must be longer than interval (\(DurationText.format(timing.interval))\(interval)), or every site turns late between heartbeats"
      )
    }
    if let offlineNode = entries["offline_after"], timing.lateAfter >= timing.offlineAfter {
      let late =
        entries["late_after"] == nil ? ", the default for interval \(DurationText.format(timing.interval)); set late_after too" : ""
      fail(
        offlineNode,
        "offline_after (\(DurationText.format(timing.offlineAfter))) must be longer than late_after (\(DurationText.format(timing.lateAfter))\(late))"
      )
    }
    return timing
  }
}
