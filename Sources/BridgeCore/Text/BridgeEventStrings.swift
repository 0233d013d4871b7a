// MARK: Bridge push receivers (issue 32, events_listen)

/// The push receivers' words, both languages: the config's problems with `events_listen`. (What a receiver
/// answers a bridge is for the bridge's log, in English, as the bridges' own APIs are.)
extension Strings {
  static let englishBridgeEventTable: [TextKey: String] = [
    .bridgeListenTwice: "bridge 'events_listen' {0} is already bridge {1}'s (at {2}): each bridge needs a receiver of its own"
  ]

  static let vietnameseBridgeEventTable: [TextKey: String] = [
    .bridgeListenTwice: "'events_listen' {0} của cầu đã là của cầu {1} (tại {2}): mỗi cầu cần một bộ nhận riêng"
  ]
}
