import Vapor

/// `booking purge`: forgets expired tokens, Idempotency-Keys and failed logins now (a running server
/// also does this every hour).
struct PurgeCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Deletes expired tokens, Idempotency-Keys older than a day, and old failed logins and sign-up attempts." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepare(app, with: app.bookingConfig)
        let purged = try await OperatorContext(app).housekeeping.purgeExpired()
        context.console.print("Deleted \(purged.tokens) expired tokens, \(purged.idempotencyKeys) expired Idempotency-Keys, "
            + "\(purged.loginAttempts) old failed logins and \(purged.signupAttempts) old sign-up attempts.")
    }
}

/// While `serve` runs: the same purge every hour, the first a few minutes after start-up (at a random
/// moment, so replicas started together do not all purge at once). A failed purge is logged and retried
/// at the next hour.
public func startHousekeeping(_ app: Application) -> Task<Void, Never> {
    let housekeeping = OperatorContext(app).housekeeping
    let logger = app.logger
    return Task {
        var delay = Duration.seconds(Int.random(in: 60...300))
        while true {
            do {
                try await Task.sleep(for: delay)
            } catch {
                return  // cancelled: the server is shutting down
            }
            delay = .seconds(3600)
            do {
                let purged = try await housekeeping.purgeExpired()
                logger.info("Housekeeping", metadata: [
                    "tokens": "\(purged.tokens)", "idempotency_keys": "\(purged.idempotencyKeys)",
                    "login_attempts": "\(purged.loginAttempts)", "signup_attempts": "\(purged.signupAttempts)",
                ])
            } catch {
                logger.warning("Housekeeping failed; retrying in an hour", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }
}
