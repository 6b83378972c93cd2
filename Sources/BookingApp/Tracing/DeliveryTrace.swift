import BookingDomain
import Tracing
import Vapor

/// Writes a span's context (`traceparent`, `tracestate`) into an outgoing request's headers (a webhook's).
struct HeaderInjector: Injector {
    func inject(_ value: String, forKey name: String, into headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: name, value: value)
    }
}

/// Writes them as a message's own headers (an e-mail's).
struct MailHeaderInjector: Injector {
    func inject(_ value: String, forKey name: String, into headers: inout [(name: String, value: String)]) {
        headers.append((name, value))
    }
}

/// A delivery attempt (a webhook's POST, an e-mail's SMTP dialogue) as a client span: a child of the
/// span it is made in (an admin's retry), else the root of its own trace (the relays run in none).
/// `work` gets the span's context to carry to the receiver; the outcome's `failure` marks it failed.
enum DeliveryTrace {
    static func attempt<Outcome>(_ tracer: (any Tracer)?, _ name: String, attributes: SpanAttributes,
                                 _ work: (ServiceContext?) async -> Outcome, failure: (Outcome) -> String?,
                                 finish: (Outcome, inout SpanAttributes) -> Void = { _, _ in }) async -> Outcome {
        guard let tracer else { return await work(nil) }
        let span = tracer.startAnySpan(name, context: ServiceContext.current ?? .topLevel, ofKind: .client)
        span.attributes = attributes
        let outcome = await work(span.context)
        span.updateAttributes { finish(outcome, &$0) }
        if let reason = failure(outcome) {
            span.setStatus(SpanStatus(code: .error, message: String(reason.prefix(200))))
        }
        span.end()
        return outcome
    }
}
