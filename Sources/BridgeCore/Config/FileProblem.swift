import Foundation

public enum FileProblem {
  /// Why `path` could not be read, in `strings`' language (config errors stay English: the default).
  public static func describe(path: String, strings: Strings = .english) -> String {
    var isDirectory: ObjCBool = false
    if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return strings(.fileMissing) }
    if isDirectory.boolValue { return strings(.fileIsDirectory) }
    if !FileManager.default.isReadableFile(atPath: path) { return strings(.filePermissionDenied) }
    return strings(.fileReadFailed)
  }
}
