import Foundation

/// Paths into the repository, found from this source file so tests run from any directory.
public enum Repository {
  public static let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  public static func path(_ relative: String) -> String { root + "/" + relative }
}
