import BridgeCore
import Foundation

/// Says on standard error how far a long read has got (a journal of two national days), so that a start that
/// takes seconds is never a blank screen with nothing said. Quiet when the read is quick. On a terminal one line
/// is redrawn in place; into a log, a line every two seconds.
public struct ReadingProgress {
  public var what: String
  private let started = ContinuousClock.now
  private var lastShown: ContinuousClock.Instant?
  private var shownOnTerminal = false
  private let isTerminal = isatty(STDERR_FILENO) != 0

  public init(what: String) { self.what = what }

  /// Quiet for the first half second; then at most every 0.2 s on a terminal, every 2 s otherwise.
  public mutating func update(read: Int, of size: Int) {
    let now = ContinuousClock.now
    guard now - started >= .milliseconds(500) else { return }
    if let lastShown, now - lastShown < (isTerminal ? .milliseconds(200) : .seconds(2)) { return }
    lastShown = now
    let percent = size > 0 ? min(100, read * 100 / size) : 100
    let line = "\(what): \(percent)% (\(NumberText.grouped(read / 1_000_000)) of \(NumberText.grouped(size / 1_000_000)) MB)"
    if isTerminal {
      FileHandleOutput.writeAll(fd: 2, "\r\u{1B}[K" + TextSanitizer.printableLines(line))
      shownOnTerminal = true
    } else {
      FileHandleOutput.writeAll(fd: 2, TextSanitizer.printableLines(line) + "\n")
    }
  }

  /// Ends the line redrawn in place, if one was shown.
  public mutating func finish() {
    if shownOnTerminal { FileHandleOutput.writeAll(fd: 2, "\r\u{1B}[K") }
    shownOnTerminal = false
  }

  public var elapsedText: String {
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return String(format: "%.1f s", seconds)
  }
}
