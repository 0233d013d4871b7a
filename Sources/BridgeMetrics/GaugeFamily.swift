/// The gauges of one metric family whose series grow with the roster (one per group, or per site), kept and written
/// by the exporter itself rather than by the library's registry: the registry copies a family's whole dictionary
/// for every series added to it, which made start-up quadratic (21 s before listening with 7,400 sites in 6,363
/// groups). Here a series is its `name{labels} ` prefix, escaped once and stored back to back, and a value: adding
/// one is an append, writing them all is one pass.
struct GaugeFamily: Sendable {
  private let header: [UInt8]
  private let name: String
  private var prefixes: [UInt8] = []
  /// Series i's prefix runs from `prefixEnds[i - 1]` (0 for the first) to `prefixEnds[i]`.
  private var prefixEnds: [Int] = []
  /// Indexed like the series, in the order they were added.
  var values: [Double] = []

  init(name: String, help: String, expectedSeries: Int = 0) {
    self.name = name
    header = Array("# HELP \(name) \(help.replacingOccurrences(of: "\\", with: "\\\\"))\n# TYPE \(name) gauge\n".utf8)
    prefixEnds.reserveCapacity(expectedSeries)
    values.reserveCapacity(expectedSeries)
  }

  var count: Int { values.count }

  /// Adds a series at 0; returns its index in `values`. Labels keep their order; values are escaped as the text
  /// format wants (backslash, double quote, line feed).
  @discardableResult
  mutating func add(labels: [(String, String)]) -> Int {
    prefixes.append(contentsOf: name.utf8)
    if !labels.isEmpty {
      prefixes.append(UInt8(ascii: "{"))
      for (index, (label, value)) in labels.enumerated() {
        if index > 0 { prefixes.append(UInt8(ascii: ",")) }
        prefixes.append(contentsOf: label.utf8)
        prefixes.append(contentsOf: "=\"".utf8)
        for byte in value.utf8 {
          switch byte {
          case UInt8(ascii: "\\"): prefixes.append(contentsOf: #"\\"#.utf8)
          case UInt8(ascii: "\""): prefixes.append(contentsOf: #"\""#.utf8)
          case UInt8(ascii: "\n"): prefixes.append(contentsOf: #"\n"#.utf8)
          default: prefixes.append(byte)
          }
        }
        prefixes.append(UInt8(ascii: "\""))
      }
      prefixes.append(UInt8(ascii: "}"))
    }
    prefixes.append(UInt8(ascii: " "))
    prefixEnds.append(prefixes.count)
    values.append(0)
    return values.count - 1
  }

  /// HELP and TYPE, then every series in the order added; nothing when the family has no series.
  func emit(into buffer: inout [UInt8]) {
    guard !values.isEmpty else { return }
    buffer.append(contentsOf: header)
    var start = 0
    for (end, value) in zip(prefixEnds, values) {
      buffer.append(contentsOf: prefixes[start..<end])
      // The text format's spelling of "no figure" (a bridge point's call quality the bridge does not give).
      buffer.append(contentsOf: (value.isNaN ? "NaN" : value.description).utf8)
      buffer.append(UInt8(ascii: "\n"))
      start = end
    }
  }
}
