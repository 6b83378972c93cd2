import BookingDomain
import Foundation
import SQLKit

struct SQLNotificationStore: NotificationStore {
    let storage: SQLStorage
    var session: SQLSession { storage.session }

    func claimPlanning(token: String, leaseUntil: Date, at now: Date) async throws -> PlanningLease? {
        try await session.write { sql in
            try await sql.raw("""
                UPDATE mail_state SET lease_token = \(bind: token), lease_until = \(bind: leaseUntil)
                WHERE id = 1 AND (lease_until IS NULL OR lease_until <= \(bind: now))
                RETURNING last_event_id
                """).first().map { PlanningLease(cursor: try $0.decode(column: "last_event_id", as: Int?.self)) }
        }
    }

    func queue(_ mails: [PlannedMail], messageIDHost: String, cursor: Int, token: String, at now: Date) async throws -> Bool {
        try await storage.withTransaction { tx in
            let sql = tx.session.sql
            // The lease row locked first: a relay whose lease ran out and was taken over writes nothing.
            guard try await sql.raw("""
                SELECT id FROM mail_state WHERE id = 1 AND lease_token = \(bind: token)\(tx.session.lockRows)
                """).first() != nil else { return false }
            for mail in mails {
                try await sql.raw("""
                    INSERT INTO notifications (event_id, kind, template, user_id, recipient_name, recipient_email, message_id, unsubscribe_token,
                                               facts, next_attempt_at, created_at)
                    SELECT \(bind: mail.eventID), \(bind: mail.kind.rawValue), \(bind: mail.template), u.id, u.username, u.email,
                           \(bind: mail.messageID(host: messageIDHost)), \(bind: SessionService.makeToken()), \(bind: EventValue.json(mail.facts)),
                           \(bind: now), \(bind: now)
                    FROM users u WHERE u.id = \(bind: mail.userID)
                      AND (\(bind: mail.kind == .security) OR ',' || u.mail_off || ',' NOT LIKE \(bind: "%,\(mail.kind.rawValue),%"))
                    ON CONFLICT (message_id) DO NOTHING
                    """).run()
            }
            try await sql.raw("""
                UPDATE mail_state SET last_event_id = \(bind: cursor), lease_token = NULL, lease_until = NULL
                WHERE id = 1 AND lease_token = \(bind: token)
                """).run()
            return true
        }
    }

    func claimDue(token: String, leaseUntil: Date, at now: Date, limit: Int) async throws -> [QueuedMail] {
        return try await session.write { sql in
            try await sql.raw("""
                UPDATE notifications SET lease_token = \(bind: token), lease_until = \(bind: leaseUntil)
                WHERE id IN (
                    SELECT id FROM notifications
                    WHERE status = 'queued' AND next_attempt_at <= \(bind: now) AND (lease_until IS NULL OR lease_until <= \(bind: now))
                    ORDER BY id LIMIT \(bind: limit)\(session.skipLocked))
                RETURNING \(Self.columns)
                """).all()
        }.map(Self.mail(row:))
    }

    func record(_ id: Int, token: String, outcome: MailOutcome, retryAt: Date?, at now: Date) async throws {
        let assignments: SQLQueryString = switch outcome {
        case .sent:
            "status = 'sent', sent_at = \(bind: now), last_error = NULL"
        case .failed(_, let reason):
            retryAt.map { "next_attempt_at = \(bind: $0), last_error = \(bind: String(reason.prefix(500)))" }
                ?? "status = 'failed', last_error = \(bind: String(reason.prefix(500)))"
        }
        try await session.write { sql in
            try await sql.raw("""
                UPDATE notifications SET \(assignments), attempts = attempts + 1, lease_token = NULL, lease_until = NULL
                WHERE id = \(bind: id) AND lease_token = \(bind: token)
                """).run()
        }
    }

    func list(status: QueuedMail.Status?, limit: Int, offset: Int) async throws -> [QueuedMail] {
        let which: SQLQueryString = status.map { " WHERE status = \(bind: $0.rawValue)" } ?? ""
        return try await session.sql.raw("""
            SELECT \(Self.columns) FROM notifications\(which) ORDER BY id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)
            """).all().map(Self.mail(row:))
    }

    func recipient(ofUnsubscribeToken token: String) async throws -> (user: Int, kind: NotificationKind)? {
        guard let row = try await session.sql.raw("SELECT user_id, kind FROM notifications WHERE unsubscribe_token = \(bind: token)").first(),
              let kind = NotificationKind(rawValue: try row.decode(column: "kind", as: String.self)) else { return nil }
        return (try row.decode(column: "user_id", as: Int.self), kind)
    }

    func oldestUnsent() async throws -> Date? {
        try await session.sql.raw("SELECT MIN(created_at) AS oldest FROM notifications WHERE status = 'queued'").first()?
            .decode(column: "oldest", as: Date?.self)
    }

    func retry(id: Int, at now: Date) async throws -> QueuedMail? {
        try await session.write { sql in
            try await sql.raw("""
                UPDATE notifications SET status = CASE WHEN status = 'sent' THEN 'sent' ELSE 'queued' END, next_attempt_at = \(bind: now)
                WHERE id = \(bind: id)
                RETURNING \(Self.columns)
                """).first()
        }.map(Self.mail(row:))
    }

    static let columns: SQLQueryString = """
        id, event_id, kind, template, user_id, recipient_name, recipient_email, message_id, unsubscribe_token, facts, status, attempts,
        last_error, created_at, sent_at
        """

    static func mail(row: any SQLRow) throws -> QueuedMail {
        guard let kind = NotificationKind(rawValue: try row.decode(column: "kind", as: String.self)),
              let status = QueuedMail.Status(rawValue: try row.decode(column: "status", as: String.self)) else {
            throw DatabaseInvariantViolation("an unknown notification kind or status")
        }
        let facts = (try? JSONDecoder().decode([String: EventValue].self, from: Data(try row.decode(column: "facts", as: String.self).utf8))) ?? [:]
        return QueuedMail(
            id: try row.decode(column: "id", as: Int.self), eventID: try row.decode(column: "event_id", as: Int.self), kind: kind,
            template: try row.decode(column: "template", as: String.self), userID: try row.decode(column: "user_id", as: Int.self),
            recipientName: try row.decode(column: "recipient_name", as: String.self),
            recipientEmail: try row.decode(column: "recipient_email", as: String.self),
            messageID: try row.decode(column: "message_id", as: String.self),
            unsubscribeToken: try row.decode(column: "unsubscribe_token", as: String.self), facts: facts, status: status,
            attempts: try row.decode(column: "attempts", as: Int.self), lastError: try row.decode(column: "last_error", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self), sentAt: try row.decode(column: "sent_at", as: Date?.self))
    }
}
