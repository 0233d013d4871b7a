// libFuzzer entry point for the BW1 decoder. Built by Fuzz/run-decoder-fuzzer.sh together with the decoder's
// own source files (which need nothing but the standard library).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecoder(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: start, count: count)
  switch HeartbeatCodec.decode(bytes) {
  case .success(let heartbeat):
    // Invariants of an accepted heartbeat.
    precondition(count <= HeartbeatCodec.maximumDatagramSize)
    precondition(SiteID.isValid(heartbeat.site))
    precondition(heartbeat.count.map { $0 >= 0 && $0 <= HeartbeatCodec.maximumCount } ?? true)
    precondition(heartbeat.signedLength >= 0 && heartbeat.signedLength <= count)
    if let mac = heartbeat.mac {
      precondition(mac.count == 32)
      // The signed part ends right before " mac=".
      let tail = Array(bytes[heartbeat.signedLength..<min(count, heartbeat.signedLength + 5)])
      precondition(tail == Array(" mac=".utf8))
    }
    // Re-encoding the known fields decodes to the same values.
    let line = HeartbeatCodec.encode(
      site: heartbeat.site, sequence: heartbeat.sequence, count: heartbeat.count, timestamp: heartbeat.timestamp,
      state: heartbeat.state, rttMilliseconds: heartbeat.rttMilliseconds)
    guard case .success(let again) = HeartbeatCodec.decode(Array(line.utf8)) else {
      preconditionFailure("re-encoded line rejected: \(line)")
    }
    precondition(again.site == heartbeat.site && again.sequence == heartbeat.sequence && again.count == heartbeat.count)
  case .failure(.tooLarge(let size)):
    precondition(size > HeartbeatCodec.maximumDatagramSize)
  case .failure(.malformed):
    break
  }
  return 0
}
