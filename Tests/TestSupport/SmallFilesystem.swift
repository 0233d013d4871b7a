import Foundation

/// A real tmpfs of a few KiB, mounted for one test so that the disk really fills (ENOSPC, short writes).
/// Needs root (CI runs as root); elsewhere `mount` returns nil with the reason, which the test prints.
public final class SmallFilesystem {
  public let path: String
  private var filler: Int32 = -1

  private init(path: String) { self.path = path }

  public static func mount(kilobytes: Int) -> (filesystem: SmallFilesystem?, skipReason: String?) {
    guard getuid() == 0 else { return (nil, "skipped: mounting a small tmpfs needs root") }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bw-tmpfs-\(UUID().uuidString)").path
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      return (nil, "skipped: cannot create \(path): \(error)")
    }
    let result = run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path])
    guard result.status == 0 else {
      try? FileManager.default.removeItem(atPath: path)
      return (nil, "skipped: mount -t tmpfs failed here (\(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))")
    }
    return (SmallFilesystem(path: path), nil)
  }

  /// Writes a filler file until the filesystem is full.
  public func fill() {
    filler = open(path + "/filler", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let block = [UInt8](repeating: 0x78, count: 512)
    while write(filler, block, block.count) > 0 {}
    // The last bytes: a block may not fit whole.
    while write(filler, block, 1) > 0 {}
  }

  /// Writes a filler file of `kilobytes`, leaving the rest of the filesystem free.
  public func occupy(kilobytes: Int) {
    filler = open(path + "/filler", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let block = [UInt8](repeating: 0x78, count: 1024)
    for _ in 0..<kilobytes { _ = write(filler, block, block.count) }
  }

  /// Bytes the filesystem can still take.
  public var freeBytes: Int {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { return 0 }
    return Int(info.f_bavail) * Int(info.f_frsize)
  }

  /// Deletes the filler file: the disk takes writes again.
  public func free() {
    if filler >= 0 { close(filler) }
    filler = -1
    unlink(path + "/filler")
  }

  deinit {
    free()
    _ = Self.run("/bin/umount", ["-l", path])
    try? FileManager.default.removeItem(atPath: path)
  }

  private static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return (-1, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}
