import AsyncPrimitives
import BookingDomain
import NIOCore
import Vapor

/// Reads a request's body before its handler runs, never decompressed (a `Content-Encoding` is 415), within
/// three bounds: the route's own size limit (a declared `Content-Length` over it is 413 before the body is
/// read), a budget shared by every body being read at once (past it, 503 `server_busy` at once), and a
/// time limit (past it, 408). An API route reads it after the access check (``RouteGate``), so a route that
/// needs a token answers 401 without reading the body; the web pages, through ``RequestBodyMiddleware``.
/// What a refused request still sends, Vapor reads and drops as it arrives (it does not buffer it); the
/// idle time-out and the proxy's `client_body_timeout` end a client that trickles.
struct RequestBodies: Sendable {
    let budget: ByteBudget
    /// The limit of a route that sets none of its own (16 KB).
    let defaultLimit: Int
    let timeout: TimeAmount

    /// What a body being read holds of the budget, until its request is answered.
    struct Reservation: Sendable {
        let limit: Int
        let bytes: Int
    }

    /// Checks the body's declared size and coding and reserves its share of the budget; nil when there is
    /// nothing to read (no body announced, or a small one that arrived with the head). `limit` is asked
    /// only of a request with a body (a route's own is a look-up in its `userInfo`).
    func reserve(for request: Request, limit: @autoclosure () -> Int) throws -> Reservation? {
        guard request.announcesBody else { return nil }
        let declared = request.headers.first(name: .contentLength).flatMap(Int.init)
        let limit = limit()
        if let declared, declared > limit {
            throw Abort(.payloadTooLarge, reason: "The body may be at most \(limit) bytes here.")
        }
        if let coding = request.headers.first(name: .contentEncoding), coding.lowercased() != "identity" {
            // Bodies are never decompressed: a few compressed bytes can inflate far past every limit.
            throw Abort(.unsupportedMediaType, reason: "Request bodies are read as sent, not decompressed: send the body without Content-Encoding.")
        }
        guard request.body.data == nil else { return nil }
        let bytes = declared ?? limit
        guard budget.reserve(bytes) else { throw AppError.overloaded(retryAfter: 1) }
        return Reservation(limit: limit, bytes: bytes)
    }

    /// Collects the body, or gives up after `timeout` without waiting for it any longer; a failure gives
    /// the reservation back.
    func collect(_ request: Request, _ reservation: Reservation) async throws {
        let promise = request.eventLoop.makePromise(of: Void.self)
        // Whichever comes first completes the promise; the other finds it done.
        let first = FirstCompletion()
        let finish: @Sendable (Result<Void, any Error>) -> Void = { result in
            if first.claim() { promise.completeWith(result) }
        }
        let deadline = request.eventLoop.scheduleTask(in: timeout) {
            finish(.failure(Abort(.requestTimeout, reason: "The body did not arrive in time.")))
        }
        request.body.collect(max: reservation.limit).whenComplete { result in finish(result.map { _ in () }) }
        defer { deadline.cancel() }
        do {
            try await promise.futureResult.get()
        } catch {
            release(reservation)
            throw error
        }
    }

    func release(_ reservation: Reservation) {
        budget.release(reservation.bytes)
    }

    /// Reads the body, if any is left to read, then answers with `handler`, holding the body's share of the
    /// budget until it has.
    func read(_ request: Request, limit: Int, then handler: () async throws -> Response) async throws -> Response {
        guard let reservation = try reserve(for: request, limit: limit) else { return try await handler() }
        try await collect(request, reservation)
        defer { release(reservation) }
        return try await handler()
    }
}

/// The web pages' body reading (``RequestBodies``), after their session is read; each route's own limit,
/// if it sets one, from its `userInfo`.
struct RequestBodyMiddleware: Middleware {
    let bodies: RequestBodies

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let reservation: RequestBodies.Reservation?
        do {
            reservation = try bodies.reserve(for: request, limit: request.route?.bodyLimit ?? bodies.defaultLimit)
        } catch {
            return request.eventLoop.makeFailedFuture(error)
        }
        guard let reservation else { return next.respond(to: request) }
        return request.continueInTask { [bodies] in
            try await bodies.collect(request, reservation)
            return next.respond(to: request).always { _ in bodies.release(reservation) }
        }
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
