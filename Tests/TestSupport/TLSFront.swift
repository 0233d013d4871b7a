import Foundation
import Glibc

/// HTTPS in front of a plain loopback server, as a bridge's own TLS would be: a test CA and a server certificate made
/// with openssl (for `names`, DNS names and IP addresses), and socat terminating TLS on a port of its own and
/// forwarding each connection to `backend`. `stop` ends socat; the certificates live in `folder`, the caller's.
public final class TLSFront: @unchecked Sendable {
  public let port: Int
  /// The test CA's certificate: what a bridge's `ca_file` names.
  public let caFile: String
  private let socat: Process

  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  public init(backend: Int, folder: String, names: [String] = ["IP:127.0.0.1", "DNS:localhost"]) throws {
    try RequiredTool.require("openssl", "socat")
    caFile = folder + "/ca.pem"
    let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    try Self.openssl(
      ["req", "-x509"] + key + [
        "-days", "2", "-subj", "/CN=BridgeWatch test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", folder + "/ca.key", "-out", caFile,
      ])
    try Self.openssl(["req"] + key + ["-subj", "/CN=bridge.test", "-keyout", folder + "/server.key", "-out", folder + "/server.csr"])
    try "subjectAltName=\(names.joined(separator: ","))\nextendedKeyUsage=serverAuth\n".write(
      toFile: folder + "/server.ext", atomically: true, encoding: .utf8)
    try Self.openssl([
      "x509", "-req", "-in", folder + "/server.csr", "-CA", caFile, "-CAkey", folder + "/ca.key", "-CAcreateserial",
      "-days", "2", "-extfile", folder + "/server.ext", "-out", folder + "/server.pem",
    ])
    guard let (probe, port) = listenOnLoopback() else { throw Failure(description: "no free port") }
    close(probe)
    self.port = port
    socat = Process()
    socat.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    socat.arguments = [
      "socat",
      "OPENSSL-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork,cert=\(folder)/server.pem,key=\(folder)/server.key,verify=0",
      "TCP:127.0.0.1:\(backend)",
    ]
    socat.standardOutput = FileHandle.nullDevice
    socat.standardError = FileHandle.nullDevice
    try socat.run()
    // Ready when it accepts: a plain TCP connect is enough (socat's child then fails the handshake and exits).
    guard eventually(timeout: .seconds(5), every: .milliseconds(50), { TCPTestClient(port: port) != nil }) else {
      stop()
      throw Failure(description: "socat did not listen on \(port)")
    }
  }

  /// SIGKILL: a process started from a test's thread inherits its blocked signals, SIGTERM among them. Each
  /// connection's child exits with its connection.
  public func stop() {
    if socat.isRunning {
      kill(socat.processIdentifier, SIGKILL)
      socat.waitUntilExit()
    }
  }

  private static func openssl(_ arguments: [String]) throws {
    let result = try ToolProcess.run(["openssl"] + arguments)
    guard result.status == 0 else { throw Failure(description: "openssl \(arguments.first ?? ""): \(result.errors)") }
  }

}
