import Synchronization
import Testing
import Vapor
@testable import BookingApp

/// A request's async steps (the token check, the body, the handler) run one after another on the task
/// that serves it (`RequestScope.serve`), instead of a task each; off that task they still run, on one of
/// their own.
@Suite("A request's steps on its task")
struct RequestStepsTests {
    /// What each step saw: its name, the task it ran on, whether that task was cancelled.
    final class Record: Sendable {
        struct Entry: Equatable {
            let name: String
            let task: Int?
            let cancelled: Bool
        }

        private let entries = Mutex<[Entry]>([])

        func note(_ name: String) {
            let entry = Entry(name: name, task: Self.currentTask(), cancelled: Task.isCancelled)
            entries.withLock { $0.append(entry) }
        }

        var all: [Entry] { entries.withLock { $0 } }

        static func currentTask() -> Int? { withUnsafeCurrentTask { $0?.hashValue } }
    }

    /// Serves `start` on a task of its own, as `RequestServingMiddleware` does, and tells which task that was.
    static func serve(_ request: Request, cancelled: Bool = false,
                      _ start: @escaping @Sendable () -> EventLoopFuture<Response>) async throws -> (Response, task: Int?) {
        let scope = RequestScope(logger: request.logger, eventLoop: request.eventLoop)
        let task = Task {
            if cancelled { withUnsafeCurrentTask { $0?.cancel() } }
            return (try await scope.serve(start), Record.currentTask())
        }
        return try await task.value
    }

    static func withRequest(_ body: (Request) async throws -> Void) async throws {
        let app = try await Application.make(.testing)
        do {
            try await body(Request(application: app, method: .GET, url: "/", on: app.eventLoopGroup.next()))
        } catch {
            try await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    @Test("steps handed on by the chain run in order on the serving task, and see its cancellation")
    func stepsOnTheServingTask() async throws {
        try await Self.withRequest { request in
            for cancelled in [false, true] {
                let record = Record()
                let (response, task) = try await Self.serve(request, cancelled: cancelled) {
                    request.continueInTask {
                        record.note("token")
                        return request.continueInTask {
                            record.note("body")
                            return request.answerInTask {
                                record.note("handler")
                                return Response(status: .accepted)
                            }
                        }
                    }
                }
                #expect(response.status == .accepted)
                #expect(task != nil)
                #expect(record.all == ["token", "body", "handler"].map { .init(name: $0, task: task, cancelled: cancelled) })
            }
        }
    }

    @Test("a step handed on after the serving task took its last (from a future's callback) runs on a task of its own, and the steps it hands on with it")
    func stepOffTheTask() async throws {
        try await Self.withRequest { request in
            let record = Record(), later = request.eventLoop.makePromise(of: Void.self)
            let scope = RequestScope(logger: request.logger, eventLoop: request.eventLoop)
            let serving = Task {
                (try await scope.serve {
                    record.note("chain")
                    return later.futureResult.flatMap {
                        request.continueInTask {
                            record.note("late")
                            return request.answerInTask {
                                record.note("handler")
                                return Response(status: .created)
                            }
                        }
                    }
                }, Record.currentTask())
            }
            try await eventually { !scope.steps.isTaking }
            later.succeed(())
            let (response, task) = try await serving.value
            #expect(response.status == .created)
            let entries = record.all
            #expect(entries.map(\.name) == ["chain", "late", "handler"])
            #expect(entries[0].task == task)
            #expect(entries[1].task != nil && entries[1].task != task, "the late step has a task of its own")
            #expect(entries[2].task == entries[1].task, "and the step it hands on runs on that task")
        }
    }

    @Test("a step that fails fails the answer, and nothing after it runs")
    func failingStep() async throws {
        struct Refused: Error {}
        try await Self.withRequest { request in
            let record = Record()
            await #expect(throws: Refused.self) {
                _ = try await Self.serve(request) {
                    request.continueInTask {
                        record.note("token")
                        throw Refused()
                    }
                }
            }
            #expect(record.all.map(\.name) == ["token"])
        }
    }
}
