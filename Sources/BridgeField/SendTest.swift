import BridgeCore
import Foundation

/// `bridgewatch send`: one heartbeat to each monitor, then its ack, or that none came (or that nothing listens on
/// the port) within the timeout. Lines for the operator go to `say`; a monitor that cannot be resolved or sent to
/// is a `Problem`.
public struct SendTest {
  /// An address that cannot be resolved, or a heartbeat the system would not send; the command says it and exits 1.
  public struct Problem: Error, CustomStringConvertible {
    public var description: String
  }

  public var site: String
  public var secret: [UInt8]?
  public var firstSequence: UInt64
  public var monitors: [(host: String, port: Int)]
  public var count: Int?
  public var timeout: Duration
  public var strings: Strings

  public init(
    site: String, secret: [UInt8]?, firstSequence: UInt64, monitors: [(host: String, port: Int)], count: Int?,
    timeout: Duration, strings: Strings
  ) {
    self.site = site
    self.secret = secret
    self.firstSequence = firstSequence
    self.monitors = monitors
    self.count = count
    self.timeout = timeout
    self.strings = strings
  }

  /// Whether every monitor acknowledged.
  public func run(say: (String) -> Void) throws -> Bool {
    let addresses: [UDPAddress]
    do {
      addresses = try UDPAddress.resolveAll(monitors)
    } catch {
      throw Problem(description: "\(error)")
    }
    let clients = try addresses.map { try UDPClient(family: $0.family) }
    // Connected, so a host with nothing on that port is told apart from a monitor that stays silent.
    for (client, address) in zip(clients, addresses) { _ = client.connect(to: address) }
    let clock = SystemClock()
    var session = AgentSession(site: site, secret: secret, firstSequence: firstSequence, monitors: addresses.count)
    let lines = session.nextHeartbeats(count: count, now: clock.now())
    for (index, address) in addresses.enumerated() {
      if let failure = clients[index].send(Array(lines[index].utf8), to: address) {
        throw Problem(description: "cannot send to \(address): \(String(cString: strerror(failure)))")
      }
      say(strings(.sendSent, address, lines[index]))
    }
    let deadline = clock.now().monotonicNanos + timeout.nanoseconds
    var acked = Array(repeating: false, count: addresses.count)
    var portClosed = Array(repeating: false, count: addresses.count)
    while zip(acked, portClosed).contains(where: { !$0 && !$1 }) {
      let left = deadline - clock.now().monotonicNanos
      guard left > 0 else { break }
      let readable = UDPClient.waitReadable(clients, timeoutMilliseconds: Int32(left / 1_000_000))
      // A host that answered "port unreachable": nothing listens there, no use waiting for it.
      for index in clients.indices where !acked[index] && clients[index].takeError() == ECONNREFUSED {
        portClosed[index] = true
      }
      for index in clients.indices where readable[index] {
        while let datagram = clients[index].receiveNow(from: addresses[index]) {
          guard let rtt = session.receive(datagram, from: index, now: clock.now()) else { continue }
          acked[index] = true
          let from = addresses.count > 1 ? strings(.sendFrom, addresses[index]) : ""
          say(strings(.sendAck, from, TextSanitizer.printable(String(decoding: datagram, as: UTF8.self)), rtt))
        }
      }
    }
    guard acked.contains(false) else { return true }
    for index in addresses.indices where portClosed[index] { say(strings(.sendPortClosed, addresses[index])) }
    let silentOnes = addresses.indices.filter { !acked[$0] && !portClosed[$0] }
    if !silentOnes.isEmpty {
      let silent =
        addresses.count > 1 ? strings(.sendFrom, silentOnes.map { "\(addresses[$0])" }.joined(separator: strings(.agentAnd))) : ""
      say(strings(.sendNoAck, silent, DurationText.format(timeout)))
    }
    return false
  }
}
