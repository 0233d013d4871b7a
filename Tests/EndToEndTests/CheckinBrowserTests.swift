import BridgeCore
import Foundation
import TestSupport
import Testing

/// The check-in page as people use it: Selenium drives Debian's headless Chromium (chromium-driver) against the
/// real binary; a phone sends the headcount and sees it recorded, the count reaches the status file with who typed
/// it, a desktop browser sends "We need help". Screenshots at both sizes are kept with BW_KEEP_CHECKIN_SHOTS=DIR.
@Suite struct CheckinBrowserTests {
  /// The Python with Selenium that scripts/setup installs (a venv, Selenium from PyPI).
  static let seleniumPython =
    ProcessInfo.processInfo.environment["BW_SELENIUM_PYTHON"] ?? "/var/cache/bridgewatch-test/selenium/bin/python3"

  struct MissingSelenium: Error, CustomStringConvertible {
    var description: String {
      "Selenium not found at \(CheckinBrowserTests.seleniumPython): this test needs it; run the README's set-up (scripts/setup), which installs it from PyPI into that venv"
    }
  }

  @Test func anOrganiserChecksInFromAPhoneAndADesktopBrowser() throws {
    try RequiredTool.require("chromium", "chromedriver")
    guard FileManager.default.isExecutableFile(atPath: Self.seleniumPython) else { throw MissingSelenium() }
    let folder = try makeScratchDirectory("bw-checkin-browser")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try CheckinEndToEndTests.config.write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let keys = try Binary.run(["keys", folder + "/conference.yaml"], environment: ["LANG": "C.UTF-8"])
    #expect(keys.status == 0, "\(keys.stderr)")
    let token = try #require(try CheckinEndToEndTests.tokens(folder)["HB-DB-TULY"])
    let monitor = try HeadlessMonitor(config: CheckinEndToEndTests.config, directory: folder)
    defer { _ = monitor.finish() }
    let base = try #require(monitor.waitFor(seconds: 20) { CheckinEndToEndTests.checkinBase(in: $0) }, "\(monitor.log)")
    let shots = ProcessInfo.processInfo.environment["BW_KEEP_CHECKIN_SHOTS"] ?? folder + "/shots"
    try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)

    let run = try runTool(
      Self.seleniumPython,
      [
        Repository.path("Tests/Fixtures/browser/checkin_selenium.py"), base + "/c/" + token, folder + "/status.json", "HB-DB-TULY",
        shots, folder + "/profile",
      ])
    #expect(run.status == 0, "\(run.output)")
    let jsonLine = try #require(run.output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(run.output)")
    let seen = try #require(try JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any])

    // The phone: Vietnamese, the site's name, three buttons, nothing wider than the screen, thumb-sized targets.
    #expect(seen["phoneTitle"] as? String == "Điểm danh: Xã Tú Lý")
    #expect(seen["phoneHeading"] as? String == "Xã Tú Lý")
    #expect(seen["phoneButtons"] as? [String] == ["Gửi quân số", "Đã kết nối", "Cần hỗ trợ"])
    let phone = try #require(seen["phoneLayout"] as? [String: Any])
    #expect(phone["viewport"] as? Int == 360)
    #expect((phone["scrollWidth"] as? Int).map { $0 <= 360 } == true, "no sideways scrolling: \(phone)")
    #expect((phone["buttonHeights"] as? [Double])?.allSatisfy { $0 >= 48 } == true, "\(phone)")
    #expect((phone["inputHeights"] as? [Double])?.allSatisfy { $0 >= 44 } == true, "\(phone)")
    #expect((phone["inputFontSizes"] as? [Double])?.allSatisfy { $0 >= 16 } == true, "no zoom on focus: \(phone)")
    #expect(phone["scripts"] as? Int == 0)
    let lowest = try #require(phone["lowestButtonBottom"] as? Double)
    #expect(lowest <= 740, "all three buttons on the first screen, without scrolling: \(phone)")
    let notice = try #require(seen["phoneNotice"] as? String)
    #expect(notice.contains("Đã ghi nhận lúc") && notice.contains("quân số 45") && notice.contains("Chị Lan 0912 345 678"))

    // The count reached the status file with who typed it (the script watched the file from the answer on).
    let site = try #require(seen["statusSite"] as? [String: Any], "the count never reached the status file: \(seen)")
    #expect(site["headcount_by"] as? String == "Chị Lan 0912 345 678")
    #expect(site["source"] as? String == "checkin")
    let seconds = try #require(seen["secondsToStatusFile"] as? Double)
    print("check-in to status file: \(seconds) s")

    // The desktop: English, and the call for help reaches the status file's flags.
    #expect(seen["desktopTitle"] as? String == "Check-in: Xã Tú Lý")
    #expect(seen["desktopButtons"] as? [String] == ["Send the headcount", "We are connected", "We need help"])
    let desktop = try #require(seen["desktopLayout"] as? [String: Any])
    #expect((desktop["buttonWidths"] as? [Double])?.allSatisfy { $0 <= 34 * 18 + 1 } == true, "one readable column: \(desktop)")
    #expect((seen["desktopNotice"] as? String)?.contains("help requested") == true)
    #expect(
      monitor.waitForStatus { status in
        (CheckinEndToEndTests.site(status, "HB-DB-TULY")?["flags"] as? [String])?.contains("help") ?? false
      } != nil)

    for name in ["phone-form", "phone-filled", "phone-result", "desktop-form", "desktop-result"] {
      let png = try Data(contentsOf: URL(fileURLWithPath: "\(shots)/\(name).png"))
      #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name)")
      // The PNG's width (bytes 16-19 of IHDR): 720 device pixels for the phone (360 at 2x), 1280 for the desktop.
      let width = png.count > 24 ? png[16..<20].reduce(0) { $0 << 8 | Int($1) } : 0
      #expect(width == (name.hasPrefix("phone") ? 720 : 1280), "\(name): \(width)")
    }
  }
}
