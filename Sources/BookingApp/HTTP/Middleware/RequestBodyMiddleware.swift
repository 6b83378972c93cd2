import AsyncPrimitives
import BookingDomain
import NIOCore
import Vapor

/// Reads a request's body before its handler runs, never decompressed (a `Content-Encoding` is 415), within
/// three bounds: the route's own size limit (a declared `Content-Length` over it is 413 before the body is
/// read), a budget shared by every body being read at once (past it, 503 `server_busy` at once), and a
/// time limit (past it, 408). Sits after the access check, so a route that needs a token answers 401
/// without reading the body. What a refused request still sends, Vapor reads and drops as it arrives (it
/// does not buffer it); the idle time-out and the proxy's `client_body_timeout` end a client that trickles.
struct RequestBodyMiddleware: Middleware {
    let budget: ByteBudget
    /// The limit of a route that sets none of its own (16 KB).
    let defaultLimit: Int
    let timeout: TimeAmount

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard request.announcesBody else {
            return next.respond(to: request)
        }
        let declared = request.headers.first(name: .contentLength).flatMap(Int.init)
        // Only a request with a body asks for its route's limit (a look-up in the route's `userInfo`).
        let limit = request.route?.bodyLimit ?? defaultLimit
        if let declared, declared > limit {
            return request.eventLoop.makeFailedFuture(Abort(.payloadTooLarge, reason: "The body may be at most \(limit) bytes here."))
        }
        if let coding = request.headers.first(name: .contentEncoding), coding.lowercased() != "identity" {
            // Bodies are never decompressed: a few compressed bytes can inflate far past every limit.
            return request.eventLoop.makeFailedFuture(Abort(.unsupportedMediaType,
                reason: "Request bodies are read as sent, not decompressed: send the body without Content-Encoding."))
        }
        // A small body often arrives with its head, already read.
        guard request.body.data == nil else {
            return next.respond(to: request)
        }
        let reserved = declared ?? limit
        guard budget.reserve(reserved) else { return request.eventLoop.makeFailedFuture(AppError.overloaded(retryAfter: 1)) }
        return request.continueInTask { [budget] in
            do {
                try await collect(request, limit: limit)
            } catch {
                budget.release(reserved)
                throw error
            }
            return next.respond(to: request).always { _ in budget.release(reserved) }
        }
    }

    /// Collects the body, or gives up after `timeout` without waiting for it any longer.
    private func collect(_ request: Request, limit: Int) async throws {
        let promise = request.eventLoop.makePromise(of: Void.self)
        // Whichever comes first completes the promise; the other finds it done.
        let first = FirstCompletion()
        let finish: @Sendable (Result<Void, any Error>) -> Void = { result in
            if first.claim() { promise.completeWith(result) }
        }
        let deadline = request.eventLoop.scheduleTask(in: timeout) {
            finish(.failure(Abort(.requestTimeout, reason: "The body did not arrive in time.")))
        }
        request.body.collect(max: limit).whenComplete { result in finish(result.map { _ in () }) }
        defer { deadline.cancel() }
        try await promise.futureResult.get()
    }
}

extension Request {
    /// Whether the request says it sends a body: a `Content-Length` above 0, or a `Transfer-Encoding`.
    var announcesBody: Bool {
        (headers.first(name: .contentLength).flatMap(Int.init) ?? 0) > 0 || headers.contains(name: .transferEncoding)
    }
}

extension Route {
    private static let bodyLimitKey = "booking.bodyLimit"

    /// The most bytes this route reads as a body; nil for the application's default.
    var bodyLimit: Int? {
        get { userInfo[Self.bodyLimitKey] as? Int }
        set { userInfo[Self.bodyLimitKey] = newValue }
    }
}
