import Foundation
import Testing

@testable import BridgeCore

/// The byte table the reconcile looks display names up in (`SiteNameTable`), and the one rule it must not bend:
/// a name matches whichever Unicode form either side writes it in (`BridgeNameIndex`).
@Suite struct SiteNameTableTests {
  @Test func everyNameIsFoundAndNoNearMissIs() {
    // Enough names to fill probe runs: the table is at most half full, so collisions are certain at this size.
    let names = (0..<5_000).map { "Xã Hòa Bình \($0)" }
    var table = SiteNameTable(capacity: names.count)
    for (site, name) in names.enumerated() { table.insert(name, site: site) }
    for (site, name) in names.enumerated() { #expect(table.site(exactly: name) == site) }
    #expect(table.site(exactly: "Xã Hòa Bình") == nil)
    #expect(table.site(exactly: "Xã Hòa Bình 5000") == nil)
    #expect(table.site(exactly: "Xã Hòa Bình 12 ") == nil)
    #expect(table.site(exactly: "") == nil)
  }

  @Test func namesAreToldApartPastTheirFirstSixteenBytesAndByLength() {
    // A slot holds a name's first 16 bytes; the rest is compared from the shared buffer.
    let names = ["THCM-PHUONG-BEN-THANH-01", "THCM-PHUONG-BEN-THANH-02", "THCM-PHUONG-BEN-", "THCM-PHUONG-BEN", "THCM-PHUONG-BEN-THANH-0"]
    var table = SiteNameTable(capacity: names.count)
    for (site, name) in names.enumerated() { table.insert(name, site: site) }
    for (site, name) in names.enumerated() { #expect(table.site(exactly: name) == site) }
    #expect(table.site(exactly: "THCM-PHUONG-BEN-THANH-03") == nil)
    #expect(table.site(exactly: "THCM-PHUONG-BEN-THANH-011") == nil)
    #expect(table.site(exactly: "XHCM-PHUONG-BEN-THANH-01") == nil)
  }

  @Test func aNameGivenTwiceKeepsItsFirstSite() {
    var table = SiteNameTable(capacity: 4)
    table.insert("Phường Ba Đình", site: 3)
    table.insert("Phường Ba Đình", site: 7)
    table.insert("", site: 9)
    #expect(table.site(exactly: "Phường Ba Đình") == 3)
    #expect(table.site(exactly: "") == 9)
    // Past its capacity a table takes no more names (it stays at most half full, so a probe always ends).
    table.insert("Phường Kim Mã", site: 10)
    table.insert("Phường Giảng Võ", site: 11)
    table.insert("Phường Láng", site: 12)
    #expect(table.site(exactly: "Phường Kim Mã") == 10 && table.site(exactly: "Phường Giảng Võ") == 11)
    #expect(table.site(exactly: "Phường Láng") == nil)
  }

  @Test func onlyTextCertainlyInNFCSkipsTheNormalisingLookup() {
    #expect(BridgeNameIndex.isCertainlyNFC("Đặc khu Côn Đảo - Điểm cầu 2"))
    #expect(BridgeNameIndex.isCertainlyNFC("UBND xã Nậm Pồ"))
    #expect(!BridgeNameIndex.isCertainlyNFC("Ho\u{300}a Bi\u{300}nh"))
    // U+2126 OHM SIGN becomes U+03A9 in NFC: beyond the quick ranges, so it is looked up the slow way.
    #expect(!BridgeNameIndex.isCertainlyNFC("\u{2126}"))
  }

  @Test func theIndexStillMatchesAcrossFormsBeyondVietnamese() {
    var ohm = SiteConfig(id: "OHM", name: "Ohm", group: ["G"], expected: 1, heartbeatFile: "/x/ohm.hb")
    ohm.bridgeName = "\u{2126} room"
    var hoaBinh = SiteConfig(id: "HB", name: "Hòa Bình", group: ["G"], expected: 1, heartbeatFile: "/x/hb.hb")
    hoaBinh.bridgeName = "Ho\u{300}a Bi\u{300}nh"
    let index = BridgeNameIndex(sites: [ohm, hoaBinh])
    #expect(index.site(named: "\u{3A9} room") == 0)
    #expect(index.site(named: "\u{2126} room") == 0)
    #expect(index.site(named: "Hòa Bình") == 1)
    #expect(index.site(named: "Ho\u{300}a Bi\u{300}nh") == 1)
    #expect(index.site(named: "Hòa Bình 2") == nil)
  }
}
