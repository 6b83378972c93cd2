import BookingDomain
import Tracing
import Vapor

/// One server span per request, named by its method and route pattern (`POST /bookings`), never the raw
/// path (a calendar feed's or an unsubscribe link's path holds a secret). Its attributes: the method, the
/// route, the status and, when a token came with it, the user's id; nothing from the body, the query or a
/// header. A 5xx marks it failed.
///
/// A caller's W3C `traceparent`/`tracestate` is continued only when `TRACE_TRUST_INCOMING` is set;
/// otherwise the request starts a trace of its own that links to the caller's span, so a client cannot
/// steer our traces or their sampling. A recorded span becomes the request's `serviceContext`, bound as the
/// task-local context while the rest of the chain is called: the request's own task
/// (`RequestServingMiddleware`) is made then and inherits it, so spans started beneath are its children
/// (one binding per request, where Vapor's `traceAutoPropagation` binds it again around every middleware).
///
/// Installed only when tracing is on: without it a request pays nothing for tracing. An EventLoopFuture
/// middleware, like the others, so it costs no task.
struct RequestTracingMiddleware: Middleware {
    let tracer: any Tracer
    let trustIncoming: Bool

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        var incoming = ServiceContext.topLevel
        tracer.extract(request.headers, into: &incoming, using: HeaderExtractor())
        let route = request.routePattern
        let span = tracer.startAnySpan("\(request.method.rawValue) \(route)", context: trustIncoming ? incoming : .topLevel, ofKind: .server)
        // Sampling left it out: nothing more to record, and no context to bind (with none current, nothing
        // below makes a span).
        guard span.isRecording else {
            return next.respond(to: request).always { _ in span.end() }
        }
        let context = ServiceContext.of(span)
        request.serviceContext = context
        // Something extracted: the caller named its span.
        if !trustIncoming, !incoming.isEmpty {
            span.addLink(SpanLink(context: incoming, attributes: [:]))
        }
        span.updateAttributes { attributes in
            attributes["http.request.method"] = request.method.rawValue
            attributes["http.route"] = route
        }
        return ServiceContext.withValue(context) { next.respond(to: request) }.always { result in
            span.updateAttributes { attributes in
                if let user = request.principal?.user.id { attributes["enduser.id"] = user }
                if case .success(let response) = result { attributes["http.response.status_code"] = Int(response.status.code) }
            }
            switch result {
            case .success(let response) where response.status.code >= 500:
                span.setStatus(SpanStatus(code: .error))
            case .failure(let error):
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error))
            default:
                break
            }
            span.end()
        }
    }
}

/// Reads `traceparent` and `tracestate` (and whatever else a propagator asks for) from request headers.
struct HeaderExtractor: Extractor {
    func extract(key name: String, from headers: HTTPHeaders) -> String? {
        headers.first(name: name)
    }
}
