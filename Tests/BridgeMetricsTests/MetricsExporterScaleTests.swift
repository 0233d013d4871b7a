import BridgeCore
import Foundation
import TestSupport
import Testing

@testable import BridgeMetrics

/// How the exporter's cost grows with the roster. The library's registry copies a metric family's whole dictionary
/// for each series added to it, so series made through it cost the square of their number (21 s before the
/// monitor listened with 7,400 sites in 6,363 groups). The series that grow with the roster (per group, per site)
/// are kept out of it; `bridgewatch bench startup` times the start itself.
@Suite struct MetricsExporterScaleTests {
  static let manySites = (0..<2000).map { index in
    (id: "S\(index)", group: "Tỉnh \(index % 7) / Huyện \(index % 300) / Xã \(index)", expected: 1)
  }

  @Test func seriesThatGrowWithTheRosterStayOutOfTheLibrarysRegistry() {
    let small = MetricsExporter(config: metricsConfig(sites: hoaBinhSites, perSite: true), startUnixSeconds: 0)
    let large = MetricsExporter(config: metricsConfig(sites: Self.manySites, perSite: true), startUnixSeconds: 0)
    #expect(small.seriesInRegistry == large.seriesInRegistry)
    #expect(large.seriesInRegistry < 50)
  }

  /// The series kept by the exporter itself are all there, with their values, in a well-formed exposition: each
  /// family's HELP and TYPE once, its series together under them.
  @Test func theRostersSeriesAreAllThereInWellFormedFamilies() {
    let exporter = MetricsExporter(config: metricsConfig(sites: Self.manySites, perSite: true), startUnixSeconds: 0)
    let text = exporter.renderText()
    #expect(text.components(separatedBy: "bridgewatch_site_up{").count - 1 == 2000)
    let groups = GroupTree(sites: metricsConfig(sites: Self.manySites).sites).nodes.count
    #expect(text.components(separatedBy: "bridgewatch_headcount_expected{").count - 1 == groups)
    #expect(text.components(separatedBy: "bridgewatch_sites{").count - 1 == groups * SiteStatus.allCases.count)
    let commune = #"group="Tỉnh 3 / Huyện 3 / Xã 3",province="Tỉnh 3",depth="3""#
    #expect(metricValue(text, "bridgewatch_sites{\(commune),status=\"unknown\"}") == 1)
    #expect(metricValue(text, "bridgewatch_sites{\(commune),status=\"online\"}") == 0)
    #expect(metricValue(text, #"bridgewatch_headcount_expected{group="",province="",depth="0"}"#) == 2000)
    #expect(metricValue(text, #"bridgewatch_site_headcount{site="S3",group="Tỉnh 3 / Huyện 3 / Xã 3",province="Tỉnh 3"}"#) == 0)

    var typed: Set<String> = []
    var helped: Set<String> = []
    var current: String?
    var finished: Set<String> = []
    for line in text.split(separator: "\n") {
      if line.hasPrefix("# HELP ") {
        let name = String(line.dropFirst(7).prefix { $0 != " " })
        #expect(helped.insert(name).inserted, "HELP of \(name) twice")
      } else if line.hasPrefix("# TYPE ") {
        let name = String(line.dropFirst(7).prefix { $0 != " " })
        #expect(typed.insert(name).inserted, "TYPE of \(name) twice")
        if let current { finished.insert(current) }
        current = name
      } else {
        let name = String(line.prefix { $0 != "{" && $0 != " " })
        let family = ["_bucket", "_sum", "_count"].reduce(name) { name, suffix in
          typed.contains(name) || !name.hasSuffix(suffix) ? name : String(name.dropLast(suffix.count))
        }
        #expect(family == current, "\(line) is not under its family's TYPE")
        #expect(!finished.contains(family), "\(family) is split")
      }
    }
    #expect(typed == helped)
  }
}
