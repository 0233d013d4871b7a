import BridgeCore
import Foundation

/// On a terminal: events scroll by above one status line that is rewritten in place. Otherwise (systemd, pipes):
/// events only, one per line with the time, so a journal of the agent stays readable.
public final class AgentOutput {
  let isTerminal = isatty(STDOUT_FILENO) != 0
  private var statusShown = false
  private var lastStatus = ""
  let site: String

  public init(site: String) { self.site = site }

  public func event(_ text: String) {
    let formatter = DateFormatter()
    formatter.dateFormat = "HH:mm:ss"
    let line = "\(formatter.string(from: Date())) \(TextSanitizer.printable(text))\n"
    FileHandleOutput.writeAll(fd: 1, (statusShown ? "\r\u{1B}[2K" : "") + line + (statusShown ? lastStatus : ""))
  }

  public func status(_ text: String) {
    guard isTerminal else { return }
    let width = terminalWidth()
    var shown = TextSanitizer.printable(text)
    if shown.count > width - 1 { shown = String(shown.prefix(max(10, width - 2))) + "…" }
    guard shown != lastStatus || !statusShown else { return }
    lastStatus = shown
    statusShown = true
    FileHandleOutput.writeAll(fd: 1, "\r\u{1B}[2K" + shown)
  }

  public func finish(_ text: String) {
    if statusShown { FileHandleOutput.writeAll(fd: 1, "\r\u{1B}[2K") }
    statusShown = false
    event(text)
  }

  private func terminalWidth() -> Int {
    var size = winsize()
    return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
  }
}
