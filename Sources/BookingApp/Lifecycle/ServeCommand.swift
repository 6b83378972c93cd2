import ServiceLifecycle
import Vapor

/// `booking serve` (the default command): migrates the database and creates the admin if none exists,
/// then runs the HTTP server and the background jobs until SIGTERM or SIGINT, and stops them gracefully.
struct ServeCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "hostname", short: "H", help: "The address to listen on (default 127.0.0.1).")
        var hostname: String?

        @Option(name: "port", short: "p", help: "The port to listen on (default PORT, else 8080).")
        var port: Int?
    }

    var help: String { "Migrates the database, creates the admin if none exists, then serves HTTP and runs the background jobs." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if let files = OpenFileLimit.raiseToHardLimit() {
            app.logger.info("Open-file limit: \(files) (connections and database sockets share it)")
        }
        try await prepare(app)
        let address: BindAddress? = signature.hostname == nil && signature.port == nil
            ? nil : .hostname(signature.hostname, port: signature.port)
        // Shut down in reverse order: the server drains its requests first, then the jobs stop, then the
        // trace exporter sends what is left.
        let exporter = app.serverContext.traceExport.map { [$0] } ?? []
        let group = ServiceGroup(
            services: exporter + BackgroundJobs.all(for: app) + [HTTPServerService(app: app, address: address)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: app.logger
        )
        try await group.run()
    }
}
