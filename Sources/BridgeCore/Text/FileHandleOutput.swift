import Foundation

/// Writes to a raw file descriptor, retrying short writes and EINTR.
public enum FileHandleOutput {
  /// For terminals and pipes, where a failed write has nowhere better to be reported.
  public static func writeAll(fd: Int32, _ string: String) {
    _ = write(fd: fd, string)
  }

  /// Returns 0, or the errno of the write that failed.
  public static func write(fd: Int32, _ string: String) -> Int32 {
    var string = string
    return string.withUTF8 { write(fd: fd, UnsafeRawBufferPointer($0)) }
  }

  public static func write(fd: Int32, _ bytes: [UInt8]) -> Int32 {
    bytes.withUnsafeBytes { write(fd: fd, $0) }
  }

  static func write(fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
    guard let base = buffer.baseAddress else { return 0 }
    var offset = 0
    while offset < buffer.count {
      let written = Foundation.write(fd, base + offset, buffer.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        return errno
      }
      offset += written
    }
    return 0
  }
}
