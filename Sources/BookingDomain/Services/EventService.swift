import Foundation

/// The audit log and the feed integrators follow (`GET /events/`).
public struct EventService: Sendable {
    let storage: any Storage
    let metrics: WebhookMetrics

    public init(storage: any Storage, metrics: WebhookMetrics) {
        self.storage = storage
        self.metrics = metrics
    }

    /// Events after `after`, oldest first. Numbers what has committed first, so an event whose change a
    /// client has seen acknowledged is in the answer.
    public func events(after: Int, types: [String], resourceID: Int?, limit: Int) async throws -> [Event] {
        try Validate.page(limit: limit, offset: 0)
        guard after >= 0 else { throw AppError.invalidField(field: "after", reason: "after must be a non-negative integer") }
        let wanted = try Self.types(types, field: "type")
        try await sequence()
        return try await storage.events.list(EventFilter(after: after, types: wanted.isEmpty ? nil : Set(wanted), resourceID: resourceID, limit: limit))
    }

    /// The newest events before `before` (nil: the newest of all), newest first: the admin's page.
    public func recent(before: Int?, types: [String], resourceID: Int?, limit: Int) async throws -> [Event] {
        let wanted = try Self.types(types, field: "type")
        try await sequence()
        return try await storage.events.list(EventFilter(through: before.map { $0 - 1 }, types: wanted.isEmpty ? nil : Set(wanted),
                                                         resourceID: resourceID, limit: limit, newestFirst: true))
    }

    /// Gives the committed events their place in the feed; returns how many.
    @discardableResult
    public func sequence() async throws -> Int {
        let numbered = try await storage.events.sequence()
        metrics.eventsWritten(numbered)
        return numbered
    }

    /// Event type names checked against the known ones.
    static func types(_ names: [String], field: String) throws(AppError) -> [EventType] {
        var types: [EventType] = []
        for name in names {
            guard let type = EventType(rawValue: name) else {
                throw AppError.invalidField(field: field, reason: "\(field) must be event types, such as booking.created; \(name.prefix(60)) is not one")
            }
            if !types.contains(type) { types.append(type) }
        }
        return types
    }
}
