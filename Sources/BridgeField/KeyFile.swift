import BridgeCore
import Foundation

/// Reads a site's secret from a key file: the whole file is the secret, minus one trailing line break.
public enum KeyFile {
  public static func read(_ path: String, strings: Strings = .english) throws -> (secret: [UInt8], warning: String?) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ValidationFailure(strings(.keyFileUnreadable, path, FileProblem.describe(path: path, strings: strings)))
    }
    var bytes = Array(data)
    // An editor's byte-order mark and trailing blanks are not part of the secret; they only make the MACs wrong.
    if bytes.starts(with: TextFile.byteOrderMark) { bytes.removeFirst(3) }
    while let last = bytes.last, [0x0A, 0x0D, 0x20, 0x09].contains(last) { bytes.removeLast() }
    guard !bytes.isEmpty else { throw ValidationFailure(strings(.keyFileEmpty, path)) }
    guard !bytes.contains(0x0A) else { throw ValidationFailure(strings(.keyFileOneLine, path)) }
    var warning: String?
    if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      // Readable by its group is the documented layout (root:bridgewatch 0640, the service's group); anything more is not.
      let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value, mode & 0o037 != 0
    {
      warning = strings(.keyFileReadableByOthers, path, String(mode, radix: 8))
    }
    return (bytes, warning)
  }
}

/// A usage or input problem, printed as is.
public struct ValidationFailure: Error, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
