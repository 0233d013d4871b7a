import Testing

@testable import BridgeCore

@Suite struct HeartbeatCodecTests {
  func decode(_ text: String) -> Result<Heartbeat, DecodeFailure> { HeartbeatCodec.decode(Array(text.utf8)) }

  @Test func decodesEveryField() throws {
    let heartbeat = try decode("BW1 site=HB-TU seq=42 count=148 ts=1763800000 state=help rtt=35\n").get()
    #expect(
      heartbeat
        == Heartbeat(site: "HB-TU", sequence: 42, count: 148, timestamp: 1_763_800_000, state: .help, rttMilliseconds: 35, signedLength: 63)
    )
  }

  @Test func minimalAndLineEndings() throws {
    for text in ["BW1 site=A seq=0", "BW1 site=A seq=0\n", "BW1 site=A seq=0\r\n", "BW1 seq=0 site=A"] {
      let heartbeat = try decode(text).get()
      #expect(heartbeat.site == "A" && heartbeat.sequence == 0 && heartbeat.count == nil && heartbeat.mac == nil)
    }
  }

  @Test func unknownKeysAreIgnored() throws {
    let heartbeat = try decode("BW1 site=A seq=1 note=Xã_Tú_Lý v=2").get()
    #expect(heartbeat.site == "A")
  }

  @Test func macMustBeLastAndCoversTheBytesBefore() throws {
    let mac = String(repeating: "ab", count: 32)
    let heartbeat = try decode("BW1 site=A seq=1 ts=5 mac=\(mac)\n").get()
    #expect(heartbeat.mac?.bytes == Array(repeating: 0xAB, count: 32))
    #expect(heartbeat.signedLength == "BW1 site=A seq=1 ts=5".utf8.count)
    #expect(decode("BW1 site=A mac=\(mac) seq=1") == .failure(.malformed(.macNotLast)))
  }

  @Test(arguments: [
    ("", MalformedDetail.badMagic),
    ("BW2 site=A seq=1", .badMagic),
    ("BW1", .missingSite),
    ("BW1site=A seq=1", .badMagic),
    ("BW1 seq=1", .missingSite),
    ("BW1 site=A", .missingSequence),
    ("BW1  site=A seq=1", .emptyToken),
    ("BW1 site=A seq=1 ", .emptyToken),
    ("BW1 site=A seq=1\n\n", .controlCharacter),
    ("BW1 site=A\tseq=1", .controlCharacter),
    ("BW1 site=A seq=1\r", .controlCharacter),
    ("BW1 site=A seq=1 \u{1B}[31m=x", .controlCharacter),
    ("BW1 site=A seq", .tokenWithoutEquals),
    ("BW1 site=A =1", .badKey),
    ("BW1 site=A seq=1 ké=1", .badKey),
    ("BW1 site=A seq=1 seq=2", .duplicateKey),
    ("BW1 site=A seq=1 x=1 x=2", .duplicateKey),
    ("BW1 site=A site=B seq=1", .duplicateKey),
    ("BW1 site=A seq=1 count=1 count=1", .duplicateKey),
    ("BW1 site=A seq=1 ts=1 ts=2", .duplicateKey),
    ("BW1 site=A seq=1 state=ok x=1 state=ok", .duplicateKey),
    ("BW1 site=A seq=1 rtt=1 rtt=1", .duplicateKey),
    ("BW1 site=A seq=1 sites=1 x=1 y=2 sites=3", .duplicateKey),
    ("BW1 site= seq=1", .emptyValue),
    ("BW1 site=Tú seq=1", .badSite),
    ("BW1 site=A seq=-1", .badSequence),
    ("BW1 site=A seq=+1", .badSequence),
    ("BW1 site=A seq=18446744073709551616", .badSequence),
    ("BW1 site=A seq=1 count=1000001", .badCount),
    ("BW1 site=A seq=1 count=12a", .badCount),
    ("BW1 site=A seq=1 ts=now", .badTimestamp),
    ("BW1 site=A seq=1 state=OK", .badState),
    ("BW1 site=A seq=1 rtt=1.5", .badRTT),
    ("BW1 site=A seq=1 mac=ABCD", .badMAC),
  ])
  func rejectsMalformed(_ text: String, _ detail: MalformedDetail) {
    #expect(decode(text) == .failure(.malformed(detail)), "\(text.debugDescription)")
  }

  /// Keys that only look like known ones (a prefix, a longer name, another case) are unknown keys, ignored, and
  /// never taken for duplicates of the known ones.
  @Test func keysThatResembleKnownOnesAreIgnored() throws {
    let heartbeat = try decode("BW1 site=A seq=7 sites=B se=1 seqs=2 Count=3 t=4 tss=5 x=6 count=9").get()
    #expect(heartbeat.site == "A" && heartbeat.sequence == 7 && heartbeat.count == 9 && heartbeat.timestamp == nil)
  }

  @Test func rejectsInvalidUTF8() {
    #expect(HeartbeatCodec.decode(Array("BW1 site=A seq=1 x=".utf8) + [0xC3, 0x28]) == .failure(.malformed(.notUTF8)))
  }

  @Test func sizeLimit() throws {
    let padding = String(repeating: "x", count: 1200 - "BW1 site=A seq=1 p=".utf8.count)
    #expect(throws: Never.self) { try decode("BW1 site=A seq=1 p=" + padding).get() }
    // The trailing newline counts towards the 1,200 bytes.
    #expect(decode("BW1 site=A seq=1 p=" + padding + "\n") == .failure(.tooLarge(1201)))
  }

  @Test func boundaryValues() throws {
    #expect(try decode("BW1 site=A seq=18446744073709551615 count=1000000").get().sequence == .max)
    #expect(try decode("BW1 site=\(String(repeating: "z", count: 64)) seq=1").get().site.count == 64)
    #expect(decode("BW1 site=\(String(repeating: "z", count: 65)) seq=1") == .failure(.malformed(.badSite)))
  }

  @Test func encodeRoundTrips() throws {
    let line = HeartbeatCodec.encode(site: "HB-TU", sequence: 7, count: 100, timestamp: 9, state: .degraded, rttMilliseconds: 12)
    #expect(line == "BW1 site=HB-TU seq=7 count=100 ts=9 state=degraded rtt=12")
    let signed = HeartbeatAuthenticator.sign(line, secret: Array("secret".utf8))
    let heartbeat = try decode(signed).get()
    #expect(heartbeat.count == 100 && heartbeat.state == .degraded && heartbeat.mac?.bytes.count == 32)
  }
}
