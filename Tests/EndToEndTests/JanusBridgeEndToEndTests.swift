import BridgeCore
import BridgeMonitor
import Foundation
import Glibc
import TestSupport
import Testing

/// The conference bridge input against a real Janus (Debian's `janus`, 1.1.2 here) on loopback, with sites joined
/// as plain-RTP participants of an AudioBridge room and their Opus streams sent by GStreamer (issue 32).
@Suite(.serialized) struct JanusBridgeEndToEndTests {
  @Test func theBridgeRosterAndTheAgentsAgreeOrDisagreeVisibly() throws {
    try RequiredTool.require("janus", "gst-launch-1.0", "promtool")
    let janus = try JanusUnderTest()
    defer { janus.stop() }
    // S1 joins under its bridge_name, sent decomposed (NFD) as another client might; S2, S3 plainly; a guest that
    // is no site; S4 never joins.
    let s1 = try janus.join(display: "Ti\u{309}nh u\u{309}y Ho\u{300}a Bi\u{300}nh")
    let s2 = try janus.join(display: "HB-S2")
    let s3 = try janus.join(display: "HB-S3")
    _ = try janus.join(display: "Khách", sendMedia: false)
    defer { for site in [s1, s2, s3] { site.stopMedia() } }

    let metricsPort = freeTCPPort()
    let config = """
      title: Bridge
      timing: {interval: 1s, late_after: 2s, offline_after: 3s}
      status_file: status.json
      metrics: {listen: "127.0.0.1:\(metricsPort)"}
      sites:
        - {id: HB-S1, name: Tỉnh ủy, group: Hòa Bình, expected: 10, bridge_name: "Tỉnh ủy Hòa Bình"}
        - {id: HB-S2, name: S2, group: Hòa Bình, expected: 10}
        - {id: HB-S3, name: S3, group: Hòa Bình, expected: 10}
        - {id: HB-S4, name: S4, group: Hòa Bình, expected: 10}
      bridges:
        - {kind: janus, url: "http://127.0.0.1:\(janus.port)/janus", room: 1234, poll: 1s, admin_url: "http://127.0.0.1:\(janus.adminPort)/admin", credentials_file: janus.secret}
      """
    let monitor = try HeadlessMonitor(config: config, files: ["janus.secret": "admin_secret: \(JanusUnderTest.adminSecret)\n"])
    defer { _ = monitor.stop() }
    var agents: [String: BackgroundProcess] = [:]
    for id in ["HB-S1", "HB-S2", "HB-S3", "HB-S4"] {
      agents[id] = try BackgroundProcess(["agent", "--site", id, "--monitor", "127.0.0.1:\(monitor.port)", "--interval", "300ms"])
    }
    defer { for agent in agents.values { _ = agent.stop() } }

    func bridge(_ json: [String: Any], _ id: String) -> [String: Any]? { monitor.site(id, in: json)?["bridge"] as? [String: Any] }
    func summary(_ json: [String: Any]) -> [String: Any] { json["bridges"] as? [String: Any] ?? [:] }
    func state(_ json: [String: Any], _ id: String) -> String? { bridge(json, id)?["state"] as? String }
    func disagreement(_ json: [String: Any], _ id: String) -> String? { bridge(json, id)?["disagreement"] as? String }

    // Joined sites are in; the one that never joined, with its agent alive, is the second disagreement.
    let joined = try #require(
      monitor.waitForStatus(seconds: 30) { json in
        ["HB-S1", "HB-S2", "HB-S3"].allSatisfy { state(json, $0) == "in" } && disagreement(json, "HB-S4") == "agent_alive_not_in_bridge"
          && ["HB-S1", "HB-S2", "HB-S3"].allSatisfy { monitor.site($0, in: json)?["status"] as? String == "online" }
      }, "\(monitor.log)\n\(janus.log)")
    #expect(summary(joined)["in_bridge"] as? Int == 3)
    #expect(summary(joined)["agent_alive_not_in_bridge"] as? Int == 1)
    #expect(summary(joined)["in_bridge_agent_silent"] as? Int == 0)
    #expect(summary(joined)["unmatched"] as? Int == 1)
    let poll = try #require((summary(joined)["polls"] as? [[String: Any]])?.first)
    #expect(poll["unmatched_names"] as? [String] == ["Khách"])
    #expect(poll["participants"] as? Int == 4)
    #expect(bridge(joined, "HB-S1")?["muted"] as? Bool == false)

