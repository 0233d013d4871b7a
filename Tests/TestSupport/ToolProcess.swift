import Foundation
import Synchronization

/// A tool run to its end (found on PATH through `/usr/bin/env`), with what it wrote: for tests that check a file with
/// a real tool (qrencode, zbarimg, pdftoppm).
public enum ToolProcess {
  public static func run(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Standard error on a thread of its own, so a tool that fills one pipe while the other is read cannot block.
    let errors = Mutex(Data())
    let errorsRead = DispatchSemaphore(value: 0)
    let reading = err.fileHandleForReading
    Thread {
      let data = reading.readDataToEndOfFile()
      errors.withLock { $0 = data }
      errorsRead.signal()
    }.start()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    errorsRead.wait()
    process.waitUntilExit()
    return (
      process.terminationStatus, String(decoding: output, as: UTF8.self), errors.withLock { String(decoding: $0, as: UTF8.self) }
    )
  }
}
