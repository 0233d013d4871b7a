import BridgeCore
import BridgeMetrics
import BridgeMonitor
import Foundation
import Logging
import TestSupport
import Testing

/// The check-in page through the monitor's one HTTP server, on a real loopback socket, into a real hub: the form,
/// a submission reaching the engine, and the doors (wrong tokens, bodies over the cap, floods, replays), each
/// counted in /metrics.
@Suite struct CheckinHTTPTests {
  static let token = "hbtutokenaaaabbbbcccc"

  struct Served {
    var monitor: Monitor
    var server: MonitorHTTPServer
    var port: Int

    func stop() async {
      await server.stop()
      await monitor.stop()
    }
  }

  static func serve(limits: CheckinGate.Limits = CheckinGate.Limits()) async throws -> Served {
    var config = metricsConfig(sites: hoaBinhSites)
    config.checkin.enabled = true
    config.siteKeys["HB-TU"] = SiteKeyEntry(secret: "0123456789abcdef0123", checkinToken: token)
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    let checkin = CheckinInput(config: config, logger: logger, limits: limits)
    let exporter = MetricsExporter(config: config, startUnixSeconds: 0)
    let monitor = Monitor(config: config, logger: logger, inputs: [checkin], outputs: [PublishToExporter(exporter: exporter)])
    _ = try await monitor.startPorts()
    let server = MonitorHTTPServer(exporter: exporter, checkin: checkin, logger: logger)
    exporter.countCheckins { checkin.counters }
    let address = try await server.start(host: "127.0.0.1", port: 0)
    return Served(monitor: monitor, server: server, port: address.port!)
  }

  /// Hands the hub's updates to the exporter, as MetricsOutput does.
  final class PublishToExporter: MonitorOutput {
    let exporter: MetricsExporter
    init(exporter: MetricsExporter) { self.exporter = exporter }
    func start(facts: ConsoleFacts) async throws {}
    func receive(_ update: MonitorUpdate) { exporter.observe(update) }
    func stop() async {}
  }

