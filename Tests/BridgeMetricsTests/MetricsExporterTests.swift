import BridgeCore
import BridgeMetrics
import BridgeMonitor
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

func metricsConfig(
  sites: [(id: String, group: String, expected: Int)], directory: String = "/nonexistent", perSite: Bool = false
) -> ConferenceConfig {
  var config = ConferenceConfig(
    sites: sites.map { site in
      SiteConfig(
        id: site.id, name: "Điểm \(site.id)", group: GroupPath.parse(site.group)!, expected: site.expected,
        heartbeatFile: directory + "/heartbeats/\(site.id).hb")
    }, baseDirectory: directory, path: directory + "/test.yaml")
  config.udp.host = "127.0.0.1"
  config.udp.port = 0
  config.metrics.listen = ("127.0.0.1", 0)
  config.metrics.perSite = perSite
  return config
}

let hoaBinhSites: [(id: String, group: String, expected: Int)] = [
  ("HB-TU", "Hòa Bình", 150), ("HB-DB-HU", "Hòa Bình / Đà Bắc", 119), ("HB-DB-TULY", "Hòa Bình / Đà Bắc", 49),
  ("SL-TU", "Sơn La", 200),
]

/// The labels of the whole conference's series and of one district's.
private let conference = #"group="",province="",depth="0""#
private let daBac = #"group="Hòa Bình / Đà Bắc",province="Hòa Bình",depth="2""#

@Suite struct MetricsExporterTests {
  @Test func everySeriesIsThereFromTheStartWithTheConfigsFigures() {
    let exporter = MetricsExporter(config: metricsConfig(sites: hoaBinhSites), startUnixSeconds: 1_795_000_000)
    let text = exporter.renderText()
    // Groups: the conference, Hòa Bình, Hòa Bình / Đà Bắc, Sơn La.
    #expect(metricValue(text, "bridgewatch_sites{\(conference),status=\"unknown\"}") == 4)
    #expect(metricValue(text, "bridgewatch_sites{\(conference),status=\"online\"}") == 0)
    #expect(metricValue(text, "bridgewatch_sites{\(daBac),status=\"unknown\"}") == 2)
    #expect(metricValue(text, "bridgewatch_sites{\(daBac),status=\"offline\"}") == 0)
    #expect(metricValue(text, "bridgewatch_headcount_expected{\(conference)}") == 518)
    #expect(metricValue(text, #"bridgewatch_headcount_expected{group="Hòa Bình",province="Hòa Bình",depth="1"}"#) == 318)
    #expect(metricValue(text, "bridgewatch_headcount_reported{\(daBac)}") == 0)
    #expect(metricValue(text, "bridgewatch_unacknowledged_alerts{\(daBac)}") == 0)
    #expect(metricValue(text, "bridgewatch_help_requests{\(daBac)}") == 0)
    for reason in RejectionReason.allCases {
      #expect(metricValue(text, "bridgewatch_datagrams_rejected_total{reason=\"\(reason.rawValue)\"}") == 0)
    }
    for action in OperatorActionKind.allCases {
      #expect(metricValue(text, "bridgewatch_operator_actions_total{action=\"\(action.metricLabel)\"}") == 0)
    }
    #expect(metricValue(text, #"bridgewatch_heartbeats_accepted_total{source="udp"}"#) == 0)
    #expect(metricValue(text, #"bridgewatch_heartbeats_accepted_total{source="file"}"#) == 0)
    #expect(metricValue(text, "bridgewatch_journal_write_failures_total") == 0)
    #expect(metricValue(text, "bridgewatch_start_time_seconds") == 1_795_000_000)
    #expect(metricValue(text, "bridgewatch_build_info{version=\"\(BuildInfo.version)\"}") == 1)
    #expect(metricValue(text, "bridgewatch_tick_duration_seconds_count") == 0)
    #expect(!text.contains("bridgewatch_site_up"))
    // 4 groups × (5 statuses + 5 figures), 3 + 1 + 7 + 1 + 1 + 2 + 6 + 1 + 2 + 4 counters, 9 gauges, 2 histograms.
    let histogramLines = (MetricsExporter.tickBuckets.count + 3) + (MetricsExporter.syncBuckets.count + 3)
    #expect(seriesCount(text) == 4 * 10 + 28 + 9 + histogramLines)
    // A monitor alone: not a standby, never replaced.
    for name in [
      "bridgewatch_standby", "bridgewatch_primary_silent", "bridgewatch_primary_last_contact_timestamp_seconds", "bridgewatch_replaced",
    ] {
      #expect(metricValue(text, name) == 0, "\(name)")
    }
  }

