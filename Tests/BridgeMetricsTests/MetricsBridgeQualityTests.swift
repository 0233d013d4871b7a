import BridgeCore
import BridgeMetrics
import Foundation
import TestSupport
import Testing

@testable import BridgeMonitor

/// The bridge's call quality in the metrics (issue 32, docs/METRICS.md "Conference bridge"): the sites by verdict
/// always with `bridges:`; each site's loss, jitter and round trip only with `metrics.per_site` and a CMS bridge,
/// NaN while the bridge gives none; the documented series count.
@Suite struct MetricsBridgeQualityTests {
  static func config(kind: BridgeSettings.Kind, perSite: Bool) -> ConferenceConfig {
    var config = metricsConfig(sites: hoaBinhSites, perSite: perSite)
    config.bridges = [
      BridgeSettings(
        kind: kind, url: "", host: "127.0.0.1", port: 8445, path: BridgeSettings.defaultPath(kind), room: 0,
        credentials: BridgeSettings.Credentials(username: "u", password: "p"), conference: "c")
    ]
    return config
  }

  /// HB-TU in with CMS's figures (loss 2.5%: degraded), HB-DB-HU in with a bad round trip, the others out.
  static func snapshot(_ config: ConferenceConfig) -> MonitorSnapshot {
    var state = MonitorState(config: config)
    let now = ClockReading(monotonicNanos: 1_000_000_000, unixSeconds: 1_795_000_000)
    state.receiveBridgePoll(
      .roster([
        BridgeParticipant(
          id: "1", display: "HB-TU", quality: BridgeQuality(lossPercent: 2.5, jitterMilliseconds: 41, roundTripMilliseconds: 66)),
        BridgeParticipant(id: "2", display: "HB-DB-HU", quality: BridgeQuality(roundTripMilliseconds: 900)),
      ]), bridge: 0, now: now)
    return state.snapshot(now: now, title: "t")
  }

  @Test func theSitesByVerdictAlwaysAndEachSitesFiguresWithPerSiteAndCMS() {
    let config = Self.config(kind: .cms, perSite: true)
    let exporter = MetricsExporter(config: config, startUnixSeconds: 1_795_000_000)
    let before = exporter.renderText()
    // Before any poll: every site's figures NaN (the text format's spelling), every verdict 0.
    #expect(before.contains(#"bridgewatch_site_bridge_packet_loss_percent{site="HB-TU",group="Hòa Bình",province="Hòa Bình"} NaN"#))
    #expect(metricValue(before, #"bridgewatch_bridge_quality_sites{verdict="degraded"}"#) == 0)
    exporter.observe(MonitorUpdate(events: [], snapshot: Self.snapshot(config)))
    let text = exporter.renderText()
    let hbtu = #"{site="HB-TU",group="Hòa Bình",province="Hòa Bình"}"#
    #expect(metricValue(text, "bridgewatch_site_bridge_packet_loss_percent" + hbtu) == 2.5)
    #expect(metricValue(text, "bridgewatch_site_bridge_jitter_seconds" + hbtu) == 0.041)
    #expect(metricValue(text, "bridgewatch_site_bridge_round_trip_seconds" + hbtu) == 0.066)
    #expect(text.contains(#"bridgewatch_site_bridge_packet_loss_percent{site="SL-TU",group="Sơn La",province="Sơn La"} NaN"#))
    #expect(metricValue(text, #"bridgewatch_bridge_quality_sites{verdict="good"}"#) == 0)
    #expect(metricValue(text, #"bridgewatch_bridge_quality_sites{verdict="degraded"}"#) == 1)
    #expect(metricValue(text, #"bridgewatch_bridge_quality_sites{verdict="bad"}"#) == 1)
    // The documented count: per group 10, the monitor's 67, per site 4, and the bridges' 8 + 9 × 1, plus 3 per site.
    let histogramLines = (MetricsExporter.tickBuckets.count + 3) + (MetricsExporter.syncBuckets.count + 3)
    #expect(seriesCount(text) == 4 * 10 + 28 + 9 + histogramLines + 4 * 4 + 8 + 9 + 3 * 4)
  }

  @Test func noPerSiteFiguresWithoutPerSiteOrWithABridgeThatGivesNone() {
    for (kind, perSite) in [(BridgeSettings.Kind.cms, false), (.pexip, true), (.janus, true)] {
      let config = Self.config(kind: kind, perSite: perSite)
      let exporter = MetricsExporter(config: config, startUnixSeconds: 1_795_000_000)
      exporter.observe(MonitorUpdate(events: [], snapshot: Self.snapshot(config)))
      let text = exporter.renderText()
      #expect(!text.contains("bridgewatch_site_bridge_"), "\(kind) per site \(perSite)")
      #expect(metricValue(text, #"bridgewatch_bridge_quality_sites{verdict="bad"}"#) == 1, "\(kind)")
      let histogramLines = (MetricsExporter.tickBuckets.count + 3) + (MetricsExporter.syncBuckets.count + 3)
      #expect(seriesCount(text) == 4 * 10 + 28 + 9 + histogramLines + (perSite ? 4 * 4 : 0) + 8 + 9, "\(kind)")
    }
  }
}
