/// The exposition's value of one series, written exactly as rendered (`name{label="value",...}`).
public func metricValue(_ exposition: String, _ series: String) -> Double? {
  for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
    return Double(line.dropFirst(series.count + 1))
  }
  return nil
}

/// Series lines (not comments) in an exposition.
public func seriesCount(_ exposition: String) -> Int {
  exposition.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
}
