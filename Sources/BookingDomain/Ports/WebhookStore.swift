import Foundation

/// Webhook endpoints, their leases and their deliveries.
public protocol WebhookStore: Sendable {
    func create(url: String, description: String, eventTypes: [EventType], secret: String, cursor: Int, at now: Date) async throws -> WebhookEndpoint
    /// Oldest first.
    func list() async throws -> [WebhookEndpoint]
    func find(id: Int) async throws -> WebhookEndpoint?
    func secret(id: Int) async throws -> String?
    /// Changes what is given (nil: unchanged). Enabling clears the failures and the back-off, so the
    /// relay resumes at once from the cursor; nil when there is no such endpoint.
    func update(id: Int, url: String?, description: String?, eventTypes: [EventType]?, enabled: Bool?, at now: Date) async throws -> WebhookEndpoint?
    /// Deletes it and its deliveries; false when there was none.
    func delete(id: Int) async throws -> Bool

    /// Leases up to `limit` enabled endpoints that are due (past their back-off, no unexpired lease) and
    /// behind `head`, until `leaseUntil`, to the relay holding `token`. Concurrent relays on any number of
    /// servers never lease one endpoint at once.
    func claimDue(at now: Date, head: Int, leaseUntil: Date, token: String, limit: Int) async throws -> [LeasedWebhook]
    /// Moves the cursor of an endpoint this relay still leases to `cursor`, clears its failures and
    /// extends the lease; false when the lease was lost (nothing changes then).
    func advance(endpointID: Int, lease: String, cursor: Int, leaseUntil: Date) async throws -> Bool
    /// Records a failed attempt on a leased endpoint: one more failure in a row, and either the back-off
    /// until `retryAt` or, with `disable`, disabled for that reason. Ends the lease.
    func fail(endpointID: Int, lease: String, retryAt: Date, disable: String?) async throws
    /// Ends this relay's lease of the endpoint.
    func release(endpointID: Int, lease: String) async throws

    func record(_ attempt: NewWebhookDelivery) async throws -> WebhookDelivery
    /// Newest first.
    func deliveries(endpointID: Int, limit: Int, offset: Int) async throws -> [WebhookDelivery]
    func delivery(id: Int, endpointID: Int) async throws -> WebhookDelivery?
    /// For each enabled endpoint, when the oldest event it wants and has not received occurred (nil: none waiting).
    func lag() async throws -> [(endpointID: Int, oldest: Date?)]
    /// Deletes up to `limit` delivery records older than `date`; returns how many.
    func purgeDeliveries(before date: Date, limit: Int) async throws -> Int
}

/// An attempt as the relay records it.
public struct NewWebhookDelivery: Sendable {
    public let endpointID: Int
    public let eventID: Int?
    public let eventType: String
    public let messageID: String
    public let trigger: WebhookDelivery.Trigger
    public let attemptedAt: Date
    public let outcome: WebhookOutcome

    public init(endpointID: Int, eventID: Int?, eventType: String, messageID: String, trigger: WebhookDelivery.Trigger,
                attemptedAt: Date, outcome: WebhookOutcome) {
        self.endpointID = endpointID
        self.eventID = eventID
        self.eventType = eventType
        self.messageID = messageID
        self.trigger = trigger
        self.attemptedAt = attemptedAt
        self.outcome = outcome
    }
}

/// What came back from one attempt.
public struct WebhookOutcome: Sendable, Equatable {
    /// The receiver's status; nil when no answer came.
    public let statusCode: Int?
    public let durationMilliseconds: Int
    /// Why no answer came (time-out, refused address, connection failure); nil when one did.
    public let error: String?

    public init(statusCode: Int?, durationMilliseconds: Int, error: String?) {
        self.statusCode = statusCode
        self.durationMilliseconds = durationMilliseconds
        self.error = error
    }

    /// A 2xx answer.
    public var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
}

/// The one message a delivery sends, before it is encoded: the event (nil for a ping), its
/// `webhook-id` and the moment it is signed.
public struct OutgoingWebhook: Sendable {
    public let url: String
    public let secret: String
    public let messageID: String
    public let eventType: String
    public let event: Event?
    public let timestamp: Date

    public init(url: String, secret: String, messageID: String, eventType: String, event: Event?, timestamp: Date) {
        self.url = url
        self.secret = secret
        self.messageID = messageID
        self.eventType = eventType
        self.event = event
        self.timestamp = timestamp
    }
}

/// Sends a signed webhook over the network (the edge, with its HTTP client and address rules). It never
/// throws: a failure is an outcome.
public protocol WebhookSender: Sendable {
    func send(_ message: OutgoingWebhook) async -> WebhookOutcome

    /// Runs `work` with a way to send several messages to `url` in turn over one client (one address
    /// lookup, kept-alive connections): the relay's batches.
    func session<T: Sendable>(to url: String, _ work: (_ send: (OutgoingWebhook) async -> WebhookOutcome) async throws -> T) async throws -> T

    /// Why the sender would not call `url` (an address it must not reach); nil if it would.
    func refusal(of url: String) async -> String?
}
