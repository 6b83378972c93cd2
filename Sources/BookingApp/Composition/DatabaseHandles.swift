import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// The database handle a statement runs on: the pool of the event loop of the request it serves (read
/// from ``RequestScope``), or of any loop for a background job.
///
/// Fluent makes a handle on every ask (under its registry's lock, with a logger tagged for it, boxed and
/// cast to `SQLDatabase`): a few microseconds that a request paid once per store it touched. The logger
/// a handle is made with is read only to log statements, at `debug` and `trace`; above those, one handle
/// per event loop, made on its first ask, serves every request on that loop. At `debug` and below each
/// ask still gets a handle logging under its request's id, as before.
final class DatabaseHandles: Sendable {
    private let databases: Databases
    private let id: DatabaseID?
    private let loops: any EventLoopGroup
    private let logger: Logger
    private let made = NIOLockedValueBox<[ObjectIdentifier: any SQLDatabase]>([:])

    init(_ databases: Databases, id: DatabaseID? = nil, loops: any EventLoopGroup, logger: Logger) {
        self.databases = databases
        self.id = id
        self.loops = loops
        self.logger = logger
    }

    /// nil once the registry is shut down (the handles made before it then fail as its pools do).
    func database() -> (any SQLDatabase)? {
        let scope = RequestScope.current
        let loop = scope?.eventLoop ?? loops.any()
        if let requestLogger = scope?.logger, requestLogger.logLevel <= .debug { return make(on: loop, logger: requestLogger) }
        // Looked up and, on a loop's first ask, made under one lock: every caller gets the loop's one handle.
        return made.withLockedValue { handles in
            if let handle = handles[ObjectIdentifier(loop)] { return handle }
            let handle = make(on: loop, logger: logger)
            handles[ObjectIdentifier(loop)] = handle
            return handle
        }
    }

    private func make(on loop: any EventLoop, logger: Logger) -> (any SQLDatabase)? {
        databases.database(id, logger: logger, on: loop) as? any SQLDatabase
    }
}
