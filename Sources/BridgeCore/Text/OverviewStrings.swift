// The overview's words (issue 30), in a table of their own merged into the dashboard's: the same test checks that
// both languages hold every key with the same placeholders.
extension Strings {
  static let englishOverviewTable: [TextKey: String] = [
    .overviewGroups: "{0} groups", .overviewAttendance: "Attendance",
    .overviewCell: "1 cell = 1 commune/ward/unit, in its worst status", .overviewCellSite: "1 cell = 1 site",
    .overviewLegend: "● online ◐ late ✖ offline ⊘ marked ? unknown", .overviewWorstFirst: "worst first",
    .overviewScopeWall: "{0}: {1} sites · 1 cell = 1 site · Esc: back to the overview",
    .overviewScopeNote: "{0} · Esc: overview",
    .overviewRankedWorstFirst: "overview: worst groups first (largest share of sites not online)",
    .overviewRankedRoster: "overview: groups in roster order",
    .overviewRankNotShown: "{0}; the overview is not on screen now (w shows it when the sites do not fit one cell each)",
    .keyRank: "overview: worst groups first, or in roster order", .footerRank: "rank", .footerEnterGroup: "go in",
  ]

  static let vietnameseOverviewTable: [TextKey: String] = [
    .overviewGroups: "{0} đơn vị", .overviewAttendance: "Quân số",
    .overviewCell: "1 ô = 1 xã/phường/đơn vị, theo trạng thái xấu nhất", .overviewCellSite: "1 ô = 1 điểm cầu",
    .overviewLegend: "● trực tuyến ◐ chậm ✖ mất kết nối ⊘ đánh dấu ? chưa rõ", .overviewWorstFirst: "xấu nhất trước",
    .overviewScopeWall: "{0}: {1} điểm cầu · 1 ô = 1 điểm cầu · Esc: về tổng quan",
    .overviewScopeNote: "{0} · Esc: tổng quan",
    .overviewRankedWorstFirst: "tổng quan: đơn vị xấu nhất trước (tỉ lệ điểm cầu không trực tuyến cao nhất)",
    .overviewRankedRoster: "tổng quan: đơn vị theo thứ tự danh sách",
    .overviewRankNotShown: "{0}; màn hình tổng quan hiện không hiển thị (w mở nó khi các điểm cầu không vừa mỗi điểm một ô)",
    .keyRank: "tổng quan: đơn vị xấu nhất trước, hoặc theo thứ tự", .footerRank: "xếp hạng", .footerEnterGroup: "vào đơn vị",
  ]
}
