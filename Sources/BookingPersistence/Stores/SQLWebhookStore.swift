import BookingDomain
import Foundation
import SQLKit

struct SQLWebhookStore: WebhookStore {
    let session: SQLSession

    private static let columns: SQLQueryString = """
        id, url, description, event_types, enabled, disabled_reason, consecutive_failures, last_event_id, next_attempt_at, created_at, updated_at
        """

    func create(url: String, description: String, eventTypes: [EventType], secret: String, cursor: Int, at now: Date) async throws -> WebhookEndpoint {
        let row = try await session.write { sql in
            try await sql.raw("""
                INSERT INTO webhook_endpoints (url, description, event_types, secret, enabled, consecutive_failures, last_event_id,
                                               created_at, updated_at)
                VALUES (\(bind: url), \(bind: description), \(bind: Self.encode(eventTypes)), \(bind: secret), \(bind: true), 0,
                        \(bind: cursor), \(bind: now), \(bind: now))
                RETURNING \(Self.columns)
                """).first()
        }
        guard let row else { throw DatabaseInvariantViolation("an INSERT returned no row") }
        return try WebhookEndpoint(row: row)
    }

    func list() async throws -> [WebhookEndpoint] {
        try await session.sql.raw("SELECT \(Self.columns) FROM webhook_endpoints ORDER BY id").all().map(WebhookEndpoint.init(row:))
    }

    func find(id: Int) async throws -> WebhookEndpoint? {
        try await session.sql.raw("SELECT \(Self.columns) FROM webhook_endpoints WHERE id = \(bind: id)").first().map(WebhookEndpoint.init(row:))
    }

    func secret(id: Int) async throws -> String? {
        try await session.sql.raw("SELECT secret FROM webhook_endpoints WHERE id = \(bind: id)").first()?.decode(column: "secret", as: String.self)
    }

    func update(id: Int, url: String?, description: String?, eventTypes: [EventType]?, enabled: Bool?, at now: Date) async throws -> WebhookEndpoint? {
        var sets: [SQLQueryString] = ["updated_at = \(bind: now)"]
        if let url { sets.append("url = \(bind: url)") }
        if let description { sets.append("description = \(bind: description)") }
        if let eventTypes { sets.append("event_types = \(bind: Self.encode(eventTypes))") }
        if let enabled {
            sets.append("enabled = \(bind: enabled)")
            if enabled {
                // Enabled again (by an admin): no back-off, no past failures; it resumes from its cursor.
                sets.append("disabled_reason = NULL, consecutive_failures = 0, next_attempt_at = NULL")
            }
        }
        return try await session.write { sql in
            try await sql.raw("""
                UPDATE webhook_endpoints SET \(sets.joined(separator: ", ")) WHERE id = \(bind: id) RETURNING \(Self.columns)
                """).first().map(WebhookEndpoint.init(row:))
        }
    }

    func delete(id: Int) async throws -> Bool {
        try await session.write { sql in
            try await sql.raw("DELETE FROM webhook_deliveries WHERE endpoint_id = \(bind: id)").run()
            return try await sql.raw("DELETE FROM webhook_endpoints WHERE id = \(bind: id) RETURNING id").first() != nil
        }
    }

    func claimDue(at now: Date, head: Int, leaseUntil: Date, token: String, limit: Int) async throws -> [LeasedWebhook] {
        let rows = try await session.write { sql in
            try await sql.raw("""
                UPDATE webhook_endpoints SET lease_token = \(bind: token), lease_until = \(bind: leaseUntil)
                WHERE id IN (
                    SELECT id FROM webhook_endpoints
                    WHERE enabled = \(bind: true) AND last_event_id < \(bind: head)
                      AND (next_attempt_at IS NULL OR next_attempt_at <= \(bind: now))
                      AND (lease_until IS NULL OR lease_until <= \(bind: now))
                    ORDER BY id LIMIT \(bind: limit)\(session.skipLocked))
                RETURNING \(Self.columns), secret
                """).all()
        }
        return try rows.map { row in
            LeasedWebhook(endpoint: try WebhookEndpoint(row: row), secret: try row.decode(column: "secret", as: String.self), lease: token)
        }
    }

    func advance(endpointID: Int, lease: String, cursor: Int, leaseUntil: Date) async throws -> Bool {
        try await session.write { sql in
            try await sql.raw("""
                UPDATE webhook_endpoints SET last_event_id = \(bind: cursor), consecutive_failures = 0, next_attempt_at = NULL,
                    lease_until = \(bind: leaseUntil)
                WHERE id = \(bind: endpointID) AND lease_token = \(bind: lease) AND enabled = \(bind: true)
                RETURNING id
                """).first() != nil
        }
    }

