import Foundation
import Yams

/// `sites:`, the roster written in the config, and the checks over every site wherever it was written.
extension ConfigLoader {
  static let siteKeys = ["id", "name", "group", "expected", "heartbeat_file", "probe", "contact", "bridge_name"]

  /// A site's contact (a name and a phone number) is shown on one line of the detail pane and of `status`.
  public static let maximumContactLength = 120
  public static let maximumExpected = 1_000_000

  /// A site's expected headcount, read by the one rule for headcounts people write (`CountText`: "1.234",
  /// "1,234" and "1 234" are all 1234), as at the dashboard's prompt and in the agent's count file.
  static func expectedHeadcount(_ text: String) -> Result<Int, ExpectedProblem> {
    let range = "a non-negative whole number up to \(NumberText.grouped(maximumExpected))"
    guard case .success(let value) = CountText.parse(Array(text.utf8)), value <= maximumExpected else {
      return .failure(
        ExpectedProblem(
          message:
            "'expected' must be \(range) (thousands may be written 1.234, 1,234 or 1 234), got '\(TextSanitizer.printable(String(text.prefix(40))))'"
        ))
    }
    return .success(value)
  }

  struct ExpectedProblem: Error { var message: String }

  mutating func parseSite(_ node: Node, heartbeatDirectory: String, baseDirectory: String) -> SiteConfig? {
    guard let mapping = node.mapping else {
      fail(node, "each entry of 'sites' must be a mapping with id, name, group, expected")
      return nil
    }
    let entries = checkedEntries(mapping, allowed: Self.siteKeys, context: "a site")
    var missing: [String] = []
    for key in ["id", "name", "group", "expected"] where entries[key] == nil { missing.append(key) }
    if !missing.isEmpty {
      fail(node, "site is missing \(missing.map { "'\($0)'" }.joined(separator: ", "))")
    }
    func field(_ key: String) -> SiteRow.Field? {
      guard let valueNode = entries[key], let text = string(valueNode, key) else { return nil }
      return SiteRow.Field(text: text, location: at(valueNode))
    }
    let row = SiteRow(
      location: at(node), id: field("id"), name: field("name"), group: field("group"), expected: field("expected"),
      heartbeatFile: field("heartbeat_file"), probe: field("probe"), contact: field("contact"),
      bridgeName: field("bridge_name"))
    let validator = SiteRowValidator(heartbeatDirectory: heartbeatDirectory, baseDirectory: baseDirectory)
    return validator.site(from: row, problems: &problems)
  }

  /// The same rule for the YAML and the CSV roster: one line of text, not blank, at most `maximumContactLength`
  /// characters ("Anh Tuấn 0912 345 678").
  static func contactProblem(_ text: String, site id: String?) -> String? {
    let what = "the contact of site '\(id ?? "?")'"
    if text.trimmedOfSpaces.isEmpty { return "\(what) is empty; leave 'contact' out instead" }
    if let problem = controlCharacterProblem(text, what) { return problem }
    guard text.count <= maximumContactLength else {
      return "\(what) has \(text.count) characters; at most \(maximumContactLength) (a name and a phone number)"
    }
    return nil
  }

  /// Names are shown on one line everywhere (check, status, report, dashboard, logs): a line break, tab or other
  /// control character in one is refused here, at its line, rather than dropped silently by every printer.
  static func controlCharacterProblem(_ text: String, _ what: String) -> String? {
    guard let scalar = TextSanitizer.firstUnsafe(in: text) else { return nil }
    let code = String(scalar.value, radix: 16, uppercase: true)
    return
      "\(what) ('\(TextSanitizer.printable(text))') holds a control character (U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code)); names are shown on one line, so write it without line breaks, tabs or escapes"
  }

  mutating func checkDuplicates(_ sites: [SiteConfig]) {
    // Indices, not copies of the sites, sized once: 31,097 sites were 6% of a restart's time here.
    var firstByID: [String: Int] = Dictionary(minimumCapacity: sites.count)
    var firstByFile: [String: Int] = Dictionary(minimumCapacity: sites.count)
    for (index, site) in sites.enumerated() {
      if let first = firstByID[site.id] {
        problems.append(ConfigProblem(site.location, "duplicate site id '\(site.id)' (first defined at \(sites[first].location))"))
        continue
      }
      firstByID[site.id] = index
      if let first = firstByFile[site.heartbeatFile] {
        problems.append(
          ConfigProblem(
            site.location, "site '\(site.id)' uses the same heartbeat file as '\(sites[first].id)' (\(sites[first].location))"))
      }
      firstByFile[site.heartbeatFile] = index
    }
  }
}
