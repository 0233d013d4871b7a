import BridgeCore
import BridgeField
import Foundation
import TestSupport

@testable import BridgeTUI

/// A small conference in every state: NFC and NFD names, each status, help, a manual count, loss.
enum DashboardFixture {
  static let nfdName = "Huye\u{323}\u{302}n u\u{309}y Mai Cha\u{302}u"  // "Huyện ủy Mai Châu", decomposed

  /// `snapshot(detailSite:)` with one Janus room whose roster is `roster`, polled 65 s before the snapshot.
  static func snapshot(detailSite: Int?, bridgeRoster roster: [BridgeParticipant]) -> MonitorSnapshot {
    var snapshot = snapshot(detailSite: detailSite)
    var config = ConferenceConfig(
      sites: snapshot.sites.map { SiteConfig(id: $0.id, name: $0.name, group: ["G"], expected: 1, heartbeatFile: "/x") })
    config.bridges = [BridgeSettings(url: "http://127.0.0.1:8088/janus", host: "127.0.0.1", port: 8088, path: "/janus", room: 1234)]
    var board = BridgeBoard(config: config)
    board.apply(.roster(roster), bridge: 0, now: snapshot.takenAt.unixSeconds - 65)
    snapshot.bridge = board.view(records: snapshot.records)
    return snapshot
  }

  /// `claims`: sites someone is on, and who.
  static func snapshot(detailSite: Int? = nil, claims: [(site: Int, by: String)] = []) -> MonitorSnapshot {
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
      for claim in claims { try! engine.claim(site: claim.site, operatorName: claim.by, now: now) }
    }
    return state.snapshot(now: now, title: config.title, detailSite: detailSite)
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

/// Big rosters in a fixed mix of states, for the wall and the scale goldens: a 204-site province and the
/// 7,400-site national demo roster.
enum ScaleFixture {
  static let start = ClockReading(monotonicNanos: 5_000_000_000_000, unixSeconds: 1_763_800_000)

  static func province() -> [SiteConfig] {
    let districts = ["Bá Thước", "Cẩm Thủy", "Đông Sơn", "Hà Trung", "Hậu Lộc", "Hoằng Hóa", "Nga Sơn"]
    var sites = [SiteConfig(id: "TH-TU", name: "Tỉnh ủy Thanh Hóa", group: ["Thanh Hóa"], expected: 250, heartbeatFile: "/hb/TH-TU")]
    for (number, district) in districts.enumerated() {
      for member in 0..<29 {
        let id = "TH-D\(number + 1)-\(member < 10 ? "0" : "")\(member)"
        let name = member == 0 ? "Huyện ủy \(district)" : "Xã \(district) \(member)"
        sites.append(SiteConfig(id: id, name: name, group: ["Thanh Hóa", district], expected: 40 + member, heartbeatFile: "/hb/\(id)"))
      }
    }
    return sites
  }

  static func national() -> [SiteConfig] { DemoRoster.national(sites: 7400, heartbeatDirectory: "/hb") }

  /// Site i's state follows a fixed hash: about 2% never heard, 2.5% offline, 2.5% late, 1% asking for help,
  /// 1% marked by an operator, the rest online with 80-100% of their expected headcount.
  static func snapshot(_ sites: [SiteConfig], title: String, detailSite: Int? = nil) -> MonitorSnapshot {
    var config = ConferenceConfig(sites: sites)
    config.title = title
    config.timing.interval = .seconds(5)
    config.timing.lateAfter = .seconds(10)
    config.timing.offlineAfter = .seconds(30)
    var state = MonitorState(config: config)
    let now = start.advanced(by: .seconds(60))
    state.withEngine { engine in
      engine.tick(now: start)
      for index in sites.indices {
        let hash = (UInt64(index) &* 2_654_435_761) % 1000
        let count = sites[index].expected * (80 + Int(hash % 21)) / 100
        func beat(at reading: ClockReading, state: ReportedState = .ok) {
          engine.heartbeat(
            HeartbeatInput(source: .udp, sequence: 1, count: count, state: state, rttMilliseconds: 20 + Int(hash % 80)), site: index,
            heardAt: reading, now: reading)
        }
        switch hash {
        case 0..<20: break
        case 20..<45: beat(at: start)
        case 45..<70: beat(at: now.advanced(by: .seconds(-15)))
        case 70..<80: beat(at: now, state: .help)
        case 80..<90:
          beat(at: now)
          try! engine.mark(site: index, operatorName: "lan", reason: "mất điện", now: now)
        default: beat(at: now)
        }
      }
      engine.tick(now: now)
    }
    return state.snapshot(now: now, title: title, detailSite: detailSite)
  }
}
