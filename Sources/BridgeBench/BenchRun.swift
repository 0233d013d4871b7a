import BridgeCore
import BridgeMonitor
import BridgePlatform
import Foundation

/// What the benchmarks that run this binary share: a scratch folder (kept with `keep`), the binary's own path,
/// figures to standard output, and a failure said once. A stop signal ends the run (exit status 1), but first says
/// so, stops the processes the benchmark started and removes the scratch folder.
public enum BenchRun {
  /// A benchmark failed and said why on standard error; the command exits 1.
  public struct Failed: Error {}

  public static func inScratchDirectory(
    keep: Bool, _ body: (_ directory: String, _ binary: String, _ report: (String) -> Void) throws -> Void
  ) throws(Failed) {
    var template = "/tmp/bridgewatch-bench-XXXXXX".utf8CString
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw Failed() }
    let directory = String(cString: made)
    StopSignals.onStop { signal in
      say("bench: \(signal); stopped")
      ProcFiles.stopChildren()
      if keep { say("bench: kept \(directory)") } else { try? FileManager.default.removeItem(atPath: directory) }
      exit(1)
    }
    defer {
      if keep { say("bench: kept \(directory)") } else { try? FileManager.default.removeItem(atPath: directory) }
    }
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    do {
      try body(directory, binary) { line in FileHandleOutput.writeAll(fd: 1, line + "\n") }
    } catch {
      say("bench: \(error)")
      throw Failed()
    }
  }

  /// Says, in a debug build, that the figures mean little and how to run `command` from a release build.
  public static func warnIfDebugBuild(_ command: String) {
    #if DEBUG
      say("bench: this is a debug build; figures mean little. Run: swift build -c release && .build/release/bridgewatch \(command)")
    #endif
  }

  /// Writes a line to standard error, made printable like every line the executable writes there.
  static func say(_ text: String) {
    FileHandleOutput.writeAll(fd: 2, TextSanitizer.printableLines(text) + "\n")
  }
}
