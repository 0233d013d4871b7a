import Foundation
import Yams

/// `sites_csv:`, the roster exported from a spreadsheet.
extension ConfigLoader {
  /// The first four in this order; then `heartbeat_file` and `probe`, either, both, in any order.
  public static let csvColumns = ["id", "name", "group", "expected", "heartbeat_file", "probe", "contact"]

  mutating func loadCSV(path csvPath: String, from node: Node, heartbeatDirectory: String, baseDirectory: String) -> [SiteConfig] {
    guard let data = FileManager.default.contents(atPath: csvPath) else {
      fail(node, "cannot read sites_csv '\(csvPath)' (\(FileProblem.describe(path: csvPath)))")
      return []
    }
    guard case .success(let text) = TextFile.decode(Array(data)) else {
      let line = TextFile.decode(Array(data)).failureLine
      problems.append(ConfigProblem(FileLine(file: csvPath, line: line), "the roster is not valid UTF-8 (save it as CSV UTF-8)"))
      return []
    }
    let records: [CSVRecord]
    do {
      records = try CSVReader.records(from: text)
    } catch {
      problems.append(ConfigProblem(FileLine(file: csvPath, line: error.line), error.message))
      return []
    }
    guard let header = records.first else {
      problems.append(
        ConfigProblem(
          FileLine(file: csvPath, line: 1), "the roster is empty; expected a header row id,name,group,expected[,heartbeat_file]"))
      return []
    }
    let headerNames = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    let optional = headerNames.dropFirst(4)
    guard Array(headerNames.prefix(4)) == Array(Self.csvColumns.prefix(4)),
      optional.allSatisfy({ Self.csvColumns.dropFirst(4).contains($0) }), Set(optional).count == optional.count
    else {
      problems.append(
        ConfigProblem(
          FileLine(file: csvPath, line: header.line),
          "bad header '\(header.fields.joined(separator: ","))'; expected id,name,group,expected and optionally heartbeat_file, probe, contact"
        ))
      return []
    }
    let columns = headerNames.count
    let fileColumn = headerNames.firstIndex(of: "heartbeat_file")
    let probeColumn = headerNames.firstIndex(of: "probe")
    let contactColumn = headerNames.firstIndex(of: "contact")
    var sites: [SiteConfig] = []
    for record in records.dropFirst() {
      let location = FileLine(file: csvPath, line: record.line)
      guard record.fields.count == columns else {
        problems.append(
          ConfigProblem(
            location,
            "expected \(columns) columns (\(headerNames.joined(separator: ","))), found \(record.fields.count)"))
        continue
      }
      let fields = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
      let before = problems.count
      if !SiteID.isValid(fields[0]) {
        problems.append(ConfigProblem(location, "bad site id '\(fields[0])': use 1 to 64 of A-Z a-z 0-9 . _ -"))
      }
      if fields[1].isEmpty { problems.append(ConfigProblem(location, "site '\(fields[0])' has an empty name")) }
      for (text, what) in [(fields[1], "name"), (fields[2], "group")] {
        if let problem = Self.controlCharacterProblem(text, "the \(what) of site '\(fields[0])'") {
          problems.append(ConfigProblem(location, problem))
        }
      }
      var group: [String]?
      switch GroupPath.parseForRoster(fields[2]) {
      case .success(let parsed): group = parsed
      case .failure(let problem):
        // A control character was said above; any other problem of the group is said here.
        if Self.controlCharacterProblem(fields[2], "") == nil { problems.append(ConfigProblem(location, problem.description)) }
      }
      var expected: Int?
      switch Self.expectedHeadcount(fields[3]) {
      case .success(let value): expected = value
      case .failure(let problem): problems.append(ConfigProblem(location, problem.message))
      }
      var probe: ProbeTarget?
      if let probeColumn, !fields[probeColumn].isEmpty {
        switch ProbeTarget.parse(fields[probeColumn]) {
        case .success(let parsed): probe = parsed
        case .failure(let error): problems.append(ConfigProblem(location, "probe \(error)"))
        }
      }
      var contact: String?
      if let contactColumn, !fields[contactColumn].isEmpty {
        if let problem = Self.contactProblem(fields[contactColumn], site: fields[0]) {
          problems.append(ConfigProblem(location, problem))
        } else {
          contact = fields[contactColumn]
        }
      }
      guard problems.count == before, let group, let expected else { continue }
      let explicitFile = fileColumn.flatMap { fields[$0].isEmpty ? nil : fields[$0] }
      sites.append(
        SiteConfig(
          id: fields[0], name: fields[1], group: group, expected: expected,
          heartbeatFile: explicitFile.map { PathText.join(baseDirectory, $0) } ?? PathText.join(heartbeatDirectory, fields[0] + ".hb"),
          heartbeatFileIsExplicit: explicitFile != nil, probe: probe, contact: contact,
          location: location))
    }
    return sites
  }
}
