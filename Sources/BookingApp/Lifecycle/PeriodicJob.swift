import Logging
import ServiceLifecycle

/// Background work as a service: runs `work` after `firstDelay`, then every `interval`, until the service
/// group shuts down (SIGTERM, SIGINT) or is cancelled. A run that fails is logged and tried again at the
/// next interval; a run in progress at shutdown is cancelled, and its work decides how soon to stop.
struct PeriodicJob<C: Clock>: Service where C.Duration == Duration {
    let name: String
    let firstDelay: Duration
    let interval: Duration
    let clock: C
    let logger: Logger
    let work: @Sendable () async throws -> Void

    func run() async throws {
        let (name, firstDelay, interval, clock, logger, work) = (name, firstDelay, interval, clock, logger, work)
        do {
            try await cancelWhenGracefulShutdown {
                var delay = firstDelay
                while true {
                    try await clock.sleep(for: delay)
                    delay = interval
                    do {
                        try await work()
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        logger.warning("\(name) failed; retrying at the next interval",
                                       metadata: ["job": .string(name), "error": "\(String(reflecting: error))"])
                    }
                }
            }
        } catch is CancellationError {
            // Shutting down: stopping is the job's normal end.
        }
    }
}
