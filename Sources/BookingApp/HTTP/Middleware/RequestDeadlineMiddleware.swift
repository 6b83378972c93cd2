import NIOCore
import Synchronization
import Vapor

/// Runs the rest of a request (routing, the access check, the body, the handler) as one task of its own,
/// in the request's scope (``RequestScope``, which the storage reads), answered within `REQUEST_TIMEOUT`.
/// The chain's async steps run on that task one after another (``Request/continueInTask(_:)``).
///
/// Each database step has its own bound (a connection within `DATABASE_TIMEOUT`, an answer within
/// `DATABASE_STATEMENT_TIMEOUT`), but a request takes several in a row, and during a failover each may use
/// its whole bound. Past the request's, it is answered 503 `database_unavailable` with `Retry-After`, and
/// its task is cancelled (which the steps notice only at their next check); like any 503 of a write, what
/// it was doing may still commit, so a booking or hold is retried with its Idempotency-Key (which then
/// replays it, or says it is still in progress).
///
/// It costs a request one task (so that the answer need not wait for work that does not notice
/// cancellation, and so that every task the request starts inherits its scope) and one timer on its event
/// loop, cancelled when the work answers first. The middleware outside it run on the event loop without a
/// task of their own; the token check, the body and the handler run on its task, so they are cancelled
/// with it.
struct RequestDeadlineMiddleware: Middleware {
    let limit: Duration

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let answer = request.eventLoop.makePromise(of: Response.self), first = FirstCompletion()
        let scope = RequestScope(logger: request.logger, eventLoop: request.eventLoop)
        let work = Task {
            let result: Result<Response, any Error>
            do {
                result = .success(try await scope.serve { next.respond(to: request) })
            } catch {
                result = .failure(error)
            }
            if first.claim() { answer.completeWith(result) }
        }
        let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
        let timer = request.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {
            guard first.claim() else { return }
            work.cancel()
            request.logger.warning("Request answered 503 past REQUEST_TIMEOUT; its work is cancelled")
            answer.fail(RequestTimedOut())
        }
        answer.futureResult.whenComplete { _ in timer.cancel() }
        return answer.futureResult
    }
}

/// Which of two racers completes a promise (the work or its timer): the first to claim it; the other
/// finds it claimed and does nothing. Used by the request's deadline and the body's.
final class FirstCompletion: Sendable {
    private let claimed = Atomic<Bool>(false)

    func claim() -> Bool {
        !claimed.exchange(true, ordering: .acquiringAndReleasing)
    }
}

/// A request that took longer than `REQUEST_TIMEOUT`: 503 `database_unavailable` (its steps wait only on
/// the database, or on the password queue, whose own bound is shorter).
struct RequestTimedOut: Error {}
