import Foundation
import Yams

// MARK: - Bridge vendors (issue 32): `conference`, and the Janus-only keys refused on a cms or pexip bridge

extension ConfigLoader {
  /// A cms or pexip bridge's `conference` (nil for Janus); `room` and `plugin` on one of them, or `conference` on a
  /// Janus bridge, are refused at their line rather than silently ignored.
  mutating func parseVendorBridgeFields(_ entries: [String: Node], kind: BridgeSettings.Kind, say: Strings) -> String? {
    guard kind != .janus else {
      if let node = entries["conference"] { fail(node, say(.vendorConferenceNotJanus)) }
      return nil
    }
    for key in ["room", "plugin"] {
      if let node = entries[key] { fail(node, say(.vendorJanusOnly, key, kind.rawValue)) }
    }
    guard let node = entries["conference"], let text = string(node, "conference") else { return nil }
    let limit = BridgeSettings.maximumConferenceLength
    guard !text.trimmingCharacters(in: .whitespaces).isEmpty, text.count <= limit, TextSanitizer.firstUnsafe(in: text) == nil
    else {
      fail(node, say(.vendorConferenceBad, limit, TextSanitizer.printable(String(text.prefix(80)))))
      return nil
    }
    return text
  }
}
