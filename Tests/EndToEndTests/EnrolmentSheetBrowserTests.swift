import BridgeCore
import Foundation
import TestSupport
import Testing

/// The enrolment sheet's QR codes as a phone meets them: the real binary writes the sheet, a real headless Chromium
/// draws it on a screen and prints it to A4, and ZBar reads every code back from the pictures.
@Suite struct EnrolmentSheetBrowserTests {
  @Test func everyQRCodeOnTheSheetReadsAsItsSitesLinkOnScreenAndOnThePrintedPages() throws {
    try RequiredTool.require("chromium", "zbarimg", "pdftoppm")
    let folder = try makeScratchDirectory("bw-sheet-qr")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try EnrolmentEndToEndTests.config(sites: 14).write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let made = try EnrolmentEndToEndTests.keys(
      ["--monitor", "203.0.113.10:7400", "--bundles", folder + "/bundles", "--checkin-base", "https://diemdanh.hoabinh.gov.vn/hoi-nghi"],
      in: folder)
    #expect(made.status == 0, "\(made.stderr)")
    let sites = try ConfigLoader.load(path: folder + "/conference.yaml").config.sites
    let keys = try ConfigLoader.loadSiteKeys(path: folder + "/keys.yaml", sites: sites, mayBeMissing: false)
    let links = sites.compactMap { site in keys[site.id]?.checkinToken.map { "https://diemdanh.hoabinh.gov.vn/hoi-nghi/c/" + $0 } }
    #expect(links.count == 14)
    let sheet = "file://\(folder)/bundles/sheet.html"

    // On a screen: one tall picture of the whole sheet, every code in it.
    let shot = try ReportBrowserTests.chromium(
      ["--hide-scrollbars", "--window-size=1100,2600", "--screenshot=\(folder)/sheet.png", sheet], profile: folder + "/profile")
    #expect(shot.status == 0, "\(shot.errors)")
    let onScreen = try Self.zbarimg([folder + "/sheet.png"])
    #expect(onScreen.sorted() == links.sorted(), "read from the screenshot: \(onScreen)")

    // Printed on A4 and scanned at 150 dpi: each code read once over the pages, so no row was split by a page break.
    let pdf = try ReportBrowserTests.chromium(
      ["--no-pdf-header-footer", "--print-to-pdf=\(folder)/sheet.pdf", sheet], profile: folder + "/profile")
    #expect(pdf.status == 0, "\(pdf.errors)")
    let scan = try Self.run(["pdftoppm", "-r", "150", "-png", folder + "/sheet.pdf", folder + "/page"])
    #expect(scan.status == 0, "\(scan.errors)")
    let pages = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("page") }.sorted()
    #expect(pages.count >= 2, "14 rows of 30 mm codes take more than one A4 page: \(pages)")
    var printed: [String] = []
    for page in pages {
      // A4 at 150 dpi: 210 × 297 mm is 1240 × 1754 pixels (the PNG's header holds its width and height).
      let header = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + page)).prefix(24))
      let (width, height) = (header[16..<20].reduce(0) { $0 << 8 | Int($1) }, header[20..<24].reduce(0) { $0 << 8 | Int($1) })
      #expect(width == 1240 && height == 1754, "\(page) is \(width) × \(height) pixels, not A4")
      let found = try Self.zbarimg([folder + "/" + page])
      #expect(!found.isEmpty, "\(page) has codes")
      printed += found
    }
    #expect(printed.sorted() == links.sorted(), "read from the printed pages: \(printed)")
  }

  /// The links ZBar reads in pictures, one a line (`--raw`); none when it finds no code (its status 4).
  static func zbarimg(_ pictures: [String]) throws -> [String] {
    let read = try run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"] + pictures)
    #expect(read.status == 0 || read.status == 4, "\(read.errors)")
    return read.output.split(separator: "\n").map(String.init)
  }

  static func run(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
    try ToolProcess.run(arguments)
  }
}
