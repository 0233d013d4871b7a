import Foundation

/// A fresh folder under the temporary directory; the caller removes it.
public func makeScratchDirectory(_ prefix: String) throws -> String {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
  try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  return directory
}
