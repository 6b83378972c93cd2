import Tracing

extension Tracer {
    /// `startSpan` through an existential (`any Tracer`, as the layers are handed one), its span
    /// type-erased, started now.
    public func startAnySpan(_ name: String, context: ServiceContext, ofKind kind: SpanKind,
                             function: String = #function, file: String = #fileID, line: UInt = #line) -> any Tracing.Span {
        startSpan(name, context: context, ofKind: kind, at: DefaultTracerClock.now, function: function, file: file, line: line)
    }
}
