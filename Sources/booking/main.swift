import BookingApp
import Foundation
import Logging
import NIOCore
import NIOPosix
import Vapor

// Run Swift concurrency's tasks on NIO's event loops: a request's handler then resumes on the loop that
// owns its connection instead of hopping to another thread pool and back.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

let config: AppConfig
do {
    config = try AppConfig.fromEnvironment()
} catch {
    FileHandle.standardError.write(Data("booking: \(error)\n".utf8))
    exit(2)
}

var environment = try Environment.detect()
// LOG_LEVEL (or --log) picks the level, LOG_FORMAT text (Vapor's console) or json (one object per line);
// either way behind the redactor that keeps bound SQL values out of logs.
try LoggingSystem.bootstrap(from: &environment) { level in
    switch config.logFormat {
    case .text:
        let console = Terminal()
        return { label in RedactingLogHandler(wrapping: ConsoleLogger(label: label, console: console, level: level)) }
    case .json:
        return { label in RedactingLogHandler(wrapping: JSONLogHandler(label: label, level: level)) }
    }
}

let app = try await Application.make(environment)
do {
    try configure(app, with: config)
    // Serving (the default command) migrates and seeds first; other commands such as `migrate` do their own work.
    let arguments = environment.arguments.dropFirst()
    let wantsHelp = arguments.contains("--help") || arguments.contains("-h")
    let command = arguments.first
    let serving = !wantsHelp && (command == nil || command == "serve" || command?.hasPrefix("-") == true)
    var housekeeping: Task<Void, Never>?
    if serving {
        try await prepare(app, with: config)
        housekeeping = startHousekeeping(app)
    }
    try await app.execute()
    if serving {
        housekeeping?.cancel()
        await housekeeping?.value
        await drainServer(app)
    }
    try await app.asyncShutdown()
} catch {
    FileHandle.standardError.write(Data("booking: \(StartupFailure.describe(error))\n".utf8))
    try? await app.asyncShutdown()
    exit(1)
}
