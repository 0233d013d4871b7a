import BridgeCore
import Foundation
import TestSupport
import Testing

/// examples/nginx-checkin.conf as shipped, in front of a real monitor: only its listen addresses, certificate paths
/// and the monitor's port are the test's own (a certificate made with openssl for hoinghi.example.vn). The link
/// works over TLS as the sheet prints it, a form posted through nginx reaches the status file, /metrics stays on the
/// monitor host, and plain HTTP is sent to HTTPS.
@Suite struct CheckinNginxTests {
  @Test func theShippedNginxExampleServesTheCheckinPageOverTLS() throws {
    try RequiredTool.require("openssl", "curl")
    // Debian puts nginx in /usr/sbin, which a user's PATH may lack.
    if !FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") { try RequiredTool.require("nginx") }
    let folder = try makeScratchDirectory("bw-checkin-nginx")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try CheckinEndToEndTests.config.write(toFile: folder + "/conference.yaml", atomically: true, encoding: .utf8)
    let keys = try Binary.run(
      ["keys", folder + "/conference.yaml", "--checkin-base", "https://hoinghi.example.vn/checkin"], environment: ["LANG": "C.UTF-8"])
    #expect(keys.status == 0, "\(keys.stderr)")
    let token = try #require(try CheckinEndToEndTests.tokens(folder)["HB-TU"])
    let monitor = try HeadlessMonitor(config: CheckinEndToEndTests.config, directory: folder)
    defer { _ = monitor.finish() }
    let base = try #require(monitor.waitFor(seconds: 20) { CheckinEndToEndTests.checkinBase(in: $0) }, "\(monitor.log)")
    let monitorAddress = String(base.dropFirst("http://".count))

    let certificate = try runTool(
      "openssl",
      [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=hoinghi.example.vn", "-addext",
        "subjectAltName=DNS:hoinghi.example.vn", "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem",
      ])
    #expect(certificate.status == 0, "\(certificate.output)")
    let https = freeTCPPort()
    let http = freeTCPPort()
    let example = try String(contentsOfFile: Repository.path("examples/nginx-checkin.conf"), encoding: .utf8)
      .replacingOccurrences(of: "listen 443 ssl;", with: "listen 127.0.0.1:\(https) ssl;")
      .replacingOccurrences(of: "listen [::]:443 ssl;", with: "")
      .replacingOccurrences(of: "listen 80;", with: "listen 127.0.0.1:\(http);")
      .replacingOccurrences(of: "listen [::]:80;", with: "")
      .replacingOccurrences(of: "/etc/letsencrypt/live/hoinghi.example.vn/fullchain.pem", with: folder + "/cert.pem")
      .replacingOccurrences(of: "/etc/letsencrypt/live/hoinghi.example.vn/privkey.pem", with: folder + "/key.pem")
      .replacingOccurrences(of: "127.0.0.1:9740", with: monitorAddress)
    #expect(example.contains("proxy_pass http://\(monitorAddress)/c/;"))
    let prefix = folder + "/nginx"
    try FileManager.default.createDirectory(atPath: prefix + "/logs", withIntermediateDirectories: true)
    let temporary = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map { "\($0)_temp_path \(prefix)/\($0);" }
    try """
    pid \(prefix)/nginx.pid;
    error_log \(prefix)/logs/error.log;
    events {}
    http {
    \(temporary.joined(separator: "\n"))
    \(example)
    }

    """.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
    let nginx = try BackgroundProcess(
      executable: "/usr/sbin/nginx", ["-p", prefix, "-c", prefix + "/nginx.conf", "-g", "daemon off; user root;"])
    defer { _ = nginx.stop() }

    let resolve = ["--resolve", "hoinghi.example.vn:\(https):127.0.0.1", "--cacert", folder + "/cert.pem"]
    let link = "https://hoinghi.example.vn:\(https)/checkin/c/\(token)"
    let page = eventually(timeout: .seconds(20)) { () -> (status: Int, body: String)? in
      guard let page = try? CheckinEndToEndTests.curl(link, extra: resolve), page.status == 200 else { return nil }
      return page
    }
    let served = try #require(page, "\(nginx.output)")
    #expect(served.body.contains("<h1>Tỉnh ủy Hòa Bình</h1>"))
    let sent = try CheckinEndToEndTests.curl(
      link, form: CheckinEndToEndTests.stamp(served.body) + [("who", "Anh Tuấn 0912"), ("count", "148"), ("action", "count")],
      extra: resolve)
    #expect(sent.status == 200 && sent.body.contains("quân số 148"), "\(sent.body)")
    #expect(
      monitor.waitForStatus { status in
        CheckinEndToEndTests.site(status, "HB-TU").map {
          $0["headcount"] as? Int == 148 && $0["headcount_by"] as? String == "Anh Tuấn 0912"
        }
          ?? false
      } != nil)
    // /metrics and the rest are not passed on; plain HTTP is sent to HTTPS.
    #expect(try CheckinEndToEndTests.curl("https://hoinghi.example.vn:\(https)/metrics", extra: resolve).status == 404)
    #expect(try CheckinEndToEndTests.curl("https://hoinghi.example.vn:\(https)/c/\(token)", extra: resolve).status == 404)
    let redirect = try CheckinEndToEndTests.curl(
      "http://hoinghi.example.vn:\(http)/checkin/c/\(token)", extra: ["--resolve", "hoinghi.example.vn:\(http):127.0.0.1"])
    #expect(redirect.status == 301)
  }
}
