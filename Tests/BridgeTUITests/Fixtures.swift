import BridgeCore
import Foundation
import TestSupport

@testable import BridgeTUI

/// A small conference in every state: NFC and NFD names, each status, help, a manual count, loss.
enum DashboardFixture {
  static let nfdName = "Huye\u{323}\u{302}n u\u{309}y Mai Cha\u{302}u"  // "Huyện ủy Mai Châu", decomposed

  static func snapshot() -> MonitorSnapshot {
    let rows: [(String, String, String, Int)] = [
      ("HB-TU", "Tỉnh ủy Hòa Bình", "Hòa Bình", 150),
      ("HB-DB-HU", "Huyện ủy Đà Bắc", "Hòa Bình / Đà Bắc", 119),
      ("HB-DB-TULY", "Xã Tú Lý", "Hòa Bình / Đà Bắc", 49),
      ("HB-DB-CAOSON", "Xã Cao Sơn", "Hòa Bình / Đà Bắc", 54),
      ("HB-MC-HU", nfdName, "Hòa Bình / Mai Châu", 98),
      ("HB-MC-PACO", "Xã Pà Cò \u{1B}[31mred", "Hòa Bình / Mai Châu", 46),
      ("HB-MC-VANMAI", "Xã Vạn Mai, thôn Chiềng Sại và các bản vùng cao", "Hòa Bình / Mai Châu", 43),
    ]
    let sites = rows.map {
      SiteConfig(id: $0.0, name: $0.1, group: GroupPath.parse($0.2)!, expected: $0.3, heartbeatFile: "/nonexistent/\($0.0).hb")
    }
    var config = ConferenceConfig(sites: sites)
    config.title = "Hội nghị trực tuyến toàn quốc quán triệt Nghị quyết Đại hội XIII"
    var state = MonitorState(config: config)
    let start = ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: 1_763_800_000)
    func beat(_ line: String, at reading: ClockReading) {
      _ = Array(line.utf8).withUnsafeBytes { state.receiveDatagram($0, now: reading) }
    }
    // Everyone but HB-MC-VANMAI is heard at the start.
    beat("BW1 site=HB-TU seq=1 count=148", at: start)
    beat("BW1 site=HB-DB-HU seq=1 count=100", at: start)
    beat("BW1 site=HB-DB-TULY seq=1 count=40", at: start)
    beat("BW1 site=HB-DB-CAOSON seq=1 count=50", at: start)
    beat("BW1 site=HB-MC-HU seq=1 count=90", at: start)
    beat("BW1 site=HB-MC-PACO seq=1 count=30", at: start)
    beat("BW1 site=NOWHERE seq=1", at: start)  // counted as unknown_site
    beat("BW1 site=HB-TU seq=x", at: start)  // counted as malformed
    let later = start.advanced(by: .seconds(20))
    beat("BW1 site=HB-TU seq=2 count=149 rtt=35", at: later)
    beat("BW1 site=HB-DB-CAOSON seq=4 count=51 state=help", at: later)  // two lost
    beat("BW1 site=HB-MC-HU seq=2 count=92", at: later)
    beat("BW1 site=HB-MC-PACO seq=2 count=31", at: later)
    let now = start.advanced(by: .seconds(40))
    beat("BW1 site=HB-TU seq=3 count=150 rtt=31", at: now)
    beat("BW1 site=HB-MC-HU seq=3 count=95", at: now)
    state.withEngine { engine in
      engine.tick(now: now)  // HB-DB-HU, HB-DB-TULY: offline (40 s); HB-DB-CAOSON, HB-MC-PACO: late (20 s)
      try! engine.mark(site: 1, operatorName: "lan", reason: "line down", now: now)
      try! engine.setHeadcount(47, site: 2, operatorName: "minh", now: now)
      try! engine.acknowledge(site: 5, operatorName: "minh", now: now)
    }
    return state.snapshot(now: now, title: config.title)
  }

  static func context(width: Int, height: Int) -> ViewContext {
    var context = ViewContext(width: width, height: height)
    context.utcOffsetSeconds = 7 * 3600
    context.listenAddress = "0.0.0.0:7400"
    context.operatorName = "lan"
    return context
  }

  static func events() -> [LogLine] {
    [
      LogLine(unixSeconds: 1_763_800_030, text: "HB-DB-HU Huyện ủy Đà Bắc: online -> offline (silence)", isAlert: true),
      LogLine(unixSeconds: 1_763_800_040, text: "HB-DB-HU Huyện ủy Đà Bắc: offline -> marked (marked by lan: line down)", isAlert: false),
    ]
  }
}
