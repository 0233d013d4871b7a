import BridgeCore
import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// An interface that is up, not loopback, with an IPv4 address: where Janus offers its ICE candidates.
enum NetworkInterfaces {
  static let machineHasOne: Bool = {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0 else { return false }
    defer { freeifaddrs(list) }
    var entry = list
    while let current = entry {
      let flags = Int32(bitPattern: current.pointee.ifa_flags)
      if let address = current.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
        flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0
      {
        return true
      }
      entry = current.pointee.ifa_next
    }
    return false
  }()
}

/// A site's call quality from a real Janus (Debian's 1.1.2): a WebRTC participant, Debian's Chromium with its fake
/// microphone, joins the AudioBridge room through a relay of the test's that can drop the site's RTP packets; the
/// monitor reads loss, jitter and round trip from Janus's Admin API and judges the call by the documented thresholds
/// (docs/BRIDGES.md "Call quality").
@Suite(
  .serialized,
  .enabled(
    if: NetworkInterfaces.machineHasOne,
    "Janus's ICE (libnice) gathers no loopback candidate: WebRTC to it needs an interface with an IPv4 address other than loopback, and this machine has none"
  )
)
struct JanusWebRTCTests {

  @Test func aWebRTCSitesLossAsJanusCountsItMakesItsCallBadAndGoodAgain() throws {
    try RequiredTool.require("janus", "gst-launch-1.0", "chromium")
    let janus = try JanusUnderTest()
    defer { janus.stop() }
    let relay = try LossyUDPRelay()
    defer { relay.stop() }
    let browser = try WebRTCSite(janus: janus, display: "HB-W1", relay: relay)
    defer { browser.stop() }
    // A plain-RTP site beside it: Janus gives no WebRTC figures for it, so no quality.
    let plain = try janus.join(display: "HB-S2")
    defer { plain.stopMedia() }
    try browser.waitForMedia()

    let metricsPort = freeTCPPort()
    let config = """
      title: Bridge
      status_file: status.json
      metrics: {listen: "127.0.0.1:\(metricsPort)", per_site: true}
      sites:
        - {id: HB-W1, name: W1, group: Hòa Bình, expected: 10}
        - {id: HB-S2, name: S2, group: Hòa Bình, expected: 10}
      bridges:
        - {kind: janus, url: "http://127.0.0.1:\(janus.port)/janus", room: 1234, poll: 1s, admin_url: "http://127.0.0.1:\(janus.adminPort)/admin", credentials_file: janus.secret}
      """
    let monitor = try HeadlessMonitor(config: config, files: ["janus.secret": "admin_secret: \(JanusUnderTest.adminSecret)\n"])
    defer { _ = monitor.stop() }
    func quality(_ json: [String: Any], _ id: String) -> [String: Any]? {
      (monitor.site(id, in: json)?["bridge"] as? [String: Any])?["quality"] as? [String: Any]
    }

    // Nothing dropped: Janus counts no loss (a figure once the monitor has read for 10 s), and the call is good;
    // the plain-RTP site has its audio and no quality.
    let clean = try #require(
      monitor.waitForStatus(seconds: 45) { json in
        quality(json, "HB-W1")?["verdict"] as? String == "good" && quality(json, "HB-W1")?["loss_percent"] is Double
          && (monitor.site("HB-S2", in: json)?["bridge"] as? [String: Any])?["audio_arriving"] as? Bool == true
      }, "\(monitor.log)\n\(browser.log)")
    let cleanQuality = try #require(quality(clean, "HB-W1"))
    #expect(cleanQuality["loss_percent"] as? Double == 0, "\(cleanQuality)")
    #expect(cleanQuality["jitter_ms"] is Double, "Janus measures the jitter of what it receives: \(cleanQuality)")
    let plainQuality = quality(clean, "HB-S2")
    #expect(
      ["verdict", "loss_percent", "jitter_ms", "rtt_ms"].allSatisfy { plainQuality?[$0] is NSNull }, "\(String(describing: plainQuality))")

    // One RTP packet in ten dropped on the way to Janus: 10% loss over the last 10 s, at or above 5%, bad. (A window
    // that began before the dropping gives less: waited past.)
    relay.dropEvery(10)
    let lossy = try #require(
      monitor.waitForStatus(seconds: 45) { json in
        quality(json, "HB-W1")?["verdict"] as? String == "bad"
          && (quality(json, "HB-W1")?["loss_percent"] as? Double).map { (8...12).contains($0) } == true
      }, "\(monitor.log)\nthe relay: \(relay.totals)")
    #expect(lossy["bridges"].flatMap { ($0 as? [String: Any])?["quality"] as? [String: Any] }?["bad"] as? Int == 1)
    // The metrics say the same: the site's loss and one bad call.
    let agreed = eventually(timeout: .seconds(15), every: .milliseconds(200)) { () -> Bool in
      guard let json = monitor.statusFile(), let body = HTTPTestResponse.fetch(port: metricsPort)?.body,
        let inFile = quality(json, "HB-W1")?["loss_percent"] as? Double
      else { return false }
      let series = #"bridgewatch_site_bridge_packet_loss_percent{site="HB-W1",group="Hòa Bình",province="Hòa Bình"}"#
      return metricValue(body, series).map { abs($0 - inFile) < 0.001 } == true
        && metricValue(body, #"bridgewatch_bridge_quality_sites{verdict="bad"}"#) == 1
    }
    #expect(agreed, "\(HTTPTestResponse.fetch(port: metricsPort)?.body ?? "no answer")")

    // Nothing dropped again: the loss is over the last 10 s, not the call's, so the call is good again.
    relay.dropEvery(nil)
    _ = try #require(
      monitor.waitForStatus(seconds: 45) { quality($0, "HB-W1")?["loss_percent"] as? Double == 0 }, "\(monitor.log)")

    // The journal has each change of verdict, as the report reads it.
    monitor.finish()
    let verdicts = try String(contentsOfFile: monitor.directory + "/bridgewatch.journal", encoding: .utf8).split(separator: "\n")
      .compactMap { try? JournalCodec.decode($0).get() }
      .compactMap { record -> String? in
        guard record.site == "HB-W1", case .bridgeQuality(let verdict) = record.kind else { return nil }
        return verdict ?? "none"
      }
    // Good, bad once the dropping began (through degraded while the window straddled it), good again once it ended,
    // and never good in between.
    #expect(verdicts.first == "good" && verdicts.last == "good" && verdicts.contains("bad"), "\(verdicts)")
    let firstBad = verdicts.firstIndex(of: "bad") ?? 0
    let lastBad = verdicts.lastIndex(of: "bad") ?? 0
    #expect(!verdicts[firstBad...lastBad].contains("good"), "\(verdicts)")
  }
}

