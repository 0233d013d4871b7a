// MARK: Keys file reloaded by the running monitor (issue 33, rotation without a restart)

/// What the monitor says when it loads its keys file again after a change (`KeysFileWatch`), both languages.
extension Strings {
  static let englishKeysReloadTable: [TextKey: String] = [
    .keysReloaded:
      "keys file {0} loaded again and in force now: {1} of {2} sites have a key ({3} with an old one in its grace), {4} a check-in link",
    .keysReloadRefused: "keys file {0} changed but is REFUSED; the keys loaded at {1} stay in force: {2}",
  ]

  static let vietnameseKeysReloadTable: [TextKey: String] = [
    .keysReloaded:
      "đã nạp lại tệp khóa {0}, có hiệu lực ngay: {1}/{2} điểm cầu có khóa ({3} còn khóa cũ trong thời gian ân hạn), {4} có đường dẫn điểm danh",
    .keysReloadRefused: "tệp khóa {0} đã thay đổi nhưng BỊ TỪ CHỐI; các khóa nạp lúc {1} vẫn có hiệu lực: {2}",
  ]
}
