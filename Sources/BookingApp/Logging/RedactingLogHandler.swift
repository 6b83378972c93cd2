import Logging

/// Wraps the real log handler and removes what must never be logged. SQLKit logs every statement's bound
/// values (at debug level; Fluent offers no way to turn it off for PostgreSQL), and those include token
/// hashes and password hashes. So bound values never reach a log, at any level.
///
/// The handler keeps the logger's level and metadata itself and hands them to the wrapped handler with
/// each line, so the wrapped one (boxed, as `any LogHandler`) is never changed: setting a request's id on
/// its logger, as Vapor does for every request, copies a small dictionary, not the boxed handler.
public struct RedactingLogHandler: LogHandler {
    /// Metadata keys whose values are replaced by `[redacted]`.
    static let redactedKeys: Set<String> = ["binds"]

    private let wrapped: any LogHandler
    /// Adds what the task's context says to every line (the active span's `trace_id` and `span_id` when
    /// tracing is on); a line's own metadata wins.
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    private var handlerMetadata: Logger.Metadata

    public init(wrapping handler: any LogHandler, metadataProvider: Logger.MetadataProvider? = nil) {
        self.wrapped = handler
        self.metadataProvider = metadataProvider
        self.logLevel = handler.logLevel
        self.handlerMetadata = Self.redact(handler.metadata) ?? [:]
    }

    public var metadata: Logger.Metadata {
        get { handlerMetadata }
        set { handlerMetadata = Self.redact(newValue) ?? [:] }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { handlerMetadata[key] }
        set { handlerMetadata[key] = Self.redactedKeys.contains(key) ? "[redacted]" : newValue }
    }

    /// The line with this logger's metadata, then the provider's, then its own (each later one wins),
    /// redacted, written by the wrapped handler at this logger's level (which a formatter may read).
    public func log(event: LogEvent) {
        var event = event
        var merged = handlerMetadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { $1 }
        }
        if let own = event.metadata {
            merged.merge(own) { $1 }
        }
        event.metadata = Self.redact(merged)
        guard wrapped.logLevel != logLevel else {
            wrapped.log(event: event)
            return
        }
        var handler = wrapped
        handler.logLevel = logLevel
        handler.log(event: event)
    }

    static func redact(_ metadata: Logger.Metadata?) -> Logger.Metadata? {
        guard var metadata else { return nil }
        for key in redactedKeys where metadata[key] != nil {
            metadata[key] = "[redacted]"
        }
        return metadata
    }
}
