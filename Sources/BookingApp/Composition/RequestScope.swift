import Vapor

/// The request a task is serving, if any: its logger (tagged with the request id) and its event loop.
/// The storage is built once for the whole process, so it finds the request here to run its statements
/// on the request's event loop and log them under the request's id. `RequestDeadlineMiddleware` sets it
/// for the task that serves the request, which every task the request starts inherits.
struct RequestScope: Sendable {
    let logger: Logger
    let eventLoop: any EventLoop

    @TaskLocal static var current: RequestScope?
}