    func fail(endpointID: Int, lease: String, retryAt: Date, disable: String?) async throws {
        let disabling: SQLQueryString = disable.map { ", enabled = \(bind: false), disabled_reason = \(bind: $0)" } ?? ""
        try await session.write { sql in
            try await sql.raw("""
                UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, next_attempt_at = \(bind: retryAt),
                    lease_token = NULL, lease_until = NULL\(disabling)
                WHERE id = \(bind: endpointID) AND lease_token = \(bind: lease)
                """).run()
        }
    }

    func release(endpointID: Int, lease: String) async throws {
        try await session.write { sql in
            try await sql.raw("""
                UPDATE webhook_endpoints SET lease_token = NULL, lease_until = NULL WHERE id = \(bind: endpointID) AND lease_token = \(bind: lease)
                """).run()
        }
    }

    private static let deliveryColumns: SQLQueryString = """
        id, endpoint_id, event_id, event_type, message_id, cause, attempted_at, status_code, duration_ms, error, succeeded
        """

    func record(_ attempt: NewWebhookDelivery) async throws -> WebhookDelivery {
        let outcome = attempt.outcome
        let row = try await session.write { sql in
            try await sql.raw("""
                INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, message_id, cause, attempted_at, status_code,
                                                duration_ms, error, succeeded)
                VALUES (\(bind: attempt.endpointID), \(bind: attempt.eventID), \(bind: attempt.eventType), \(bind: attempt.messageID),
                        \(bind: attempt.trigger.rawValue), \(bind: attempt.attemptedAt), \(bind: outcome.statusCode),
                        \(bind: outcome.durationMilliseconds), \(bind: outcome.error), \(bind: outcome.succeeded))
                RETURNING \(Self.deliveryColumns)
                """).first()
        }
        guard let row else { throw DatabaseInvariantViolation("an INSERT returned no row") }
        return try WebhookDelivery(row: row)
    }

    func deliveries(endpointID: Int, limit: Int, offset: Int) async throws -> [WebhookDelivery] {
        try await session.sql.raw("""
            SELECT \(Self.deliveryColumns) FROM webhook_deliveries WHERE endpoint_id = \(bind: endpointID)
            ORDER BY id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)
            """).all().map(WebhookDelivery.init(row:))
    }

    func delivery(id: Int, endpointID: Int) async throws -> WebhookDelivery? {
        try await session.sql.raw("""
            SELECT \(Self.deliveryColumns) FROM webhook_deliveries WHERE id = \(bind: id) AND endpoint_id = \(bind: endpointID)
            """).first().map(WebhookDelivery.init(row:))
    }

    func lag() async throws -> [(endpointID: Int, oldest: Date?)] {
        var lags: [(endpointID: Int, oldest: Date?)] = []
        for endpoint in try await list() where endpoint.enabled {
            let types = endpoint.eventTypes.map { "\(bind: $0.rawValue)" as SQLQueryString }
            let oldest = types.isEmpty ? nil : try await session.sql.raw("""
                SELECT MIN(occurred_at) AS oldest FROM events
                WHERE id > \(bind: endpoint.cursor) AND type IN (\(types.joined(separator: ", ")))
                """).first()?.decode(column: "oldest", as: Date?.self)
            lags.append((endpoint.id, oldest))
        }
        return lags
    }

    func purgeDeliveries(before date: Date, limit: Int) async throws -> Int {
        try await session.deleteBatch(from: "webhook_deliveries", key: ["id"], where: "attempted_at < \(bind: date)", limit: limit)
    }

    static func encode(_ types: [EventType]) -> String {
        types.map(\.rawValue).joined(separator: ",")
    }
}

extension WebhookEndpoint {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.decode(column: "id", as: Int.self),
            url: try row.decode(column: "url", as: String.self),
            description: try row.decode(column: "description", as: String.self),
            eventTypes: try row.decode(column: "event_types", as: String.self).split(separator: ",").compactMap { EventType(rawValue: String($0)) },
            enabled: try row.decode(column: "enabled", as: Bool.self),
            disabledReason: try row.decode(column: "disabled_reason", as: String?.self),
            consecutiveFailures: try row.decode(column: "consecutive_failures", as: Int.self),
            cursor: try row.decode(column: "last_event_id", as: Int.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: Date?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }
}

extension WebhookDelivery {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.decode(column: "id", as: Int.self),
            endpointID: try row.decode(column: "endpoint_id", as: Int.self),
            eventID: try row.decode(column: "event_id", as: Int?.self),
            eventType: try row.decode(column: "event_type", as: String.self),
            messageID: try row.decode(column: "message_id", as: String.self),
            trigger: Trigger(rawValue: try row.decode(column: "cause", as: String.self)) ?? .relay,
            attemptedAt: try row.decode(column: "attempted_at", as: Date.self),
            statusCode: try row.decode(column: "status_code", as: Int?.self),
            durationMilliseconds: try row.decode(column: "duration_ms", as: Int.self),
            error: try row.decode(column: "error", as: String?.self),
            succeeded: try row.decode(column: "succeeded", as: Bool.self))
    }
}
