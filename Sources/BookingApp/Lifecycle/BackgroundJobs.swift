import BookingDomain
import ServiceLifecycle
import Vapor

/// Every background job `serve` runs beside the HTTP server. A new job is one more entry here: a
/// ``PeriodicJob`` with its interval, calling a domain service.
enum BackgroundJobs {
    static func all(for app: Application) -> [any Service] {
        let domain = app.domain, logger = app.logger
        var mail: [any Service] = []
        if let relay = domain.mail {
            // Plans the messages the new events call for and sends the due ones; every replica runs it,
            // leases keep two from planning at once or sending one message twice on purpose.
            mail.append(PeriodicJob(name: "mail-relay", firstDelay: .seconds(2), interval: .seconds(1), clock: ContinuousClock(), logger: logger) {
                let sent = try await relay.runOnce()
                if sent > 0 { logger.debug("Mail sent", metadata: ["messages": "\(sent)"]) }
            })
        } else {
            logger.info("SMTP_URL is not set: no e-mail is sent")
        }
        return mail + [
            // Forgets expired tokens, keys and throttle records every hour. The first purge comes a few
            // minutes after start-up, at a random moment, so replicas started together do not all purge at once.
            PeriodicJob(name: "housekeeping", firstDelay: .seconds(Int.random(in: 60...300)), interval: .seconds(3600),
                        clock: ContinuousClock(), logger: logger) {
                let purged = try await domain.housekeeping.purgeExpired()
                logger.info("Housekeeping", metadata: [
                    "tokens": "\(purged.tokens)", "idempotency_keys": "\(purged.idempotencyKeys)",
                    "login_attempts": "\(purged.loginAttempts)", "signup_attempts": "\(purged.signupAttempts)",
                    "events": "\(purged.events)", "webhook_deliveries": "\(purged.webhookDeliveries)",
                    "holds": "\(purged.holds)", "write_counts": "\(purged.writeCounts)",
                ])
            },
            // Writes down expired holds (status, units back to available) and reads the units held for the
            // gauge. Tidying only: every read already counts an expired hold's units as available.
            PeriodicJob(name: "hold-expiry", firstDelay: .seconds(Int.random(in: 1...5)), interval: .seconds(5),
                        clock: ContinuousClock(), logger: logger) {
                let expired = try await domain.holds.tidy()
                if expired > 0 { logger.debug("Holds expired", metadata: ["holds": "\(expired)"]) }
            },
            // Numbers the committed events and sends them to the webhook endpoints that are due. Every
            // replica runs it; leases keep two from sending to one endpoint at once.
            PeriodicJob(name: "webhook-relay", firstDelay: .seconds(1), interval: .seconds(1), clock: ContinuousClock(), logger: logger) {
                let delivered = try await domain.relay.runOnce()
                if delivered > 0 { logger.debug("Webhooks delivered", metadata: ["events": "\(delivered)"]) }
            },
            // The age of each endpoint's oldest undelivered event, for the lag gauge.
            PeriodicJob(name: "webhook-lag", firstDelay: .seconds(15), interval: .seconds(15), clock: ContinuousClock(), logger: logger) {
                try await domain.relay.measureLag()
            },
            // Writes the reminders that are due (hold.expiring, booking.starting); every replica runs it, and
            // each reminder is claimed by one.
            PeriodicJob(name: "reminders", firstDelay: .seconds(Int.random(in: 1...5)), interval: .seconds(5), clock: ContinuousClock(), logger: logger) {
                let written = try await domain.reminders.runOnce()
                if written > 0 { logger.debug("Reminders", metadata: ["reminders": "\(written)"]) }
            },
            // Returns memory freed after a burst (a flood of bodies, say) to the system; a few milliseconds.
            PeriodicJob(name: "free-memory", firstDelay: .seconds(10), interval: .seconds(10), clock: ContinuousClock(), logger: logger) {
                FreeMemory.returnToSystem()
            },
        ]
    }
}
