import BridgeCore
import Foundation

/// Writes a file so readers never see it half-written: a temporary file in the same directory, fsync, rename.
///
/// The temporary name is unpredictable and created with `O_CREAT | O_EXCL | O_NOFOLLOW`, so a symlink planted in a
/// shared folder (the heartbeat folder many sites write) cannot make us write through it; rename replaces a
/// symlink at the final path with our file rather than following it.
public enum AtomicFile {
  public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(FileWriteError) {
    try write(Array(text.utf8), to: path, mode: mode)
  }

  /// Returns the written file's identity, to tell later whether the path still names it.
  @discardableResult
  public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(FileWriteError) -> FileIdentity? {
    try write(to: path, mode: mode) { sink in sink(bytes) }
  }

  /// Writes what `produce` hands its sink, chunk by chunk: a file of megabytes need never be whole in memory.
  @discardableResult
  public static func write(to path: String, mode: mode_t = 0o644, producing produce: (_ sink: ([UInt8]) -> Void) -> Void)
    throws(FileWriteError) -> FileIdentity?
  {
    let (fd, temporary) = try createTemporary(beside: path, mode: mode)
    var failure: Int32 = 0
    produce { chunk in
      if failure == 0 { failure = FileHandleOutput.write(fd: fd, chunk) }
    }
    if failure == 0 && fsync(fd) != 0 { failure = errno }
    let identity = failure == 0 ? FileIdentity(fd: fd) : nil
    close(fd)
    if failure == 0 && rename(temporary, path) != 0 { failure = errno }
    if failure != 0 {
      unlink(temporary)
      throw FileWriteError(errno: failure, path: path)
    }
    return identity
  }

  /// Sets the modification time of the file at `path` to now if it is still the file `identity` names (never
  /// through a symlink); false when it is gone or another file.
  public static func touch(_ path: String, ifStill identity: FileIdentity) -> Bool {
    let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    guard FileIdentity(fd: fd) == identity else { return false }
    return futimens(fd, nil) == 0
  }

  /// Creates a new file next to `path` under a random name; never opens an existing file or a symlink.
  static func createTemporary(beside path: String, mode: mode_t) throws(FileWriteError) -> (Int32, String) {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<16 {
      let suffix = String(generator.next(), radix: 36)
      let temporary = "\(path).tmp-\(suffix)"
      let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
      if fd >= 0 { return (fd, temporary) }
      // The random name would make every failure read differently; the pattern says what was being created.
      if errno != EEXIST { throw FileWriteError(errno: errno, path: path + ".tmp-*") }
    }
    throw FileWriteError(errno: EEXIST, path: path + ".tmp-*")
  }
}

/// Which file an open descriptor is (device and inode).
public struct FileIdentity: Equatable, Sendable {
  var device: UInt64
  var inode: UInt64

  init?(fd: Int32) {
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
  }
}

/// A file could not be written: the path and the system's reason.
public struct FileWriteError: Error, CustomStringConvertible {
  public var errno: Int32
  public var path: String
  public var description: String { "\(path): \(String(cString: strerror(errno)))" }
}
