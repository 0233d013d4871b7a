import BridgeCore
import BridgeMetrics
import Foundation
import Logging
import TestSupport
import Testing

/// The HTTP side of `/metrics`, on a real loopback socket.
@Suite struct MetricsServerTests {
  static func serve(_ limits: MonitorHTTPServer.Limits = MonitorHTTPServer.Limits()) async throws -> (MonitorHTTPServer, Int) {
    let exporter = MetricsExporter(config: metricsConfig(sites: hoaBinhSites), startUnixSeconds: 0)
    let server = MonitorHTTPServer(
      exporter: exporter, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), limits: limits)
    let address = try await server.start(host: "127.0.0.1", port: 0)
    return (server, address.port!)
  }

  @Test func getAnswersTheExpositionWithItsContentType() async throws {
    let (server, port) = try await Self.serve()
    try await stopping(server.stop) { () async throws in
      let response = try #require(HTTPTestResponse.fetch(port: port))
      #expect(response.status == 200)
      #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
      #expect(response.headers["content-length"] == String(response.body.utf8.count))
      #expect(metricValue(response.body, #"bridgewatch_headcount_expected{group="",province="",depth="0"}"#) == 518)
      let query = try #require(HTTPTestResponse.fetch(port: port, path: "/metrics?x=1"))
      #expect(query.status == 200)
    }
  }

  @Test func headAnswersTheHeadersAlone() async throws {
    let (server, port) = try await Self.serve()
    try await stopping(server.stop) { () async throws in
      let get = try #require(HTTPTestResponse.fetch(port: port))
      let head = try #require(HTTPTestResponse.fetch(port: port, method: "HEAD"))
      #expect(head.status == 200)
      #expect(head.body.isEmpty)
      #expect(head.headers["content-length"] == get.headers["content-length"])
      #expect(head.headers["content-type"] == get.headers["content-type"])
    }
  }

  @Test func otherPathsAre404AndOtherMethods405() async throws {
    let (server, port) = try await Self.serve()
    try await stopping(server.stop) { () async throws in
      for path in ["/", "/metrics/", "/metricsx", "/../metrics"] {
        #expect(HTTPTestResponse.fetch(port: port, path: path)?.status == 404, "\(path)")
      }
      for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let response = try #require(HTTPTestResponse.fetch(port: port, method: method))
        #expect(response.status == 405, "\(method)")
        #expect(response.headers["allow"] == "GET, HEAD")
      }
    }
  }

  @Test func garbageAndHugeRequestLinesAre400AndClosed() async throws {
    let (server, port) = try await Self.serve()
    try await stopping(server.stop) { () async throws in
      let garbage = try #require(TCPTestClient(port: port))
      garbage.send([0x16, 0x03, 0x01, 0x00, 0xff] + Array("\r\n\r\n".utf8))
      #expect(HTTPTestResponse.parse(garbage.readToEnd())?.status == 400)
      let huge = try #require(TCPTestClient(port: port))
      huge.send("GET /" + String(repeating: "a", count: 1_048_576) + " HTTP/1.1\r\n\r\n")
      #expect(HTTPTestResponse.parse(huge.readToEnd())?.status == 400)
      // The server still answers.
      #expect(HTTPTestResponse.fetch(port: port)?.status == 200)
    }
  }

  @Test func keepAliveAnswersSeveralRequestsOnOneConnection() async throws {
    let (server, port) = try await Self.serve()
    try await stopping(server.stop) { () async throws in
      let client = try #require(TCPTestClient(port: port))
      client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      let text = String(decoding: client.readToEnd(), as: UTF8.self)
      #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 2)
    }
  }

  @Test func aNewConnectionEvictsTheOldestIdleOneWhenFull() async throws {
    var limits = MonitorHTTPServer.Limits()
    limits.maximumConnections = 3
    limits.requestDeadline = .seconds(120)  // only eviction closes connections here, however slow the machine
    let (server, port) = try await Self.serve(limits)
    try await stopping(server.stop) { () async throws in
      // Three that never finish a request (slowloris), oldest first.
      var idle: [TCPTestClient] = []
      for _ in 0..<3 {
        let client = try #require(TCPTestClient(port: port))
        client.send("GET /metrics HTTP/1.1\r\n")
        idle.append(client)
        try await Task.sleep(for: .milliseconds(50))
      }
      // A scraper still gets its answer, and the oldest waiting connection made room for it.
      #expect(HTTPTestResponse.fetch(port: port)?.status == 200)
      #expect(idle[0].isClosedByPeer(within: 2))
      #expect(!idle[2].isClosedByPeer(within: 0.3))
      #expect(server.connectionCount <= 3)
    }
  }

  @Test func aRequestThatNeverCompletesIsClosedAtItsDeadline() async throws {
    var limits = MonitorHTTPServer.Limits()
    limits.requestDeadline = .milliseconds(300)
    let (server, port) = try await Self.serve(limits)
    try await stopping(server.stop) { () async throws in
      let trickle = try #require(TCPTestClient(port: port))
      trickle.send("GET /metrics HTTP/1.1\r\n")
      // A header line every 50 ms, for up to 200 of them: the server must close it anyway, at its deadline.
      var linesSent = 0
      while linesSent < 200, trickle.send("X-Slow: 1\r\n"), !trickle.isClosedByPeer(within: 0.05) {
        linesSent += 1
      }
      #expect(linesSent < 200, "still open after 200 header lines")
      // Its slot is given back (the server's side of the close may come a moment after the client's).
      try await waitUntil { server.connectionCount == 0 }
    }
  }

  /// RFC 9112 3.2.2: a server must accept a request target in absolute form, as a proxy-minded client sends it.
  @Test func absoluteFormTargetsAreServed() async throws {
    let (server, port) = try await Self.serve()
    try await stopping(server.stop) { () async throws in
      for target in ["http://127.0.0.1/metrics", "HTTP://localhost:9740/metrics?x=1", "https://[::1]:9740/metrics"] {
        let response = try #require(HTTPTestResponse.fetch(port: port, path: target), "\(target)")
        #expect(response.status == 200, "\(target)")
        #expect(metricValue(response.body, #"bridgewatch_headcount_expected{group="",province="",depth="0"}"#) == 518)
      }
      for target in ["http://127.0.0.1/other", "http://127.0.0.1", "http://127.0.0.1/metrics/"] {
        #expect(HTTPTestResponse.fetch(port: port, path: target)?.status == 404, "\(target)")
      }
    }
  }

  /// `OPTIONS *` and CONNECT are methods this server does not have, whatever their target form; CONNECT would make
  /// the connection a tunnel, so it is closed after the answer.
  @Test func optionsAsteriskAndConnectAre405AndConnectCloses() async throws {
    let (server, port) = try await Self.serve()
    try await stopping(server.stop) { () async throws in
      let options = try #require(HTTPTestResponse.fetch(port: port, method: "OPTIONS", path: "*"))
      #expect(options.status == 405)
      #expect(options.headers["allow"] == "GET, HEAD")
      let connect = try #require(TCPTestClient(port: port))
      connect.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
      let answer = connect.readToEnd(timeout: 10)
      #expect(HTTPTestResponse.parse(answer)?.status == 405)
      #expect(connect.isClosedByPeer(within: 1), "CONNECT left the connection open")
    }
  }

  /// A client that sends `Expect: 100-continue` waits to be told to send its body; the server needs none, so it
  /// answers at once rather than at the request deadline.
  @Test func expectContinueIsAnsweredWithoutWaitingForTheBody() async throws {
    var limits = MonitorHTTPServer.Limits()
    limits.requestDeadline = .seconds(120)  // an answer can only come from the server, not from its deadline
    let (server, port) = try await Self.serve(limits)
    try await stopping(server.stop) { () async throws in
      for announced in ["Content-Length: 10\r\n", "Transfer-Encoding: chunked\r\n"] {
        let client = try #require(TCPTestClient(port: port))
        client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\(announced)Expect: 100-continue\r\n\r\n")
        let response = HTTPTestResponse.parse(client.readToEnd(timeout: 10))
        #expect(response?.status == 200, "\(announced)")
        #expect(response?.headers["connection"] == "close", "the unread body must not be taken for a next request")
      }
      // Without a body announced the connection stays open for the next request.
      let client = try #require(TCPTestClient(port: port))
      client.send(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      let text = String(decoding: client.readToEnd(timeout: 10), as: UTF8.self)
      #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 2)
    }
  }

  /// RFC 9112 3.2: a request with more than one Host, or an HTTP/1.1 request with none, is answered 400.
  @Test func twoHostHeadersOrNoneIn11Are400() async throws {
    let (server, port) = try await Self.serve()
    try await stopping(server.stop) { () async throws in
      for head in [
        "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "GET /metrics HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
        "GET /metrics HTTP/1.1\r\n\r\n", "GET /metrics HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
      ] {
        let client = try #require(TCPTestClient(port: port))
        client.send(head)
        #expect(HTTPTestResponse.parse(client.readToEnd(timeout: 10))?.status == 400, "\(head.debugDescription)")
        #expect(client.isClosedByPeer(within: 1))
      }
      // HTTP/1.0 needs no Host.
      let old = try #require(TCPTestClient(port: port))
      old.send("GET /metrics HTTP/1.0\r\n\r\n")
      #expect(HTTPTestResponse.parse(old.readToEnd(timeout: 10))?.status == 200)
    }
  }
}
