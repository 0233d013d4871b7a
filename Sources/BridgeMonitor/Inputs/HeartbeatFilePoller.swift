import BridgeCore
import Foundation

/// Watches every site's heartbeat file and reads one only when its mtime changed. Files are looked for through
/// their directory's listing, re-read only when the directory changes, so a conference of UDP sites costs one
/// `stat` of the folder per scan rather than one per site. Runs off the event loop (a network share can block);
/// `HeartbeatFileInput` holds it behind a lock that scans, which never overlap, never contend for.
final class HeartbeatFilePoller {
  private enum Seen: Equatable {
    case missing
    case unreadable(String)
    case modified(seconds: Int, nanoseconds: Int)
  }

  /// The heartbeat files that live in one directory, and what its last listing held.
  private struct Folder {
    struct Stamp: Equatable {
      var device: UInt64
      var inode: UInt64
      var seconds: Int
      var nanoseconds: Int
    }

    let path: String
    var sites: [(site: Int, name: String)] = []
    var listed: Stamp?
    var listedAtNanos: Int64 = .min / 2
    var names: Set<String> = []
    /// The sites whose files the last listing held: while it is kept, the others are still missing and only
    /// these need a look (a file rewritten in place does not change its folder).
    var sitesListed: [(site: Int, name: String)] = []
    /// The folder did not exist at the last scan.
    var absent = false
  }

  /// A listing is trusted this long at most, in case a network share's directory times lag.
  static let relistNanos: Int64 = 30_000_000_000
  /// A directory changed this recently may change again within its timestamp's granularity: list it again.
  static let settleSeconds = 2

  private let paths: [String]
  private var seen: [Seen?]
  private var folders: [Folder]

  init(paths: [String]) {
    self.paths = paths
    seen = Array(repeating: nil, count: paths.count)
    var folderIndex: [String: Int] = [:]
    var folders: [Folder] = []
    for (site, path) in paths.enumerated() {
      let directory = PathText.directory(of: path)
      let name = String(path[(path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex)...])
      let index =
        folderIndex[directory]
        ?? {
          folders.append(Folder(path: directory))
          folderIndex[directory] = folders.count - 1
          return folders.count - 1
        }()
      folders[index].sites.append((site, name))
    }
    self.folders = folders
  }

  /// Returns only what changed since the previous scan.
  func scan() -> [(site: Int, observation: FileObservation)] {
    var changes: [(Int, FileObservation)] = []
    var clock = timespec()
    clock_gettime(CLOCK_MONOTONIC, &clock)
    let nowNanos = Int64(clock.tv_sec) * 1_000_000_000 + Int64(clock.tv_nsec)
    for index in folders.indices {
      let (present, kept) = presentNames(in: &folders[index], nowNanos: nowNanos)
      // A kept listing: every site not in it was seen missing at the scan that listed the folder.
      let candidates = kept ? folders[index].sitesListed : folders[index].sites
      var listedNow: [(site: Int, name: String)] = []
      for (site, name) in candidates {
        let (now, observation): (Seen, FileObservation?)
        if let present, !present.contains(name) {
          (now, observation) = (.missing, .missing)
        } else {
          (now, observation) = Self.observe(path: paths[site], previous: seen[site])
          if present != nil && !kept { listedNow.append((site, name)) }
        }
        if now != seen[site], let observation {
          changes.append((site, observation))
        }
        seen[site] = now
      }
      if !kept { folders[index].sitesListed = listedNow }
    }
    return changes
  }

  /// The names in the folder, or nil when each file must be looked at on its own (the folder cannot be
  /// listed), and whether they are the last scan's listing, kept because the folder has not changed. A folder
  /// that does not exist holds nothing.
  private func presentNames(in folder: inout Folder, nowNanos: Int64) -> (names: Set<String>?, kept: Bool) {
    var info = stat()
    guard stat(folder.path, &info) == 0 else {
      folder.listed = nil
      guard errno == ENOENT || errno == ENOTDIR else {
        folder.absent = false
        return (nil, false)
      }
      // Still absent: its sites were all seen missing at the scan that found it gone.
      defer { folder.absent = true }
      return ([], folder.absent)
    }
    folder.absent = false
    let stamp = Folder.Stamp(
      device: UInt64(info.st_dev), inode: UInt64(info.st_ino), seconds: Int(info.st_mtim.tv_sec),
      nanoseconds: Int(info.st_mtim.tv_nsec))
    if stamp == folder.listed, nowNanos - folder.listedAtNanos < Self.relistNanos { return (folder.names, true) }
    guard let directory = opendir(folder.path) else {
      folder.listed = nil
      return (nil, false)
    }
    defer { closedir(directory) }
    var names = Set<String>()
    names.reserveCapacity(folder.names.count)
    while let entry = readdir(directory) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) { String(cString: $0) }
      }
      names.insert(name)
    }
    folder.names = names
    // Trust this listing next time only if the folder has been still for a while: a file created in the same
    // timestamp tick as the listing would not move the folder's mtime again.
    let settled = time(nil) - Int(info.st_mtim.tv_sec) >= Self.settleSeconds
    folder.listed = settled ? stamp : nil
    folder.listedAtNanos = nowNanos
    return (names, false)
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
