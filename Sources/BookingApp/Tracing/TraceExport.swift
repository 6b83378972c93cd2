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

    static func make(serviceName: String = "booking") throws -> (tracer: any Tracer, service: any Service) {
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.diagnosticLogLevel = .error
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return (backend.factory, backend.service)
    }
}
