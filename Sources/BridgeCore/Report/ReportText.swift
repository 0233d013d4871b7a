/// Every word of the post-conference report, in both languages side by side (a test checks that no English is
/// left in the Vietnamese report). `{0}`, `{1}`... are filled in order.
public enum ReportText: String, CaseIterable, Sendable {
  case title, wholeSpan, rollCallAt, rollCallNotReached, journalEndsEarly
  case summaryPoints, summaryAttendance, summaryPeak, summaryNoPeak, summaryAbsences, summaryAbove, summaryOnline, summaryOutages
  case byGroup, bySite, aboveHeading, aboveNote, absencesHeading, actionsHeading, none
  case columnGroup, columnPoints, columnConnected, columnAtRollCall, columnOnline, columnOutages, columnOutageTime
  case columnRollCallCount, columnExpected, columnAttendance, columnPeakOneMoment, columnAverage, columnID, columnName
  case columnHeardBy, columnLongest, columnFirstConnect, columnCountFrom, columnPeak, columnCount, columnWhen, columnFigure
  case columnMarkedBy, columnReason, columnTime, columnAction, columnBy, columnDetail, columnSession, columnLevel
  case columnPlannedAbsence, columnAboveExpected, columnCountBy, columnCountAt, columnAverageCount
  case levelTotal, levelGroup, levelSite, yes
  case never, sourceAgent, sourceFile, sourceProbe, sourceByHand, sourceByHandNamed, figureRollCall, figurePeak
  // MARK: Check-in page (issue 33)
  case sourceCheckin, sourceCheckinNamed
  case actionMark, actionClear, actionAcknowledge, actionHeadcount, actionClaim, actionRelease, actionClaimEnded, corrects
  case clockNote, rules, aboveFlag
  case chartAttendance, chartConnected, chartHeadcount, chartOutages, chartOutagesNote, chartNoOutages, chartAxisPercent
  case generatedBy, splitBrain, and
  // MARK: The conference bridge (issue 32)
  case summaryBridge, columnInBridge, columnBridgeTime, columnBridgeDrops, bridgeRules, bridgeAllSessions
  case summaryCallQuality, columnCallProblemPoints, columnCallDegraded, columnCallBad, callQualityRules
  case summaryDisagreements, columnDisagreementPoints, columnAgentSilent, columnAliveNotInBridge, disagreementRules

  /// The template in `language`.
  public func template(_ language: Language) -> String {
    let pair = Self.table[self]!
    return language == .vi ? pair.vi : pair.en
  }

  /// The text in `language` with `arguments` filled in.
  public func callAsFunction(_ language: Language, _ arguments: any CustomStringConvertible...) -> String {
    Strings.fill(template(language), arguments)
  }

