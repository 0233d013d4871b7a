import Prometheus

/// How many series went through the library's registry while the exporter was built.
final class SeriesCount {
  var value = 0
}

/// The library's registry for the process-wide series (a fixed few), counting what is made through it.
struct CountingRegistry {
  let registry: PrometheusCollectorRegistry
  let made: SeriesCount

  init(_ registry: PrometheusCollectorRegistry, _ made: SeriesCount) {
    self.registry = registry
    self.made = made
  }

  // Names are written whole (unit suffix included), as Prometheus' naming conventions give them.
  func gauge(_ name: String, labels: [(String, String)] = [], help: String) -> Gauge {
    made.value += 1
    return registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
  }

  func counter(_ name: String, labels: [(String, String)] = [], help: String) -> Counter {
    made.value += 1
    return registry.makeCounter(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
  }

  func histogram(_ name: String, buckets: [Double], help: String) -> ValueHistogram {
    made.value += 1
    return registry.makeValueHistogram(
      descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: [], buckets: buckets)
  }
}
