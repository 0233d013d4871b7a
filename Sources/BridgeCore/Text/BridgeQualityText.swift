// MARK: Bridge call quality (issue 32)

/// The bridge's call-quality words, both languages: a site row's part, the header's counts, the detail pane's line.
extension Strings {
  static let englishBridgeQualityTable: [TextKey: String] = [
    .bridgeCellDegraded: "CALL DEGRADED", .bridgeCellBad: "CALL BAD",
    .headerBridgeDegraded: "Call degraded {0}", .headerBridgeBad: "Call bad {0}",
    .detailBridgeQuality: "call quality {0}", .qualityGood: "good", .qualityDegraded: "degraded", .qualityBad: "bad",
    .detailBridgeLoss: "loss {0}", .detailBridgeJitter: "jitter {0} ms", .detailBridgeRoundTrip: "round trip {0} ms",
    .detailBridgeSays: "the bridge says {0}", .detailBridgeAlarms: "alarms: {0}",
  ]

  static let vietnameseBridgeQualityTable: [TextKey: String] = [
    .bridgeCellDegraded: "CUỘC GỌI GIẢM CHẤT LƯỢNG", .bridgeCellBad: "CUỘC GỌI XẤU",
    .headerBridgeDegraded: "Cuộc gọi giảm chất lượng {0}", .headerBridgeBad: "Cuộc gọi xấu {0}",
    .detailBridgeQuality: "chất lượng cuộc gọi {0}", .qualityGood: "tốt", .qualityDegraded: "giảm", .qualityBad: "xấu",
    .detailBridgeLoss: "mất gói {0}", .detailBridgeJitter: "jitter {0} ms", .detailBridgeRoundTrip: "khứ hồi {0} ms",
    .detailBridgeSays: "cầu báo {0}", .detailBridgeAlarms: "cảnh báo: {0}",
  ]
}

extension Strings {
  /// A verdict's word.
  public func verdict(_ verdict: BridgeVerdict) -> String {
    switch verdict {
    case .good: self(.qualityGood)
    case .degraded: self(.qualityDegraded)
    case .bad: self(.qualityBad)
    }
  }
}
