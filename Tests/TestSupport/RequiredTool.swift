import Foundation

/// Tools the end-to-end tests drive (tmux, socat, openssl). The README's set-up command installs them; a test
/// whose tool is missing says which, instead of failing on a wrong expectation.
public struct MissingTool: Error, CustomStringConvertible {
  public var names: [String]
  public var description: String {
    "\(names.joined(separator: ", ")) not installed: this test needs it; run the README's set-up (scripts/setup), "
      + "or apt-get install \(names.map(RequiredTool.package).joined(separator: " "))"
  }
}

public enum RequiredTool {
  /// Throws `MissingTool` naming every tool of `names` that is not on PATH.
  public static func require(_ names: String...) throws {
    let missing = names.filter { !isInstalled($0) }
    if !missing.isEmpty { throw MissingTool(names: missing) }
  }

  public static func isInstalled(_ name: String) -> Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
  }

  /// The Debian package that brings a tool.
  static func package(_ tool: String) -> String {
    switch tool {
    case "promtool": "prometheus"
    case "amtool": "prometheus-alertmanager"
    case "ip": "iproute2"
    case "sipp": "sip-tester"
    case "zbarimg": "zbar-tools"
    case "pdftoppm": "poppler-utils"
    case "gst-launch-1.0": "gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good"
    case "chromedriver": "chromium-driver"
    case "nginx": "nginx-light"
    default: tool
    }
  }
}
