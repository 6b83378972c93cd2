import Foundation

/// An integrator's endpoint: the events it wants, where to send them, and how far it has got.
///
/// Events reach it in feed order, one at a time: `cursor` is the id of the last event delivered (or
/// passed over as not wanted). A failed attempt stops the endpoint until `nextAttemptAt` (back-off),
/// so nothing after the failed event is sent before it.
public struct WebhookEndpoint: Sendable, Equatable {
    public let id: Int
    public let url: String
    public let description: String
    public let eventTypes: [EventType]
    public let enabled: Bool
    /// Why the service disabled it (410 Gone, too many failures in a row); nil if enabled or disabled by an admin.
    public let disabledReason: String?
    public let consecutiveFailures: Int
    public let cursor: Int
    public let nextAttemptAt: Date?
    public let createdAt: Date
    public let updatedAt: Date

    public init(id: Int, url: String, description: String, eventTypes: [EventType], enabled: Bool, disabledReason: String?,
                consecutiveFailures: Int, cursor: Int, nextAttemptAt: Date?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.enabled = enabled
        self.disabledReason = disabledReason
        self.consecutiveFailures = consecutiveFailures
        self.cursor = cursor
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public func wants(_ type: EventType) -> Bool { eventTypes.contains(type) }
}

/// An endpoint as the relay holds it: with its signing secret and the lease that makes it the only relay
/// sending to it until the lease ends.
public struct LeasedWebhook: Sendable {
    public let endpoint: WebhookEndpoint
    public let secret: String
    public let lease: String

    public init(endpoint: WebhookEndpoint, secret: String, lease: String) {
        self.endpoint = endpoint
        self.secret = secret
        self.lease = lease
    }
}

/// One attempt to send one event (or a ping) to one endpoint.
public struct WebhookDelivery: Sendable, Equatable {
    public enum Trigger: String, Sendable, CaseIterable {
        /// The relay, in feed order.
        case relay
        /// An admin's retry of an earlier delivery.
        case retry
        /// An admin's test ping.
        case test
    }

    public let id: Int
    public let endpointID: Int
    /// The event sent; nil for a ping.
    public let eventID: Int?
    public let eventType: String
    /// The `webhook-id` header sent: the same for every attempt at one event.
    public let messageID: String
    public let trigger: Trigger
    public let attemptedAt: Date
    /// The receiver's HTTP status; nil when none came (time-out, refused, unreachable).
    public let statusCode: Int?
    public let durationMilliseconds: Int
    public let error: String?
    public let succeeded: Bool

    public init(id: Int, endpointID: Int, eventID: Int?, eventType: String, messageID: String, trigger: Trigger, attemptedAt: Date,
                statusCode: Int?, durationMilliseconds: Int, error: String?, succeeded: Bool) {
        self.id = id
        self.endpointID = endpointID
        self.eventID = eventID
        self.eventType = eventType
        self.messageID = messageID
        self.trigger = trigger
        self.attemptedAt = attemptedAt
        self.statusCode = statusCode
        self.durationMilliseconds = durationMilliseconds
        self.error = error
        self.succeeded = succeeded
    }
}
