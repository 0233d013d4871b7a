/// The check-in page's HTML, server-rendered: no JavaScript, no outside resource, system fonts, a viewport for a
/// 360-pixel phone and buttons a thumb can hit. Every value from the config or a form is escaped (`HTMLText`).
public enum CheckinPage {
  /// What the page says above the form, and how it looks.
  public struct Notice: Sendable, Equatable {
    public enum Kind: String, Sendable { case done, problem }
    public var kind: Kind
    public var lines: [String]

    public init(_ kind: Kind, _ lines: [String]) {
      self.kind = kind
      self.lines = lines
    }
  }

  /// The form for `site`, with `notice` above it and `who` and `count` filled in again (after a refusal).
  public static func form(
    site: SiteConfig, stamp: CheckinStamp, language: Language, notice: Notice? = nil, who: String = "", count: String = ""
  ) -> String {
    let strings = Strings(language)
    var html = HTMLText()
    head(&html, title: strings(.checkinTitle, site.name), language: language)
    html.raw("<header><p class=\"lang\"><a href=\"?lang=\(language == .vi ? "en" : "vi")\">")
    html.text(strings(.checkinOtherLanguage))
    html.raw("</a></p><h1>")
    html.text(site.name)
    html.raw("</h1><p class=\"where\">")
    html.text(strings(.checkinGroup) + ": " + site.groupLabel)
    html.raw("<br>")
    html.text(strings(.checkinSiteID) + ": " + site.id)
    html.raw("</p></header><main>")
    if let notice { noticeBlock(&html, notice) }
    html.raw("<p>")
    html.text(strings(.checkinIntro))
    html.raw("</p><form method=\"post\" action=\"?lang=\(language.rawValue)\">")
    hidden(&html, "issued", String(stamp.issued))
    hidden(&html, "nonce", stamp.nonce)
    hidden(&html, "sig", stamp.signature)
    html.raw("<label for=\"who\">")
    html.text(strings(.checkinWho))
    html.raw("</label><input id=\"who\" name=\"who\" type=\"text\" required autocomplete=\"name\" maxlength=\"")
    html.raw(String(CheckinForm.maximumWhoScalars))
    html.raw("\" value=\"")
    html.text(who)
    html.raw("\"><p class=\"hint\">")
    html.text(strings(.checkinWhoHint))
    html.raw("</p><label for=\"count\">")
    html.text(strings(.checkinCount))
    html.raw("</label><input id=\"count\" name=\"count\" type=\"number\" inputmode=\"numeric\" min=\"0\" max=\"")
    html.raw(String(ConfigLoader.maximumExpected))
    html.raw("\" value=\"")
    html.text(count)
    html.raw("\"><p class=\"hint\">")
    html.text(strings(.checkinCountHint, strings.number(site.expected)))
    html.raw("</p>")
    button(&html, .count, strings(.checkinSendCount), style: "count")
    button(&html, .connected, strings(.checkinConnected), style: "ok")
    button(&html, .help, strings(.checkinHelp), style: "help")
    html.raw("</form></main></body></html>\n")
    return html.output
  }

  /// The answer to a submission applied (or sent again): what was recorded and when, and a way back to the form.
  public static func result(site: SiteConfig, language: Language, notice: Notice) -> String {
    let strings = Strings(language)
    var html = HTMLText()
    head(&html, title: strings(.checkinTitle, site.name), language: language)
    html.raw("<header><h1>")
    html.text(site.name)
    html.raw("</h1><p class=\"where\">")
    html.text(strings(.checkinGroup) + ": " + site.groupLabel)
    html.raw("</p></header><main>")
    noticeBlock(&html, notice)
    html.raw("<p><a class=\"again\" href=\"?lang=\(language.rawValue)\">")
    html.text(strings(.checkinSendAgain))
    html.raw("</a></p></main></body></html>\n")
    return html.output
  }

  /// A refusal that names no site (a wrong token, a body too large, too many requests, a broken form): in both
  /// languages, the asked one first, so nothing tells which links exist.
  public static func plain(_ key: TextKey, language: Language) -> String {
    let first = Strings(language)
    let second = Strings(language == .vi ? .en : .vi)
    var html = HTMLText()
    head(&html, title: first(key), language: language)
    html.raw("<main><p class=\"notice problem\">")
    html.text(first(key))
    html.raw("</p><p lang=\"\(language == .vi ? "en" : "vi")\">")
    html.text(second(key))
    html.raw("</p></main></body></html>\n")
    return html.output
  }

  private static func head(_ html: inout HTMLText, title: String, language: Language) {
    html.raw("<!DOCTYPE html>\n<html lang=\"\(language.rawValue)\"><head><meta charset=\"utf-8\">")
    html.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    html.raw("<meta name=\"robots\" content=\"noindex\"><title>")
    html.text(title)
    html.raw("</title><style>\(style)</style></head><body>")
  }

  private static func hidden(_ html: inout HTMLText, _ name: String, _ value: String) {
    html.raw("<input type=\"hidden\" name=\"\(name)\" value=\"")
    html.text(value)
    html.raw("\">")
  }

  private static func button(_ html: inout HTMLText, _ action: CheckinForm.Action, _ label: String, style: String) {
    html.raw("<button type=\"submit\" name=\"action\" value=\"\(action.rawValue)\" class=\"\(style)\">")
    html.text(label)
    html.raw("</button>")
  }

  private static func noticeBlock(_ html: inout HTMLText, _ notice: Notice) {
    html.raw("<div class=\"notice \(notice.kind.rawValue)\" role=\"status\">")
    for line in notice.lines {
      html.raw("<p>")
      html.text(line)
      html.raw("</p>")
    }
    html.raw("</div>")
  }

  /// System fonts, one column at most 34em wide, inputs and buttons at least 48 px tall (a thumb), colours with
  /// enough contrast in daylight on a cheap phone; spaced so that all three buttons fit a 360 x 740 screen.
  static let style = """
    body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;margin:0;padding:1rem;\
    font-size:1.125rem;line-height:1.45;color:#111;background:#f6f6f4}\
    header,main{max-width:34em;margin:0 auto}h1{font-size:1.5rem;margin:0 0 .25rem}main>p{margin:.5rem 0}\
    .where{color:#333;margin:.25rem 0 1rem}.lang{float:right;margin:0}.lang a{display:inline-block;padding:.25rem .5rem}\
    label{display:block;font-weight:600;margin-top:.75rem}\
    input[type=text],input[type=number]{box-sizing:border-box;width:100%;min-height:3rem;font-size:1.25rem;\
    padding:.5rem;border:2px solid #555;border-radius:.4rem;background:#fff}\
    .hint{font-size:.95rem;color:#444;margin:.25rem 0 0}\
    button{display:block;box-sizing:border-box;width:100%;min-height:3.25rem;margin-top:.75rem;font-size:1.25rem;\
    font-weight:600;border:0;border-radius:.4rem;color:#fff;cursor:pointer}\
    button.count{background:#1d4ed8}button.ok{background:#15803d}button.help{background:#b91c1c;margin-top:1.25rem}\
    .notice{border-radius:.4rem;padding:.25rem 1rem;margin:1rem 0}.notice.done{background:#dcfce7;border:2px solid #15803d}\
    .notice.problem{background:#fee2e2;border:2px solid #b91c1c}\
    a.again{display:inline-block;padding:.75rem 0;font-size:1.2rem}
    """
}
