import Foundation
import TestSupport
import Testing

@testable import BridgeCore

/// The CMS and Pexip answers (issue 32) as their guides document them (Tests/Fixtures/bridges, each headed with the
/// guide and section it comes from), and hostile variants of each: every one refused with a line the control room
/// reads, never a crash, never a hang, never escape sequences.
@Suite struct VendorPayloadTests {
  let say = Strings(.en)

  func fixture(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: Repository.path("Tests/Fixtures/bridges/" + name))))
  }

  func cmsLegsProblem(_ text: String) -> String? {
    do {
      _ = try CMSPayload.callLegs(Array(text.utf8), request: "GET /api/v1/calls/x/callLegs", say: say)
      return nil
    } catch {
      return error.description
    }
  }

  func pexipProblem(_ text: String) -> String? {
    do {
      _ = try PexipPayload.participants(Array(text.utf8), request: "GET /api/admin/status/v1/participant/", say: say)
      return nil
    } catch {
      return error.description
    }
  }

  // MARK: CMS

  @Test func theGuidesCallsExampleGivesItsCall() throws {
    let calls = try CMSPayload.calls(fixture("cms-calls.xml"), request: "GET /api/v1/calls", say: say)
    #expect(calls.total == 1)
    #expect(calls.ids == ["527089d6-6581-4331-8417-971c05c9e274"])
  }

  @Test func callLegPagesGiveNameAndRemoteParty() throws {
    let first = try CMSPayload.callLegs(fixture("cms-callLegs-page1.xml"), request: "GET", say: say)
    #expect(first.total == 4)
    #expect(first.legs.map(\.display) == ["Hà Nội", "Hai Phong VC room"])
    #expect(first.legs.map(\.address) == ["hanoi@vc.example.com", "haiphong@vc.example.com"])
    #expect(first.legs[0].id == "976dacd8-bd2a-4e3c-9e5c-1a1c7d4d2e01")
    let second = try CMSPayload.callLegs(fixture("cms-callLegs-page2.xml"), request: "GET", say: say)
    // A leg without a name is listed by its address.
    #expect(second.legs.map(\.display) == ["DN", "guest@partner.example.org"])
  }

  @Test func aRefusalNamesItsReason() throws {
    #expect(CMSPayload.failureReason(try fixture("cms-failure.xml")) == "coSpaceDoesNotExist")
    #expect(CMSPayload.failureReason(Array("<html>502</html>".utf8)) == nil)
  }

  @Test func entitiesAndCDATAAreReadAndNothingElseIsExpanded() throws {
    let legs = try CMSPayload.callLegs(
      Array(
        """
        <callLegs total="1"><callLeg id="a"><name>B&#7871;n Tre &amp; <![CDATA[<Ba Tri>]]></name></callLeg></callLegs>
        """.utf8), request: "GET", say: say)
    #expect(legs.legs.map(\.display) == ["Bến Tre & <Ba Tri>"])
    let bomb = """
      <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
      <callLegs total="1"><callLeg id="a"><name>&lol2;</name></callLeg></callLegs>
      """
    #expect(cmsLegsProblem(bomb) == say(.vendorNotXML, "CMS", "GET /api/v1/calls/x/callLegs", say(.vendorXMLDoctype)))
    #expect(
      cmsLegsProblem("<callLegs total=\"1\"><callLeg id=\"a\"><name>&lol;</name></callLeg></callLegs>")?.contains("malformed") == true)
  }

  @Test func hostileCallLegAnswersAreRefusedWithALine() throws {
    let request = "GET /api/v1/calls/x/callLegs"
    #expect(cmsLegsProblem("<callLegs><callLeg id=\"a\"/></callLegs>") == say(.vendorFieldMissing, "CMS", request, "total="))
    #expect(
      cmsLegsProblem("<callLegs total=\"many\"></callLegs>")
        == say(.vendorFieldWrongType, "CMS", request, "total=\"many\"", "a count"))
    #expect(
      cmsLegsProblem("<callLegs total=\"1\"><callLeg><name>x</name></callLeg></callLegs>")
        == say(.vendorFieldMissing, "CMS", request, "<callLeg id>"))
    #expect(cmsLegsProblem("<calls total=\"0\"></calls>") == say(.vendorFieldMissing, "CMS", request, "<callLegs>"))
    #expect(cmsLegsProblem("<html><body>502 Bad Gateway")?.hasPrefix(say(.vendorNotXML, "CMS", request, "")) == true)
    #expect(cmsLegsProblem("")?.contains("malformed at byte 0") == true)
    let deep = String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40)
    #expect(cmsLegsProblem(deep) == say(.vendorNotXML, "CMS", request, say(.vendorXMLTooDeep, CMSPayload.maximumDepth)))
    let many = "<callLegs total=\"1\">" + String(repeating: "<callLeg id=\"a\"/>", count: CMSPayload.maximumElements) + "</callLegs>"
    #expect(cmsLegsProblem(many) == say(.vendorNotXML, "CMS", request, say(.vendorXMLTooMany, CMSPayload.maximumElements)))
  }

  @Test func terminalEscapesNeverReachAProblemText() throws {
    // A display name is kept as sent (bounded) and sanitised where it is shown; a problem text is sanitised at once.
    let legs = try CMSPayload.callLegs(
      Array("<callLegs total=\"1\"><callLeg id=\"a\"><name>&#27;[2J&#27;]0;owned&#7;Hà Nội</name></callLeg></callLegs>".utf8),
      request: "GET", say: say)
    #expect(legs.legs[0].display.unicodeScalars.contains("\u{1B}"))
    #expect(TextSanitizer.firstUnsafe(in: TextSanitizer.printable(legs.legs[0].display)) == nil)
    let problem = cmsLegsProblem("<callLegs total=\"\u{1B}[2J\u{1B}]0;x\u{7}\"></callLegs>")
    #expect(problem != nil && TextSanitizer.firstUnsafe(in: problem!) == nil)
    let long = String(repeating: "é", count: 1000)
    let bounded = try CMSPayload.callLegs(
      Array("<callLegs total=\"1\"><callLeg id=\"a\"><name>\(long)</name></callLeg></callLegs>".utf8), request: "GET", say: say)
    #expect(bounded.legs[0].display.utf8.count <= BridgeParticipant.maximumDisplayBytes)
  }

  // MARK: Pexip

  @Test func participantPagesGiveNamesAliasesAndTheNextPage() throws {
    let first = try PexipPayload.participants(fixture("pexip-participants-page1.json"), request: "GET", say: say)
    #expect(first.totalCount == 4)
    #expect(first.next?.hasPrefix("/api/admin/status/v1/participant/?conference=") == true)
    #expect(first.participants.map(\.display) == ["Hà Nội", "Hai Phong VC room"])
    #expect(first.participants.map(\.address) == ["sip:hanoi@vc.example.com", "sip:haiphong@vc.example.com"])
    let second = try PexipPayload.participants(fixture("pexip-participants-page2.json"), request: "GET", say: say)
    #expect(second.next == nil)
    // An empty display_name: listed by its remote_alias.
    #expect(second.participants.map(\.display) == ["DN", "guest@partner.example.org"])
  }

  @Test func hostileParticipantAnswersAreRefusedWithALine() throws {
    let request = "GET /api/admin/status/v1/participant/"
    #expect(pexipProblem("<html>502</html>") == say(.vendorNotJSON, "Pexip", request))
    #expect(pexipProblem("[1, 2]") == say(.vendorNotJSON, "Pexip", request))
    #expect(pexipProblem("{\"objects\": []}") == say(.vendorFieldMissing, "Pexip", request, "meta"))
    #expect(pexipProblem("{\"meta\": [], \"objects\": []}") == say(.vendorFieldWrongType, "Pexip", request, "meta", "an object"))
    #expect(
      pexipProblem("{\"meta\": {\"next\": 2}, \"objects\": []}")
        == say(.vendorFieldWrongType, "Pexip", request, "meta.next", "a path or null"))
    #expect(
      pexipProblem("{\"meta\": {\"total_count\": \"4\"}, \"objects\": []}")
        == say(.vendorFieldWrongType, "Pexip", request, "meta.total_count", "a count"))
    #expect(pexipProblem("{\"meta\": {}}") == say(.vendorFieldMissing, "Pexip", request, "objects"))
    #expect(pexipProblem("{\"meta\": {}, \"objects\": {}}") == say(.vendorFieldWrongType, "Pexip", request, "objects", "a list"))
    #expect(
      pexipProblem("{\"meta\": {}, \"objects\": [\"x\"]}") == say(.vendorFieldWrongType, "Pexip", request, "objects[0]", "an object"))
    #expect(
      pexipProblem("{\"meta\": {}, \"objects\": [{\"display_name\": \"A\"}]}")
        == say(.vendorFieldMissing, "Pexip", request, "objects[0].id"))
    #expect(
      pexipProblem("{\"meta\": {}, \"objects\": [{\"id\": 7}]}")
        == say(.vendorFieldWrongType, "Pexip", request, "objects[0].id", "a text"))
    #expect(
      pexipProblem("{\"meta\": {}, \"objects\": [{\"id\": \"a\"}, {\"id\": \"b\", \"display_name\": [\"A\"]}]}")
        == say(.vendorFieldWrongType, "Pexip", request, "objects[1].display_name", "a text"))
    // Nulls are what Pexip sends for an absent alias: read as absent.
    let page = try PexipPayload.participants(
      Array("{\"meta\": {\"next\": null}, \"objects\": [{\"id\": \"a\", \"display_name\": null, \"remote_alias\": null}]}".utf8),
      request: request, say: say)
    #expect(page.participants.map(\.display) == ["#a"])
  }

  @Test func problemsAreSaidInVietnameseToo() throws {
    let vietnamese = Strings(.vi)
    do {
      _ = try PexipPayload.participants(Array("{\"meta\": {}}".utf8), request: "GET /x", say: vietnamese)
      Issue.record("refused")
    } catch {
      #expect(error.description == "câu trả lời của Pexip cho GET /x thiếu objects")
    }
  }

  // MARK: Matching by SIP address (the one rule, BridgeNameIndex)

  func sites(_ names: [(String, String?)]) -> [SiteConfig] {
    names.map { entry in
      var site = SiteConfig(id: entry.0, name: entry.0, group: ["G"], expected: 1, heartbeatFile: "/x/\(entry.0).hb")
      site.bridgeName = entry.1
      return site
    }
  }

  @Test func aSIPAddressComparesWithoutSchemeParametersOrCase() {
    #expect(BridgeNameIndex.sipKey("sip:HaNoi@VC.example.com;transport=tls") == "hanoi@vc.example.com")
    #expect(BridgeNameIndex.sipKey("<sips:hanoi@vc.example.com>") == "hanoi@vc.example.com")
    #expect(BridgeNameIndex.sipKey("hanoi@vc.example.com?x=1") == "hanoi@vc.example.com")
    #expect(BridgeNameIndex.sipKey("Hà Nội") == nil)
    #expect(BridgeNameIndex.sipKey("@vc.example.com") == nil)
    #expect(BridgeNameIndex.sipKey("hanoi@") == nil)
  }

  @Test func aParticipantIsMatchedByNameFirstThenByAddress() {
    let roster = sites([("HN", "Hà Nội"), ("HP", "sip:haiphong@vc.example.com"), ("DN", nil)])
    let index = BridgeNameIndex(sites: roster)
    let participants = [
      BridgeParticipant(id: "1", display: "Hà Nội", address: "sip:someone-else@vc.example.com"),
      BridgeParticipant(id: "2", display: "Hai Phong VC room", address: "HAIPHONG@vc.example.com"),
      BridgeParticipant(id: "3", display: "DN"),
      BridgeParticipant(id: "4", display: "Khách", address: "guest@partner.example.org"),
      // Janus gives no address: a display name that happens to be an address is matched only as a name.
      BridgeParticipant(id: "5", display: "haiphong@vc.example.com"),
    ]
    let result = BridgeReconcile.reconcile(
      previous: Array(repeating: nil, count: roster.count), roster: participants, index: index, now: 100)
    #expect(result.presence.map { $0?.participantID } == ["1", "2", "3"])
    #expect(result.unmatchedCount == 2)
    #expect(result.unmatchedNames == ["Khách", "haiphong@vc.example.com"])
  }
}
