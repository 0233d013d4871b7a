/// The gauges of one metric family whose series grow with the roster (one per group, or per site), kept and written
/// by the exporter itself rather than by the library's registry: the registry copies a family's whole dictionary
/// for every series added to it, which made start-up quadratic (21 s before listening with 7,400 sites in 6,363
/// groups). Here a series is its labels (`SeriesLabels`), escaped once and stored back to back, and a value: adding
/// one is an append, writing them all is one pass.
struct GaugeFamily: Sendable {
  private let header: [UInt8]
  private let name: [UInt8]
  /// Series i's labels; families with the same series (each site's per-site gauges, each group's) share one.
  private(set) var labels = SeriesLabels()
  /// Indexed like the series, in the order they were added.
  var values: [Double] = []

  init(name: String, help: String, expectedSeries: Int = 0) {
    self.name = Array(name.utf8)
    header = Array("# HELP \(name) \(help.replacingOccurrences(of: "\\", with: "\\\\"))\n# TYPE \(name) gauge\n".utf8)
    labels.reserve(expectedSeries)
    values.reserveCapacity(expectedSeries)
  }

  var count: Int { values.count }

  /// Adds a series at 0; returns its index in `values`.
  @discardableResult
  mutating func add(labels: [(String, String)]) -> Int {
    self.labels.add(labels)
    values.append(0)
    return values.count - 1
  }

  /// Takes `series` as its series, each at `value`: the labels' bytes are shared with every family given the same
  /// (at 100,000 sites, the per-site gauges' labels are 12 MB each, kept once instead of four times).
  mutating func adopt(_ series: SeriesLabels, value: Double = 0) {
    labels = series
    values = Array(repeating: value, count: series.count)
  }

  /// HELP and TYPE, then every series in the order added; nothing when the family has no series.
  func emit(into buffer: inout [UInt8]) {
    guard !values.isEmpty else { return }
    buffer.append(contentsOf: header)
    for (index, value) in values.enumerated() {
      buffer.append(contentsOf: name)
      buffer.append(contentsOf: labels[index])
      // The text format's spelling of "no figure" (a bridge point's call quality the bridge does not give).
      buffer.append(contentsOf: (value.isNaN ? "NaN" : value.description).utf8)
      buffer.append(UInt8(ascii: "\n"))
    }
  }
}

/// The labels of a family's series as the text format writes them after the name (`{site="HB-TU",group="Hòa Bình"} `,
/// or a space alone), escaped once and stored back to back. A copy shares the bytes until one of them adds a series.
struct SeriesLabels: Sendable {
  private var bytes: [UInt8] = []
  /// Series i's labels run from `ends[i - 1]` (0 for the first) to `ends[i]`.
  private var ends: [Int] = []

  var count: Int { ends.count }

  mutating func reserve(_ series: Int) { ends.reserveCapacity(series) }

  /// Labels keep their order; values are escaped as the text format wants (backslash, double quote, line feed).
  mutating func add(_ labels: [(String, String)]) {
    if !labels.isEmpty {
      bytes.append(UInt8(ascii: "{"))
      for (index, (label, value)) in labels.enumerated() {
        if index > 0 { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: label.utf8)
        bytes.append(contentsOf: "=\"".utf8)
        for byte in value.utf8 {
          switch byte {
          case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
          case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
          case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
          default: bytes.append(byte)
          }
        }
        bytes.append(UInt8(ascii: "\""))
      }
      bytes.append(UInt8(ascii: "}"))
    }
    bytes.append(UInt8(ascii: " "))
    ends.append(bytes.count)
  }

  subscript(series: Int) -> ArraySlice<UInt8> { bytes[(series == 0 ? 0 : ends[series - 1])..<ends[series]] }
}
