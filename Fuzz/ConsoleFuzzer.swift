// libFuzzer entry point for the console protocol decoder (ConsoleProtocol.decode and the Codable conformances of
// ConsoleCoding.swift). Built by Fuzz/run-console-fuzzer.sh with BridgeCore's sources (less the config loader and
// authentication; see CoreShim.swift).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConsoleLine(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let line = UnsafeBufferPointer(start: start, count: count)
  _ = ConsoleProtocol.otherVersion(line)
  guard let message = try? ConsoleProtocol.decode(line) else { return 0 }
  // What a peer's encoder makes of a message, the decoder takes back unchanged.
  let encoded = ConsoleProtocol.encode(message)
  precondition(encoded.last == 0x0A && encoded.dropLast().allSatisfy { $0 != 0x0A }, "not one line")
  guard let again = try? ConsoleProtocol.decode(encoded.dropLast()) else {
    preconditionFailure("the encoder's line is refused: \(String(decoding: encoded, as: UTF8.self))")
  }
  precondition(again == message, "decoded differently: \(String(decoding: encoded, as: UTF8.self))")
  return 0
}
