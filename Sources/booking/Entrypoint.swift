import BookingApp
import Foundation
import Logging
import NIOCore
import NIOPosix
import Vapor

/// The executable: reads the configuration, sets up logging, wires the application and runs the command
/// (`serve` when none is given; `serve` migrates and runs the server and background jobs).
@main
enum Entrypoint {
    static func main() async {
        let config: AppConfig
        do {
            config = try AppConfig.fromEnvironment()
        } catch {
            fail("\(error)", status: 2)
        }
        // EVENT_LOOP_THREADS loops, made before anything uses them; and Swift concurrency's tasks run on
        // them: a request's handler then resumes on the loop that owns its connection instead of hopping
        // to another thread pool and back.
        NIOSingletons.groupLoopCountSuggestion = config.eventLoops
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

        let app: Application
        do {
            var environment = try Environment.detect()
            // LOG_LEVEL (or --log) picks the level, LOG_FORMAT text (Vapor's console) or json (one object per
            // line); either way behind the redactor that keeps bound SQL values out of logs, made once per
            // label (`LogHandlers`). With traces exported, each line also names the span it was written in.
            let traced = TraceExport.logMetadata(for: config)
            try LoggingSystem.bootstrap(from: &environment) { level in
                let output: @Sendable (String) -> any LogHandler
                switch config.logFormat {
                case .text:
                    let console = Terminal()
                    output = { label in ConsoleLogger(label: label, console: console, level: level) }
                case .json:
                    output = { label in JSONLogHandler(label: label, level: level) }
                }
                return LogHandlers { label in RedactingLogHandler(wrapping: output(label), metadataProvider: traced) }.handler(label:)
            }
            app = try await Application.make(environment)
        } catch {
            fail(StartupFailure.describe(error), status: 1)
        }
        do {
            try configure(app, with: config)
            try await app.execute()
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            fail(StartupFailure.describe(error), status: 1)
        }
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("booking: \(message)\n".utf8))
        exit(status)
    }
}