extension JanusWebRTCTests {
  /// A VideoRoom publisher (Chromium, audio only) read through the Admin API: its audio arriving and its call
  /// quality; frozen with SIGSTOP, its audio stops arriving while it stays in the room; let go on, it arrives again.
  @Test func aVideoRoomPublishersAudioAndQualityAreReadAndItsSilenceSeen() throws {
    try RequiredTool.require("janus", "chromium")
    let janus = try JanusUnderTest(videoRoom: true)
    defer { janus.stop() }
    let browser = try WebRTCSite(janus: janus, display: "HB-V1", plugin: "videoroom")
    defer { browser.stop() }
    try browser.waitForMedia()
    let config = """
      title: Bridge
      status_file: status.json
      sites:
        - {id: HB-V1, name: V1, group: Hòa Bình, expected: 10}
      bridges:
        - {kind: janus, plugin: videoroom, url: "http://127.0.0.1:\(janus.port)/janus", room: 1234, poll: 1s, admin_url: "http://127.0.0.1:\(janus.adminPort)/admin", credentials_file: janus.secret}
      """
    let monitor = try HeadlessMonitor(config: config, files: ["janus.secret": "admin_secret: \(JanusUnderTest.adminSecret)\n"])
    defer { _ = monitor.stop() }
    func bridge(_ json: [String: Any]) -> [String: Any]? { monitor.site("HB-V1", in: json)?["bridge"] as? [String: Any] }
    let sending = try #require(
      monitor.waitForStatus(seconds: 30) { json in
        bridge(json)?["audio_arriving"] as? Bool == true && (bridge(json)?["quality"] as? [String: Any])?["verdict"] as? String == "good"
      }, "\(monitor.log)\n\(browser.log)")
    #expect(bridge(sending)?["state"] as? String == "in")
    browser.pause()
    let frozen = try #require(
      monitor.waitForStatus(seconds: 30) { bridge($0)?["audio_arriving"] as? Bool == false }, "\(monitor.log)")
    #expect(bridge(frozen)?["state"] as? String == "in", "a frozen publisher stays in the room")
    browser.resume()
    _ = try #require(monitor.waitForStatus(seconds: 30) { bridge($0)?["audio_arriving"] as? Bool == true }, "\(monitor.log)")
  }
}

