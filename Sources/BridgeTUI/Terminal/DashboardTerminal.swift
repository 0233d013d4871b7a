import Foundation

/// Whether this terminal can show the dashboard.
public enum DashboardTerminal {
  /// Why the dashboard cannot draw here, or nil when it can.
  public static func problem(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
    guard isatty(STDOUT_FILENO) != 0, isatty(STDIN_FILENO) != 0 else { return "standard output is not a terminal" }
    let term = environment["TERM"] ?? ""
    // A dumb terminal cannot move the cursor: curses would draw a blank screen and say nothing.
    if term.isEmpty || term == "dumb" {
      return "this terminal (TERM=\(term.isEmpty ? "unset" : term)) cannot draw the dashboard; set TERM (for example xterm-256color)"
    }
    return nil
  }
}
