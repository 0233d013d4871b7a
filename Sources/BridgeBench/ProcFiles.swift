import Foundation

/// What the benchmarks read from /proc.
enum ProcFiles {
  /// The number after `key:` in a /proc file of "Key: value" lines (`status`, `io`).
  static func value(_ key: String, in path: String) -> Int? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return text.split(separator: "\n").first { $0.hasPrefix(key + ":") }.flatMap {
      Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
  }

  /// User plus system CPU seconds from a `stat` file, a process's or one of its threads'.
  static func cpuSeconds(stat path: String) -> Double? {
    guard let stat = try? String(contentsOfFile: path, encoding: .utf8), let end = stat.lastIndex(of: ")") else { return nil }
    // Fields after "(comm)": state is 3rd overall, utime the 14th and stime the 15th.
    let fields = stat[stat.index(after: end)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
  }
}