  static let table: [ReportText: (en: String, vi: String)] = [
    .title: ("Report: {0}", "Báo cáo: {0}"),
    .wholeSpan: ("Whole recorded span", "Toàn bộ thời gian ghi nhận"),
    .rollCallAt: ("Roll call at {0} ({1} after the start).", "Điểm danh lúc {0} ({1} sau giờ bắt đầu)."),
    .rollCallNotReached: (
      "The journal ends at {0}, before the roll call at {1}: no attendance figure yet.",
      "Nhật ký kết thúc lúc {0}, trước giờ điểm danh {1}: chưa có tỷ lệ tham dự."
    ),
    .journalEndsEarly: (
      "The journal ends at {0}; figures cover the session up to then.",
      "Nhật ký kết thúc lúc {0}; số liệu tính đến thời điểm đó."
    ),
    .summaryPoints: (
      "Bridge points: {0} taking part, {1} connected ({2}), {3} connected at the roll call",
      "Điểm cầu: {0} tham gia, {1} đã kết nối ({2}), {3} kết nối lúc điểm danh"
    ),
    .summaryAttendance: (
      "Attendance at the roll call: {0} of {1} expected ({2})",
      "Tham dự lúc điểm danh: {0} / {1} người dự kiến ({2})"
    ),
    .summaryPeak: (
      "Highest headcount at one moment: {0} at {1}; average over the session: {2}",
      "Quân số cao nhất cùng một thời điểm: {0} lúc {1}; trung bình cả phiên: {2}"
    ),
    .summaryNoPeak: ("No headcount was counted in this session.", "Phiên này không ghi nhận quân số nào."),
    .summaryAbsences: ("Planned absences: {0} (listed below, not counted)", "Vắng có kế hoạch: {0} (liệt kê bên dưới, không tính)"),
    .summaryAbove: (
      "Counts above expected: {0} (listed below: check them before publishing)",
      "Quân số vượt dự kiến: {0} (liệt kê bên dưới: cần xác minh trước khi công bố)"
    ),
    .summaryOnline: ("Time online, all points: {0}", "Thời gian trực tuyến, tính mọi điểm cầu: {0}"),
    .summaryOutages: ("Outages: {0}, {1} in all", "Mất kết nối: {0} lần, tổng cộng {1}"),
    .byGroup: ("By group", "Theo đơn vị"),
    .bySite: ("By bridge point", "Theo điểm cầu"),
    .aboveHeading: ("Counts above expected", "Quân số vượt dự kiến"),
    .aboveNote: (
      "These counts are published as received; check each with its site before signing.",
      "Các số này được công bố đúng như đã nhận; đề nghị xác minh với từng điểm cầu trước khi ký."
    ),
    .absencesHeading: ("Planned absences", "Vắng có kế hoạch"),
    .actionsHeading: ("Operator actions", "Thao tác của kỹ thuật viên"),
    .none: ("None.", "Không có."),
    .columnGroup: ("Group", "Đơn vị"),
    .columnPoints: ("Points", "Điểm cầu"),
    .columnConnected: ("Connected", "Đã kết nối"),
    .columnAtRollCall: ("At roll call", "Lúc điểm danh"),
    .columnOnline: ("Online", "Trực tuyến"),
    .columnOutages: ("Outages", "Số lần mất kết nối"),
    .columnOutageTime: ("Outage time", "Thời gian mất kết nối"),
    .columnRollCallCount: ("Roll-call count", "Quân số điểm danh"),
    .columnExpected: ("Expected", "Dự kiến"),
    .columnAttendance: ("Attendance", "Tỷ lệ tham dự"),
    .columnPeakOneMoment: ("Highest at one moment", "Cao nhất cùng lúc"),
    .columnAverage: ("Average", "Trung bình"),
    .columnID: ("ID", "Mã"),
    .columnName: ("Name", "Tên"),
    .columnHeardBy: ("Heard by", "Nhận tín hiệu qua"),
    .columnLongest: ("Longest", "Lâu nhất"),
    .columnFirstConnect: ("First connect", "Kết nối lần đầu sau"),
    .columnCountFrom: ("Count from", "Nguồn quân số"),
    .columnPeak: ("Peak", "Cao nhất"),
    .columnCount: ("Count", "Quân số"),
    .columnWhen: ("When", "Thời điểm"),
    .columnFigure: ("Figure", "Số liệu"),
    .columnMarkedBy: ("Marked by", "Người đánh dấu"),
    .columnReason: ("Reason", "Lý do"),
    .columnTime: ("Time", "Thời gian"),
    .columnAction: ("Action", "Thao tác"),
    .columnBy: ("By", "Người thực hiện"),
    .columnDetail: ("Reason or count", "Lý do hoặc quân số"),
    .columnSession: ("Session", "Phiên"),
    .columnLevel: ("Level", "Cấp"),
    .columnPlannedAbsence: ("Planned absence", "Vắng có kế hoạch"),
    .columnAboveExpected: ("Above expected", "Vượt dự kiến"),
    .columnCountBy: ("Count set by", "Người nhập quân số"),
    .columnCountAt: ("Count received at", "Thời điểm nhận quân số"),
    .columnAverageCount: ("Average count", "Quân số trung bình"),
    .levelTotal: ("conference", "toàn hội nghị"),
    .levelGroup: ("group", "đơn vị"),
    .levelSite: ("point", "điểm cầu"),
    .yes: ("yes", "có"),
    .never: ("never", "chưa kết nối"),
    .sourceAgent: ("agent", "phần mềm tại điểm cầu"),
    .sourceFile: ("heartbeat file", "tệp tín hiệu"),
    .sourceProbe: ("probe", "thăm dò"),
    .sourceByHand: ("by hand", "nhập tay"),
    .sourceByHandNamed: ("by hand: {0}", "nhập tay: {0}"),
    .sourceCheckin: ("check-in page", "trang điểm danh"), .sourceCheckinNamed: ("check-in page: {0}", "trang điểm danh: {0}"),
    .figureRollCall: ("roll call", "điểm danh"),
    .figurePeak: ("peak", "cao nhất"),
    .actionMark: ("marked offline", "đánh dấu mất kết nối"),
    .actionClear: ("cleared the mark", "bỏ đánh dấu"),
    .actionAcknowledge: ("acknowledged", "đã xác nhận"),
    .actionHeadcount: ("set the headcount", "nhập quân số"),
    .actionClaim: ("on it", "nhận xử lý"),
    .actionRelease: ("released", "thôi xử lý"),
    .actionClaimEnded: ("claim ended (back online)", "hết nhận xử lý (đã kết nối lại)"),
    .corrects: ("{0} (corrects {1})", "{0} (sửa số {1})"),
    .clockNote: (
      "Note: the monitor's clock stepped {0} at {1}; times before it in that run are re-based onto the clock after it.",
      "Lưu ý: đồng hồ máy giám sát nhảy {0} lúc {1}; các thời điểm trước đó trong lần chạy ấy được quy về đồng hồ sau khi nhảy."
    ),
    .rules: (
      "How the figures are counted (docs/REPORT.md): a point's headcount counts while the point is connected (online or "
        + "late). Attendance is the counted headcount at the roll call over the expected headcount; a group's figure is the "
        + "sum of its points at that one moment, and so is its highest headcount. A count set by hand within 5 minutes of the "
        + "one before replaces it (a correction). Points marked offline before the session and still marked at the roll call "
        + "are planned absences and leave every figure. Online: time a point was online or late. An outage: a point offline "
        + "or marked offline after it had connected.",
      "Cách tính (docs/REPORT.md): quân số của một điểm cầu chỉ được tính khi điểm cầu đang kết nối (trực tuyến hoặc "
        + "chậm). Tỷ lệ tham dự là quân số được tính lúc điểm danh chia cho quân số dự kiến; số liệu của một đơn vị là tổng "
        + "các điểm cầu tại đúng thời điểm đó, quân số cao nhất cũng vậy. Quân số nhập tay trong vòng 5 phút sau số trước "
        + "sẽ thay thế số đó (sửa sai). Điểm cầu bị đánh dấu mất kết nối trước phiên và vẫn còn đánh dấu lúc điểm danh là "
        + "vắng có kế hoạch, không tính vào số liệu nào. Trực tuyến: thời gian điểm cầu trực tuyến hoặc chậm. Mất kết nối: "
        + "điểm cầu mất kết nối hoặc bị đánh dấu mất kết nối sau khi đã kết nối."
    ),
    .aboveFlag: ("above expected", "vượt dự kiến"),
    .chartAttendance: ("Attendance at the roll call, by group", "Tỷ lệ tham dự lúc điểm danh, theo đơn vị"),
    .chartConnected: ("Connected points", "Số điểm cầu kết nối"),
    .chartHeadcount: ("Counted headcount", "Quân số được tính"),
    .chartOutages: ("Outages", "Mất kết nối"),
    .chartOutagesNote: ("The {0} points with the longest outages.", "{0} điểm cầu mất kết nối lâu nhất."),
    .chartNoOutages: ("No outages.", "Không có lần mất kết nối nào."),
    .chartAxisPercent: ("{0}%", "{0}%"),
    .generatedBy: ("Made by BridgeWatch from the monitor's journal.", "Lập bởi BridgeWatch từ nhật ký của máy giám sát."),
    .splitBrain: (
      "Warning: split brain from {0} to {1}: {2} both acted as primary (two writers); statuses for that stretch come from {3} "
        + "(the one promoted last), operator actions from both.",
      "Cảnh báo: hai máy cùng làm máy chính từ {0} đến {1}: {2} đều ghi như máy chính; trạng thái trong khoảng đó lấy từ {3} "
        + "(máy được chuyển làm máy chính sau cùng), thao tác lấy từ cả hai."
    ),
    .and: (" and ", " và "),
    // MARK: The conference bridge (issue 32)
    .summaryBridge: (
      "In the bridge: {0} of {1} points; {2} in the bridge in all; dropped calls: {3}",
      "Trong cầu hội nghị: {0}/{1} điểm cầu; tổng thời gian trong cầu {2}; số lần rớt cuộc gọi: {3}"
    ),
    .columnInBridge: ("In bridge", "Trong cầu"),
    .columnBridgeTime: ("Time in bridge", "Thời gian trong cầu"),
    .columnBridgeDrops: ("Dropped calls", "Rớt cuộc gọi"),
    .bridgeAllSessions: ("In the bridge, all sessions", "Trong cầu hội nghị, tất cả các phiên"),
    .bridgeRules: (
      "The conference bridge (as its polls saw it): time in the bridge is from a join to a leave; a stop or restart of "
        + "the monitor ends it (with one bridge, a point still in it is back in from the restart). A dropped call is a "
        + "point leaving the bridge while the session runs, whether or not it rejoins; leaving at the session's end is not.",
      "Cầu hội nghị (theo các lần đọc danh sách của cầu): thời gian trong cầu tính từ lúc vào đến lúc rời cầu; máy giám "
        + "sát dừng hoặc khởi động lại thì khoảng đó kết thúc (với một cầu, điểm cầu vẫn còn trong cầu được tính lại từ lúc "
        + "khởi động). Rớt cuộc gọi: điểm cầu rời cầu khi phiên đang diễn ra, dù có vào lại hay không; rời cầu lúc phiên "
        + "kết thúc thì không tính."
    ),
    .summaryCallQuality: (
      "Call quality (the bridge's verdict): {0} points had their call degraded or bad; degraded {1}, bad {2} in all",
      "Chất lượng cuộc gọi (theo đánh giá của cầu): {0} điểm cầu có lúc cuộc gọi giảm chất lượng hoặc xấu; tổng thời gian "
        + "giảm chất lượng {1}, xấu {2}"
    ),
    .columnCallProblemPoints: ("Points with call degraded or bad", "Điểm có cuộc gọi giảm chất lượng hoặc xấu"),
    .columnCallDegraded: ("Call degraded", "Cuộc gọi giảm chất lượng"),
    .columnCallBad: ("Call bad", "Cuộc gọi xấu"),
    .callQualityRules: (
      "Call quality is the bridge's own verdict on a point's call, or its packet loss, jitter and round trip against "
        + "fixed thresholds, as its polls saw it: the time counted is time in the bridge with the call degraded, or bad. "
        + "A leave, or a stop or restart of the monitor, ends a verdict until the next poll gives one.",
      "Chất lượng cuộc gọi là đánh giá của chính cầu về cuộc gọi của điểm cầu, hoặc tỉ lệ mất gói, độ trễ biến thiên và "
        + "thời gian khứ hồi so với các ngưỡng cố định, theo các lần đọc của cầu: thời gian được tính là thời gian trong cầu "
        + "khi cuộc gọi giảm chất lượng, hoặc xấu. Rời cầu, hoặc máy giám sát dừng hay khởi động lại, thì đánh giá đó kết "
        + "thúc cho đến lần đọc sau."
    ),
    .summaryDisagreements: (
      "Bridge and heartbeats disagreeing: {0} points; in the bridge with the agent silent {1}, agent alive and not in "
        + "the bridge {2} in all",
      "Cầu và tín hiệu không khớp: {0} điểm cầu; trong cầu nhưng phần mềm im lặng {1}, phần mềm hoạt động nhưng không "
        + "trong cầu {2}"
    ),
    .columnDisagreementPoints: ("Points disagreeing", "Điểm không khớp"),
    .columnAgentSilent: ("In bridge with agent silent", "Trong cầu nhưng phần mềm im lặng"),
    .columnAliveNotInBridge: ("Agent alive out of bridge", "Phần mềm hoạt động nhưng không trong cầu"),
    .disagreementRules: (
      "A disagreement is the bridge and the heartbeats saying different things, as the monitor judged it each second: "
        + "in the bridge while the heartbeats say offline or never heard, or online or late while no bridge has the "
        + "point; a stop or restart of the monitor ends one until the restarted monitor sees it again.",
      "Không khớp là khi cầu và tín hiệu nhịp tim nói khác nhau, theo đánh giá của máy giám sát mỗi giây: trong cầu "
        + "nhưng tín hiệu báo mất kết nối hoặc chưa từng nhận, hoặc tín hiệu báo trực tuyến hay trễ nhưng không cầu nào có "
        + "điểm cầu đó; máy giám sát dừng hoặc khởi động lại thì khoảng đó kết thúc cho đến khi máy khởi động lại thấy lại."
    ),
  ]
}
