import ArgumentParser
import BridgeCore
import BridgeField
import Foundation

struct SendCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "send",
    abstract: "Send one heartbeat and print the monitor's ack, or that none came: for testing a line.",
    discussion: """
      Exits 0 when the monitor acknowledged (every monitor, when --monitor is given more than once), 1 when an ack \
      did not come in time. A host that answers "port unreachable" is said at once: nothing listens on that port. \
      The monitor never answers a heartbeat it rejects (unknown site, missing or wrong key, a clock off by more \
      than two minutes), so no ack means: wrong address, a blocked line, or a rejected heartbeat; the monitor's \
      log says which, with the site id it received.
      """)

  @Option(help: "The site id, exactly as in the monitor's config.")
  var site: String

  @Option(help: ArgumentHelp("The monitor's HOST:PORT; give it twice for a primary and its standby.", valueName: "host:port"))
  var monitor: [String]

  // `.unconditional`: "--count -1" reaches validate() and gets the range, not "Missing value".
  @Option(parsing: .unconditional, help: "The headcount to report (0 to 1,000,000).")
  var count: Int?

  @Option(name: .customLong("key-file"), help: "A file holding this site's secret (one line); the heartbeat is signed with it.")
  var keyFile: String?

  @Option(parsing: .unconditional, help: "The sequence number to send (at least 1).")
  var seq: String = "1"

  @Option(help: "How long to wait for the ack.")
  var timeout = "2s"

  @OptionGroup var language: LanguageFlag

  func validate() throws {
    guard SiteID.isValid(site) else { throw ValidationError("--site must be a site id ([A-Za-z0-9._-], 1 to 64 characters)") }
    guard !monitor.isEmpty else { throw ValidationError("give --monitor HOST:PORT") }
    for monitor in monitor where HostPort.parse(monitor) == nil {
      throw ValidationError("--monitor must be HOST:PORT, got '\(monitor)'")
    }
    if let count { try FieldToolOptions.checkCount(count) }
    guard let number = UInt64(seq), number > 0 else {
      throw ValidationError("--seq must be a whole number of at least 1, got '\(TextSanitizer.printable(seq))'")
    }
    guard DurationText.parse(timeout) != nil else { throw ValidationError("--timeout must be a duration (e.g. 2s), got '\(timeout)'") }
  }

  func run() throws {
    let strings = language.strings
    let secret = try KeyFile.secretOrExit(keyFile, command: "send", strings: strings)
    var addresses: [UDPAddress] = []
    for target in monitor.map({ HostPort.parse($0)! }) {
      switch UDPAddress.resolve(host: target.host, port: target.port) {
      case .success(let resolved): addresses.append(resolved)
      case .failure(let error):
        FileHandleOutput.writeAll(fd: 2, "bridgewatch send: \(error)\n")
        throw ExitCode(1)
      }
    }
    let clients = try addresses.map { try UDPClient(family: $0.family) }
    // Connected, so a host with nothing on that port is told apart from a monitor that stays silent.
    for (client, address) in zip(clients, addresses) { _ = client.connect(to: address) }
    let clock = SystemClock()
    var session = AgentSession(site: site, secret: secret, firstSequence: UInt64(seq)!, monitors: addresses.count)
    let lines = session.nextHeartbeats(count: count, now: clock.now())
    for (index, address) in addresses.enumerated() {
      if let failure = clients[index].send(Array(lines[index].utf8), to: address) {
        FileHandleOutput.writeAll(fd: 2, "bridgewatch send: cannot send to \(address): \(String(cString: strerror(failure)))\n")
        throw ExitCode(1)
      }
      printOutput(strings(.sendSent, address, lines[index]))
    }
    let limit = DurationText.parse(timeout)!
    let deadline = clock.now().monotonicNanos + limit.nanoseconds
    var acked = Array(repeating: false, count: addresses.count)
    var portClosed = Array(repeating: false, count: addresses.count)
    while zip(acked, portClosed).contains(where: { !$0 && !$1 }) {
      let left = deadline - clock.now().monotonicNanos
      guard left > 0 else { break }
      let readable = UDPClient.waitReadable(clients, timeoutMilliseconds: Int32(left / 1_000_000))
      for index in clients.indices where !acked[index] && clients[index].takeError() == ECONNREFUSED {
        portClosed[index] = true
      }
      for index in clients.indices where readable[index] {
        while let datagram = clients[index].receiveNow(from: addresses[index]) {
          guard let rtt = session.receive(datagram, from: index, now: clock.now()) else { continue }
          acked[index] = true
          let from = addresses.count > 1 ? strings(.sendFrom, addresses[index]) : ""
          printOutput(strings(.sendAck, from, TextSanitizer.printable(String(decoding: datagram, as: UTF8.self)), rtt))
        }
      }
    }
    guard acked.contains(false) else { return }
    for index in addresses.indices where portClosed[index] { printOutput(strings(.sendPortClosed, addresses[index])) }
    let silentOnes = addresses.indices.filter { !acked[$0] && !portClosed[$0] }
    if !silentOnes.isEmpty {
      let silent =
        addresses.count > 1 ? strings(.sendFrom, silentOnes.map { "\(addresses[$0])" }.joined(separator: strings(.agentAnd))) : ""
      printOutput(strings(.sendNoAck, silent, DurationText.format(limit)))
    }
    throw ExitCode(1)
  }
}