    // Each site's audio, as Janus's Admin API says it: arriving from the three senders; S1's sender frozen
    // (SIGSTOP), its audio stops arriving while it stays in the room; let go on (SIGCONT), it arrives again.
    func audio(_ json: [String: Any], _ id: String) -> Bool? { bridge(json, id)?["audio_arriving"] as? Bool }
    _ = try #require(
      monitor.waitForStatus(seconds: 30) { json in ["HB-S1", "HB-S2", "HB-S3"].allSatisfy { audio(json, $0) == true } },
      "\(monitor.log)")
    s1.pauseMedia()
    let frozen = try #require(monitor.waitForStatus(seconds: 30) { audio($0, "HB-S1") == false }, "\(monitor.log)")
    #expect(state(frozen, "HB-S1") == "in")
    #expect(audio(frozen, "HB-S2") == true && audio(frozen, "HB-S3") == true)
    try expectMetrics(port: metricsPort, agreeWith: monitor)
    s1.resumeMedia()
    _ = try #require(monitor.waitForStatus(seconds: 30) { audio($0, "HB-S1") == true }, "\(monitor.log)")
    try expectMetrics(port: metricsPort, agreeWith: monitor)
    // The bridge's series are valid exposition.
    let exposition = try #require(HTTPTestResponse.fetch(port: metricsPort)?.body)
    #expect(exposition.contains("bridgewatch_bridge_participants{bridge=\"janus audiobridge room 1234 at 127.0.0.1:\(janus.port)\"} 4"))
    let promtool = try runTool("promtool", ["check", "metrics"], input: exposition)
    #expect(promtool.status == 0, "\(promtool.output)")

    // S3's agent stops while its RTP stream stays: in the bridge, agent silent.
    _ = agents["HB-S3"]!.stop()
    let silent = try #require(
      monitor.waitForStatus(seconds: 30) { disagreement($0, "HB-S3") == "in_bridge_agent_silent" }, "\(monitor.log)")
    #expect(state(silent, "HB-S3") == "in")
    #expect(summary(silent)["in_bridge_agent_silent"] as? Int == 1)
    try expectMetrics(port: metricsPort, agreeWith: monitor)

    // S2 is kicked: out at the next poll, and alive by its agent.
    try janus.kick(s2)
    let kicked = try #require(
      monitor.waitForStatus(seconds: 30) { state($0, "HB-S2") == "out" }, "\(monitor.log)")
    #expect(disagreement(kicked, "HB-S2") == "agent_alive_not_in_bridge")
    #expect(state(kicked, "HB-S1") == "in")

    // The monitor restarts (on the same port, its agents go on): S1 is still in the room, and keeps when it joined
    // as the journal says (stamped by the tick after the poll that saw it, within a second of it); no new join.
    let s1Since = try #require(bridge(kicked, "HB-S1")?["since"] as? Double)
    monitor.finish()
    try FileManager.default.removeItem(atPath: monitor.directory + "/status.json")
    let again = try HeadlessMonitor(config: config, listen: "127.0.0.1:\(monitor.port)", directory: monitor.directory)
    defer { _ = again.stop() }
    let resumed = try #require(
      again.waitForStatus(seconds: 30) { json in
        state(json, "HB-S1") == "in" && state(json, "HB-S3") == "in" && state(json, "HB-S2") == "out"
      }, "\(again.log)")
    let restoredSince = try #require(bridge(resumed, "HB-S1")?["since"] as? Double)
    #expect(restoredSince >= s1Since && restoredSince - s1Since <= 1.5, "\(restoredSince) against \(s1Since)")
    #expect(again.log.contains("sites were in the conference bridge when it ended"), "\(again.log)")

    // Janus restarts: its room is empty, the monitor's session is gone, a new one is made and the roster re-read.
    try janus.restart()
    let restarted = try #require(
      again.waitForStatus(seconds: 40) { json in
        let poll = (summary(json)["polls"] as? [[String: Any]])?.first
        return (poll?["sessions_renewed"] as? Int ?? 0) >= 1 && poll?["problem"] is NSNull
          && ["HB-S1", "HB-S2", "HB-S3", "HB-S4"].allSatisfy { state(json, $0) == "out" }
      }, "\(again.log)\n\(janus.log)")
    #expect(summary(restarted)["in_bridge"] as? Int == 0)
    #expect(summary(restarted)["agent_alive_not_in_bridge"] as? Int == 3)
    #expect(summary(restarted)["in_bridge_agent_silent"] as? Int == 0)
    try expectMetrics(port: metricsPort, agreeWith: again)

    // The journal has each join and leave with source bridge (none again at the monitor's restart), and the reader
    // reads what the writer wrote.
    again.finish()
    let lines = try String(contentsOfFile: monitor.directory + "/bridgewatch.journal", encoding: .utf8).split(separator: "\n")
    let bridgeRecords = lines.compactMap { try? JournalCodec.decode($0).get() }.filter {
      if case .bridge = $0.kind { return true }
      return false
    }
    let sequence = bridgeRecords.map { "\($0.site ?? "")=\($0.kind == .bridge(inBridge: true) ? "in" : "out")" }
    #expect(Array(sequence.prefix(3)).sorted() == ["HB-S1=in", "HB-S2=in", "HB-S3=in"])
    #expect(Array(sequence.dropFirst(3)) == ["HB-S2=out", "HB-S1=out", "HB-S3=out"])
    #expect(lines.filter { $0.contains("\"type\":\"bridge\"") }.allSatisfy { $0.contains("\"source\":\"bridge\"") })
    // And each disagreement as the monitor saw it, for the report: S4 alive out of the bridge from the start, S3 in
    // it with its agent silent once its agent stopped, S2 alive once kicked.
    let disagreements = lines.compactMap { try? JournalCodec.decode($0).get() }.compactMap { record -> String? in
      guard case .bridgeDisagreement(let word) = record.kind else { return nil }
      return "\(record.site ?? "")=\(word ?? "none")"
    }
    for expected in ["HB-S4=agent_alive_not_in_bridge", "HB-S3=in_bridge_agent_silent", "HB-S2=agent_alive_not_in_bridge"] {
      #expect(disagreements.contains(expected), "\(disagreements)")
    }
  }

  /// A wrong admin secret: the roster is still read and the site in, its audio unknown (null, not "not arriving"),
  /// and the log says once why the Admin API was not read.
  @Test func aRefusedAdminAPILeavesTheRosterReadAndTheAudioUnknown() throws {
    try RequiredTool.require("janus", "gst-launch-1.0")
    let janus = try JanusUnderTest()
    defer { janus.stop() }
    let site = try janus.join(display: "HB-S1")
    defer { site.stopMedia() }
    let config = """
      title: Bridge
      status_file: status.json
      sites:
        - {id: HB-S1, name: S1, group: Hòa Bình, expected: 10}
      bridges:
        - {kind: janus, url: "http://127.0.0.1:\(janus.port)/janus", room: 1234, poll: 1s, admin_url: "http://127.0.0.1:\(janus.adminPort)/admin", credentials_file: janus.secret}
      """
    let monitor = try HeadlessMonitor(config: config, files: ["janus.secret": "admin_secret: not-the-secret\n"])
    defer { _ = monitor.stop() }
    let read = try #require(
      monitor.waitForStatus(seconds: 30) { json in
        (monitor.site("HB-S1", in: json)?["bridge"] as? [String: Any])?["state"] as? String == "in"
          && monitor.log.contains("cannot read the audio from Janus's Admin API")
      }, "\(monitor.log)")
    let bridge = monitor.site("HB-S1", in: read)?["bridge"] as? [String: Any]
    #expect(bridge?["audio_arriving"] is NSNull, "\(String(describing: bridge))")
    #expect(monitor.log.contains("Janus error 403"), "\(monitor.log)")
    let poll = ((read["bridges"] as? [String: Any])?["polls"] as? [[String: Any]])?.first
    #expect((poll?["audio_problem"] as? String)?.hasPrefix("Janus error 403") == true, "\(String(describing: poll))")
    #expect(poll?["problem"] is NSNull)
  }

  /// The metrics say what the status file says: sites in the bridge, each disagreement and each site's audio. A
  /// scrape renders the latest snapshot and the status file may be a tick older or newer, and the audio is read on
  /// its own, so both are read again until they agree.
  func expectMetrics(port: Int, agreeWith monitor: HeadlessMonitor) throws {
    var last = ""
    let agreed = eventually(timeout: .seconds(15), every: .milliseconds(200)) { () -> Bool in
      guard let json = monitor.statusFile(), let body = HTTPTestResponse.fetch(port: port)?.body else { return false }
      let summary = json["bridges"] as? [String: Any] ?? [:]
      let audio = ((json["sites"] as? [[String: Any]]) ?? []).compactMap { ($0["bridge"] as? [String: Any])?["audio_arriving"] as? Bool }
      last = "status file: \(summary), audio \(audio)\nmetrics: \(body)"
      return metricValue(body, "bridgewatch_bridge_sites_in") == Double(summary["in_bridge"] as? Int ?? -1)
        && metricValue(body, #"bridgewatch_bridge_disagreements{kind="in_bridge_agent_silent"}"#)
          == Double(summary["in_bridge_agent_silent"] as? Int ?? -1)
        && metricValue(body, #"bridgewatch_bridge_disagreements{kind="agent_alive_not_in_bridge"}"#)
          == Double(summary["agent_alive_not_in_bridge"] as? Int ?? -1)
        && metricValue(body, #"bridgewatch_bridge_audio_sites{audio="arriving"}"#) == Double(audio.filter { $0 }.count)
        && metricValue(body, #"bridgewatch_bridge_audio_sites{audio="not_arriving"}"#) == Double(audio.filter { !$0 }.count)
    }
    #expect(agreed, "metrics and status file disagree: \(last)")
  }

  @Test func anUnknownBridgeKindIsRefusedInTheOperatorsLanguage() throws {
    let folder = try makeScratchDirectory("bw-bridge-check")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try """
    sites:
      - {id: A, name: A, group: G, expected: 1}
    bridges:
      - {kind: poly, url: "http://10.0.0.1/api", room: 1}
    """.write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
    let vietnamese = try Binary.run(["check", folder + "/c.yaml"], environment: ["LANG": "vi_VN.UTF-8", "LC_ALL": ""])
    #expect(vietnamese.status != 0)
    #expect(vietnamese.stderr.contains("\(folder)/c.yaml:4: error: loại cầu 'poly' không rõ"), "\(vietnamese.stderr)")
    let english = try Binary.run(["check", folder + "/c.yaml"], environment: ["LANG": "C.UTF-8", "LC_ALL": ""])
    #expect(english.stderr.contains("\(folder)/c.yaml:4: error: unknown bridge kind 'poly'"), "\(english.stderr)")
    // A Janus bridge passes, and the summary names it.
    try """
    sites:
      - {id: A, name: A, group: G, expected: 1}
    bridges:
      - {kind: janus, url: "http://127.0.0.1:8088/janus", room: 1234, poll: 2s}
    """.write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
    let janus = try Binary.run(["check", folder + "/c.yaml"], environment: ["LANG": "C.UTF-8", "LC_ALL": ""])
    #expect(janus.status == 0, "\(janus.stderr)")
    #expect(janus.stdout.contains("bridge: janus audiobridge room 1234 at 127.0.0.1:8088, roster read every 2s"), "\(janus.stdout)")
  }
}

/// Janus from Debian, started with a config folder of the test's own: the HTTP transport on a free loopback port,
/// the AudioBridge plugin alone with room 1234 taking plain-RTP participants, no session timeout (the test's
/// participants send no keepalives).
final class JanusUnderTest: @unchecked Sendable {
  struct Failure: Error, CustomStringConvertible { var description: String }

  /// A participant the test joined: its Janus session and handle, its id in the room, its GStreamer sender.
  final class Participant: @unchecked Sendable {
    let session: UInt64
    let handle: UInt64
    let id: UInt64
    var sender: BackgroundProcess?
    init(session: UInt64, handle: UInt64, id: UInt64) {
      self.session = session
      self.handle = handle
      self.id = id
    }
    func stopMedia() { sender.map(killHard) }
    /// The sender frozen (SIGSTOP) or let go on (SIGCONT): its stream stops and resumes, its process stays.
    func pauseMedia() { sender.map { _ = kill($0.process.processIdentifier, SIGSTOP) } }
    func resumeMedia() { sender.map { _ = kill($0.process.processIdentifier, SIGCONT) } }
  }

  let folder: String
  let port: Int
  /// Janus's Admin API (`admin_url`), with `adminSecret`.
  let adminPort: Int
  static let adminSecret = "bw-admin-test"
  /// Janus's own log, written to a file when its event handler is on (`-N` keeps it off standard output).
  let logFile: String?
  private var process: BackgroundProcess?
  private var logs: [String] = []
  private let http = BoundedHTTPClient(timeout: .seconds(10), maximumResponseBytes: 1 << 20)

  /// `eventsBackend`: where Janus's sample event handler posts its events (`backend`), grouped, plugin, session
  /// and core events only; nil: event handlers off. `videoRoom`: the VideoRoom plugin too, with room 1234.
  init(eventsBackend: String? = nil, videoRoom: Bool = false) throws {
    folder = try makeScratchDirectory("bw-janus")
    port = freeTCPPort()
    adminPort = freeTCPPort()
    logFile = eventsBackend == nil ? nil : folder + "/janus.log"
    try """
    general: {
      configs_folder = "\(folder)"
      plugins_folder = "\(Self.installedFolder("plugins"))"
      transports_folder = "\(Self.installedFolder("transports"))"
      events_folder = "\(Self.installedFolder("events"))"
      loggers_folder = "\(Self.installedFolder("loggers"))"
      debug_level = 4
      session_timeout = 0
      admin_secret = "\(Self.adminSecret)"
    }
    nat: { ice_ignore_list = "vmnet" }
    plugins: {
      disable = "libjanus_voicemail.so,libjanus_recordplay.so,libjanus_streaming.so,libjanus_sip.so,libjanus_nosip.so,libjanus_videocall.so,\(videoRoom ? "" : "libjanus_videoroom.so,")libjanus_textroom.so,libjanus_echotest.so,libjanus_duktape.so,libjanus_lua.so"
    }
    transports: { disable = "libjanus_websockets.so,libjanus_pfunix.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_rabbitmq.so" }
    loggers: { disable = "libjanus_jsonlog.so" }
    events: { \(eventsBackend == nil ? "broadcast = false" : "broadcast = true, disable = \"\(Self.otherEventHandlers)\"") }
    """.write(toFile: folder + "/janus.jcfg", atomically: true, encoding: .utf8)
    if let eventsBackend {
      // As conf/janus.eventhandler.sampleevh.jcfg.sample documents it.
      try """
      general: {
        enabled = true
        events = "sessions,plugins,core"
        grouping = true
        json = "compact"
        backend = "\(eventsBackend)"
      }
      """.write(toFile: folder + "/janus.eventhandler.sampleevh.jcfg", atomically: true, encoding: .utf8)
    }
    try """
    general: { json = "compact", base_path = "/janus", http = true, port = \(port), ip = "127.0.0.1", https = false }
    admin: { admin_http = true, admin_base_path = "/admin", admin_port = \(adminPort), admin_ip = "127.0.0.1", admin_https = false }
    """.write(toFile: folder + "/janus.transport.http.jcfg", atomically: true, encoding: .utf8)
    try """
    general: { }
    room-1234: { description = "BridgeWatch test", sampling_rate = 48000, allow_rtp_participants = true }
    """.write(toFile: folder + "/janus.plugin.audiobridge.jcfg", atomically: true, encoding: .utf8)
    if videoRoom {
      try """
      general: { }
      room-1234: { description = "BridgeWatch test", publishers = 100 }
      """.write(toFile: folder + "/janus.plugin.videoroom.jcfg", atomically: true, encoding: .utf8)
    }
    try start()
  }

  /// The event handlers Debian ships beside the sample one: off, each would want a broker or a server.
  static let otherEventHandlers = "libjanus_gelfevh.so,libjanus_mqttevh.so,libjanus_nanomsgevh.so,libjanus_rabbitmqevh.so,libjanus_wsevh.so"

  /// Where Debian's package put Janus's modules (the folder names an architecture), as its sample config says.
  static func installedFolder(_ kind: String) -> String {
    let sample = (try? String(contentsOfFile: "/etc/janus/janus.jcfg", encoding: .utf8)) ?? ""
    for line in sample.split(separator: "\n")
    where line.contains("\(kind)_folder") && !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
      let parts = line.split(separator: "\"")
      if parts.count >= 2 { return String(parts[1]) }
    }
    return "/usr/lib/x86_64-linux-gnu/janus/\(kind)"
  }

  var log: String { (logs + [process?.output ?? ""]).joined(separator: "\n--- restarted ---\n") }

  private func start() throws {
    let janus = try BackgroundProcess(
      executable: "/usr/bin/janus", ["-F", folder, "-C", folder + "/janus.jcfg", "-N"] + (logFile.map { ["-L", $0, "-o"] } ?? []))
    process = janus
    let answered = eventually(timeout: .seconds(30), every: .milliseconds(100)) {
      (try? http.get(host: "127.0.0.1", port: port, path: "/janus/info"))?.status == 200
    }
    guard answered else { throw Failure(description: "janus did not answer on port \(port):\n\(janus.output)") }
  }

  /// Killed and started again on the same port, as after a crash: every session and participant is gone.
  func restart() throws {
    if let process {
      killHard(process)
      logs.append(process.output)
    }
    try start()
  }

  func stop() {
    process.map(killHard)
    try? FileManager.default.removeItem(atPath: folder)
  }

  private func call(_ path: String, _ body: [String: Any]) throws -> [String: Any] {
    var body = body
    body["transaction"] = UUID().uuidString
    let answer = try http.post(host: "127.0.0.1", port: port, path: path, body: Array(try JSONSerialization.data(withJSONObject: body)))
    guard let object = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any] else {
      throw Failure(description: "janus answered \(String(decoding: answer.body, as: UTF8.self))")
    }
    return object
  }

  private func id(_ object: [String: Any]) throws -> UInt64 {
    guard let id = ((object["data"] as? [String: Any])?["id"] as? NSNumber)?.uint64Value else {
      throw Failure(description: "no id in \(object)")
    }
    return id
  }

  /// Joins room 1234 as `display` with plain RTP (AudioBridge `join` with an `rtp` object), then, unless told not
  /// to, sends it a live Opus stream with GStreamer to the address and port Janus answered. The stream leaves from the
  /// address and port the join gave Janus: Janus connects its RTP socket to them, so the kernel drops anything else.
  func join(display: String, sendMedia: Bool = true) throws -> Participant {
    let source = freeUDPPort()
    let session = try id(try call("/janus", ["janus": "create"]))
    let handle = try id(try call("/janus/\(session)", ["janus": "attach", "plugin": "janus.plugin.audiobridge"]))
    _ = try call(
      "/janus/\(session)/\(handle)",
      [
        "janus": "message",
        "body": [
          "request": "join", "room": 1234, "display": display, "muted": false,
          "rtp": ["ip": "127.0.0.1", "port": source, "payload_type": 111],
        ],
      ])
    let (data, participant) = try joinAnswer(session: session, plugin: "audiobridge", display: display)
    let joined = Participant(session: session, handle: handle, id: participant)
    if sendMedia, let rtp = data["rtp"] as? [String: Any], let ip = rtp["ip"] as? String, let rtpPort = (rtp["port"] as? NSNumber)?.intValue
    {
      joined.sender = try BackgroundProcess(
        executable: "/usr/bin/gst-launch-1.0",
        [
          "-q", "audiotestsrc", "is-live=true", "wave=sine", "!", "audioconvert", "!", "audioresample", "!", "opusenc", "!",
          "rtpopuspay", "pt=111", "!", "udpsink", "host=\(ip)", "port=\(rtpPort)", "bind-address=127.0.0.1", "bind-port=\(source)",
        ])
    }
    return joined
  }

  /// Joins VideoRoom room 1234 as a publisher named `display`, without media (a publisher is in the room, and in
  /// its `listparticipants`, from its join; publishing would need WebRTC).
  func joinVideoRoom(display: String) throws -> Participant {
    let session = try id(try call("/janus", ["janus": "create"]))
    let handle = try id(try call("/janus/\(session)", ["janus": "attach", "plugin": "janus.plugin.videoroom"]))
    _ = try call(
      "/janus/\(session)/\(handle)",
      ["janus": "message", "body": ["request": "join", "ptype": "publisher", "room": 1234, "display": display]])
    let (_, participant) = try joinAnswer(session: session, plugin: "videoroom", display: display)
    return Participant(session: session, handle: handle, id: participant)
  }

  /// A join is asynchronous: its answer is the session's next event, the plugin's data saying `joined` with the
  /// participant's id.
  private func joinAnswer(session: UInt64, plugin: String, display: String) throws -> (data: [String: Any], id: UInt64) {
    let events = try http.get(host: "127.0.0.1", port: port, path: "/janus/\(session)?maxev=1")
    let parsed = try JSONSerialization.jsonObject(with: Data(events.body))
    let event = (parsed as? [[String: Any]])?.first ?? (parsed as? [String: Any]) ?? [:]
    guard let data = (event["plugindata"] as? [String: Any])?["data"] as? [String: Any], data[plugin] as? String == "joined",
      let participant = (data["id"] as? NSNumber)?.uint64Value
    else { throw Failure(description: "join of \(display) answered \(String(decoding: events.body, as: UTF8.self))") }
    return (data, participant)
  }

  /// VideoRoom `leave` by the participant itself.
  func leaveVideoRoom(_ participant: Participant) throws {
    _ = try call("/janus/\(participant.session)/\(participant.handle)", ["janus": "message", "body": ["request": "leave"]])
  }

  /// The plugin's `kick` (the room has no secret), asked on the participant's own handle: `audiobridge` or
  /// `videoroom`.
  func kick(_ participant: Participant, plugin: String = "audiobridge") throws {
    let answer = try call(
      "/janus/\(participant.session)/\(participant.handle)",
      ["janus": "message", "body": ["request": "kick", "room": 1234, "id": participant.id]])
    let data = (answer["plugindata"] as? [String: Any])?["data"] as? [String: Any]
    guard data?[plugin] as? String == "success" else { throw Failure(description: "kick answered \(answer)") }
  }
}

/// SIGKILL and wait. Janus and gst-launch keep the signal mask they inherit, and the test process blocks SIGTERM and
/// SIGINT in its threads (a child started here had SIGTERM pending and never acted on it): only SIGKILL stops them.
func killHard(_ child: BackgroundProcess) {
  guard child.process.isRunning else { return }
  kill(child.process.processIdentifier, SIGKILL)
  child.process.waitUntilExit()
}
