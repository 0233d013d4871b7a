/// The words of site enrolment (issue 33): the control room's "count file unreadable", the agent's settings file,
/// and `bridgewatch keys`. Kept apart from Strings.swift's tables so that their merges stay easy; the keys are in
/// `TextKey`'s block of the same name.
extension Strings {
  /// What the control room reads when a site's agent refused its count file: the reason code it sent, and the rule
  /// the site's staff must follow (never the text they typed: it does not travel).
  public func countFileProblem(_ problem: CountFileProblem) -> String {
    self(.detailCountFileProblem, countFileReason(problem), self(.countRule, number(HeartbeatCodec.maximumCount)))
  }

  /// The reason code an agent sent, in words ("not a whole number").
  public func countFileReason(_ problem: CountFileProblem) -> String {
    switch problem {
    case .empty: self(.countFileEmpty)
    case .notANumber: self(.countFileNotANumber)
    case .tooLarge: self(.countFileTooLarge)
    case .severalLines: self(.countFileSeveralLines)
    case .notText: self(.countFileNotText)
    case .unreadable: self(.countFileCannotRead)
    case .other: self(.countFileOther)
    }
  }

  static let englishEnrolmentTable: [TextKey: String] = [
    .flagCountFileUnreadable: "count file unreadable", .detailCountFile: "Count file",
    .detailCountFileProblem: "unreadable ({0}); the site must type {1}",
    .countFileEmpty: "empty", .countFileNotANumber: "not a whole number", .countFileTooLarge: "too large",
    .countFileSeveralLines: "several lines", .countFileNotText: "not text", .countFileCannotRead: "the agent cannot read it",
    .countFileOther: "refused by the agent",
    .eventCountFileProblem: "{0}: count file unreadable ({1}); its headcount is not updated",
    .eventCountFileReadable: "{0}: count file readable again",
    .settingsUnreadable: "cannot read the settings file {0} ({1})", .settingsNotYAML: "{0}: not valid YAML: {1}",
    .settingsNotMapping: "{0}: the settings file must be a YAML mapping of keys (site: HB-TU, monitor: ...)",
    .settingsUnknownKey: "{0}: unknown key '{1}'{2}; the keys are {3}", .settingsDidYouMean: " (did you mean '{0}'?)",
    .settingsBadValue: "{0}: {1} must be {2}, got '{3}'",
    .settingsConflict: "{0}: give either {1} or {2}, not both",
    .settingSiteForm: "a site id ([A-Za-z0-9._-], 1 to 64 characters), exactly as in the monitor's config",
    .settingMonitorForm: "HOST:PORT, or a list of at most 8 (a primary and its standby)", .settingPathForm: "a file path",
    .settingIntervalForm: "a duration of at least 100ms (e.g. 5s)", .settingCountForm: "a headcount from 0 to {0}",
    .settingLanguageForm: "vi or en",
    .keysWritten: "keys file {0}: {1} sites, {2} new secrets, {3} kept; mode {4}",
    .keysRotated:
      "rotated {0} secrets: the old ones stay valid until {1} UTC (grace {2}); a running monitor loads them within 2 seconds (its log says so)",
    .keysBundles: "agent bundles for {0} sites in {1}", .keysSheet: "printable sheet: {0}",
    .keysSecretsNotShown: "secrets are not printed: they are in the keys file and each bundle's agent.key",
    .keysUnknownSite: "--site {0}: no such site in {1}", .keysNoKeysFile: "{0} names no keys file (keys: keys.yaml); give --keys-file PATH",
    .keysNeedMonitor: "bundles need the monitor's address as the sites reach it: give --monitor HOST:PORT (udp.listen is {0})",
    .keysBadMonitor: "--monitor must be HOST:PORT, got '{0}'",
    .keysBadCheckinBase: "--checkin-base must be an http:// or https:// address of at most {1} bytes without spaces or quotes, got '{0}'",
    .keysBadGrace: "--grace must be a duration from 1s to 30 days (e.g. 48h), got '{0}'",
    .keysCannotWrite: "cannot write {0}: {1}", .keysConfigProblems: "{0} has problems; `bridgewatch check {0}` lists them",
  ]

