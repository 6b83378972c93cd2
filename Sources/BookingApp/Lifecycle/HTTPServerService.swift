import ServiceLifecycle
import Vapor

/// Vapor's HTTP server as a service: listens until the group shuts down, then stops accepting
/// connections and lets the requests in flight finish (up to the server's shutdown timeout), so the
/// database pools never close under them.
struct HTTPServerService: Service {
    let app: Application
    let address: BindAddress?

    func run() async throws {
        try await app.server.start(address: address)
        // Returns on graceful shutdown; throws if the group is cancelled instead. Either way: drain.
        try? await gracefulShutdown()
        await app.server.shutdown()
    }
}
