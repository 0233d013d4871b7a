import BridgeCore
import Foundation
import Glibc
import TestSupport
import Testing

@testable import BridgeMonitor

/// HTTPS to a bridge (CMS and Pexip serve their APIs over HTTPS only): a real TLS server (socat with a certificate
/// from a test CA made by openssl) in front of a loopback HTTP server. The client trusts what `ca_file` names, checks
/// that the certificate is for the host it dialled, and says why in X.509's words when it is not; a TLS problem is a
/// failed request within the deadline, never a hang.
@Suite(.serialized) struct BridgeTLSTests {
  static let english = Strings.english

  func withFront(names: [String] = ["IP:127.0.0.1", "DNS:localhost"], _ body: (TLSFront, FixtureHTTPServer, String) throws -> Void) throws {
    let folder = try makeScratchDirectory("bw-bridge-tls")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let server = try FixtureHTTPServer(authorization: "Basic YTpi") { path in
      path == "/api/admin/status/v1/participant/" ? (200, Array("{\"objects\": []}".utf8)) : (404, [])
    }
    defer { server.stop() }
    let front = try TLSFront(backend: server.port, folder: folder, names: names)
    defer { front.stop() }
    try body(front, server, folder)
  }

  func get(host: String, port: Int, caFile: String?) -> Result<(status: Int, body: [UInt8]), BridgeHTTPError> {
    do throws(BridgeHTTPError) {
      let context = try TLSClientContext(caFile: caFile, say: Self.english)
      let client = BoundedHTTPClient(timeout: .seconds(10), maximumResponseBytes: 4096, say: Self.english, tls: context)
      return .success(
        try client.get(host: host, port: port, path: "/api/admin/status/v1/participant/", headers: [("Authorization", "Basic YTpi")]))
    } catch {
      return .failure(error)
    }
  }

  @Test func aBridgeWhoseCertificateChainsToCAFileIsReadByAddressAndByName() throws {
    try withFront { front, server, _ in
      for host in ["127.0.0.1", "localhost"] {
        let answer = try get(host: host, port: front.port, caFile: front.caFile).get()
        #expect(answer.status == 200, "\(host)")
        #expect(String(decoding: answer.body, as: UTF8.self) == "{\"objects\": []}", "\(host)")
      }
      #expect(server.paths.count == 2)
    }
  }

  @Test func aCertificateTheSystemDoesNotTrustIsRefusedWithX509sReason() throws {
    try withFront { front, server, _ in
      guard case .failure(let error) = get(host: "127.0.0.1", port: front.port, caFile: nil) else {
        Issue.record("a certificate from a test CA was trusted by the system's store")
        return
      }
      #expect(error.description == "the certificate of 127.0.0.1 is not trusted: unable to get local issuer certificate", "\(error)")
      // Nothing was sent: the account's password never left for a server that could not prove who it is.
      #expect(server.paths.isEmpty)
    }
  }

  @Test func aCertificateForAnotherNameIsRefused() throws {
    try withFront(names: ["DNS:bridge.example.vn"]) { front, server, _ in
      for (host, reason) in [("127.0.0.1", "IP address mismatch"), ("localhost", "hostname mismatch")] {
        guard case .failure(let error) = get(host: host, port: front.port, caFile: front.caFile) else {
          Issue.record("a certificate for bridge.example.vn was taken for \(host)")
          continue
        }
        #expect(error.description == "the certificate of \(host) is not trusted: \(reason)", "\(error)")
      }
      #expect(server.paths.isEmpty)
    }
  }

  /// An https url on a plain HTTP port: the server answers the ClientHello with an HTTP error, as nginx does, and
  /// the client says TLS failed at once instead of waiting for its deadline.
  @Test func httpsToAPlainServerFailsAtOnceSayingTLS() throws {
    guard let (listener, port) = listenOnLoopback() else { throw BridgeHTTPError("cannot listen") }
    defer { close(listener) }
    let server = Thread {
      let connection = accept(listener, nil, nil)
      guard connection >= 0 else { return }
      var hello = [UInt8](repeating: 0, count: 4096)
      _ = recv(connection, &hello, hello.count, 0)
      let answer = Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
      _ = send(connection, answer, answer.count, Int32(MSG_NOSIGNAL))
      close(connection)
    }
    server.start()
    let started = ContinuousClock.now
    guard case .failure(let error) = get(host: "127.0.0.1", port: port, caFile: nil) else {
      Issue.record("a plain HTTP server passed a TLS handshake")
      return
    }
    #expect(error.description.hasPrefix("TLS failed: "), "\(error)")
    #expect(ContinuousClock.now - started < .seconds(5))
  }

  @Test func aCAFileOpenSSLCannotReadIsSaidWithTheFile() throws {
    let folder = try makeScratchDirectory("bw-bridge-tls-ca")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/ca.pem"
    try "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    do throws(BridgeHTTPError) {
      _ = try TLSClientContext(caFile: path, say: Self.english)
      Issue.record("a PEM block that is no certificate was loaded")
    } catch {
      #expect(error.description.hasPrefix("cannot load the certificates of ca_file \(path): "), "\(error)")
    }
    // Through the bridge's client, the same problem is every poll's, and the roster unknown.
    let bridge = BridgeSettings(
      kind: .pexip, url: "https://127.0.0.1:1", host: "127.0.0.1", port: 1, path: "/api/admin/status/v1", room: 0,
      credentials: .init(username: "a", password: "b"), conference: "c", secure: true, caFile: path)
    let outcome = PexipRosterClient(bridge: bridge, timeout: .seconds(2), say: Self.english).poll()
    guard case .failed(let problem) = outcome else {
      Issue.record("a bridge whose ca_file cannot be loaded was read: \(outcome)")
      return
    }
    #expect(problem.hasPrefix("cannot load the certificates of ca_file"), "\(problem)")
  }
}
