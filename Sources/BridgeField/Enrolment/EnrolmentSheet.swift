import BridgeCore

/// The printable sheet of every enrolled site (`<dir>/sheet.html`): id, name, group and, given a check-in base,
/// the site's check-in link, printed and as a QR code beside it (30 mm with its quiet zone: a phone's camera reads
/// it from the printed page). One self-contained page (no script, no font or image to fetch; the codes are inline
/// SVG), laid out for A4 with the column heads repeated on every page and no site's row split between two pages;
/// both languages side by side, Vietnamese first.
public enum EnrolmentSheet {
  public static func html(
    title: String, entries: [(site: SiteConfig, entry: SiteKeyEntry)], checkinBase: String?, writtenAt: Double
  ) -> String {
    var page = """
      <!DOCTYPE html>
      <html lang="vi"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(escaped(title)) - điểm cầu / sites</title>
      <style>
      @page { size: A4; margin: 12mm; }
      body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; font-size: 9.5pt; color: #000; margin: 0; }
      h1 { font-size: 13pt; margin: 0 0 2mm 0; }
      p.note { margin: 0 0 3mm 0; font-size: 8.5pt; }
      table { border-collapse: collapse; width: 100%; }
      thead { display: table-header-group; }
      th, td { border: 0.3mm solid #444; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
      th { background: #e6e6e6; font-size: 8.5pt; }
      tr { page-break-inside: avoid; break-inside: avoid; }
      td.number { text-align: right; color: #444; }
      td.id, td.link { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
      td.id { white-space: nowrap; }
      @media screen { body { margin: 8mm; } }
      td.link { word-break: break-all; width: 55%; }
      div.checkin { display: flex; align-items: center; gap: 3mm; }
      svg.qr { flex: none; }
      span.noqr { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; color: #a00; }
      </style></head><body>
      <h1>\(escaped(title))</h1>
      <p class="note">Danh sách điểm cầu / Sites: \(entries.count) · \(escaped(SiteKeyEntry.utcText(writtenAt))) · \
      Mỗi đường dẫn chỉ dành cho một điểm cầu: không chia sẻ / Each link belongs to one site: do not share it.</p>
      <table><thead><tr><th>#</th><th>Mã / Id</th><th>Tên điểm cầu / Name</th><th>Nhóm / Group</th>
      """
    if checkinBase != nil { page += "<th>Đường dẫn điểm danh / Check-in link</th>" }
    page += "</tr></thead><tbody>\n"
    for (number, item) in entries.enumerated() {
      page += "<tr><td class=\"number\">\(number + 1)</td><td class=\"id\">\(escaped(item.site.id))</td>"
      page += "<td>\(escaped(item.site.name))</td><td>\(escaped(item.site.group.joined(separator: " / ")))</td>"
      if let checkinBase {
        if let token = item.entry.checkinToken {
          page += "<td class=\"link\">\(linkWithCode(checkinLink(base: checkinBase, token: token), site: item.site.id))</td>"
        } else {
          page += "<td class=\"link\">—</td>"
        }
      }
      page += "</tr>\n"
    }
    return page + "</tbody></table>\n</body></html>\n"
  }

  /// The link's QR code, then the link as text (what a person types when there is no camera). A link too long for
  /// a QR code keeps its text and says why it has no code rather than dropping the row (`keys` refuses a base that
  /// could make one, with the longest token a keys file may hold, so only another caller's base gets here).
  static func linkWithCode(_ link: String, site: String) -> String {
    do throws(QRCode.TooLong) {
      let code = try QRCode.encode(link)
      return "<div class=\"checkin\">\(code.svg(side: "30mm", label: "QR: " + site))<span>\(escaped(link))</span></div>"
    } catch {
      return "\(escaped(link))<br><span class=\"noqr\">Không có mã QR / No QR code: \(escaped(error.description))</span>"
    }
  }

  /// `<base>/c/<token>`: one slash between them whatever the base ends with.
  public static func checkinLink(base: String, token: String) -> String {
    (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/c/" + token
  }

  /// A base the sheet and the bundles may print: http(s), no spaces, quotes or angle brackets, at most 146 bytes,
  /// so that its link with the longest token (`/c/` and 64) still fits a QR code (213 bytes).
  public static let checkinBaseLimit = QRCode.capacity - 3 - 64

  public static func isValidCheckinBase(_ base: String) -> Bool {
    (base.hasPrefix("https://") || base.hasPrefix("http://")) && base.utf8.count <= checkinBaseLimit && base.count > 8
      && base.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && !"\"'<>\\`".unicodeScalars.contains($0) }
  }

  static func escaped(_ value: String) -> String { HTMLText.escaped(value) }
}
