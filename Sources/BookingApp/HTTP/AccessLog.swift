import Tracing
import Vapor

/// One line per request, after its answer: method, path (secrets in it masked), route pattern, client address, status and
/// duration, tagged with the request id. Written once an error has become its answer
/// (``RequestServingMiddleware``), so failed requests are logged with their real status.
struct AccessLog: Sendable {
    let server: ServerContext

    func record(_ response: Response, of request: Request, since started: ContinuousClock.Instant) {
        guard request.logger.logLevel <= .info else { return }
        // In the request's span, when tracing is on and it has one: the line then names its trace.
        guard server.tracer != nil else { return log(response, of: request, started: started) }
        ServiceContext.withValue(request.serviceContext) { log(response, of: request, started: started) }
    }

    private func log(_ response: Response, of request: Request, started: ContinuousClock.Instant) {
        request.logger.info("\(request.method.rawValue) \(request.loggedPath) \(response.status.code)", metadata: [
            "method": .string(request.method.rawValue),
            "route": .string(request.routePattern),
            "client": .string(server.clientAddress(of: request)),
            "status": .stringConvertible(response.status.code),
            "duration_ms": .string(Self.milliseconds(ContinuousClock.now - started)),
        ])
    }

    /// A duration in milliseconds with two decimals ("12.05"), without Foundation's formatter.
    static func milliseconds(_ duration: Duration) -> String {
        let hundredths = duration.components.seconds * 100_000 + duration.components.attoseconds / 10_000_000_000_000
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

extension Request {
    /// The path as it may be logged: the matched route with each parameter's value, but a secret one's
    /// (`:token`, a calendar feed's or an unsubscribe link's) left as its placeholder; the raw path when no
    /// route matched.
    var loggedPath: String {
        guard let route else { return url.path }
        return "/" + route.path.map { component in
            guard case .parameter(let name) = component, name != "token", let value = parameters.get(name) else { return component.description }
            return value
        }.joined(separator: "/")
    }

    /// The matched route with its parameters as placeholders (`/bookings/:id`), never raw ids;
    /// `unmatched` for a path no route serves.
    var routePattern: String {
        guard let route else { return "unmatched" }
        return "/" + route.path.map(\.description).joined(separator: "/")
    }
}
