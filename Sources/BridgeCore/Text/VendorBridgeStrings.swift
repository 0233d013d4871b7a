// MARK: Bridge vendors (issue 32)

/// The Cisco Meeting Server and Pexip Infinity adapters' words, both languages: their config problems and why a
/// poll got no roster (the bridge's problem text, shown in the detail pane, the status file and the log). Kept apart
/// from BridgeStrings.swift so merges stay easy.
extension Strings {
  static let englishVendorBridgeTable: [TextKey: String] = [
    .vendorCredentialsBad:
      "the credentials file of a cms or pexip bridge must be a YAML mapping of username and password, one line of at most 256 bytes each (no ':' in the username)",
    .vendorConferenceBad: "bridge 'conference' must be one line of 1 to {0} printable characters, got '{1}'",
    .vendorJanusOnly: "bridge '{0}' is for a janus bridge; a {1} bridge names its 'conference'",
    .vendorConferenceNotJanus: "bridge 'conference' is for a cms or pexip bridge; a janus bridge names its 'room'",
    .vendorHTTPStatus: "{0} answered HTTP {1} to {2}",
    .vendorUnauthorized: "{0} refused the account of credentials_file (HTTP {1}): check its username, password and role",
    .vendorNotXML: "{0}'s answer to {1} is not the XML it sends: {2}",
    .vendorNotJSON: "{0}'s answer to {1} is not the JSON it sends",
    .vendorFieldMissing: "{0}'s answer to {1} has no {2}",
    .vendorFieldWrongType: "{0}'s answer to {1} has {2} that is not {3}",
    .vendorTooManyParticipants: "the roster has {0} participants; at most {1} are read",
    .vendorTooManyPages: "the roster did not end within {0} pages; no more are read",
    .vendorNextNotPath: "Pexip's meta.next is not a path on this bridge: '{0}'",
    .vendorCMSFailure: "CMS refused {0}: {1}",
    .vendorTooManyCalls: "coSpace {0} has {1} active calls; at most {2} are read",
    .vendorXMLTooDeep: "nested deeper than {0} elements",
    .vendorXMLTooMany: "more than {0} elements",
    .vendorXMLDoctype: "it has a DOCTYPE (refused: no entity is expanded)",
    .vendorXMLMalformed: "malformed at byte {0}",
  ]

  static let vietnameseVendorBridgeTable: [TextKey: String] = [
    .vendorCredentialsBad:
      "tệp thông tin đăng nhập của cầu cms hoặc pexip phải là ánh xạ YAML có username và password, mỗi giá trị một dòng tối đa 256 byte (username không có ':')",
    .vendorConferenceBad: "'conference' của cầu phải là một dòng từ 1 đến {0} ký tự in được, nhận được '{1}'",
    .vendorJanusOnly: "'{0}' chỉ dùng cho cầu janus; cầu {1} ghi 'conference'",
    .vendorConferenceNotJanus: "'conference' chỉ dùng cho cầu cms hoặc pexip; cầu janus ghi 'room'",
    .vendorHTTPStatus: "{0} trả lời HTTP {1} cho {2}",
    .vendorUnauthorized: "{0} từ chối tài khoản trong credentials_file (HTTP {1}): hãy kiểm tra username, password và quyền",
    .vendorNotXML: "câu trả lời của {0} cho {1} không phải XML như nó vẫn gửi: {2}",
    .vendorNotJSON: "câu trả lời của {0} cho {1} không phải JSON như nó vẫn gửi",
    .vendorFieldMissing: "câu trả lời của {0} cho {1} thiếu {2}",
    .vendorFieldWrongType: "câu trả lời của {0} cho {1} có {2} không phải {3}",
    .vendorTooManyParticipants: "danh sách có {0} người tham gia; chỉ đọc tối đa {1}",
    .vendorTooManyPages: "danh sách chưa hết sau {0} trang; không đọc thêm",
    .vendorNextNotPath: "meta.next của Pexip không phải đường dẫn trên cầu này: '{0}'",
    .vendorCMSFailure: "CMS từ chối {0}: {1}",
    .vendorTooManyCalls: "coSpace {0} có {1} cuộc gọi đang diễn ra; chỉ đọc tối đa {2}",
    .vendorXMLTooDeep: "lồng sâu quá {0} phần tử",
    .vendorXMLTooMany: "nhiều hơn {0} phần tử",
    .vendorXMLDoctype: "có DOCTYPE (bị từ chối: không mở rộng thực thể nào)",
    .vendorXMLMalformed: "sai cú pháp tại byte {0}",
  ]
}