  @Test func perSiteSeriesOnlyWhenAskedAndNeverWithOperatorText() async throws {
    let config = metricsConfig(sites: hoaBinhSites, perSite: true)
    let exporter = MetricsExporter(config: config, startUnixSeconds: 0)
    let text = exporter.renderText()
    let site = #"site="HB-DB-TULY",group="Hòa Bình / Đà Bắc",province="Hòa Bình""#
    #expect(metricValue(text, "bridgewatch_site_up{\(site)}") == 0)
    #expect(metricValue(text, "bridgewatch_site_last_heard_timestamp_seconds{\(site)}") == 0)
    #expect(metricValue(text, "bridgewatch_site_headcount{\(site)}") == 0)
    #expect(metricValue(text, "bridgewatch_site_unacknowledged_alert{\(site)}") == 0)
    #expect(text.components(separatedBy: "bridgewatch_site_up{").count - 1 == hoaBinhSites.count)
  }

  @Test func hostileGroupNamesAreEscapedAsTheFormatSays() {
    let config = metricsConfig(sites: [("X-1", #"Tỉnh "A\B" / Huyện 1"#, 10)])
    let text = MetricsExporter(config: config, startUnixSeconds: 0).renderText()
    #expect(
      metricValue(text, #"bridgewatch_headcount_expected{group="Tỉnh \"A\\B\" / Huyện 1",province="Tỉnh \"A\\B\"",depth="2"}"#)
        == 10)
  }

  /// A standby says so, then that its primary is silent, then (promoted) that it is a standby no more; a primary
  /// that learns it was replaced says that.
  @Test func theRoleOfAMonitorInAPairIsExported() async throws {
    let directory = try makeMetricsScratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let config = metricsConfig(sites: hoaBinhSites, directory: directory, perSite: false)
    let clock = ManualClock(unixSeconds: 1_795_000_000)
    let exporter = MetricsExporter(config: config, startUnixSeconds: clock.now().unixSeconds)
    let monitor = exportedMonitor(config, clock: clock, exporter: exporter)
    monitor.becomeStandby(following: "/run/bridgewatch/primary.sock", silentAfter: .seconds(10))
    _ = try await monitor.start()
    try await stopping(monitor.stop) { () async throws in
      clock.advance(by: .seconds(2))
      monitor.notePrimaryContact()
      try await monitor.tickNow()
      var text = exporter.renderText()
      #expect(metricValue(text, "bridgewatch_standby") == 1)
      #expect(metricValue(text, "bridgewatch_primary_silent") == 0)
      #expect(metricValue(text, "bridgewatch_primary_last_contact_timestamp_seconds") == 1_795_000_002)
      clock.advance(by: .seconds(11))
      try await monitor.tickNow()
      text = exporter.renderText()
      #expect(metricValue(text, "bridgewatch_primary_silent") == 1)
      try await monitor.promote(by: OperatorIdentity(name: "minh")).get()
      try await monitor.tickNow()
      text = exporter.renderText()
      #expect(metricValue(text, "bridgewatch_standby") == 0)
      #expect(metricValue(text, "bridgewatch_primary_silent") == 0)
      #expect(metricValue(text, "bridgewatch_replaced") == 0)
      monitor.noteReplaced(by: "/run/bridgewatch/other.sock", promotedAt: 1_795_000_020)
      try await monitor.tickNow()
      #expect(metricValue(exporter.renderText(), "bridgewatch_replaced") == 1)
    }
  }

  @Test func theFiguresFollowARealMonitor() async throws {
    let directory = try makeMetricsScratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let config = metricsConfig(sites: hoaBinhSites, directory: directory, perSite: true)
    let clock = ManualClock(unixSeconds: Date().timeIntervalSince1970)
    let exporter = MetricsExporter(config: config, startUnixSeconds: clock.now().unixSeconds)
    let opened = try JournalFile.open(path: directory + "/bridgewatch.journal", skipBadLines: false)
    let monitor = exportedMonitor(config, clock: clock, exporter: exporter, journal: opened.file)
    let port = try await monitor.start().port!
    try await stopping(monitor.stop) { () async throws in
      let socket = UDPTestSocket()
      socket.send("BW1 site=HB-DB-HU seq=1 count=80 count_problem=not_a_number", port: port)
      #expect(socket.receive() != nil)
      socket.send("BW1 site=SL-TU seq=1 count=150 state=help", port: port)
      #expect(socket.receive() != nil)
      socket.send("BW1 site=NOBODY seq=1", port: port)
      socket.send("not a heartbeat", port: port)
      try await waitUntil { try await monitor.snapshot().counters.datagramsReceived == 4 }
      try await monitor.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "mất điện")), by: OperatorIdentity(name: "lan"))
      try await monitor.apply(OperatorRequest(site: "HB-DB-HU", action: .setHeadcount(85)), by: OperatorIdentity(name: "lan"))
      try await monitor.tickNow()
      let text = exporter.renderText()
      #expect(metricValue(text, "bridgewatch_sites{\(conference),status=\"online\"}") == 2)
      #expect(metricValue(text, "bridgewatch_sites{\(conference),status=\"marked\"}") == 1)
      #expect(metricValue(text, "bridgewatch_sites{\(conference),status=\"unknown\"}") == 1)
      #expect(metricValue(text, "bridgewatch_sites{\(daBac),status=\"online\"}") == 1)
      #expect(metricValue(text, "bridgewatch_headcount_reported{\(daBac)}") == 85)
      #expect(metricValue(text, "bridgewatch_headcount_reported{\(conference)}") == 235)
      #expect(metricValue(text, #"bridgewatch_help_requests{group="Sơn La",province="Sơn La",depth="1"}"#) == 1)
      #expect(metricValue(text, "bridgewatch_count_file_problems{\(daBac)}") == 1)
      #expect(metricValue(text, "bridgewatch_count_file_problems{\(conference)}") == 1)
      #expect(metricValue(text, #"bridgewatch_count_file_problems{group="Sơn La",province="Sơn La",depth="1"}"#) == 0)
      #expect(metricValue(text, #"bridgewatch_heartbeats_accepted_total{source="udp"}"#) == 2)
      #expect(metricValue(text, "bridgewatch_datagrams_received_total") == 4)
      #expect(metricValue(text, #"bridgewatch_datagrams_rejected_total{reason="unknown_site"}"#) == 1)
      #expect(metricValue(text, #"bridgewatch_datagrams_rejected_total{reason="malformed"}"#) == 1)
      #expect(metricValue(text, "bridgewatch_acks_sent_total") == 2)
      #expect(metricValue(text, #"bridgewatch_operator_actions_total{action="mark"}"#) == 1)
      #expect(metricValue(text, #"bridgewatch_operator_actions_total{action="set_headcount"}"#) == 1)
      #expect(metricValue(text, #"bridgewatch_operator_actions_total{action="acknowledge"}"#) == 0)
      #expect(metricValue(text, "bridgewatch_tick_duration_seconds_count") ?? 0 >= 1)
      #expect(metricValue(text, "bridgewatch_journal_fsync_duration_seconds_count") ?? 0 >= 2)
      #expect(abs((metricValue(text, "bridgewatch_journal_last_write_timestamp_seconds") ?? 0) - clock.now().unixSeconds) < 1)
      let tuly = #"site="HB-DB-TULY",group="Hòa Bình / Đà Bắc",province="Hòa Bình""#
      let hu = #"site="HB-DB-HU",group="Hòa Bình / Đà Bắc",province="Hòa Bình""#
      #expect(metricValue(text, "bridgewatch_site_up{\(hu)}") == 1)
      #expect(metricValue(text, "bridgewatch_site_headcount{\(hu)}") == 85)
      #expect(abs((metricValue(text, "bridgewatch_site_last_heard_timestamp_seconds{\(hu)}") ?? 0) - clock.now().unixSeconds) < 1)
      #expect(metricValue(text, "bridgewatch_site_up{\(tuly)}") == 0)
      // No operator's name or reason reaches a label or a value.
      #expect(!text.contains("lan") && !text.contains("mất điện"))

      // Silence: the Đà Bắc district's site goes offline and alerts until acknowledged.
      clock.advance(by: .seconds(120))
      try await monitor.tickNow()
      let silent = exporter.renderText()
      #expect(metricValue(silent, "bridgewatch_sites{\(daBac),status=\"offline\"}") == 1)
      #expect(metricValue(silent, "bridgewatch_unacknowledged_alerts{\(daBac)}") == 1)
      #expect(metricValue(silent, "bridgewatch_site_unacknowledged_alert{\(hu)}") == 1)
      try await monitor.apply(OperatorRequest(site: "HB-DB-HU", action: .acknowledge), by: OperatorIdentity(name: "lan"))
      try await monitor.tickNow()
      let acknowledged = exporter.renderText()
      #expect(metricValue(acknowledged, "bridgewatch_unacknowledged_alerts{\(daBac)}") == 0)
      #expect(metricValue(acknowledged, "bridgewatch_site_unacknowledged_alert{\(hu)}") == 0)
      #expect(metricValue(acknowledged, #"bridgewatch_operator_actions_total{action="acknowledge"}"#) == 1)
      // Counters never go back: the earlier increments stay.
      #expect(metricValue(acknowledged, #"bridgewatch_operator_actions_total{action="mark"}"#) == 1)
    }
  }

