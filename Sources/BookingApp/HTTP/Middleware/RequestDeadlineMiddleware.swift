import AsyncPrimitives
import Vapor

/// Every request is answered within `REQUEST_TIMEOUT`: each database step has its own bound (a connection
/// within `DATABASE_TIMEOUT`, an answer within `DATABASE_STATEMENT_TIMEOUT`), but a request takes several
/// in a row, and during a failover each may use its whole bound. Past the request's, it is answered 503
/// `database_unavailable` with `Retry-After`, and its task is cancelled (which the steps notice only at
/// their next check); like any 503 of a write, what it was doing may still commit, so a booking or hold is
/// retried with its Idempotency-Key (which then replays it, or says it is still in progress).
struct RequestDeadlineMiddleware: AsyncMiddleware {
    let limit: Duration

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // Task-local values (the request's scope) go with the work onto its own task.
        let work = Task { try await next.respond(to: request) }
        guard let answer = await FirstAnswer<Result<Response, any Error>?>.race({ await work.result }, orAfter: limit) else {
            work.cancel()
            request.logger.warning("Request answered 503 past REQUEST_TIMEOUT; its work is cancelled")
            throw RequestTimedOut()
        }
        return try answer.get()
    }
}

/// A request that took longer than `REQUEST_TIMEOUT`: 503 `database_unavailable` (its steps wait only on
/// the database, or on the password queue, whose own bound is shorter).
struct RequestTimedOut: Error {}
