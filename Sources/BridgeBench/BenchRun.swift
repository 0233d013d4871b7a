import BridgeCore
import BridgeMonitor
import Foundation

/// What the benchmarks that run this binary share: a scratch folder (kept with `keep`), the binary's own path,
/// figures to standard output, and a failure said once. A stop signal ends the run (exit status 1), but first says
/// so, stops the processes the benchmark started and removes the scratch folder.
enum BenchRun {
  static func inScratchDirectory(
    keep: Bool, _ body: (_ directory: String, _ binary: String, _ report: (String) -> Void) throws -> Void
  ) throws {
    var template = "/tmp/bridgewatch-bench-XXXXXX".utf8CString
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw ExitCode(1) }
    let directory = String(cString: made)
    StopSignals.onStop { signal in
      printError("bench: \(signal); stopped")
      ProcFiles.stopChildren()
      if keep { printError("bench: kept \(directory)") } else { try? FileManager.default.removeItem(atPath: directory) }
      exit(1)
    }
    defer {
      if keep { printError("bench: kept \(directory)") } else { try? FileManager.default.removeItem(atPath: directory) }
    }
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    do {
      try body(directory, binary) { line in FileHandleOutput.writeAll(fd: 1, line + "\n") }
    } catch {
      printError("bench: \(error)")
      throw ExitCode(1)
    }
  }
}