  static func formBody(_ stamp: CheckinStamp, action: String = "count", count: String = "45", who: String = "Anh Tuấn 0912")
    -> [UInt8]
  {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    let fields = [
      ("issued", String(stamp.issued)), ("nonce", stamp.nonce), ("sig", stamp.signature), ("who", who), ("count", count),
      ("action", action),
    ]
    return Array(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&").utf8)
  }

  static func request(port: Int, _ text: String) -> HTTPTestResponse? {
    guard let client = TCPTestClient(port: port) else { return nil }
    client.send(text)
    return HTTPTestResponse.parse(client.readToEnd(timeout: 10))
  }

  static func post(port: Int, path: String = "/c/\(token)", body: [UInt8]) -> HTTPTestResponse? {
    guard let client = TCPTestClient(port: port) else { return nil }
    client.send(
      "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n")
    client.send(body)
    return HTTPTestResponse.parse(client.readToEnd(timeout: 10))
  }

  /// The hidden stamp fields of a served form.
  static func stamp(_ page: String) throws -> CheckinStamp {
    func value(_ name: String) throws -> String {
      let marker = "name=\"\(name)\" value=\""
      let start = try #require(page.range(of: marker)).upperBound
      return String(page[start...].prefix { $0 != "\"" })
    }
    return CheckinStamp(issued: Int64(try value("issued"))!, nonce: try value("nonce"), signature: try value("sig"))
  }

  static func metric(_ port: Int, _ series: String) -> Double? {
    HTTPTestResponse.fetch(port: port).flatMap { metricValue($0.body, series) }
  }

  @Test func theFormIsServedAndASubmissionReachesTheEngineOnce() async throws {
    let served = try await Self.serve()
    try await stopping(served.stop) { () async throws in
      let page = try #require(HTTPTestResponse.fetch(port: served.port, path: "/c/\(Self.token)"))
      #expect(page.status == 200)
      #expect(page.headers["content-type"] == "text/html; charset=utf-8")
      #expect(page.headers["cache-control"] == "no-store")
      #expect(page.headers["referrer-policy"] == "no-referrer")
      #expect(page.body.contains("Điểm HB-TU") && page.body.contains("Quân số"))
      let english = try #require(HTTPTestResponse.fetch(port: served.port, path: "/c/\(Self.token)?lang=en"))
      #expect(english.body.contains("We are connected"))

      let body = Self.formBody(try Self.stamp(page.body), count: "45", who: "Lan \u{1B}[31m0912")
      let answer = try #require(Self.post(port: served.port, body: body))
      #expect(answer.status == 200)
      #expect(answer.body.contains("quân số 45") && answer.body.contains("Lan [31m0912"))
      let record = try await served.monitor.snapshot().records[0]
      #expect(record.headcount == 45 && record.headcountSource == .checkin && record.lastSource == .checkin)
      #expect(record.headcountSetBy?.operatorName == "Lan [31m0912")
      // The same form again (a double tap): said, not applied again.
      let again = try #require(Self.post(port: served.port, body: body))
      #expect(again.status == 200 && again.body.contains("không tính thêm"))
      #expect(
        eventually(timeout: .seconds(10)) {
          Self.metric(served.port, #"bridgewatch_checkin_submissions_total{outcome="accepted"}"#) == 1
            && Self.metric(served.port, #"bridgewatch_checkin_submissions_total{outcome="duplicate"}"#) == 1
            && Self.metric(served.port, #"bridgewatch_heartbeats_accepted_total{source="checkin"}"#) == 1
        }, "the counters in /metrics")
    }
  }

  @Test func wrongTokensGetOnePlain404AndAreCounted() async throws {
    let served = try await Self.serve()
    try await stopping(served.stop) { () async throws in
      let first = try #require(HTTPTestResponse.fetch(port: served.port, path: "/c/wrongtokenaaaabbbbcccc"))
      let second = try #require(HTTPTestResponse.fetch(port: served.port, path: "/c/\(Self.token)x"))
      let post = try #require(Self.post(port: served.port, path: "/c/nope", body: Array("a=b".utf8)))
      #expect(first.status == 404 && second.status == 404 && post.status == 404)
      #expect(first.body == second.body && first.body == post.body)
      #expect(!first.body.contains("HB-TU"))
      #expect(
        eventually(timeout: .seconds(10)) {
          Self.metric(served.port, #"bridgewatch_checkin_refused_total{reason="unknown_token"}"#) == 3
        }, "the refusals in /metrics")
    }
  }

  @Test func bodiesOverTheCapAre413WhateverTheirFraming() async throws {
    let served = try await Self.serve()
    try await stopping(served.stop) { () async throws in
      let announced = try #require(Self.post(port: served.port, body: Array(repeating: UInt8(ascii: "a"), count: 5000)))
      #expect(announced.status == 413)
      #expect(announced.headers["connection"] == "close")
      let chunk = String(repeating: "a", count: 3000)
      let chunked = try #require(
        Self.request(
          port: served.port,
          "POST /c/\(Self.token) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "bb8\r\n\(chunk)\r\nbb8\r\n\(chunk)\r\n0\r\n\r\n"))
      #expect(chunked.status == 413)
      // A POST to /metrics is still 405, and the server still serves.
      #expect(Self.post(port: served.port, path: "/metrics", body: [0x61])?.status == 405)
      #expect(HTTPTestResponse.fetch(port: served.port)?.status == 200)
      #expect(
        eventually(timeout: .seconds(10)) {
          Self.metric(served.port, #"bridgewatch_checkin_refused_total{reason="too_large"}"#) == 2
        }, "the refusals in /metrics")
    }
  }

  @Test func aFloodIs429WithRetryAfterAndCounted() async throws {
    var limits = CheckinGate.Limits()
    limits.perTokenBurst = 3
    limits.perTokenRefillSeconds = 600
    let served = try await Self.serve(limits: limits)
    try await stopping(served.stop) { () async throws in
      let statuses = (0..<6).compactMap { _ in HTTPTestResponse.fetch(port: served.port, path: "/c/\(Self.token)") }
      #expect(statuses.map(\.status) == [200, 200, 200, 429, 429, 429])
      #expect(statuses.last?.headers["retry-after"] == "60")
      #expect(
        eventually(timeout: .seconds(10)) {
          Self.metric(served.port, #"bridgewatch_checkin_refused_total{reason="rate_limited"}"#) == 3
        }, "the refusals in /metrics")
    }
  }

  @Test func forgedStaleAndBadFormsAreRefusedWithAFreshFormAndNothingApplied() async throws {
    let served = try await Self.serve()
    try await stopping(served.stop) { () async throws in
      let forged = CheckinStamp(
        issued: Int64(Date().timeIntervalSince1970), nonce: "0123456789abcdef", signature: String(repeating: "0", count: 64))
      let stale = try #require(Self.post(port: served.port, body: Self.formBody(forged)))
      #expect(stale.status == 409)
      #expect(stale.body.contains("name=\"sig\""), "a fresh form to send again")
      let page = try #require(HTTPTestResponse.fetch(port: served.port, path: "/c/\(Self.token)?lang=en"))
      let noWho = try #require(Self.post(port: served.port, body: Self.formBody(try Self.stamp(page.body), who: " ")))
      #expect(noWho.status == 422)
      let badCount = try #require(Self.post(port: served.port, body: Self.formBody(try Self.stamp(page.body), count: "148 người")))
      #expect(badCount.status == 422 && badCount.body.contains("value=\"148 người\""))
      let garbage = try #require(Self.post(port: served.port, body: Array("%%%".utf8)))
      #expect(garbage.status == 400)
      #expect(try await served.monitor.snapshot().records[0].headcount == nil)
      #expect(
        eventually(timeout: .seconds(10)) {
          Self.metric(served.port, #"bridgewatch_checkin_refused_total{reason="stale_form"}"#) == 1
            && Self.metric(served.port, #"bridgewatch_checkin_refused_total{reason="invalid_field"}"#) == 2
            && Self.metric(served.port, #"bridgewatch_checkin_refused_total{reason="malformed"}"#) == 1
        }, "the refusals in /metrics")
    }
  }
}
