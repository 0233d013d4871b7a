import BridgeCore

/// The printable sheet of every enrolled site (`<dir>/sheet.html`): id, name, group and, given a check-in base,
/// the site's check-in link. One self-contained page (no script, no font or image to fetch), laid out for A4 with
/// the column heads repeated on every page; both languages side by side, Vietnamese first.
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
      td.link { word-break: break-all; }
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
        let link = item.entry.checkinToken.map { checkinLink(base: checkinBase, token: $0) } ?? "—"
        page += "<td class=\"link\">\(escaped(link))</td>"
      }
      page += "</tr>\n"
    }
    return page + "</tbody></table>\n</body></html>\n"
  }

  /// `<base>/c/<token>`: one slash between them whatever the base ends with.
  public static func checkinLink(base: String, token: String) -> String {
    (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/c/" + token
  }

  /// A base the sheet and the bundles may print: http(s), no spaces, quotes or angle brackets, at most 200 bytes.
  public static func isValidCheckinBase(_ base: String) -> Bool {
    (base.hasPrefix("https://") || base.hasPrefix("http://")) && base.utf8.count <= 200 && base.count > 8
      && base.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && !"\"'<>\\`".unicodeScalars.contains($0) }
  }

  static func escaped(_ value: String) -> String { HTMLText.escaped(value) }
}
