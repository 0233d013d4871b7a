import BridgeCore
import Foundation
import TestSupport
import Testing

/// The HTML report as a person sees it: the real binary writes it, a real headless Chromium renders it to a page,
/// a PDF and a PNG.
@Suite struct ReportBrowserTests {
  static let config = """
    title: "Hội nghị trực tuyến toàn quốc"
    schedule:
      utc_offset: "+07:00"
      roll_call: 15m
      sessions:
        - {name: "Phiên sáng", start: "2026-02-07 08:00", end: "2026-02-07 11:30"}
    sites:
      - {id: HN-1, name: "Phường Ba Đình", group: "Hà Nội", expected: 100}
      - {id: HN-2, name: "Phường Hoàn Kiếm <b>", group: "Hà Nội", expected: 50}
      - {id: HB-1, name: "Phường Tân Thịnh", group: "Hòa Bình", expected: 56}
      - {id: HB-2, name: "Xã Lương Sơn", group: "Hòa Bình", expected: 30}
    """

  static func journal() -> String {
    let start = LocalTimeText.parse("2026-02-07 08:00", utcOffsetSeconds: 7 * 3600)!
    func at(_ minutes: Double, _ site: String?, _ kind: JournalRecord.Kind) -> String {
      JournalCodec.encode(JournalRecord(unixSeconds: start + minutes * 60, site: site, kind: kind))
    }
    return [
      at(-30, nil, .start(sites: 4)),
      at(-20, "HN-1", .status(from: .unknown, to: .online, cause: "heartbeat", source: .udp)),
      at(-20, "HN-1", .headcount(count: 96, source: .udp, operatorName: nil)),
      at(-18, "HN-2", .status(from: .unknown, to: .online, cause: "heartbeat", source: .probe)),
      at(-17, "HN-2", .headcount(count: 45, source: .manual, operatorName: "Lan")),
      at(-15, "HB-1", .status(from: .unknown, to: .online, cause: "heartbeat", source: .udp)),
      at(-15, "HB-1", .headcount(count: 52, source: .udp, operatorName: nil)),
      at(-10, "HB-2", .mark(operatorName: "Minh", reason: "hoãn: mất điện")),
      at(-10, "HB-2", .status(from: .unknown, to: .marked, cause: "mark")),
      at(40, "HB-1", .status(from: .online, to: .offline, cause: "silence")),
      at(55, "HB-1", .status(from: .offline, to: .online, cause: "heartbeat", source: .udp)),
      at(60, "HB-1", .headcount(count: 1234, source: .manual, operatorName: "Lan")),
      at(60.1, "HB-1", .headcount(count: 52, source: .udp, operatorName: nil)),
      at(210, nil, .stop),
    ].joined(separator: "\n") + "\n"
  }

  /// The real binary's Vietnamese HTML report of `journal` in `folder`, and the page as Chromium built it.
  static func renderedReport(journal: String, in folder: String) throws -> String {
    try Self.config.write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    try journal.write(toFile: folder + "/bridgewatch.journal", atomically: true, encoding: .utf8)
    let made = try Binary.run([
      "report", folder + "/conference.yaml", "--format", "html", "--lang", "vi", "--output", folder + "/report.html",
    ])
    #expect(made.status == 0, "\(made.stderr)")
    let page = try Self.chromium(["--dump-dom", "file://\(folder)/report.html"], profile: folder + "/profile")
    #expect(page.status == 0, "\(page.errors)")
    return page.output
  }

  @Test func theHTMLReportRendersInChromiumAsAPageAPDFAndAPicture() throws {
    try RequiredTool.require("chromium")
    let folder = try makeScratchDirectory("bw-report-html")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // The page as Chromium built it: the figures an organiser copies, and the charts' elements.
    let dom = try Self.renderedReport(journal: Self.journal(), in: folder)
    #expect(dom.contains("<h1>Báo cáo: Hội nghị trực tuyến toàn quốc</h1>"))
    #expect(dom.contains("Điểm danh lúc 2026-02-07 08:15 (15m00s sau giờ bắt đầu)."), "\(dom)")
    #expect(dom.contains("Điểm cầu: 3 tham gia, 3 đã kết nối (100,0%), 3 kết nối lúc điểm danh"))
    #expect(dom.contains("Tham dự lúc điểm danh: 193 / 206 người dự kiến (93,7%)"), "\(dom)")
    #expect(dom.contains("Quân số vượt dự kiến: 1 (liệt kê bên dưới: cần xác minh trước khi công bố)"))
    #expect(dom.contains("Vắng có kế hoạch: 1 (liệt kê bên dưới, không tính)"))
    #expect(dom.contains("Phường Hoàn Kiếm &lt;b&gt;"), "a name is text, never markup")
    #expect(Self.count("<rect class=\"bar\"", in: dom) == 2, "one bar per province")
    #expect(dom.contains("data-group=\"Hà Nội\" data-percent=\"94.0\""), "\(dom)")
    #expect(Self.count("<polyline class=\"series\"", in: dom) == 2, "connected points and headcount over time")
    #expect(Self.count("<rect class=\"outage\" data-site=\"HB-1\"", in: dom) == 1, "HB-1's outage on the timeline")

    // Printed to PDF and drawn as a picture.
    let pdf = try Self.chromium(
      ["--no-pdf-header-footer", "--print-to-pdf=\(folder)/report.pdf", "file://\(folder)/report.html"], profile: folder + "/profile")
    #expect(pdf.status == 0, "\(pdf.errors)")
    let pdfBytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/report.pdf"))
    #expect(pdfBytes.starts(with: Array("%PDF-".utf8)))
    let pages =
      Self.count("/Type /Page\n", in: String(decoding: pdfBytes, as: UTF8.self))
      + Self.count("/Type /Page/", in: String(decoding: pdfBytes, as: UTF8.self))
      + Self.count("/Type /Page>>", in: String(decoding: pdfBytes, as: UTF8.self))
    #expect(pdfBytes.count > 10_000 && pages >= 1, "\(pdfBytes.count) bytes, \(pages) pages")
    let png = try Self.chromium(
      ["--hide-scrollbars", "--window-size=1280,1600", "--screenshot=\(folder)/report.png", "file://\(folder)/report.html"],
      profile: folder + "/profile")
    #expect(png.status == 0, "\(png.errors)")
    let pngBytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/report.png"))
    #expect(pngBytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && pngBytes.count > 20_000)
  }

