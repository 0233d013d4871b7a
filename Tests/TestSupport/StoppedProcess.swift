import Foundation

/// Stopping another process for a test, and knowing it is stopped.
public enum StoppedProcess {
  /// Sends SIGSTOP to `pid` and waits until every one of its threads is stopped; false if that did not happen
  /// within `seconds`.
  ///
  /// `kill` returns before the process stops. The kernel hands the signal to one thread, and only when that thread
  /// next runs does it stop the others. In a Swift program the main thread usually waits in libdispatch while the
  /// work runs on a pool thread, so on a busy machine the pool thread can go on reading and writing for a while
  /// after `kill` has returned.
  public static func stop(_ pid: Int32, within seconds: Double = 10) -> Bool {
    guard kill(pid, SIGSTOP) == 0 else { return false }
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if allThreadsStopped(pid) { return true }
      usleep(2_000)
    }
    return false
  }

  /// True when `pid` has threads and each is in state T (stopped) or t (traced).
  public static func allThreadsStopped(_ pid: Int32) -> Bool {
    guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"), !threads.isEmpty else {
      return false
    }
    return threads.allSatisfy { ["T", "t"].contains(ProcStat.fields("/proc/\(pid)/task/\($0)/stat")?.first) }
  }
}

/// A `/proc/PID/stat` (or a thread's) as its fields after the command name: state, parent pid, and so on. The name
/// is in parentheses and may hold spaces or parentheses itself, so the fields start after the last ')'.
public enum ProcStat {
  public static func fields(_ path: String) -> [Substring]? {
    guard let stat = try? String(contentsOfFile: path, encoding: .utf8), let nameEnd = stat.lastIndex(of: ")") else { return nil }
    return stat[stat.index(after: nameEnd)...].split(separator: " ")
  }
}
