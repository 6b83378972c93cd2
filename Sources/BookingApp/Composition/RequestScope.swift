import Synchronization
import Vapor

/// The request a task is serving, if any: its logger (tagged with the request id), its event loop, and the
/// async steps its chain hands on (``Request/continueInTask(_:)``). The storage is built once for the whole
/// process, so it finds the request here to run its statements on the request's event loop and log them
/// under the request's id. `RequestServingMiddleware` serves each request on a task of its own in its
/// scope, which every task the request starts inherits.
struct RequestScope: Sendable {
    let logger: Logger
    let eventLoop: any EventLoop
    let steps = RequestSteps()

    @TaskLocal static var current: RequestScope?

    /// Answers a request on the current task: calls `start` (the rest of the chain) in this scope, runs the
    /// async steps the chain hands on, in order, then awaits the answer.
    func serve(_ start: () -> EventLoopFuture<Response>) async throws -> Response {
        try await Self.$current.withValue(self) {
            let answer = start()
            await runSteps()
            return try await answer.get()
        }
    }

    /// Runs `first` in this scope, then the steps it hands on.
    func run(_ first: @escaping RequestSteps.Step) async {
        await Self.$current.withValue(self) {
            await first()
            await runSteps()
        }
    }

    private func runSteps() async {
        while let step = steps.next() { await step() }
    }
}

/// The async steps of one request's chain (the token check, the body, the handler) waiting for the task
/// serving it. Each step hands on the next, so they run one after another on that task; once the task has
/// none left it takes no more (it awaits the answer), and a later step starts a task of its own.
final class RequestSteps: Sendable {
    typealias Step = @Sendable () async -> Void

    private struct State {
        var pending: [Step] = []
        var closed = false
    }

    private let state = Mutex(State())

    /// Queues `step` for the serving task; false once that task takes no more.
    func offer(_ step: @escaping Step) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.pending.append(step)
            return true
        }
    }

    /// Whether the serving task still takes steps.
    var isTaking: Bool { state.withLock { !$0.closed } }

    /// The next step, or nil (and no more are taken).
    fileprivate func next() -> Step? {
        state.withLock { state in
            guard !state.pending.isEmpty else {
                state.closed = true
                return nil
            }
            return state.pending.removeFirst()
        }
    }
}

extension Request {
    /// Runs `work` as a step of the task serving this request, so an async step of the chain (the token
    /// check, reading the body) costs no task and no hop between tasks of its own. `work` returns the rest
    /// of the chain's answer without awaiting it: the task runs the rest's steps after this one, so a step
    /// that awaited it would wait for ever. Called off that task (from a future's callback, or after the
    /// task has begun to await its answer), `work` runs on a task of its own in the same way.
    func continueInTask(_ work: @escaping @Sendable () async throws -> EventLoopFuture<Response>) -> EventLoopFuture<Response> {
        respondInTask { answer in answer.completeWith(try await work()) }
    }

    /// Runs a handler as the last step of the task serving this request, as ``continueInTask(_:)`` does.
    func answerInTask(_ handler: @escaping @Sendable () async throws -> Response) -> EventLoopFuture<Response> {
        respondInTask { answer in answer.succeed(try await handler()) }
    }

    private func respondInTask(_ step: @escaping @Sendable (EventLoopPromise<Response>) async throws -> Void) -> EventLoopFuture<Response> {
        let answer = eventLoop.makePromise(of: Response.self)
        let run: RequestSteps.Step = {
            do {
                try await step(answer)
            } catch {
                answer.fail(error)
            }
        }
        let current = RequestScope.current
        if let current, current.steps.offer(run) { return answer.futureResult }
        let scope = RequestScope(logger: current?.logger ?? logger, eventLoop: eventLoop)
        Task { await scope.run(run) }
        return answer.futureResult
    }
}
