import Foundation
import Testing

/// `agent` and `send` against a stand-in monitor on loopback that answers each heartbeat from the wrong place: an
/// ack counts only when it comes from the address and port the heartbeat went to.
@Suite(.serialized) struct AckSourceTests {
  /// A UDP socket bound on a loopback address, answering as a monitor would.
  final class LoopbackSocket: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init(address: String, port: Int = 0) throws {
      let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
      self.fd = fd
      var bound = sockaddr_in()
      bound.sin_family = sa_family_t(AF_INET)
      bound.sin_port = in_port_t(UInt16(port).bigEndian)
      bound.sin_addr.s_addr = inet_addr(address)
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      let status = withUnsafeMutablePointer(to: &bound) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
          bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
        }
      }
      guard status == 0 else {
        close(fd)
        throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL)
      }
      self.port = Int(UInt16(bigEndian: bound.sin_port))
    }

    deinit { close(fd) }

    /// The next datagram and where it came from, or nil after `milliseconds`.
    func receive(milliseconds: Int32) -> (text: String, from: sockaddr_in)? {
      var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&descriptor, 1, milliseconds) > 0 else { return nil }
      var buffer = [UInt8](repeating: 0, count: 2048)
      var source = sockaddr_in()
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      let count = withUnsafeMutablePointer(to: &source) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
      }
      return count > 0 ? (String(decoding: buffer[0..<count], as: UTF8.self), source) : nil
    }

    func send(_ text: String, to target: sockaddr_in) {
      var target = target
      _ = withUnsafePointer(to: &target) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          sendto(fd, text, text.utf8.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
    }
  }

  /// Answers every heartbeat that reaches `monitor` with its correct ack, sent by `answerer`, until `stop`.
  static func answer(
    on monitor: LoopbackSocket, from answerer: @escaping @Sendable () -> LoopbackSocket, until stop: @escaping @Sendable () -> Bool
  ) -> Thread {
    let thread = Thread {
      while !stop() {
        guard let (text, sender) = monitor.receive(milliseconds: 100) else { continue }
        let fields = text.split(separator: " ")
        guard let site = fields.first(where: { $0.hasPrefix("site=") }), let seq = fields.first(where: { $0.hasPrefix("seq=") }) else {
          continue
        }
        answerer().send("BW1 ack \(site) \(seq)", to: sender)
      }
    }
    thread.start()
    return thread
  }

  @Test func sendCountsAnAckOnlyFromTheAddressAndPortTheHeartbeatWentTo() throws {
    let monitor = try LoopbackSocket(address: "127.0.0.1")
    // Another port on the same address, and the same port on another loopback address.
    let impostors = [try LoopbackSocket(address: "127.0.0.1"), try LoopbackSocket(address: "127.0.0.2", port: monitor.port)]
    let done = Flag()
    let answerer = Flag()
    let thread = Self.answer(on: monitor, from: { answerer.isSet ? monitor : impostors[Int.random(in: 0...1)] }, until: { done.isSet })
    defer {
      done.set()
      while !thread.isFinished { usleep(10_000) }
    }
    for seq in 1...2 {
      let fooled = try Binary.run([
        "send", "--site", "HB-TU", "--monitor", "127.0.0.1:\(monitor.port)", "--seq", "\(seq)", "--timeout", "700ms",
      ])
      #expect(fooled.status == 1, "an ack from elsewhere was taken: \(fooled.stdout)")
      #expect(fooled.stdout.contains("no ack within 700ms"), "\(fooled.stdout)")
    }
    // The real one, from the monitor's own address and port, is taken.
    answerer.set()
    let acked = try Binary.run(["send", "--site", "HB-TU", "--monitor", "127.0.0.1:\(monitor.port)", "--seq", "3", "--timeout", "2s"])
    #expect(acked.status == 0 && acked.stdout.contains("ack: BW1 ack site=HB-TU seq=3"), "\(acked.stdout)\(acked.stderr)")
  }

  @Test func theAgentIsNotConnectedByAcksFromAnotherAddressOrPort() throws {
    let monitor = try LoopbackSocket(address: "127.0.0.1")
    let impostors = [try LoopbackSocket(address: "127.0.0.1"), try LoopbackSocket(address: "127.0.0.2", port: monitor.port)]
    let done = Flag()
    let answerer = Flag()
    let thread = Self.answer(on: monitor, from: { answerer.isSet ? monitor : impostors[Int.random(in: 0...1)] }, until: { done.isSet })
    defer {
      done.set()
      while !thread.isFinished { usleep(10_000) }
    }
    let agent = try BackgroundProcess(["agent", "--site", "HB-TU", "--monitor", "127.0.0.1:\(monitor.port)", "--interval", "200ms"])
    defer { _ = agent.stop() }
    // Ten heartbeats, each answered correctly but from elsewhere: never connected.
    Thread.sleep(forTimeInterval: 2)
    #expect(!agent.output.contains("connected"), "\(agent.output)")
    answerer.set()
    #expect(agent.waitFor(seconds: 5) { $0.contains("connected: the monitor acknowledged") ? true : nil } == true, "\(agent.output)")
  }

  @Test func aNegativeCountOrSequenceIsRefusedNamingTheOptionAndItsRange() throws {
    for command in ["send", "agent"] {
      let negative = try Binary.run([command, "--site", "HB-TU", "--monitor", "127.0.0.1:9", "--count", "-1"])
      #expect(negative.status != 0)
      #expect(negative.stderr.contains("--count must be a headcount from 0 to 1,000,000, got -1"), "\(command): \(negative.stderr)")
      #expect(!negative.stderr.contains("Missing value"), "\(negative.stderr)")
      let huge = try Binary.run([command, "--site", "HB-TU", "--monitor", "127.0.0.1:9", "--count", "1000001"])
      #expect(huge.stderr.contains("--count must be a headcount from 0 to 1,000,000, got 1,000,001"), "\(command): \(huge.stderr)")
    }
    // The same door in the other tools: a negative number reaches the check that names the range.
    let sites = try Binary.run(["demo", "--sites", "-5"])
    #expect(sites.status != 0 && sites.stderr.contains("--sites must be from 1 to 100,000"), "\(sites.stderr)")
    let speed = try Binary.run(["sim", "/nonexistent.yaml", "--speed", "-1"])
    #expect(speed.status != 0 && speed.stderr.contains("--speed must be more than 0 and at most 1000"), "\(speed.stderr)")
    let sequence = try Binary.run(["send", "--site", "HB-TU", "--monitor", "127.0.0.1:9", "--seq", "-1"])
    #expect(sequence.status != 0 && sequence.stderr.contains("--seq must be a whole number of at least 1, got '-1'"), "\(sequence.stderr)")
  }
}

/// A flag one thread sets and another reads.
final class Flag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  var isSet: Bool { lock.withLock { value } }
  func set() { lock.withLock { value = true } }
}
