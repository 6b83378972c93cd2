import AsyncPrimitives
import NIOCore
import Synchronization
import Vapor

/// Serves every request, between Vapor's HTTP handler (and the request's span, when tracing is on) and the
/// routes. In order, it
/// 1. names the request (``ResponseHeaders/requestID(of:)``);
/// 2. admits it unless shutdown has begun (then answers 503 `shutting_down` at once, without touching
///    anything shutdown is taking away), counting the requests being served in the `Drain` shutdown waits
///    for (``RequestDrain``);
/// 3. runs the rest of the chain (routing, the access check, the body, the handler) as one task of its
///    own, in the request's scope (``RequestScope``, which the storage reads), answered within
///    `REQUEST_TIMEOUT`; the chain's async steps run on that task one after another
///    (``Request/continueInTask(_:)``);
/// 4. turns an error into its answer (``ErrorAnswers``: its JSON body, or the styled 404 page for a browser);
/// 5. counts the answer (``RequestMetrics``), logs it (``AccessLog``) and stamps its headers
///    (``ResponseHeaders``), so a failed request is counted and logged with its real status.
///
/// Each database step has its own bound (a connection within `DATABASE_TIMEOUT`, an answer within
/// `DATABASE_STATEMENT_TIMEOUT`), but a request takes several in a row, and during a failover each may use
/// its whole bound. Past the request's, it is answered 503 `database_unavailable` with `Retry-After`, and
/// its task is cancelled (which the steps notice only at their next check); like any 503 of a write, what
/// it was doing may still commit, so a booking or hold is retried with its Idempotency-Key (which then
/// replays it, or says it is still in progress).
///
/// One middleware, so a request costs one task (the answer need not wait for work that does not notice
/// cancellation, and every task the request starts inherits its scope), one timer on its event loop
/// (cancelled when the work answers first) and one future: as five middleware and a deadline, each cost a
/// future, a callback and a responder's hop of its own.
struct RequestServingMiddleware: Middleware {
    /// `REQUEST_TIMEOUT`.
    let limit: TimeAmount
    let requests: Drain
    let errors: ErrorAnswers
    let metrics: RequestMetrics
    let accessLog: AccessLog
    let headers: ResponseHeaders
    /// With CORS on (it sits inside, answering preflights and marking the chain's answers), the answers
    /// made here (past the deadline, shutting down) are marked by it too, so a browser can read them.
    var cors: CORSMiddleware? = nil

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let requestID = ResponseHeaders.requestID(of: request), started = ContinuousClock.now
        guard requests.enter() else {
            return marked(ErrorResponses.shuttingDown(), for: request).map { [self] refused in
                finish(refused, of: request, id: requestID, since: started)
                return refused
            }
        }
        let answer = request.eventLoop.makePromise(of: Response.self), first = FirstCompletion()
        let answered: @Sendable (Response) -> Void = { [self] response in
            finish(response, of: request, id: requestID, since: started)
            requests.leave()
            answer.succeed(response)
        }
        let scope = RequestScope(logger: request.logger, eventLoop: request.eventLoop)
        let work = Task { [errors] in
            let response: Response
            do {
                response = try await scope.serve { next.respond(to: request) }
            } catch {
                response = await errors.answer(for: error, to: request)
            }
            if first.claim() { answered(response) }
        }
        let timer = request.eventLoop.scheduleTask(in: limit) { [errors] in
            guard first.claim() else { return }
            work.cancel()
            request.logger.warning("Request answered 503 past REQUEST_TIMEOUT; its work is cancelled")
            marked(errors.json.response(for: RequestTimedOut(), to: request), for: request).whenSuccess(answered)
        }
        answer.futureResult.whenComplete { _ in timer.cancel() }
        return answer.futureResult
    }

    /// `response` with CORS's headers when CORS is on.
    private func marked(_ response: Response, for request: Request) -> EventLoopFuture<Response> {
        guard let cors else { return request.eventLoop.makeSucceededFuture(response) }
        return cors.respond(to: request, chainingTo: ReadyAnswer(response: response))
    }

    private func finish(_ response: Response, of request: Request, id requestID: String, since started: ContinuousClock.Instant) {
        metrics.record(response, of: request, since: started)
        accessLog.record(response, of: request, since: started)
        headers.stamp(response, to: request, id: requestID)
    }
}

/// A responder whose answer is already made.
private struct ReadyAnswer: Responder {
    let response: Response

    func respond(to request: Request) -> EventLoopFuture<Response> {
        request.eventLoop.makeSucceededFuture(response)
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
