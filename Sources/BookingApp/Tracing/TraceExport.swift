import CoreMetrics
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// Traces over OTLP/HTTP, made from the standard `OTEL_*` variables by swift-otel (the endpoint, headers,
/// protocol `http/protobuf` or `http/json`, `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER` and its argument,
/// the batch processor's `OTEL_BSP_*`). Only traces: logs and metrics stay ours. The tracer is handed to
/// what makes spans (never installed globally), and the exporter runs as a service beside the server: spans
/// wait in the batch processor's bounded queue (`OTEL_BSP_MAX_QUEUE_SIZE`, 2,048), so a collector that is
/// down or slow costs the spans that do not fit, never a request's time.
public enum TraceExport {
    /// With traces exported, what each log line gains: the active span's `trace_id` and `span_id`.
    public static func logMetadata(for config: AppConfig) -> Logger.MetadataProvider? {
        config.traceExport ? OTel.makeLoggingMetadataProvider() : nil
    }

    /// The service is named `booking` unless `OTEL_SERVICE_NAME` says otherwise.
    static func make(logger: Logger, metrics: AppMetrics) throws -> (tracer: any Tracer, service: any Service) {
        var configuration = OTel.Configuration.default
        configuration.serviceName = "booking"
        // The exporter's own warnings (a full queue, a failed export) are counted in /metrics and logged.
        configuration.diagnosticLogLevel = .warning
        configuration.diagnosticLogger = .custom(Logger(label: "trace-export") { _ in
            TraceDiagnostics(logger: logger, dropped: metrics.traceSpansDropped, failed: metrics.traceExportFailures)
        })
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return (backend.factory, backend.service)
    }
}

/// Reads the exporter's diagnostics: a full queue's warning says how many spans it dropped
/// (`booking_trace_spans_dropped_total`), a failed export is counted (`booking_trace_export_failures_total`);
/// each is logged on the server's logger, at most as loud as a warning.
struct TraceDiagnostics: LogHandler {
    let logger: Logger
    let dropped: CoreMetrics.Counter
    let failed: CoreMetrics.Counter
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let metadata = self.metadata.merging(event.metadata ?? [:]) { $1 }
        if event.message.description.hasPrefix("Spans were dropped") {
            dropped.increment(by: Int64(metadata["dropped_count"].flatMap { Int64("\($0)") } ?? 1))
        } else if event.message.description.hasPrefix("Failed to export") {
            failed.increment()
        }
        logger.log(level: min(event.level, .warning), event.message, metadata: metadata)
    }
}
