import Vapor

/// The request a task is serving, if any: its logger (tagged with the request id) and its event loop.
/// The storage is built once for the whole process, so it finds the request here to run its statements
/// on the request's event loop and log them under the request's id.
struct RequestScope: Sendable {
    let logger: Logger
    let eventLoop: any EventLoop

    @TaskLocal static var current: RequestScope?
}

/// Sets ``RequestScope/current`` for everything the request does. Sits right after the middleware that
/// gives the request its id.
struct RequestScopeMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        try await RequestScope.$current.withValue(RequestScope(logger: request.logger, eventLoop: request.eventLoop)) {
            try await next.respond(to: request)
        }
    }
}
