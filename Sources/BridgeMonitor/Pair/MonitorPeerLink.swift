import BridgeCore
import CLinux
import Foundation
import Logging
import Synchronization

/// A line-based link to another monitor's console socket: the socket itself, or a command whose standard input
/// and output reach it (`ssh bw@primary bridgewatch console --relay CONFIG`). A source that starts with `/` or
/// `.` is a socket path; anything else is run with `/bin/sh -c`.
final class MonitorPeerLink {
  let readFD: Int32
  let writeFD: Int32
  /// The relay's standard error, read for the log.
  let errorFD: Int32?
  /// The relay's pid, also its process group's: closing ends it and every process it started (`ProcessTree`).
  let pid: Int32?

  static func isSocketPath(_ source: String) -> Bool { source.hasPrefix("/") || source.hasPrefix(".") }

  init(source: String) throws {
    if Self.isSocketPath(source) {
      let fd = try ConsoleSocket.connect(path: source)
      readFD = fd
      writeFD = fd
      errorFD = nil
      pid = nil
      return
    }
    var input: Int32 = -1
    var output: Int32 = -1
    var error: Int32 = -1
    let spawned = ProcessTree.spawnLink { bw_spawn_shell(source, &input, &output, &error) }
    guard spawned > 0 else { throw ConsoleSocket.Failure("cannot run the follow command", errno: errno) }
    pid = spawned
    readFD = output
    writeFD = input
    errorFD = error
  }

  func send(_ message: ConsoleMessage) throws {
    let bytes = ConsoleProtocol.encode(message)
    var sent = 0
    while sent < bytes.count {
      let count = bytes.withUnsafeBytes { Glibc.write(writeFD, $0.baseAddress! + sent, $0.count - sent) }
      if count < 0 {
        if errno == EINTR { continue }
        throw ConsoleSocket.Failure("cannot write to the link", errno: errno)
      }
      sent += count
    }
  }

  /// Closes the link; the relay and every process it started are killed (SIGKILL: a stopped relay would not act
  /// on SIGTERM) and reaped, those that left its process group or session (`setsid`) too.
  func close() {
    Glibc.close(readFD)
    if writeFD != readFD { Glibc.close(writeFD) }
    if let errorFD { Glibc.close(errorFD) }
    if let pid { ProcessTree.end(link: pid) }
  }
}

/// The processes of follow and peer commands. Their group is not enough to end them: a command may start
/// something in a session of its own (`setsid`), and one whose parent exits is reparented. So the monitor makes
/// itself the child subreaper of its descendants (PR_SET_CHILD_SUBREAPER, no cgroup needed): whatever a link's
/// command started stays below the monitor, as a descendant of the relay or, once orphaned, a child of the
/// monitor. Ending a link kills the relay's tree and every orphan (a child of the monitor that is no running
/// link's relay; the monitor starts no other processes), and reaps them all.
enum ProcessTree {
  /// The relays of the links now open; held while one is started or ended, so no new relay is taken for an orphan.
  private static let links = Mutex<Set<Int32>>([])

  /// Runs `spawn` (returns the relay's pid, or -1) as a link's relay.
  static func spawnLink(_ spawn: () -> Int32) -> Int32 {
    links.withLock { links in
      _ = bw_become_subreaper()
      let pid = spawn()
      if pid > 0 { links.insert(pid) }
      return pid
    }
  }

  /// Kills the relay `pid`, its descendants and the monitor's orphans, and reaps them.
  static func end(link pid: Int32) {
    links.withLock { links in
      links.remove(pid)
      kill(-pid, SIGKILL)
      let me = getpid()
      // Rounds until nothing is left: a process may fork while its siblings are killed. Bounded: a kernel that
      // keeps one alive (uninterruptible sleep) must not hang the follow link.
      for _ in 0..<200 {
        let table = processTable()
        // The relay, while it is still the monitor's child (once reaped, its pid may be another process's).
        var doomed: Set<Int32> = table[pid]?.parent == me ? [pid] : []
        var grew = true
        while grew {
          grew = false
          for (child, entry) in table where !doomed.contains(child) {
            let orphan = entry.parent == me && !links.contains(child)
            if orphan || doomed.contains(entry.parent) {
              doomed.insert(child)
              grew = true
            }
          }
        }
        var present = 0
        for member in doomed {
          guard let entry = table[member] else { continue }
          present += 1
          if !entry.isZombie {
            kill(member, SIGKILL)
          } else if entry.parent == me {
            var status: Int32 = 0
            _ = waitpid(member, &status, WNOHANG)
          }
          // A zombie of another (killed) parent comes to the monitor when that one dies, and is reaped then.
        }
        if present == 0 { return }
        usleep(5_000)
      }
    }
  }

  /// Every process's parent and whether it is a zombie, from /proc.
  private static func processTable() -> [Int32: (parent: Int32, isZombie: Bool)] {
    var table: [Int32: (parent: Int32, isZombie: Bool)] = [:]
    guard let directory = opendir("/proc") else { return table }
    defer { closedir(directory) }
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8) else { continue }
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so the fields start after the last ')'.
      guard let close = stat.lastIndex(of: ")") else { continue }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 1, let parent = Int32(fields[1]) else { continue }
      table[pid] = (parent, fields[0] == "Z")
    }
    return table
  }
}

/// What a relay writes on its standard error, for the log: read at most `chunkBytes` each `readEverySeconds`,
/// and logged as one bounded excerpt at most each `logEverySeconds`, the rest counted.
struct RelayErrorOutput {
  static let chunkBytes = 16 * 1024
  static let readEveryNanos: UInt64 = 100_000_000
  static let logEveryNanos: UInt64 = 10_000_000_000
  static let excerptCharacters = 200

  private var nextRead: UInt64 = 0
  private var nextLog: UInt64 = 0
  /// Lines and bytes since the last excerpt logged, not in it.
  private(set) var unloggedLines = 0
  private(set) var unloggedBytes = 0

  func isDue(now: UInt64) -> Bool { now >= nextRead }
  func millisecondsUntilDue(now: UInt64) -> UInt64 { nextRead > now ? (nextRead - now + 999_999) / 1_000_000 : 0 }

  /// Takes one chunk read at `now` (monotonic nanoseconds); returns the line to log, when one is due.
  mutating func take(_ bytes: UnsafeRawBufferPointer, now: UInt64) -> String? {
    nextRead = now + Self.readEveryNanos
    let lines = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    guard now >= nextLog else {
      unloggedLines += lines
      unloggedBytes += bytes.count
      return nil
    }
    nextLog = now + Self.logEveryNanos
    let first = bytes.split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: false).first ?? bytes[...]
    let excerpt = TextSanitizer.printable(String(String(decoding: first, as: UTF8.self).prefix(Self.excerptCharacters)))
    let rest = bytes.count - first.count
    let skipped = (lines: unloggedLines + max(0, lines - 1), bytes: unloggedBytes + max(0, rest - 1))
    unloggedLines = 0
    unloggedBytes = 0
    guard skipped.bytes > 0 else { return excerpt }
    return "\(excerpt) (and \(NumberText.grouped(skipped.lines)) more line(s), \(NumberText.grouped(skipped.bytes)) bytes, not logged)"
  }
}
