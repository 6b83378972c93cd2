import Clocks
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing
import Vapor
@testable import BookingApp

@Suite("Background jobs and the server as services")
struct LifecycleTests {
    struct Boom: Error {}

    /// Waits until `condition` holds (the job runs on its own task after the clock moves), for as long as
    /// a loaded machine may need, bounded so a broken job fails the test instead of hanging it.
    func eventually(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while !condition(), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits (bounded, generously) until something sleeps on `clock`: advancing it before the job has gone
    /// back to sleep would move time past a sleep that then starts from the new time and never ends.
    func untilSleeping(_ clock: TestClock<Duration>) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            do { try await clock.checkSuspension() } catch { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("nothing went to sleep on the test clock")
    }

    @Test("a periodic job runs after its first delay, then every interval; a failed run is logged and the next still comes; shutdown stops it")
    func periodicJob() async throws {
        let clock = TestClock<Duration>()
        let runs = Mutex(0)
        let logs = CapturedLogs()
        let job = PeriodicJob(name: "probe", firstDelay: .seconds(5), interval: .seconds(60), clock: clock,
                              logger: Logger(label: "test", factory: logs.handler)) {
            let run = runs.withLock { $0 += 1; return $0 }
            if run == 2 { throw Boom() }
        }
        try await testGracefulShutdown { trigger in
            let running = Task { try await job.run() }
            try await untilSleeping(clock)
            await clock.advance(by: .seconds(4))
            try await Task.sleep(for: .milliseconds(50))
            #expect(runs.withLock { $0 } == 0, "not before its first delay")
            await clock.advance(by: .seconds(1))
            try await eventually { runs.withLock { $0 } == 1 }
            #expect(runs.withLock { $0 } == 1)
            try await untilSleeping(clock)
            await clock.advance(by: .seconds(60))
            try await eventually { runs.withLock { $0 } == 2 }
            try await untilSleeping(clock)
            await clock.advance(by: .seconds(60))
            try await eventually { runs.withLock { $0 } == 3 }
            #expect(runs.withLock { $0 } == 3, "the run after a failure still comes")
            #expect(logs.all.contains { $0.contains("probe failed") && $0.contains("Boom") })

            trigger.triggerGracefulShutdown()
            try await running.value
            await clock.advance(by: .seconds(600))
            try await Task.sleep(for: .milliseconds(50))
            #expect(runs.withLock { $0 } == 3, "nothing runs after shutdown")
        }
    }

    @Test("a run in progress at shutdown is cancelled, and the job ends without waiting for the next interval")
    func shutdownDuringRun() async throws {
        let clock = TestClock<Duration>()
        let started = Mutex(false), sawCancellation = Mutex(false)
        let job = PeriodicJob(name: "long", firstDelay: .zero, interval: .seconds(3600), clock: clock,
                              logger: Logger(label: "test")) {
            started.withLock { $0 = true }
            // A long run that notices cancellation, as housekeeping's batches do.
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
            sawCancellation.withLock { $0 = true }
        }
        try await testGracefulShutdown { trigger in
            let running = Task { try await job.run() }
            try await untilSleeping(clock)
            await clock.advance(by: .zero)
            try await eventually { started.withLock { $0 } }
            trigger.triggerGracefulShutdown()
            try await running.value
            #expect(sawCancellation.withLock { $0 })
        }
    }

    @Test("the server and the jobs run as one service group; a graceful shutdown stops the server listening and ends the group")
    func serverAndJobs() async throws {
        try await withBookingApp(.sqlite) { client in
            let app = client.app
            let jobRuns = Mutex(0)
            let job = PeriodicJob(name: "tick", firstDelay: .zero, interval: .seconds(3600), clock: ContinuousClock(),
                                  logger: app.logger) { jobRuns.withLock { $0 += 1 } }
            let group = ServiceGroup(services: [job, HTTPServerService(app: app, address: .hostname("127.0.0.1", port: 0))],
                                     logger: app.logger)
            let running = Task { try await group.run() }
            var port: Int?
            try await eventually {
                port = app.http.server.shared.localAddress?.port
                return port != nil
            }
            let address = try #require(port)
            let answer = try await app.client.get("http://127.0.0.1:\(address)/health")
            #expect(answer.status == .ok)
            try await eventually { jobRuns.withLock { $0 } == 1 }
            #expect(jobRuns.withLock { $0 } == 1)

            await group.triggerGracefulShutdown()
            try await running.value
            // A plain connect: the HTTP client would keep retrying a refused connection until its timeout.
            await #expect(throws: (any Error).self, "the server no longer listens") {
                let channel = try await ClientBootstrap(group: app.eventLoopGroup).connect(host: "127.0.0.1", port: address).get()
                try await channel.close()
            }
        }
    }
}
