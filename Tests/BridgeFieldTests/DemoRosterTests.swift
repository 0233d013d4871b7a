import BridgeCore
import BridgeField
import Foundation
import TestSupport
import Testing

@Suite struct DemoRosterTests {
  @Test func theBuiltInHoaBinhRosterIsTheExampleFile() throws {
    let file = try String(contentsOfFile: Repository.path("examples/hoa-binh.yaml"), encoding: .utf8)
    #expect(DemoRoster.hoaBinhYAML == file, "regenerate Sources/BridgeField/HoaBinhRoster.swift from examples/hoa-binh.yaml")
  }

  @Test func aNationalRosterHasEveryProvinceAndUniqueIDs() throws {
    #expect(DemoRoster.provinces.count == 63)
    #expect(Set(DemoRoster.provinces.map(\.name)).count == 63)
    let sites = DemoRoster.national(sites: 7400, heartbeatDirectory: "/tmp/hb")
    #expect(sites.count == 7400)
    #expect(Set(sites.map(\.id)).count == 7400)
    #expect(Set(sites.map { $0.group[0] }).count == 63)
    #expect(sites.allSatisfy { SiteID.isValid($0.id) && $0.expected > 0 && $0.name == $0.name.precomposedStringWithCanonicalMapping })
    let hoaBinh = sites.filter { $0.group[0] == "Hòa Bình" }
    #expect(hoaBinh.count == 117 || hoaBinh.count == 118)
    #expect(hoaBinh.first?.name == "Tỉnh ủy Hòa Bình")
    #expect(DemoRoster.code(of: "Bà Rịa - Vũng Tàu") == "BRVT")
    #expect(DemoRoster.code(of: "Đắk Lắk") == "DL")
    // Same input, same roster; a small one still covers the first provinces.
    #expect(DemoRoster.national(sites: 7400, heartbeatDirectory: "/tmp/hb") == sites)
    #expect(DemoRoster.national(sites: 10, heartbeatDirectory: "/tmp/hb").map(\.group[0]) == DemoRoster.provinces.prefix(10).map(\.name))
  }
}

@Suite struct DemoRoster2026Tests {
  /// The 7 February 2026 conference: 31,097 points, about 1.93 million attendees, 34 provinces with about 3,300
  /// communes, wards and special zones, and the central agencies, army and police beside them.
  @Test func aConferenceOf31097PointsIsShapedLikeFebruary2026() throws {
    let sites = DemoRoster.conference2026(sites: 31_097, heartbeatDirectory: "/tmp/hb")
    #expect(sites.count == 31_097)
    #expect(Set(sites.map(\.id)).count == 31_097)
    #expect(sites.allSatisfy { SiteID.isValid($0.id) && $0.expected > 0 && $0.group.count <= 2 })
    #expect(sites.allSatisfy { $0.name == $0.name.precomposedStringWithCanonicalMapping && !$0.name.isEmpty })
    let topLevel = Set(sites.map { $0.group[0] })
    #expect(topLevel.count == 34 + 3)
    #expect(topLevel.isSuperset(of: ["Cơ quan Trung ương", "Quân đội", "Công an", "TP Hồ Chí Minh", "Hà Nội"]))
    let communes = Set(sites.filter { $0.group.count == 2 && DemoRoster.provinces2026.map(\.name).contains($0.group[0]) }.map(\.group))
    #expect((3_200...3_400).contains(communes.count), "\(communes.count) communes")
    #expect(communes.filter { $0[1].hasPrefix("Đặc khu ") }.count == 13, "the 13 special zones")
    let attendees = sites.map(\.expected).reduce(0, +)
    #expect((1_850_000...2_000_000).contains(attendees), "\(attendees) expected in all")
    let hcm = sites.filter { $0.group[0] == "TP Hồ Chí Minh" }
    #expect(hcm.first?.name == "Thành ủy Hồ Chí Minh")
    #expect((1_400...1_700).contains(hcm.count), "\(hcm.count) points in Ho Chi Minh City")
    #expect(hcm.contains { $0.group == ["TP Hồ Chí Minh", "Đặc khu Côn Đảo"] })
    // Every commune has its party committee's hall first, then several points.
    let tanLac = sites.filter { $0.group == sites[1].group }
    #expect(tanLac.first?.name.hasPrefix("Đảng ủy ") == true && tanLac.count >= 8)
    #expect(DemoRoster.conference2026(sites: 31_097, heartbeatDirectory: "/tmp/hb") == sites, "deterministic")
  }

  @Test func anySizeFromOnePointUpIsWhole() {
    for count in [1, 5, 40, 61, 300, 7_400, 100_000] {
      let sites = DemoRoster.conference2026(sites: count, heartbeatDirectory: "/tmp/hb")
      #expect(sites.count == count, "\(count)")
      #expect(Set(sites.map(\.id)).count == count, "\(count)")
    }
  }
}
