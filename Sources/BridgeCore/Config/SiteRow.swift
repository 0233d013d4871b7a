import Foundation

/// One site as written, whatever wrote it: an entry of the YAML `sites:` list or a record of the CSV roster.
/// Each field keeps its text and where it stands (its YAML key's line, or the CSV record's line), so that
/// `SiteRowValidator` says every problem at the same file:line the reader would have.
struct SiteRow {
  struct Field {
    var text: String
    var location: FileLine
  }

  /// Where the site stands: its YAML mapping, or its CSV record. A site's own `location`.
  var location: FileLine
  /// Fields that are absent, or whose value the reader already refused, are nil.
  var id: Field?
  var name: Field?
  var group: Field?
  var expected: Field?
  var heartbeatFile: Field?
  var probe: Field?
  var contact: Field?
  var bridgeName: Field? = nil
}

/// The one set of rules for a site row, shared by the YAML roster and the CSV roster: the id's characters, a name
/// that is not blank, names and groups on one line, the group path, the expected headcount, the probe and the
/// contact. The readers check only their own shape (missing keys, a column count) and hand a `SiteRow` here.
struct SiteRowValidator {
  /// Where a site's heartbeat file is when the row names none: `<heartbeat_dir>/<id>.hb`.
  var heartbeatDirectory: String
  /// What a heartbeat file the row names is relative to: the config's directory.
  var baseDirectory: String

  /// The site the row describes, or nil when any of its fields has a problem; each problem is appended to
  /// `problems` at its field's line (at the row's when the field is absent).
  func site(from row: SiteRow, problems: inout [ConfigProblem]) -> SiteConfig? {
    let before = problems.count
    func fail(_ field: SiteRow.Field, _ message: String) { problems.append(ConfigProblem(field.location, message)) }
    let label = row.id?.text ?? "?"

    if let field = row.id, !SiteID.isValid(field.text) {
      fail(field, "bad site id '\(field.text)': use 1 to 64 of A-Z a-z 0-9 . _ -")
    }
    if let field = row.name {
      if field.text.trimmedOfSpaces.isEmpty {
        fail(field, "site '\(label)' has an empty name")
      } else if let problem = ConfigLoader.controlCharacterProblem(field.text, "the name of site '\(label)'") {
        fail(field, problem)
      }
    }
    var group: [String]?
    if let field = row.group {
      if let problem = ConfigLoader.controlCharacterProblem(field.text, "the group of site '\(label)'") {
        fail(field, problem)
      } else {
        switch GroupPath.parseForRoster(field.text) {
        case .success(let parsed): group = parsed
        case .failure(let problem): fail(field, problem.description)
        }
      }
    }
    var expected: Int?
    if let field = row.expected {
      switch ConfigLoader.expectedHeadcount(field.text) {
      case .success(let value): expected = value
      case .failure(let problem): fail(field, problem.message)
      }
    }
    var probe: ProbeTarget?
    if let field = row.probe {
      switch ProbeTarget.parse(field.text) {
      case .success(let parsed): probe = parsed
      case .failure(let error): fail(field, "probe \(error)")
      }
    }
    if let field = row.contact, let problem = ConfigLoader.contactProblem(field.text, site: row.id?.text) {
      fail(field, problem)
    }
    if let field = row.bridgeName, let problem = ConfigLoader.bridgeNameProblem(field.text, site: row.id?.text) {
      fail(field, problem)
    }

    guard problems.count == before, let id = row.id?.text, let name = row.name?.text, let group, let expected else {
      return nil
    }
    let explicitFile = row.heartbeatFile?.text
    var site = SiteConfig(
      id: id, name: name, group: group, expected: expected,
      heartbeatFile: explicitFile.map { PathText.join(baseDirectory, $0) } ?? PathText.join(heartbeatDirectory, id + ".hb"),
      heartbeatFileIsExplicit: explicitFile != nil, probe: probe, contact: row.contact?.text,
      location: row.location)
    site.bridgeName = row.bridgeName?.text
    return site
  }
}
