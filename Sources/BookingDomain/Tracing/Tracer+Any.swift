import Tracing

extension Tracer {
    /// `startSpan` through an existential (`any Tracer`, as the layers are handed one), its span
    /// type-erased, started now.
    public func startAnySpan(_ name: String, context: ServiceContext, ofKind kind: SpanKind,
                             function: String = #function, file: String = #fileID, line: UInt = #line) -> any Tracing.Span {
        startSpan(name, context: context, ofKind: kind, at: DefaultTracerClock.now, function: function, file: file, line: line)
    }
}

/// Whether the span a context names is recorded (sampled): set where a request's or a batch's span starts,
/// read by whatever would add a child, so that a trace sampling left out costs no child spans at all (not
/// even their ids).
private enum SpanRecordingKey: ServiceContextKey {
    typealias Value = Bool
}

extension ServiceContext {
    /// `span`'s context, marked with whether it records.
    public static func of(_ span: any Tracing.Span) -> ServiceContext {
        var context = span.context
        context[SpanRecordingKey.self] = span.isRecording
        return context
    }

    /// Whether children of this context's span are worth making: it records.
    public var recordsSpans: Bool {
        self[SpanRecordingKey.self] ?? false
    }
}