/// A site joining Janus's AudioBridge room (or publishing in a VideoRoom) over WebRTC: Debian's Chromium, headless, with its fake microphone, on the
/// page Tests/Fixtures/browser/janus-webrtc-join.html (Janus's HTTP API: create, attach, join with the offer). With
/// a relay, Janus's candidates in its answer are replaced by the relay's address and the relay is told the first
/// IPv4 one, so the site's media passes through it.
final class WebRTCSite {
  let profile: String
  private let browser: BackgroundProcess

  struct Failure: Error, CustomStringConvertible { var description: String }

  init(janus: JanusUnderTest, display: String, plugin: String = "audiobridge", relay: LossyUDPRelay? = nil) throws {
    profile = try makeScratchDirectory("bw-chromium")
    var query = "janus=http://127.0.0.1:\(janus.port)/janus&room=1234&display=\(display)&plugin=\(plugin)"
    if let relay { query += "&relay=127.0.0.1:\(relay.port)" }
    let page = "file://" + Repository.path("Tests/Fixtures/browser/janus-webrtc-join.html") + "?" + query
    let profile = self.profile
    browser = try withRemoval(of: profile) {
      try BackgroundProcess(
        executable: "/usr/bin/chromium",
        [
          "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--user-data-dir=" + profile,
          // The fake microphone, granted without asking; candidates on every interface, loopback included, as
          // addresses rather than mDNS names (Janus cannot resolve those).
          "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection",
          "--disable-features=WebRtcHideLocalIpsWithMdns", "--enable-logging=stderr", "--v=0", page,
        ],
        // Its temporary files (a folder a run in TMPDIR, left behind when it is killed) in the profile, removed with it.
        environment: ["TMPDIR": profile])
    }
    guard let relay else { return }
    // The page says Janus's candidates before it answers with the relay's: the relay forwards to the first IPv4 one.
    let target = browser.waitFor(seconds: 30) { output -> (String, Int)? in
      guard let line = output.split(separator: "\n").first(where: { $0.contains("BW janus candidates") }) else { return nil }
      for candidate in line.split(separator: "|") {
        let words = candidate.split(separator: " ")
        guard let host = words.firstIndex(of: "udp").map({ words.index($0, offsetBy: 2) }), host + 1 < words.count,
          words[host].contains("."), let port = Int(words[host + 1])
        else { continue }
        return (String(words[host]), port)
      }
      return ("", 0)
    }
    guard let target, target.1 > 0 else {
      stop()
      throw Failure(
        description:
          "Janus offered no IPv4 candidate: it gathers on interfaces other than loopback (libnice leaves loopback out), and this machine has none\n\(log)"
      )
    }
    relay.forward(to: target.0, port: target.1)
  }

  /// What the page said (its lines start with "BW ").
  var log: String { browser.output.split(separator: "\n").filter { $0.contains("\"BW ") }.joined(separator: "\n") }

  /// Waits until Janus says it receives the site's media.
  func waitForMedia() throws {
    guard browser.waitFor(seconds: 30, { $0.contains("BW media up") ? true : nil }) != nil else {
      throw Failure(description: "the WebRTC site's media never came up:\n\(log)")
    }
  }

  /// Freezes Chromium, every process of it (SIGSTOP): its media stops, its session stays.
  func pause() { signalEveryProcess(SIGSTOP) }

  /// Lets it go on (SIGCONT).
  func resume() { signalEveryProcess(SIGCONT) }

  /// Chromium and every process it started, then the profile.
  func stop() {
    signalEveryProcess(SIGKILL)
    killHard(browser)
    try? FileManager.default.removeItem(atPath: profile)
  }

  /// Sends `signal` to every process whose command line names this profile: Chromium and the processes it
  /// started (renderers, the GPU and audio helpers), found in /proc (no pkill needed).
  private func signalEveryProcess(_ signal: Int32) {
    let marker = "--user-data-dir=" + profile
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
      guard let pid = pid_t(entry), pid != getpid(),
        let commandLine = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
      else { continue }
      // Chromium's helpers rewrite their command line as one text (spaces, not NULs, between the arguments).
      if String(decoding: commandLine, as: UTF8.self).contains(marker) { kill(pid, signal) }
    }
  }
}

