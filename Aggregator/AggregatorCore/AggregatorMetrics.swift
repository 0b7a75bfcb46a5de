import CoreMetrics
import Prometheus

/// The aggregator's Prometheus metrics (`GET /metrics`), made through swift-metrics on a registry
/// of its own (so several servers in one test process never share counters).
public final class AggregatorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    let roundsPublished: CoreMetrics.Counter
    let roundsFailed: CoreMetrics.Counter
    let updatesAccepted: CoreMetrics.Counter
    let bytesReceived: CoreMetrics.Counter
    let bytesSent: CoreMetrics.Counter
    let handshakesRefused: CoreMetrics.Counter
    let aggregationSeconds: CoreMetrics.Gauge

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
        roundsPublished = CoreMetrics.Counter(label: "tessera_rounds_total", dimensions: [("state", "published")], factory: factory)
        roundsFailed = CoreMetrics.Counter(label: "tessera_rounds_total", dimensions: [("state", "failed")], factory: factory)
        updatesAccepted = CoreMetrics.Counter(label: "tessera_updates_accepted_total", factory: factory)
        bytesReceived = CoreMetrics.Counter(label: "tessera_bytes_received_total", factory: factory)
        bytesSent = CoreMetrics.Counter(label: "tessera_bytes_sent_total", factory: factory)
        handshakesRefused = CoreMetrics.Counter(label: "tessera_handshakes_refused_total", dimensions: [("reason", "revoked")], factory: factory)
        aggregationSeconds = CoreMetrics.Gauge(label: "tessera_last_aggregation_seconds", factory: factory)
    }

    /// Counts a rejected upload by its reason code.
    func rejected(_ reason: String) {
        CoreMetrics.Counter(label: "tessera_updates_rejected_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// The text exposition.
    public func text() -> String { registry.emitToString() }
}
