import Foundation
import TestSupport
import Testing

@testable import BridgeField

/// The encoder against two independent programs: Debian's `qrencode` (libqrencode, which chooses its mask by the
/// same penalty rules) draws the same symbol for the same text, and `zbarimg` (ZBar) reads back every link from a
/// picture of ours.
@Suite struct QRCodeToolTests {
  /// Check-in links of every length from 1 byte to the largest version's 213, so that each version 1 to 10 is
  /// met, with its block structure, remainder bits and (from 7) version information.
  static let links: [String] = {
    var random = SeededGenerator(state: 33)
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
    let bases = ["https://hn.example/", "http://203.0.113.10:8080/checkin/", "https://diemdanh.hoabinh.gov.vn/hoi-nghi/"]
    var links = ["h", "https://a.vn/c/x"]
    for length in stride(from: 20, through: 213, by: 7) + [62, 63, 84, 85, 106, 107, 122, 123, 152, 153, 180, 181, 213] {
      let base = bases[links.count % bases.count] + "c/"
      let token = String((0..<max(1, length - base.utf8.count)).map { _ in alphabet[Int.random(in: 0..<32, using: &random)] })
      links.append(String((base + token).prefix(length)))
    }
    return links
  }()

  @Test func qrencodeDrawsTheSameSymbolModuleForModule() throws {
    try RequiredTool.require("qrencode")
    var sameSymbol = 0
    for link in Self.links {
      let drawn = try Self.run(["qrencode", "-l", "M", "-8", "-m", "0", "-t", "ASCII", "-o", "-", link])
      #expect(drawn.status == 0, "\(drawn.errors)")
      // Two characters a module, "#" for dark.
      let rows = drawn.output.split(separator: "\n").map { line in stride(from: 0, to: line.count, by: 2).map { Array(line)[$0] == "#" } }
      let ours = try QRCode.encode(link)
      #expect(rows.count == ours.size && rows.allSatisfy { $0.count == ours.size }, "\(link): qrencode's size \(rows.count)")
      guard rows.count == ours.size else { continue }
      let theirs = rows.flatMap { $0 }
      guard theirs != ours.modules else {
        sameSymbol += 1
        continue
      }
      // Different: at qrencode's mask (read from its format word) the symbol must be the same, and the choice may
      // differ only by rule 4, which libqrencode scores on the dark share rounded to a whole percent (54.7 % is
      // 55 %, 10 points) where the standard's bands (50 % to 55 % scores 0) and ours do not round.
      let positions = (0...5).map { ($0, 8) } + [(7, 8), (8, 8), (8, 7)] + (9..<15).map { (8, 14 - $0) }
      let format = positions.enumerated().reduce(0) { $0 | (rows[$1.element.0][$1.element.1] ? 1 << $1.offset : 0) }
      guard let theirMask = (0..<8).first(where: { Symbol.bch($0, dataBits: 5, generator: 0x537) ^ 0x5412 == format }) else {
        Issue.record("\(link): qrencode's format word \(format) is not level M")
        continue
      }
      #expect(try QRCode.encode(link, mask: theirMask).modules == theirs, "\(link): different at qrencode's mask \(theirMask)")
      let rescored = try (0..<8).map { mask in
        let symbol = try QRCode.encode(link, mask: mask)
        let (dark, total) = (symbol.modules.filter { $0 }.count, symbol.modules.count)
        let ours = 10 * (abs(20 * dark - 10 * total) / total)
        let rounded = 10 * (abs((200 * dark + total) / total / 2 - 50) / 5)
        return Penalty.score(symbol.modules, size: symbol.size) - ours + rounded
      }
      #expect(rescored.firstIndex(of: rescored.min()!) == theirMask, "\(link): mask \(ours.mask), qrencode's \(theirMask)")
    }
    #expect(sameSymbol * 10 >= Self.links.count * 9, "the very same symbol for \(sameSymbol) of \(Self.links.count) links")
  }

  @Test func zbarimgReadsEveryLinkBackFromAPicture() throws {
    try RequiredTool.require("zbarimg")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bw-qr-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var files: [String] = []
    var versions = Set<Int>()
    for (index, link) in Self.links.enumerated() {
      let code = try QRCode.encode(link)
      versions.insert(code.version)
      files.append("\(folder)/\(index).pbm")
      try Data(Self.pbm(code, pixelsPerModule: 3).utf8).write(to: URL(fileURLWithPath: files.last!))
    }
    #expect(versions == Set(QRCode.versions), "every version met: \(versions.sorted())")
    // One line a picture, in order; --raw leaves out the "QR-Code:" prefix.
    let read = try Self.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"] + files)
    #expect(read.status == 0, "\(read.errors)")
    let decoded = read.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for (index, link) in Self.links.enumerated() {
      #expect(index < decoded.count && decoded[index] == link, "picture \(index): \(link)")
    }
  }

  /// A plain PBM (P1): 1 is black; the quiet zone drawn as white, each module a square of pixels.
  static func pbm(_ code: QRCode, pixelsPerModule scale: Int) -> String {
    let side = (code.size + 2 * QRCode.quietZone) * scale
    var text = "P1\n\(side) \(side)\n"
    for y in 0..<side {
      let row = y / scale - QRCode.quietZone
      let line = (0..<side).map { x -> String in
        let column = x / scale - QRCode.quietZone
        let inside = row >= 0 && row < code.size && column >= 0 && column < code.size
        return inside && code.isDark(row: row, column: column) ? "1" : "0"
      }
      text += line.joined(separator: " ") + "\n"
    }
    return text
  }

  static func run(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
    try ToolProcess.run(arguments)
  }
}
