import BookingDomain
import BookingPersistence
import CoreMetrics
import Foundation
import Prometheus

/// This process's metrics: the Prometheus registry `/metrics` exports, and the instruments the layers
/// record into. Each `Application` has its own, so servers sharing a process (tests) never share counts.
struct AppMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// Bookings, refusals and logins, counted by the domain services.
    let services: ServiceMetrics
    /// Events written, webhook deliveries and their lag.
    let webhooks: WebhookMetrics
    let mail: MailMetrics
    /// Statements and transactions holding a pooled database connection, or queued for one.
    let databasePoolInUse: Meter
    /// Password hashes refused because their queue was too long (`booking_load_shed_total{queue="password_hashing"}`).
    let passwordHashingShed: CoreMetrics.Counter
    /// Spans the trace exporter could not keep (its queue full) and exports that failed (`TraceExport`).
    let traceSpansDropped: CoreMetrics.Counter
    let traceExportFailures: CoreMetrics.Counter
    /// Transactions serving bookings and holds of one resource together, and the requests they served
    /// (`booking_stock_batches_total`, `booking_stock_batched_requests_total`): their ratio is the mean batch.
    let stockBatches: CoreMetrics.Counter
    let stockBatchedRequests: CoreMetrics.Counter
    /// Requests whose client went away before they were read (`booking_client_disconnects_total`).
    let clientDisconnects: CoreMetrics.Counter
    /// The public catalogue's reads by where they were answered (`READ_DATABASE_URL`'s share).
    let catalogueReads: ReplicaReads
    private let process: ProcessMetrics

    /// Request latency buckets, from a cached read to the database time-out and beyond.
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// The methods a request is labelled with; anything else counts as `other`, so a client inventing
    /// methods cannot create series without end.
    private static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// `databasePoolCapacity` is the most connections the pools may open (per event loop × loops).
    init(databasePoolCapacity: Int) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
        services = ServiceMetrics(factory: factory)
        webhooks = WebhookMetrics(factory: factory)
        mail = MailMetrics(factory: factory)
        databasePoolInUse = Meter(label: "booking_database_pool_in_use", factory: factory)
        clientDisconnects = Counter(label: "booking_client_disconnects_total", factory: factory)
        catalogueReads = ReplicaReads(factory: factory)
        stockBatches = Counter(label: "booking_stock_batches_total", factory: factory)
        stockBatchedRequests = Counter(label: "booking_stock_batched_requests_total", factory: factory)
        passwordHashingShed = Counter(label: "booking_load_shed_total", dimensions: [("queue", "password_hashing")], factory: factory)
        traceSpansDropped = Counter(label: "booking_trace_spans_dropped_total", factory: factory)
        traceExportFailures = Counter(label: "booking_trace_export_failures_total", factory: factory)
        Meter(label: "booking_database_pool_capacity", factory: factory).set(databasePoolCapacity)
        process = ProcessMetrics(factory: factory)
    }

    /// The watch over the database's connections, counting into this registry.
    func databaseGuardian(statementTimeout: TimeInterval) -> ConnectionGuardian {
        ConnectionGuardian(statementTimeout: statementTimeout, factory: factory)
    }

    /// The counter and latency timer of the requests of `method` to `route` (a pattern, `/bookings/:id`,
    /// never a raw id) answered with `status`.
    func requestSeries(method: String, route: String, status: UInt) -> RequestSeries {
        let dimensions = [("method", Self.methodLabel(method)), ("route", route), ("status", String(status))]
        return RequestSeries(count: Counter(label: "http_requests_total", dimensions: dimensions, factory: factory),
                             latency: Timer(label: "http_request_duration_seconds", dimensions: dimensions, factory: factory))
    }

    /// The label of a request's method: a known one, or `other`.
    static func methodLabel(_ method: String) -> String {
        knownMethods.contains(method) ? method : "other"
    }

    /// One series of answered requests: a count and a latency.
    struct RequestSeries: Sendable {
        let count: CoreMetrics.Counter
        let latency: CoreMetrics.Timer

        func record(_ duration: Duration) {
            count.increment()
            latency.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        }
    }

    /// Counts one transaction serving `size` bookings and holds of one resource.
    var recordBatch: @Sendable (Int) -> Void {
        { [stockBatches, stockBatchedRequests] size in
            stockBatches.increment()
            stockBatchedRequests.increment(by: size)
        }
    }

    /// Every series in the Prometheus text format (version 0.0.4).
    func exposition() -> [UInt8] {
        process.update()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
