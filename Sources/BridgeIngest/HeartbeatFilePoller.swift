import BridgeCore
import Foundation

/// Stats every site's heartbeat file and reads it only when its mtime changed. Runs off the event loop
/// (a network share can block); scans never overlap, so its bookkeeping needs no lock.
final class HeartbeatFilePoller: @unchecked Sendable {
  private enum Seen: Equatable {
    case missing
    case unreadable(String)
    case modified(seconds: Int, nanoseconds: Int)
  }

  private let paths: [String]
  private var seen: [Seen?]

  init(paths: [String]) {
    self.paths = paths
    seen = Array(repeating: nil, count: paths.count)
  }

  /// Returns only what changed since the previous scan.
  func scan() -> [(site: Int, observation: FileObservation)] {
    var changes: [(Int, FileObservation)] = []
    for (index, path) in paths.enumerated() {
      let (now, observation) = Self.observe(path: path, previous: seen[index])
      if now != seen[index], let observation {
        changes.append((index, observation))
      }
      seen[index] = now
    }
    return changes
  }

  private static func observe(path: String, previous: Seen?) -> (Seen, FileObservation?) {
    var info = stat()
    guard stat(path, &info) == 0 else {
      let code = errno
      if code == ENOENT || code == ENOTDIR { return (.missing, .missing) }
      let reason = describe(errno: code)
      return (.unreadable(reason), .unreadable(reason))
    }
    if info.st_mode & S_IFMT == S_IFDIR { return (.unreadable("is a directory"), .unreadable("is a directory")) }
    guard info.st_mode & S_IFMT == S_IFREG else {
      return (.unreadable("not a regular file"), .unreadable("not a regular file"))
    }
    let stamp = Seen.modified(seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
    if stamp == previous { return (stamp, nil) }
    let mtime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    if Int(info.st_size) > MonitorState.maximumHeartbeatFileSize {
      return (stamp, .modified(mtimeUnixSeconds: mtime, content: nil))
    }
    // O_NONBLOCK: a FIFO swapped in between stat and open must not hang the poller.
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      let reason = describe(errno: errno)
      return (.unreadable(reason), .unreadable(reason))
    }
    defer { close(fd) }
    let limit = MonitorState.maximumHeartbeatFileSize
    var buffer = [UInt8](repeating: 0, count: limit + 1)
    var total = 0
    while total <= limit {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, limit + 1 - total) }
      if count < 0 {
        if errno == EINTR { continue }
        let reason = describe(errno: errno)
        return (.unreadable(reason), .unreadable(reason))
      }
      if count == 0 { break }
      total += count
    }
    // Grew past the limit between stat and read.
    if total > limit { return (stamp, .modified(mtimeUnixSeconds: mtime, content: nil)) }
    return (stamp, .modified(mtimeUnixSeconds: mtime, content: Array(buffer[0..<total])))
  }

  static func describe(errno code: Int32) -> String {
    switch code {
    case EACCES, EPERM: "permission denied"
    case ELOOP: "symlink loop"
    case EISDIR: "is a directory"
    case ENAMETOOLONG: "path too long"
    default: String(cString: strerror(code))
    }
  }
}
