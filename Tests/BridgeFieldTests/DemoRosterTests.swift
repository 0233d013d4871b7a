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
