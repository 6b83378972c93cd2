import AsyncPrimitives
import Vapor

/// Shutdown's first step: new requests are refused, and those in flight get up to `SHUTDOWN_TIMEOUT` to
/// finish before the application's storage (database pools included) is taken down. A request still
/// running after that finds its databases closed and is answered 503; nothing it reaches crashes.
struct RequestDrain: LifecycleHandler {
    let requests: Drain
    let timeout: TimeInterval

    func shutdownAsync(_ application: Application) async {
        let left = await requests.drained(within: .milliseconds(Int64(timeout * 1000)))
        if left > 0 {
            application.logger.warning("Shutting down with requests still running", metadata: [
                "requests": "\(left)", "waited_seconds": "\(timeout)",
            ])
        }
    }
}
