// MARK: Bridge (issue 32)

/// The conference bridge's words, both languages: the `bridges:` config's problems, the table's column, the
/// header's counts and the detail pane's lines. Kept apart from Strings.swift's tables so merges stay easy.
extension Strings {
  static let englishBridgeTable: [TextKey: String] = [
    .bridgesNotList: "'bridges' must be a list of bridges (each with kind, url, room)",
    .bridgesTooMany: "at most {0} bridges may be watched; this lists {1}",
    .bridgeNotMapping: "each entry of 'bridges' must be a mapping with kind, url, room",
    .bridgeMissing: "bridge is missing {0}",
    .bridgeKindUnknown: "unknown bridge kind '{0}'; expected janus, cms or pexip",
    .bridgeURLTooLong: "bridge 'url' is {0} bytes; at most {1}",
    .bridgeCAFileNeedsHTTPS: "bridge 'ca_file' is for an https:// url; this bridge's url is plain http",
    .bridgeCAFileBad: "bridge 'ca_file' {0}: {1}",
    .bridgeCAFileTooLarge: "larger than {0} bytes, which no CA bundle is",
    .bridgeCAFileNoCertificate: "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
    .bridgeURLBad:
      "bridge 'url' must be http://HOST:PORT/PATH or https://HOST:PORT/PATH (for example http://127.0.0.1:8088/janus), got '{0}'",
    .bridgeRoomBad: "bridge 'room' must be a whole number from 1 to {0}, got '{1}'",
    .bridgePluginBad: "bridge 'plugin' must be audiobridge or videoroom, got '{0}'",
    .bridgePollBad: "bridge 'poll' must be a duration from {0} to {1}, got '{2}'",
    .bridgeListenBad: "bridge 'events_listen' must be HOST:PORT, got '{0}'",
    .bridgeCredentialsUnreadable: "cannot read the bridge credentials file '{0}' ({1})",
    .bridgeCredentialsReadable: "the bridge credentials file is readable by other users (mode {0}); chmod 600 it",
    .bridgeCredentialsBad:
      "the bridge credentials file must be a YAML mapping of api_secret and/or token to one-line texts (at most 4 KiB)",
    .bridgeDuplicate: "bridge {0} is listed twice (first at {1})",
    .bridgeNameTwice:
      "sites '{0}' and '{1}' have the same bridge name '{2}' (after Unicode NFC; first at {3}): the bridge's roster cannot tell them apart; give one a bridge_name",
    .bridgeNameBad: "the bridge_name of site '{0}' must be one line of 1 to {1} characters",
    .bridgeCellIn: "in bridge", .bridgeCellOut: "not in bridge", .bridgeCellUnknown: "bridge ?",
    .bridgeCellSilent: "IN BRIDGE, AGENT SILENT", .bridgeCellAbsent: "AGENT ALIVE, NOT IN BRIDGE",
    .headerBridgeIn: "In bridge {0}", .headerAgentSilent: "In bridge, agent silent {0}",
    .headerNotInBridge: "Agent alive, not in bridge {0}", .headerUnmatched: "In the bridge, not in the roster: {0}",
    .headerBridgeFailing: "Bridge not read: {0}", .checkBridge: "bridge: {0}, roster read every {1}",
    .checkBridgeHTTPS: ", over HTTPS trusting {0}", .checkBridgeSystemTrust: "the system's certificates",
    .bridgeAudioArriving: "audio arriving", .bridgeAudioNotArriving: "no audio arriving",
    .janusAdminTooMany: "more than {0} Admin API requests a poll; the audio is left unread",
    .bridgeAdminURLNotJanus: "bridge 'admin_url' is Janus's Admin API, for a janus bridge only",
    .detailBridge: "Bridge", .detailBridgeIn: "in the bridge since {0} ({1})", .detailBridgeOut: "not in the bridge (roster read {0})",
    .detailBridgeUnknown: "not known: {0}", .detailBridgeMedia: "Janus says: {0}", .detailBridgeLegs: "{0} legs with this name",
    .detailBridgeAgentSilent: "in the bridge, agent silent: the bridge has it, its heartbeats say {0}",
    .detailBridgeNotIn: "agent alive, not in the bridge: its heartbeats say {0}, no bridge roster has it",
    .bridgeMuted: "muted", .bridgeUnmuted: "not muted", .bridgeTalking: "talking", .bridgeMediaUp: "media set up",
    .bridgeMediaDown: "media not set up",
  ]

