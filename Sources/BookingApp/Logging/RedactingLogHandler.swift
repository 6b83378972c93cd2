import Logging

/// Wraps the real log handler and removes what must never be logged. SQLKit logs every statement's bound
/// values (at debug level; Fluent offers no way to turn it off for PostgreSQL), and those include token
/// hashes and password hashes. So bound values never reach a log, at any level.
public struct RedactingLogHandler: LogHandler {
    /// Metadata keys whose values are replaced by `[redacted]`.
    static let redactedKeys: Set<String> = ["binds"]

    private var wrapped: any LogHandler
    /// Adds what the task's context says to every line (the active span's `trace_id` and `span_id` when
    /// tracing is on); a line's own metadata wins.
    public var metadataProvider: Logger.MetadataProvider?

    public init(wrapping handler: any LogHandler, metadataProvider: Logger.MetadataProvider? = nil) {
        self.wrapped = handler
        self.metadataProvider = metadataProvider
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = Self.redact(newValue) ?? [:] }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = Self.redactedKeys.contains(key) ? "[redacted]" : newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            event.metadata = provided.merging(event.metadata ?? [:]) { $1 }
        }
        event.metadata = Self.redact(event.metadata)
        wrapped.log(event: event)
    }

    static func redact(_ metadata: Logger.Metadata?) -> Logger.Metadata? {
        guard var metadata else { return nil }
        for key in redactedKeys where metadata[key] != nil {
            metadata[key] = "[redacted]"
        }
        return metadata
    }
}
