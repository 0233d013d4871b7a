import Foundation
import Yams

/// `sites_csv:`, the roster exported from a spreadsheet.
extension ConfigLoader {
  /// The first four in this order; then `heartbeat_file` and `probe`, either, both, in any order.
  public static let csvColumns = ["id", "name", "group", "expected", "heartbeat_file", "probe", "contact", "bridge_name"]

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
    let headerNames = header.fields.map { $0.trimmedOfSpaces.lowercased() }
    let optional = headerNames.dropFirst(4)
    guard Array(headerNames.prefix(4)) == Array(Self.csvColumns.prefix(4)),
      optional.allSatisfy({ Self.csvColumns.dropFirst(4).contains($0) }), Set(optional).count == optional.count
    else {
      problems.append(
        ConfigProblem(
          FileLine(file: csvPath, line: header.line),
          "bad header '\(header.fields.joined(separator: ","))'; expected id,name,group,expected and optionally heartbeat_file, probe, contact, bridge_name"
        ))
      return []
    }
    let columns = headerNames.count
    let fileColumn = headerNames.firstIndex(of: "heartbeat_file")
    let probeColumn = headerNames.firstIndex(of: "probe")
    let contactColumn = headerNames.firstIndex(of: "contact")
    let bridgeNameColumn = headerNames.firstIndex(of: "bridge_name")
    let validator = SiteRowValidator(heartbeatDirectory: heartbeatDirectory, baseDirectory: baseDirectory)
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
      let fields = record.fields.map(\.trimmedOfSpaces)
      // Every column the header names is written in each record; an empty optional one is absent.
      func field(_ column: Int?, optional: Bool = true) -> SiteRow.Field? {
        guard let column, !(optional && fields[column].isEmpty) else { return nil }
        return SiteRow.Field(text: fields[column], location: location)
      }
      let row = SiteRow(
        location: location, id: field(0, optional: false), name: field(1, optional: false), group: field(2, optional: false),
        expected: field(3, optional: false), heartbeatFile: field(fileColumn), probe: field(probeColumn),
        contact: field(contactColumn), bridgeName: field(bridgeNameColumn))
      if let site = validator.site(from: row, problems: &problems) { sites.append(site) }
    }
    return sites
  }
}
