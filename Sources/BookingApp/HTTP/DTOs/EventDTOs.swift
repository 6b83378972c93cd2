import BookingDomain
import Vapor

/// An event as `GET /events/` lists it and as a webhook's `data` carries it.
struct EventResponse: Content {
    let event: Event

    init(_ event: Event) {
        self.event = event
    }

    enum CodingKeys: String, CodingKey {
        case id, type, actor, resource, booking, hold, user, quantity, stock, details
        case occurredAt = "occurred_at"
        case resourceName = "resource_name"
        case waitlistEntry = "waitlist_entry"
    }

    enum StockKeys: String, CodingKey {
        case total, available, held
    }

    enum UserKeys: String, CodingKey {
        case id, username, email
    }

    init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "events are only written"))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let subject = event.subject
        try container.encode(event.id, forKey: .id)
        try container.encode(event.type.rawValue, forKey: .type)
        try container.encode(event.occurredAt.wireFormat, forKey: .occurredAt)
        switch event.actor {
        case .user(let id): try container.encode(id, forKey: .actor)
        case .system: try container.encode("system", forKey: .actor)
        }
        try container.encodeOrNull(subject.resourceID, forKey: .resource)
        try container.encodeOrNull(subject.resourceName, forKey: .resourceName)
        try container.encodeOrNull(subject.bookingID, forKey: .booking)
        try container.encodeOrNull(subject.holdID, forKey: .hold)
        try container.encodeOrNull(subject.waitlistEntryID, forKey: .waitlistEntry)
        if let userID = subject.userID {
            var user = container.nestedContainer(keyedBy: UserKeys.self, forKey: .user)
            try user.encode(userID, forKey: .id)
            try user.encodeOrNull(event.user?.username, forKey: .username)
            try user.encodeOrNull(event.user?.email, forKey: .email)
        } else {
            try container.encodeNil(forKey: .user)
        }
        try container.encodeOrNull(event.quantity, forKey: .quantity)
        if let stock = event.stock {
            var nested = container.nestedContainer(keyedBy: StockKeys.self, forKey: .stock)
            try nested.encode(stock.total, forKey: .total)
            try nested.encode(stock.available, forKey: .available)
            try nested.encode(stock.held, forKey: .held)
        } else {
            try container.encodeNil(forKey: .stock)
        }
        try container.encode(event.details, forKey: .details)
    }
}

/// The body of a webhook (Standard Webhooks' shape): the type, when it was sent, and the event.
struct WebhookPayload: Encodable {
    let type: String
    let timestamp: String
    let data: EventResponse?

    enum CodingKeys: String, CodingKey {
        case type, timestamp, data
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(timestamp, forKey: .timestamp)
        if let data {
            try container.encode(data, forKey: .data)
        } else {
            // A ping carries nothing.
            _ = container.nestedContainer(keyedBy: CodingKeys.self, forKey: .data)
        }
    }
}

struct WebhookRequest: Decodable {
    var url: String?
    var events: [String]?
    var description: String?
    var enabled: Bool?
}

struct WebhookResponse: Content {
    let endpoint: WebhookEndpoint
    /// Only in the answer to its creation.
    let secret: String?

    init(_ endpoint: WebhookEndpoint, secret: String? = nil) {
        self.endpoint = endpoint
        self.secret = secret
    }

    enum CodingKeys: String, CodingKey {
        case id, url, description, events, enabled, secret
        case disabledReason = "disabled_reason"
        case consecutiveFailures = "consecutive_failures"
        case lastEventID = "last_event_id"
        case nextAttemptAt = "next_attempt_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "endpoints are only written"))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(endpoint.id, forKey: .id)
        try container.encode(endpoint.url, forKey: .url)
        try container.encode(endpoint.description, forKey: .description)
        try container.encode(endpoint.eventTypes.map(\.rawValue), forKey: .events)
        try container.encode(endpoint.enabled, forKey: .enabled)
        try container.encodeOrNull(endpoint.disabledReason, forKey: .disabledReason)
        try container.encode(endpoint.consecutiveFailures, forKey: .consecutiveFailures)
        try container.encode(endpoint.cursor, forKey: .lastEventID)
        try container.encodeOrNull(endpoint.nextAttemptAt?.wireFormat, forKey: .nextAttemptAt)
        try container.encode(endpoint.createdAt.wireFormat, forKey: .createdAt)
        try container.encode(endpoint.updatedAt.wireFormat, forKey: .updatedAt)
        if let secret { try container.encode(secret, forKey: .secret) }
    }
}

struct WebhookDeliveryResponse: Content {
    let delivery: WebhookDelivery

    init(_ delivery: WebhookDelivery) {
        self.delivery = delivery
    }

    enum CodingKeys: String, CodingKey {
        case id, event, error, succeeded, trigger
        case endpoint = "webhook"
        case eventType = "event_type"
        case messageID = "webhook_id"
        case attemptedAt = "attempted_at"
        case statusCode = "status_code"
        case durationMilliseconds = "duration_ms"
    }

    init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "deliveries are only written"))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(delivery.id, forKey: .id)
        try container.encode(delivery.endpointID, forKey: .endpoint)
        try container.encodeOrNull(delivery.eventID, forKey: .event)
        try container.encode(delivery.eventType, forKey: .eventType)
        try container.encode(delivery.messageID, forKey: .messageID)
        try container.encode(delivery.trigger.rawValue, forKey: .trigger)
        try container.encode(delivery.attemptedAt.wireFormat, forKey: .attemptedAt)
        try container.encodeOrNull(delivery.statusCode, forKey: .statusCode)
        try container.encode(delivery.durationMilliseconds, forKey: .durationMilliseconds)
        try container.encodeOrNull(delivery.error, forKey: .error)
        try container.encode(delivery.succeeded, forKey: .succeeded)
    }
}
