import Foundation

/// What the benchmarks read from /proc.
public enum ProcFiles {
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

  /// This process's children still running (the monitors, consoles and programs a benchmark started): the
  /// processes whose parent is this one and that are not zombies.
  static func runningChildren() -> [pid_t] {
    let me = getpid()
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> pid_t? in
      guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.lastIndex(of: ")")
      else { return nil }
      // After "(comm)": the state, then the parent's id.
      let fields = stat[stat.index(after: end)...].split(separator: " ")
      guard fields.count > 1, fields[0] != "Z", pid_t(fields[1]) == me else { return nil }
      return pid
    }
  }

  /// Stops the processes a benchmark started, when the benchmark itself is stopped: SIGINT (a monitor's clean
  /// stop), then SIGKILL for any still running after `seconds`.
  public static func stopChildren(within seconds: Double = 3) {
    for child in runningChildren() { kill(child, SIGINT) }
    let deadline = Date().addingTimeInterval(seconds)
    while !runningChildren().isEmpty && Date() < deadline { usleep(50_000) }
    for child in runningChildren() { kill(child, SIGKILL) }
  }
}