  static let vietnameseEnrolmentTable: [TextKey: String] = [
    .flagCountFileUnreadable: "không đọc được tệp quân số", .detailCountFile: "Tệp quân số",
    .detailCountFileProblem: "không đọc được ({0}); điểm cầu cần gõ {1}",
    .countFileEmpty: "tệp trống", .countFileNotANumber: "không phải số nguyên", .countFileTooLarge: "số quá lớn",
    .countFileSeveralLines: "nhiều dòng", .countFileNotText: "không phải văn bản", .countFileCannotRead: "phần mềm không đọc được tệp",
    .countFileOther: "phần mềm từ chối",
    .eventCountFileProblem: "{0}: không đọc được tệp quân số ({1}); quân số không được cập nhật",
    .eventCountFileReadable: "{0}: đã đọc được tệp quân số trở lại",
    .settingsUnreadable: "không đọc được tệp cấu hình {0} ({1})", .settingsNotYAML: "{0}: không phải YAML hợp lệ: {1}",
    .settingsNotMapping: "{0}: tệp cấu hình phải là các cặp khóa: giá trị YAML (site: HB-TU, monitor: ...)",
    .settingsUnknownKey: "{0}: khóa lạ '{1}'{2}; các khóa hợp lệ là {3}", .settingsDidYouMean: " (có phải ý bạn là '{0}'?)",
    .settingsBadValue: "{0}: {1} phải là {2}, nhưng gặp '{3}'",
    .settingsConflict: "{0}: chỉ dùng {1} hoặc {2}, không dùng cả hai",
    .settingSiteForm: "mã điểm cầu ([A-Za-z0-9._-], 1 đến 64 ký tự), đúng như trong cấu hình của máy giám sát",
    .settingMonitorForm: "HOST:PORT, hoặc danh sách tối đa 8 địa chỉ (máy chính và máy dự phòng)", .settingPathForm: "đường dẫn tệp",
    .settingIntervalForm: "khoảng thời gian ít nhất 100ms (ví dụ 5s)", .settingCountForm: "quân số từ 0 đến {0}",
    .settingLanguageForm: "vi hoặc en",
    .keysWritten: "tệp khóa {0}: {1} điểm cầu, {2} khóa mới, giữ nguyên {3}; quyền {4}",
    .keysRotated:
      "đã đổi {0} khóa: khóa cũ vẫn dùng được đến {1} UTC (thời gian chuyển {2}); máy giám sát đang chạy tự nạp khóa mới trong vòng 2 giây (nhật ký của nó ghi lại)",
    .keysBundles: "gói cài đặt phần mềm cho {0} điểm cầu trong {1}", .keysSheet: "bảng in: {0}",
    .keysSecretsNotShown: "khóa bí mật không được in ra: chúng nằm trong tệp khóa và tệp agent.key của từng gói",
    .keysUnknownSite: "--site {0}: không có điểm cầu này trong {1}",
    .keysNoKeysFile: "{0} không khai báo tệp khóa (keys: keys.yaml); hãy dùng --keys-file PATH",
    .keysNeedMonitor:
      "gói cài đặt cần địa chỉ máy giám sát mà điểm cầu kết nối tới: hãy dùng --monitor HOST:PORT (udp.listen là {0})",
    .keysBadMonitor: "--monitor phải có dạng HOST:PORT, nhưng gặp '{0}'",
    .keysBadCheckinBase:
      "--checkin-base phải là địa chỉ http:// hoặc https:// dài tối đa {1} byte, không có dấu cách hay dấu nháy, nhưng gặp '{0}'",
    .keysBadGrace: "--grace phải là khoảng thời gian từ 1s đến 30 ngày (ví dụ 48h), nhưng gặp '{0}'",
    .keysCannotWrite: "không ghi được {0}: {1}", .keysConfigProblems: "{0} có lỗi; chạy `bridgewatch check {0}` để xem",
  ]
}
