/// The words of the check-in page (issue 33): what a site's organiser reads on a phone, and what the control room
/// reads about a check-in. Kept apart from Strings.swift's tables so that their merges stay easy; the keys are in
/// `TextKey`'s block of the same name.
extension Strings {
  static let englishCheckinTable: [TextKey: String] = [
    .sourceCheckin: "check-in", .eventCheckinHeadcount: "{0}: headcount {1} sent from the check-in page by {2}",
    .checkinTitle: "Check-in: {0}",
    .checkinIntro: "Tell the control room how your bridge point is doing. Each press is recorded at once.",
    .checkinGroup: "Group", .checkinSiteID: "Site", .checkinWho: "Your name and phone",
    .checkinWhoHint: "so that the control room knows who sent this", .checkinCount: "Headcount (people in the room)",
    .checkinCountHint: "expected {0}; leave it empty to send no count", .checkinConnected: "We are connected",
    .checkinSendCount: "Send the headcount", .checkinHelp: "We need help", .checkinOtherLanguage: "Tiếng Việt",
    .checkinRecorded: "Recorded at {0}:", .checkinRecordedConnected: "connected",
    .checkinRecordedCount: "headcount {0}", .checkinRecordedHelp: "help requested: the control room sees it",
    .checkinRecordedBy: "sent by {0}",
    .checkinDuplicate: "This form was already sent at {0}; sending it again counted nothing more.",
    .checkinStale:
      "This page is older than {0} minutes, or from before the monitor restarted: nothing was recorded. Send again below.",
    .checkinNeedWho: "Type your name and phone: the control room must know who sent this.",
    .checkinNeedCount: "Type the headcount before sending it.", .checkinSendAgain: "Back to the form",
    .checkinNotFound: "Not found. Check the link on your sheet.", .checkinTooLarge: "The form is too large.",
    .checkinTooMany: "Too many requests: wait a minute, then try again.",
    .checkinBadRequest: "The form could not be read: open the link again.", .checkinNotRecorded: "Nothing was recorded.",
    .checkinHelpStillOn: "Your call for help stands until you press \"We are connected\".",
    .checkCheckin: "check-in page: http://{0}/c/<token>, links for {1} of {2} sites",
    .checkCheckinNoListen: "check-in page: on, but it needs metrics.listen (the monitor's one HTTP server): run will refuse to start",
  ]

  static let vietnameseCheckinTable: [TextKey: String] = [
    .sourceCheckin: "điểm danh", .eventCheckinHeadcount: "{0}: quân số {1} gửi từ trang điểm danh, người gửi {2}",
    .checkinTitle: "Điểm danh: {0}",
    .checkinIntro: "Báo cho phòng điều hành tình hình điểm cầu. Mỗi lần bấm được ghi nhận ngay.",
    .checkinGroup: "Đơn vị", .checkinSiteID: "Mã điểm cầu", .checkinWho: "Họ tên và số điện thoại người gửi",
    .checkinWhoHint: "để phòng điều hành biết ai đã gửi", .checkinCount: "Quân số (số người có mặt)",
    .checkinCountHint: "dự kiến {0}; để trống nếu không gửi quân số", .checkinConnected: "Đã kết nối",
    .checkinSendCount: "Gửi quân số", .checkinHelp: "Cần hỗ trợ", .checkinOtherLanguage: "English",
    .checkinRecorded: "Đã ghi nhận lúc {0}:", .checkinRecordedConnected: "đã kết nối",
    .checkinRecordedCount: "quân số {0}", .checkinRecordedHelp: "cần hỗ trợ: phòng điều hành đã thấy",
    .checkinRecordedBy: "người gửi: {0}",
    .checkinDuplicate: "Biểu mẫu này đã được gửi lúc {0}; gửi lại không tính thêm gì.",
    .checkinStale:
      "Trang này đã mở quá {0} phút, hoặc từ trước khi máy giám sát khởi động lại: chưa ghi nhận gì. Hãy gửi lại ở dưới.",
    .checkinNeedWho: "Hãy nhập họ tên và số điện thoại: phòng điều hành cần biết ai đã gửi.",
    .checkinNeedCount: "Hãy nhập quân số trước khi gửi.", .checkinSendAgain: "Quay lại biểu mẫu",
    .checkinNotFound: "Không tìm thấy. Hãy kiểm tra đường dẫn trên phiếu.", .checkinTooLarge: "Biểu mẫu quá lớn.",
    .checkinTooMany: "Quá nhiều yêu cầu: hãy chờ một phút rồi thử lại.",
    .checkinBadRequest: "Không đọc được biểu mẫu: hãy mở lại đường dẫn.", .checkinNotRecorded: "Chưa ghi nhận gì.",
    .checkinHelpStillOn: "Yêu cầu hỗ trợ vẫn còn cho đến khi bạn bấm \"Đã kết nối\".",
    .checkCheckin: "trang điểm danh: http://{0}/c/<mã>, {1} / {2} điểm cầu có đường dẫn",
    .checkCheckinNoListen:
      "trang điểm danh: bật, nhưng cần metrics.listen (máy chủ HTTP duy nhất của máy giám sát): run sẽ không khởi động",
  ]
}