  static let vietnameseBridgeTable: [TextKey: String] = [
    .bridgesNotList: "'bridges' phải là một danh sách cầu (mỗi cầu có kind, url, room)",
    .bridgesTooMany: "chỉ theo dõi được tối đa {0} cầu; cấu hình này liệt kê {1}",
    .bridgeNotMapping: "mỗi mục của 'bridges' phải là một ánh xạ có kind, url, room",
    .bridgeMissing: "cầu thiếu {0}",
    .bridgeKindUnknown: "loại cầu '{0}' không rõ; cần janus, cms hoặc pexip",
    .bridgeURLTooLong: "'url' của cầu dài {0} byte; tối đa {1}",
    .bridgeCAFileNeedsHTTPS: "'ca_file' của cầu chỉ dùng cho url https://; url của cầu này là http thường",
    .bridgeCAFileBad: "'ca_file' của cầu {0}: {1}",
    .bridgeCAFileTooLarge: "lớn hơn {0} byte, không phải một bộ chứng chỉ CA",
    .bridgeCAFileNoCertificate: "không chứa chứng chỉ PEM nào (-----BEGIN CERTIFICATE-----)",
    .bridgeURLBad:
      "'url' của cầu phải có dạng http://HOST:PORT/PATH hoặc https://HOST:PORT/PATH (ví dụ http://127.0.0.1:8088/janus), nhận được '{0}'",
    .bridgeRoomBad: "'room' của cầu phải là số nguyên từ 1 đến {0}, nhận được '{1}'",
    .bridgePluginBad: "'plugin' của cầu phải là audiobridge hoặc videoroom, nhận được '{0}'",
    .bridgePollBad: "'poll' của cầu phải là khoảng thời gian từ {0} đến {1}, nhận được '{2}'",
    .bridgeListenBad: "'events_listen' của cầu phải có dạng HOST:PORT, nhận được '{0}'",
    .bridgeCredentialsUnreadable: "không đọc được tệp thông tin đăng nhập cầu '{0}' ({1})",
    .bridgeCredentialsReadable: "người dùng khác đọc được tệp thông tin đăng nhập cầu (quyền {0}); hãy chạy chmod 600",
    .bridgeCredentialsBad:
      "tệp thông tin đăng nhập cầu phải là ánh xạ YAML của api_secret và/hoặc token tới văn bản một dòng (tối đa 4 KiB)",
    .bridgeDuplicate: "cầu {0} được liệt kê hai lần (lần đầu tại {1})",
    .bridgeNameTwice:
      "điểm '{0}' và '{1}' có cùng tên trong cầu '{2}' (sau chuẩn hóa Unicode NFC; lần đầu tại {3}): danh sách của cầu không phân biệt được; hãy đặt bridge_name cho một điểm",
    .bridgeNameBad: "bridge_name của điểm '{0}' phải là một dòng từ 1 đến {1} ký tự",
    .bridgeCellIn: "trong cầu", .bridgeCellOut: "không trong cầu", .bridgeCellUnknown: "cầu ?",
    .bridgeCellSilent: "TRONG CẦU, AGENT IM LẶNG", .bridgeCellAbsent: "AGENT SỐNG, KHÔNG TRONG CẦU",
    .headerBridgeIn: "Trong cầu {0}", .headerAgentSilent: "Trong cầu, agent im lặng {0}",
    .headerNotInBridge: "Agent sống, không trong cầu {0}", .headerUnmatched: "Trong cầu, không có trong danh sách: {0}",
    .headerBridgeFailing: "Không đọc được cầu: {0}", .checkBridge: "cầu: {0}, đọc danh sách mỗi {1}",
    .checkBridgeHTTPS: ", qua HTTPS, tin chứng chỉ của {0}", .checkBridgeSystemTrust: "hệ thống",
    .bridgeAudioArriving: "âm thanh đang đến", .bridgeAudioNotArriving: "không có âm thanh đến",
    .janusAdminTooMany: "quá {0} yêu cầu Admin API mỗi lần đọc; chưa đọc âm thanh",
    .bridgeAdminURLNotJanus: "'admin_url' của cầu là Admin API của Janus, chỉ dùng cho cầu janus",
    .detailBridge: "Cầu", .detailBridgeIn: "trong cầu từ {0} ({1})", .detailBridgeOut: "không trong cầu (danh sách đọc lúc {0})",
    .detailBridgeUnknown: "chưa rõ: {0}", .detailBridgeMedia: "Janus báo: {0}", .detailBridgeLegs: "{0} kết nối cùng tên này",
    .detailBridgeAgentSilent: "trong cầu, agent im lặng: cầu có điểm này, nhịp tim báo {0}",
    .detailBridgeNotIn: "agent sống, không trong cầu: nhịp tim báo {0}, không danh sách cầu nào có điểm này",
    .bridgeMuted: "tắt tiếng", .bridgeUnmuted: "không tắt tiếng", .bridgeTalking: "đang nói", .bridgeMediaUp: "đã thiết lập đường truyền",
    .bridgeMediaDown: "chưa thiết lập đường truyền",
  ]
}
