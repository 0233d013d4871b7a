import BridgeCore
import CLinux
import Foundation

/// The Unix stream sockets of the console link: the monitor's listening one and a console's connection.
public enum ConsoleSocket {
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
    /// Nothing listens on the socket (no file, or nobody accepting): no monitor runs.
    public var isNoMonitor = false
    init(_ description: String, isNoMonitor: Bool = false) {
      self.description = description
      self.isNoMonitor = isNoMonitor
    }
    init(_ what: String, errno code: Int32) { description = "\(what): \(String(cString: strerror(code)))" }
  }

  /// Listens on `path`, mode 0660 (the file's owner and group may attach). A socket left by a monitor that died is
  /// replaced; anything else at the path is never taken over and the monitor must not start without its socket:
  /// a file or a symbolic link (planted, or a mistake), a live monitor (it answers the protocol's hello), or a
  /// listener that does not answer as a monitor (consoles would talk to it). Returns the listening descriptor
  /// (non-blocking).
  public static func listen(path: String, helloTimeout: Double = 3) throws -> Int32 {
    var info = stat()
    if lstat(path, &info) == 0 {
      guard info.st_mode & S_IFMT == S_IFSOCK else {
        throw Failure("\(path) exists and is \(kind(info.st_mode)), not a socket; remove it or set console.socket to another path")
      }
      do {
        let welcome = try ConsoleClient.probe(path: path, timeout: helloTimeout)
        throw Failure("another monitor (pid \(welcome.pid)) is listening on \(path)")
      } catch let failure as Failure where failure.isNoMonitor {
        // Nobody answers: a monitor that was killed left it.
        guard unlink(path) == 0 || errno == ENOENT else { throw Failure("cannot remove the stale socket \(path)", errno: errno) }
      } catch let refused as ConsoleClient.Refused {
        throw Failure("another monitor is listening on \(path) (it answered: \(refused))")
      }
    }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    guard fd >= 0 else { throw Failure("cannot create a Unix socket", errno: errno) }
    do {
      try withAddress(path) { address, length in
        guard bind(fd, address, length) == 0 else { throw Failure("cannot listen on \(path)", errno: errno) }
      }
      // bind created it with the umask's mode (0755 at most for a usual umask: only its owner may connect); widen to
      // the group, never to others.
      guard chmod(path, 0o660) == 0 else { throw Failure("cannot set the mode of \(path)", errno: errno) }
      guard Glibc.listen(fd, 64) == 0 else { throw Failure("cannot listen on \(path)", errno: errno) }
    } catch {
      close(fd)
      throw error
    }
    return fd
  }

  /// What a file of mode `mode` is, for a message.
  static func kind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFREG: "a regular file"
    case S_IFLNK: "a symbolic link"
    case S_IFDIR: "a directory"
    case S_IFIFO: "a named pipe"
    default: "a special file"
    }
  }

  /// Connects to the monitor's socket (blocking); returns the descriptor.
  public static func connect(path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw Failure("cannot create a Unix socket", errno: errno) }
    do {
      try withAddress(path) { address, length in
        guard Glibc.connect(fd, address, length) == 0 else {
          let code = errno
          switch code {
          case ENOENT, ECONNREFUSED: throw Failure("no monitor is running on \(path)", isNoMonitor: true)
          case EACCES: throw Failure("permission denied on \(path): consoles need to be its owner or in its group")
          default: throw Failure("cannot connect to \(path)", errno: code)
          }
        }
      }
    } catch {
      close(fd)
      throw error
    }
    return fd
  }

  /// The Unix user at the other end of `fd`, as the kernel recorded it (a console cannot claim another user).
  public static func peer(of fd: Int32) -> (uid: UInt32, user: String, pid: Int32)? {
    var uid: UInt32 = 0
    var pid: Int32 = 0
    guard bw_peer_credentials(fd, &uid, &pid) == 0 else { return nil }
    return (uid, userName(uid), pid)
  }

  /// The login name of `uid`, or its number when it has none.
  public static func userName(_ uid: UInt32) -> String {
    var entry = passwd()
    var found: UnsafeMutablePointer<passwd>?
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getpwuid_r(uid, &entry, &buffer, buffer.count, &found) == 0, found != nil, let name = entry.pw_name else {
      return "uid \(uid)"
    }
    return String(cString: name)
  }

  private static func withAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) throws -> T {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard !bytes.isEmpty, bytes.count < capacity else {
      throw Failure("the socket path \(path) is longer than a Unix socket path may be (\(capacity - 1) bytes)")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in bytes.enumerated() { raw[index] = byte }
    }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
    return try withUnsafePointer(to: &address) { pointer in
      try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in try body(address, length) }
    }
  }
}

/// Splits a byte stream into lines, refusing one longer than `limit` (a peer that never sends a newline must not
/// make us buffer without bound).
public struct LineFramer: Sendable {
  public let limit: Int
  private var buffer: [UInt8] = []
  /// Where the unread part of `buffer` begins (compacted when it passes half).
  private var start = 0
  /// Where the search for the next newline resumes: the bytes before it hold none, so a line of megabytes that
  /// arrives in many reads is scanned once, not once per read.
  private var scanned = 0

  public init(limit: Int) { self.limit = limit }

  public mutating func append(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }

  /// The next complete line without its newline; nil when none is complete yet. Throws when the pending line is
  /// already longer than the limit.
  public mutating func nextLine() throws(ConsoleProtocolError) -> ArraySlice<UInt8>? {
    let from = max(start, scanned)
    let found = buffer.withUnsafeBytes { bytes -> Int? in
      guard from < bytes.count, let hit = memchr(bytes.baseAddress! + from, 0x0A, bytes.count - from) else { return nil }
      return UnsafeRawPointer(hit) - UnsafeRawPointer(bytes.baseAddress!)
    }
    if let newline = found {
      guard newline - start <= limit else { throw .lineTooLong(limit: limit) }
      let line = buffer[start..<newline]
      start = newline + 1
      scanned = start
      return line
    }
    scanned = buffer.count
    guard buffer.count - start <= limit else { throw .lineTooLong(limit: limit) }
    if start > 0 && start >= buffer.count / 2 {
      buffer.removeFirst(start)
      scanned -= start
      start = 0
    }
    return nil
  }

  /// Bytes waiting that are not yet a line.
  public var pendingCount: Int { buffer.count - start }

  /// Everything after the last line taken.
  public var unread: ArraySlice<UInt8> { buffer[start...] }
}