  @Test func aJournalThatCannotBeWrittenCountsFailures() async throws {
    let directory = try makeMetricsScratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let config = metricsConfig(sites: hoaBinhSites, directory: directory)
    let clock = ManualClock(unixSeconds: Date().timeIntervalSince1970)
    let exporter = MetricsExporter(config: config, startUnixSeconds: 0)
    let journalPath = directory + "/bridgewatch.journal"
    let opened = try JournalFile.open(path: journalPath, skipBadLines: false)
    let monitor = exportedMonitor(config, clock: clock, exporter: exporter, journal: opened.file)
    _ = try await monitor.start()
    try await stopping(monitor.stop) { () async throws in
      // Another file at the journal's path: the monitor must not write into it; its records wait.
      try FileManager.default.removeItem(atPath: journalPath)
      try Data("someone else's file\n".utf8).write(to: URL(fileURLWithPath: journalPath))
      let failed = await #expect(throws: JournalNotSaved.self) {
        try await monitor.apply(OperatorRequest(site: "HB-TU", action: .mark(reason: "line down")), by: OperatorIdentity(name: "lan"))
      }
      #expect(failed != nil)
      try await monitor.tickNow()
      #expect(metricValue(exporter.renderText(), "bridgewatch_journal_write_failures_total") ?? 0 >= 2)
    }
  }

  @Test func consolesAttachedComesFromTheConsoleServer() async throws {
    let directory = try makeMetricsScratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let config = metricsConfig(sites: hoaBinhSites, directory: directory)
    let exporter = MetricsExporter(config: config, startUnixSeconds: 0)
    let monitor = exportedMonitor(config, clock: ManualClock(unixSeconds: Date().timeIntervalSince1970), exporter: exporter)
    _ = try await monitor.start()
    try await stopping(monitor.stop) { () async throws in
      let attached = Mutex(0)
      exporter.countConsoles { attached.withLock { $0 } }
      attached.withLock { $0 = 3 }
      try await monitor.tickNow()
      #expect(metricValue(exporter.renderText(), "bridgewatch_consoles_attached") == 3)
      attached.withLock { $0 = 1 }
      try await monitor.tickNow()
      #expect(metricValue(exporter.renderText(), "bridgewatch_consoles_attached") == 1)
    }
  }

  @Test func aFloodOfScrapesRendersOncePerSnapshot() async throws {
    let exporter = MetricsExporter(config: metricsConfig(sites: hoaBinhSites), startUnixSeconds: 0)
    let first = exporter.render()
    let again = exporter.render()
    // The same storage is handed out again: no new rendering until a snapshot comes.
    #expect(first.withUnsafeReadableBytes { $0.baseAddress } == again.withUnsafeReadableBytes { $0.baseAddress })
  }
}

/// A monitor wired to `exporter` as `run` wires it: its health observer, and a subscriber of its updates.
func exportedMonitor(_ config: ConferenceConfig, clock: ManualClock, exporter: MetricsExporter, journal: sending JournalFile? = nil)
  -> Monitor
{
  let monitor = Monitor(
    config: config, clock: clock, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), journal: journal,
    healthObserver: exporter)
  _ = monitor.subscribe { exporter.observe($0) }
  return monitor
}

func makeMetricsScratch() throws -> String {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bw-metrics-\(UUID().uuidString)").path
  try FileManager.default.createDirectory(atPath: directory + "/heartbeats", withIntermediateDirectories: true)
  return directory
}

/// Waits up to 5 s for `condition`.
func waitUntil(_ condition: () async throws -> Bool) async throws {
  if try await !eventually(timeout: .seconds(5), condition) { Issue.record("condition not met within 5 s") }
}