/// `make`, or the folder at `path` removed when it throws.
func withRemoval<T>(of path: String, _ make: () throws -> T) throws -> T {
  do { return try make() } catch {
    try? FileManager.default.removeItem(atPath: path)
    throw error
  }
}

/// A UDP relay on loopback between a WebRTC site and Janus: what the site sends to `port` goes on to Janus from a
/// socket of the relay's (Janus takes it as the site's peer-reflexive address), Janus's answers come back. While
/// told to, it drops every nth RTP packet the site sends (RFC 7983: a first byte 128 to 191 is RTP or RTCP, and a
/// second byte of 192 to 223 is RTCP, multiplexed; STUN and DTLS pass untouched).
final class LossyUDPRelay: Sendable {
  let port: Int
  private let siteSide: Int32
  private let janusSide: Int32
  private let state = Mutex(State())
  private let running = Atomic<Bool>(true)
  private let finished = DispatchSemaphore(value: 0)

  struct State {
    var target: sockaddr_in?
    var site: sockaddr_in?
    var dropEvery: Int?
    var totals = Totals()
  }

  struct Totals: CustomStringConvertible {
    var rtp = 0
    var dropped = 0
    var description: String { "\(dropped) of \(rtp) RTP packets dropped" }
  }

  init() throws {
    let siteSide = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    let janusSide = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    self.siteSide = siteSide
    self.janusSide = janusSide
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(siteSide, $0, length) == 0 && getsockname(siteSide, $0, &length) == 0 }
    }
    guard siteSide >= 0, janusSide >= 0, bound else {
      let problem = errno
      if siteSide >= 0 { close(siteSide) }
      if janusSide >= 0 { close(janusSide) }
      throw WebRTCSite.Failure(description: "the relay cannot bind: \(problem)")
    }
    port = Int(UInt16(bigEndian: address.sin_port))
    let thread = Thread { [self] in relay() }
    thread.name = "webrtc-relay"
    thread.start()
  }

  func forward(to host: String, port: Int) {
    var target = sockaddr_in()
    target.sin_family = sa_family_t(AF_INET)
    target.sin_addr.s_addr = inet_addr(host)
    target.sin_port = UInt16(port).bigEndian
    state.withLock { $0.target = target }
  }

  /// Drops every `n`th RTP packet from the site from now on; nil: none.
  func dropEvery(_ n: Int?) { state.withLock { $0.dropEvery = n } }

  var totals: Totals { state.withLock { $0.totals } }

  func stop() {
    guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
    finished.wait()
    close(siteSide)
    close(janusSide)
  }

  private func relay() {
    defer { finished.signal() }
    var buffer = [UInt8](repeating: 0, count: 65_536)
    var descriptors = [pollfd(fd: siteSide, events: Int16(POLLIN), revents: 0), pollfd(fd: janusSide, events: Int16(POLLIN), revents: 0)]
    while running.load(ordering: .acquiring) {
      guard poll(&descriptors, 2, 100) > 0 else { continue }
      if descriptors[0].revents != 0 {
        var from = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = withUnsafeMutablePointer(to: &from) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(siteSide, &buffer, buffer.count, 0, $0, &length) }
        }
        if count > 0, var target = passes(Array(buffer[0..<count]), from: from) {
          _ = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
              sendto(janusSide, buffer, count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
          }
        }
      }
      if descriptors[1].revents != 0 {
        let count = recv(janusSide, &buffer, buffer.count, 0)
        if count > 0, var site = state.withLock({ $0.site }) {
          _ = withUnsafePointer(to: &site) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
              sendto(siteSide, buffer, count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
          }
        }
      }
    }
  }

  /// Where a packet from the site goes (Janus), or nil when it is dropped or there is nowhere yet.
  private func passes(_ packet: [UInt8], from: sockaddr_in) -> sockaddr_in? {
    state.withLock { state in
      state.site = from
      guard let target = state.target else { return nil }
      let isRTP = packet.count >= 2 && (128...191).contains(packet[0]) && !(192...223).contains(packet[1])
      guard isRTP else { return target }
      state.totals.rtp += 1
      if let every = state.dropEvery, state.totals.rtp % every == 0 {
        state.totals.dropped += 1
        return nil
      }
      return target
    }
  }
}
