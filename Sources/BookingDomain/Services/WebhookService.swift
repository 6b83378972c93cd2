import Foundation

/// Admins' webhook endpoints: adding, changing and removing them, their deliveries, a test ping and a
/// manual retry. Sending in feed order is the ``WebhookRelay``'s.
public struct WebhookService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let sender: any WebhookSender
    let metrics: WebhookMetrics

    public static let urlMaxLength = 2000
    public static let descriptionMaxLength = 500

    public init(storage: any Storage, clock: any WallClock, sender: any WebhookSender, metrics: WebhookMetrics) {
        self.storage = storage
        self.clock = clock
        self.sender = sender
        self.metrics = metrics
    }

    /// A new endpoint and its signing secret, shown this once.
    public func create(url: String?, events: [String]?, description: String?) async throws -> (endpoint: WebhookEndpoint, secret: String) {
        let url = try await checkedURL(url)
        let types = try Self.eventTypes(events)
        let description = try Self.description(description)
        // It receives what happens from now on: numbered events so far are history.
        try await EventService(storage: storage, metrics: metrics).sequence()
        let cursor = try await storage.events.head()
        let secret = WebhookSignature.newSecret()
        let endpoint = try await storage.webhooks.create(url: url, description: description, eventTypes: types, secret: secret,
                                                         cursor: cursor, at: clock.now())
        return (endpoint, secret)
    }

    public func endpoints() async throws -> [WebhookEndpoint] {
        try await storage.webhooks.list()
    }

    public func endpoint(id: Int) async throws -> WebhookEndpoint {
        guard let endpoint = try await storage.webhooks.find(id: id) else { throw AppError.webhookNotFound }
        return endpoint
    }

    /// Changes what is given. Enabling a disabled endpoint resumes it from where it stopped.
    public func update(id: Int, url: String?, events: [String]?, description: String?, enabled: Bool?) async throws -> WebhookEndpoint {
        var checked: String?
        if let url { checked = try await checkedURL(url) }
        let types = try events.map { events throws(AppError) in try Self.eventTypes(events) }
        let description = try description.map { text throws(AppError) in try Self.description(text) }
        guard let updated = try await storage.webhooks.update(id: id, url: checked, description: description, eventTypes: types,
                                                              enabled: enabled, at: clock.now()) else {
            throw AppError.webhookNotFound
        }
        return updated
    }

    public func delete(id: Int) async throws {
        guard try await storage.webhooks.delete(id: id) else { throw AppError.webhookNotFound }
    }

    /// Newest first.
    public func deliveries(endpointID: Int, limit: Int, offset: Int) async throws -> [WebhookDelivery] {
        try Validate.page(limit: limit, offset: offset)
        _ = try await endpoint(id: endpointID)
        return try await storage.webhooks.deliveries(endpointID: endpointID, limit: limit, offset: offset)
    }

    /// Sends a `ping` now and records the attempt.
    public func test(endpointID: Int) async throws -> WebhookDelivery {
        let endpoint = try await endpoint(id: endpointID)
        let messageID = "ping_" + SessionService.makeToken().prefix(24)
        return try await send(to: endpoint, messageID: messageID, type: "ping", event: nil, trigger: .test)
    }

    /// Sends the event of an earlier delivery again now, with the same `webhook-id`, and records the
    /// attempt. It does not move the endpoint's place in the feed.
    public func retry(endpointID: Int, deliveryID: Int) async throws -> WebhookDelivery {
        let endpoint = try await endpoint(id: endpointID)
        guard let delivery = try await storage.webhooks.delivery(id: deliveryID, endpointID: endpointID) else {
            throw AppError.webhookDeliveryNotFound
        }
        var event: Event?
        if let eventID = delivery.eventID {
            event = try await storage.events.list(EventFilter(after: eventID - 1, through: eventID, limit: 1)).first
            // Purged after EVENT_RETENTION: nothing left to send.
            guard event != nil else { throw AppError.webhookDeliveryNotFound }
        }
        return try await send(to: endpoint, messageID: delivery.messageID, type: delivery.eventType, event: event, trigger: .retry)
    }

    private func send(to endpoint: WebhookEndpoint, messageID: String, type: String, event: Event?,
                      trigger: WebhookDelivery.Trigger) async throws -> WebhookDelivery {
        guard let secret = try await storage.webhooks.secret(id: endpoint.id) else { throw AppError.webhookNotFound }
        let now = clock.now()
        let outcome = await sender.send(OutgoingWebhook(url: endpoint.url, secret: secret, messageID: messageID, eventType: type,
                                                        event: event, timestamp: now))
        metrics.delivered(outcome)
        return try await storage.webhooks.record(NewWebhookDelivery(endpointID: endpoint.id, eventID: event?.id, eventType: type,
                                                                     messageID: messageID, trigger: trigger, attemptedAt: now, outcome: outcome))
    }

    /// An absolute http or https URL the sender may call (``WebhookSender/refusal(of:)``).
    private func checkedURL(_ value: String?) async throws -> String {
        let text = try Validate.required(value, field: "url")
        guard text.unicodeScalars.count <= Self.urlMaxLength else {
            throw AppError.invalidField(field: "url", reason: "url must be at most \(Self.urlMaxLength) characters")
        }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty, url.user == nil, url.password == nil
        else {
            throw AppError.invalidField(field: "url", reason: "url must be an absolute http or https URL without credentials")
        }
        if let refusal = await sender.refusal(of: text) {
            throw AppError.invalidField(field: "url", reason: refusal)
        }
        return text
    }

    static func eventTypes(_ names: [String]?) throws(AppError) -> [EventType] {
        guard let names, !names.isEmpty, names.count <= 100 else {
            throw AppError.invalidField(field: "events", reason: "events must list from 1 to 100 event types")
        }
        return try EventService.types(names, field: "events")
    }

    static func description(_ value: String?) throws(AppError) -> String {
        try Validate.text(value, field: "description", maxLength: descriptionMaxLength)
    }
}