  /// The journal above with a conference bridge's joins and leaves: HN-1 in all session, HB-1 dropped at 09:01 and
  /// back at 09:11, HN-2 never in.
  static func journalWithBridge() -> String {
    let start = LocalTimeText.parse("2026-02-07 08:00", utcOffsetSeconds: 7 * 3600)!
    func at(_ minutes: Double, _ site: String, _ joined: Bool) -> String {
      JournalCodec.encode(JournalRecord(unixSeconds: start + minutes * 60, site: site, kind: .bridge(inBridge: joined)))
    }
    var lines = journal().split(separator: "\n").map(String.init)
    let stop = lines.removeLast()
    // In time order: HB-1's join after its status at -15, HN-1's after its count at -20.
    lines.insert(at(-14, "HB-1", true), at: 7)
    lines.insert(at(-19, "HN-1", true), at: 3)
    lines += [at(61, "HB-1", false), at(71, "HB-1", true), stop]
    return lines.joined(separator: "\n") + "\n"
  }

  @Test func theHTMLReportShowsTheBridgeInChromium() throws {
    try RequiredTool.require("chromium")
    let folder = try makeScratchDirectory("bw-report-bridge")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let dom = try Self.renderedReport(journal: Self.journalWithBridge(), in: folder)
    // HN-1 08:00-11:30 (3h30m), HB-1 08:00-09:01 and 09:11-11:30 (3h20m); one dropped call; HB-2 is a planned absence.
    #expect(dom.contains("<li>Trong cầu hội nghị: 2/3 điểm cầu; tổng thời gian trong cầu 6h50m; số lần rớt cuộc gọi: 1</li>"), "\(dom)")
    #expect(dom.contains("<th>Thời gian trong cầu</th><th>Rớt cuộc gọi</th></tr>"))
    #expect(dom.contains("<td class=\"number\">3h20m</td><td class=\"number\">1</td></tr>"), "\(dom)")
    let png = try Self.chromium(
      ["--hide-scrollbars", "--window-size=1600,1400", "--screenshot=\(folder)/report.png", "file://\(folder)/report.html"],
      profile: folder + "/profile")
    #expect(png.status == 0, "\(png.errors)")
    let pngBytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/report.png"))
    #expect(pngBytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && pngBytes.count > 20_000)
  }

  static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

  /// Headless Chromium with its own profile folder (removed with the test's), no sandbox (tests may run as root).
  static func chromium(_ arguments: [String], profile: String) throws -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)"] + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + 90, execute: killer)
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    killer.cancel()
    return (
      process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self).suffix(2000).description
    )
  }
}

/// `demo --report FILE`: the report of what the demo played, written as it stops, before its folder goes.
@Suite struct DemoReportTests {
  @Test func theDemoWritesTheReportOfWhatItPlayedOnExit() throws {
    let folder = try makeScratchDirectory("bw-demo-report")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let demo = try BackgroundProcess(["demo", "--headless", "--speed", "4", "--lang", "vi", "--report", folder + "/bao-cao.md"])
    defer { _ = demo.stop() }
    #expect(demo.waitFor(seconds: 30) { $0.contains("unknown -> online") ? true : nil } == true, "\(demo.output)")
    Thread.sleep(forTimeInterval: 3)
    #expect(demo.stop() == 0, "\(demo.output)")
    #expect(demo.output.contains("demo: report written to \(folder)/bao-cao.md"), "\(demo.output)")
    let report = try String(contentsOfFile: folder + "/bao-cao.md", encoding: .utf8)
    #expect(report.hasPrefix("# Báo cáo: "), "\(report)")
    #expect(report.contains("- Điểm cầu: 61 tham gia, "), "\(report)")
    #expect(report.contains("| HB-TU | Tỉnh ủy Hòa Bình | Hòa Bình |"), "\(report)")
    // A name that is not a report file is refused before anything runs.
    let refused = try Binary.run(["demo", "--headless", "--report", folder + "/report.txt"])
    #expect(refused.status != 0 && refused.stderr.contains("--report must name a file ending in .md, .csv, .json or .html"))
  }
}
