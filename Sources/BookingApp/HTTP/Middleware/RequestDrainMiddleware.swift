import AsyncPrimitives
import Vapor

/// Counts the requests being served, so that shutdown waits for them before it closes the databases
/// (``RequestDrain``). Once shutdown has begun, a new request is answered 503 `shutting_down` at once,
/// without touching anything shutdown is taking away.
struct RequestDrainMiddleware: Middleware {
    let requests: Drain

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard requests.enter() else { return request.eventLoop.makeSucceededFuture(Self.shuttingDown()) }
        return next.respond(to: request).always { [requests] _ in requests.leave() }
    }

    static func shuttingDown() -> Response {
        let response = Response(status: .serviceUnavailable, headers: ["Retry-After": "1", "Connection": "close"])
        try? response.content.encode(ErrorResponseMiddleware.Body(
            reason: "The server is shutting down; retry shortly (another replica may answer).", code: .shuttingDown, field: nil), as: .json)
        return response
    }
}

/// Shutdown's first step: new requests are refused, and those in flight get up to `SHUTDOWN_TIMEOUT` to
/// finish before the application's storage (database pools included) is taken down. A request still
/// running after that finds its databases closed and is answered 503; nothing it reaches crashes.
struct RequestDrain: LifecycleHandler {
    let requests: Drain
    let timeout: TimeInterval

    func shutdownAsync(_ application: Application) async {
        let left = await requests.drained(within: .milliseconds(Int64(timeout * 1000)))
        if left > 0 {
            application.logger.warning("Shutting down with requests still running", metadata: [
                "requests": "\(left)", "waited_seconds": "\(timeout)",
            ])
        }
    }
}
