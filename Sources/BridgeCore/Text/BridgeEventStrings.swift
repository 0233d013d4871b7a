// MARK: Bridge push receivers (issue 32, events_listen)

/// The push receivers' words, both languages: the config's problems with `events_listen`, and the dashboard's
/// counts of what the receivers took (the header's, the detail pane's line per bridge). (What a receiver answers a
/// bridge is for the bridge's log, in English, as the bridges' own APIs are.)
extension Strings {
  static let englishBridgeEventTable: [TextKey: String] = [
    .bridgeListenTwice: "bridge 'events_listen' {0} is already bridge {1}'s (at {2}): each bridge needs a receiver of its own",
    .headerBridgeEvents: "Bridge events {0}", .headerBridgeEventsRefused: "Bridge events {0}, refused {1}",
    .detailBridgePushed: "{0}: pushed events applied {1}, bodies refused {2}",
  ]

  static let vietnameseBridgeEventTable: [TextKey: String] = [
    .bridgeListenTwice: "'events_listen' {0} của cầu đã là của cầu {1} (tại {2}): mỗi cầu cần một bộ nhận riêng",
    .headerBridgeEvents: "Sự kiện cầu {0}", .headerBridgeEventsRefused: "Sự kiện cầu {0}, từ chối {1}",
    .detailBridgePushed: "{0}: sự kiện đẩy đã áp dụng {1}, nội dung bị từ chối {2}",
  ]
}
