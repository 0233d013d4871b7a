import Foundation

/// Writes to a raw file descriptor, retrying short writes and EINTR.
public enum FileHandleOutput {
  public static func writeAll(fd: Int32, _ string: String) {
    var string = string
    string.withUTF8 { buffer in
      var offset = 0
      while offset < buffer.count {
        let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return
        }
        offset += written
      }
    }
  }
}
