import BookingDomain
import Vapor

/// `booking purge`: forgets expired tokens, Idempotency-Keys and failed logins now (a running server
/// also does this every hour: `BackgroundJobs`).
struct PurgeCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Deletes expired tokens, Idempotency-Keys older than a day, and old failed logins and sign-up attempts." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepare(app)
        let purged = try await app.domain.housekeeping.purgeExpired()
        context.console.print("Deleted \(purged.tokens) expired tokens, \(purged.idempotencyKeys) expired Idempotency-Keys, "
            + "\(purged.loginAttempts) old failed logins, \(purged.signupAttempts) old sign-up attempts, "
            + "\(purged.events) events, \(purged.webhookDeliveries) webhook deliveries and \(purged.holds) ended holds past EVENT_RETENTION, "
            + "\(purged.writeCounts) past minutes' write counts.")
    }
}
