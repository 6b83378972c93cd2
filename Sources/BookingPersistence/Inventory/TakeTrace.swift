import BookingDomain
import Tracing

/// The spans of a take that waits in its resource's batch (``TakeBatches``): `batch wait`, a child of the
/// request's span from submitting to the batch's start, and `take batch`, the batch's transaction. A batch
/// of one is its request's child; one that serves several starts a trace of its own that links to every
/// request's span it served, and each request's wait links to it, so either side leads to the other. The
/// batch's statements run in its span, so they are its children.
struct TakeTrace: Sendable {
    /// The span of the request that submitted the take.
    let submitter: ServiceContext
    let waiting: any Tracing.Span

    /// nil when the request's trace is not recorded.
    static func submitted(with tracer: any Tracer) -> TakeTrace? {
        guard let submitter = ServiceContext.current, submitter.recordsSpans else { return nil }
        return TakeTrace(submitter: submitter, waiting: tracer.startAnySpan("batch wait", context: submitter, ofKind: .internal))
    }

    /// Runs `serve` for `takes` inside the batch's span.
    static func batch(_ takes: [BatchedTake], of resourceID: Int, tracer: any Tracer,
                      serve: () async -> [Result<Taken, any Error>]) async -> [Result<Taken, any Error>] {
        // No request of it recorded: nothing to trace (its statements make no spans either).
        guard takes.contains(where: { $0.trace != nil }) else { return await serve() }
        let single = takes.count == 1 ? takes[0].trace?.submitter : nil
        let batch = tracer.startAnySpan("take batch", context: single ?? .topLevel, ofKind: .internal)
        batch.updateAttributes { attributes in
            attributes["booking.resource_id"] = resourceID
            attributes["booking.batch_size"] = takes.count
        }
        for trace in takes.compactMap(\.trace) {
            if single == nil { batch.addLink(SpanLink(context: trace.submitter, attributes: [:])) }
            trace.waiting.addLink(SpanLink(context: batch.context, attributes: [:]))
            trace.waiting.end()
        }
        let outcomes = await ServiceContext.withValue(.of(batch)) { await serve() }
        if outcomes.allSatisfy({ if case .failure = $0 { true } else { false } }) { batch.setStatus(SpanStatus(code: .error)) }
        batch.end()
        return outcomes
    }
}
