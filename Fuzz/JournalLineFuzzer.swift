// libFuzzer entry point for the journal line reader (JournalLineReader, through JournalCodec.decode). Built by
// Fuzz/run-journal-fuzzer.sh with BridgeCore's sources (less the config loader and authentication; see
// CoreShim.swift).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournalLine(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let line = UnsafeBufferPointer(start: start, count: count)
  guard case .success(let record) = JournalCodec.decode(bytes: line) else { return 0 }
  // Invariants of an accepted record.
  precondition(record.unixSeconds.isFinite && record.unixSeconds > 0)
  // What the writer makes of it, the reader takes back, and writing that again gives the same line (the writer
  // keeps times to the millisecond, so the first line may differ from the input).
  let encoded = JournalCodec.encode(record)
  precondition(!encoded.utf8.contains(0x0A), "an encoded record holds a line break: \(encoded)")
  guard case .success(let again) = JournalCodec.decode(Substring(encoded)) else {
    preconditionFailure("the writer's line is refused by the reader: \(encoded)")
  }
  precondition(JournalCodec.encode(again) == encoded, "written again differently: \(encoded)")
  return 0
}
